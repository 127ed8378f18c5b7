"""The churn model's stacks: hosting in one, monitoring and retraining in another."""
