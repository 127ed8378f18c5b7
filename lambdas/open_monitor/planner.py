"""Placeholder of the planner handler (design14 §3), owned by the lambdas engineer: the backend's templates
only need the module to exist."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Not implemented in this placeholder."""
    raise NotImplementedError("the open monitoring planner is not implemented in this placeholder")
