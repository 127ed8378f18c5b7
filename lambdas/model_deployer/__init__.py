"""The approved-model deployer: puts the newest approved model package of a group into service through the serving stack's own template and guardrails."""
