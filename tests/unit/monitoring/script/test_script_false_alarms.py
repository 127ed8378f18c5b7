"""The drift rule's false-alarm rate on undrifted churn windows (``benchmarks/false_alarms.py``), with a fixed seed:
bounded for the rule, and far higher for the bare threshold, so the test fails if the gate stops working."""

from __future__ import annotations

import pytest

from benchmarks.false_alarms import false_alarm_rates

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent


def test_the_rule_rarely_alarms_on_undrifted_windows() -> None:
    # minSamples 0: the Kolmogorov-Smirnov gate alone, at significance 0.01 over 7 features.
    rates = false_alarm_rates(sizes=(40, 100, 500), windows=40, seed=11, min_samples=0)
    for size, by_rule in rates.items():
        assert by_rule["rule/Robust"] <= 0.05, (size, by_rule)
        assert by_rule["rule/Simple"] <= 0.1, (size, by_rule)
    assert rates[40]["threshold/Simple"] >= 0.5  # the bare Simple threshold alarms on most small windows
