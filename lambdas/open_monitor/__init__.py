"""The open monitoring backend's planner Lambda (design14 §3). Placeholder owned by the lambdas engineer."""
