"""delivery: the way back to production (approved model packages deployed behind the guardrails) and bandit traffic allocation between variants."""
