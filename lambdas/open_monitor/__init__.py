"""The open monitoring backend's planner: the first step of a monitor's workflow (see planner.py)."""
