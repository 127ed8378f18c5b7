"""The sample events of ``tests/events/`` (one JSON file per event)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A sample event from ``tests/events/``; ``overrides`` replace top-level keys."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    event.update(overrides)
    return event
