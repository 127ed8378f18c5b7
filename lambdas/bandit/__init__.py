"""The bandit allocator: moves an endpoint's traffic toward the variant with the best reward, within guardrails."""
