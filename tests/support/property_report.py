"""The property tests' summary (tests/unit/test_properties.py): how many draws synthesized, how many were
rejected, per construct."""

from __future__ import annotations

from types import ModuleType
from typing import Any


def write_property_summary(terminalreporter: Any, module: ModuleType | None) -> None:
    """Write the draws of the property test module ``module`` (when it ran) to pytest's terminal summary."""
    draws = getattr(module, "DRAWS", None)
    if not draws:
        return
    outcomes = getattr(module, "OUTCOMES", {})
    synthesized = sum(n for (_, outcome), n in outcomes.items() if outcome == "synthesized")
    rejected = sum(n for (_, outcome), n in outcomes.items() if outcome == "rejected")
    terminalreporter.section("property tests")
    terminalreporter.write_line(
        f"{sum(draws.values())} draws: {synthesized} synthesized and linted clean, {rejected} rejected with a "
        f"ValueError naming the bad prop, {sum(draws.values()) - synthesized - rejected} named-constructor calls"
    )
    wrong_types = getattr(module, "WRONG_TYPES", None)
    if wrong_types:
        terminalreporter.write_line(
            f"  of the rejected draws, {sum(wrong_types.values())} for a prop of the wrong type"
        )
    for construct, count in sorted(draws.items()):
        split = ", ".join(f"{n} {o}" for (c, o), n in sorted(outcomes.items()) if c == construct)
        terminalreporter.write_line(f"  {construct}: {count}" + (f" ({split})" if split else ""))
