"""The trigger function's settings, read from its environment: whole seconds, their defaults and minimums."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from lambdas.retraining_trigger.contract import (
    ENV_COOLDOWN_SECONDS,
    ENV_IDEMPOTENCY_TTL_SECONDS,
    ENV_MAX_TRIGGER_AGE_SECONDS,
    ENV_PIPELINE_NAME,
    ENV_TABLE_NAME,
    ENV_TOPIC_ARN,
    ENV_VIOLATION_LOOKBACK_SECONDS,
)

PACKAGE = "lambdas.retraining_trigger"


@pytest.fixture
def decisions() -> Iterator[ModuleType]:
    """The settings module, imported for this test only.

    Its Powertools child logger attaches to the service logger that exists when it is imported; a copy imported
    here, before the handler tests have set up the function's environment, would leave their logs uncaptured. So
    whatever this test imports first is forgotten afterwards, and the handler imports it afresh.
    """
    loaded = {name for name in sys.modules if name.startswith(PACKAGE)}
    yield importlib.import_module(f"{PACKAGE}.decisions")
    for name in [name for name in sys.modules if name.startswith(PACKAGE) and name not in loaded]:
        del sys.modules[name]


BASE = {
    ENV_PIPELINE_NAME: "churn-retraining",
    ENV_TABLE_NAME: "trigger-state",
    ENV_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:retraining",
    ENV_COOLDOWN_SECONDS: "3600",
}


def test_defaults_when_the_optional_seconds_are_unset(decisions):
    settings = decisions.Settings.from_env(BASE)
    assert settings.cooldown_seconds == 3600
    assert settings.violation_lookback_seconds == decisions.DEFAULT_VIOLATION_LOOKBACK_SECONDS
    assert settings.idempotency_ttl_seconds == decisions.DEFAULT_IDEMPOTENCY_TTL_SECONDS
    assert settings.max_trigger_age_seconds is None


def test_given_seconds_are_read(decisions):
    settings = decisions.Settings.from_env(
        {
            **BASE,
            ENV_COOLDOWN_SECONDS: " 0 ",
            ENV_VIOLATION_LOOKBACK_SECONDS: "7200",
            ENV_IDEMPOTENCY_TTL_SECONDS: "86400",
            ENV_MAX_TRIGGER_AGE_SECONDS: "600",
        }
    )
    assert (
        settings.cooldown_seconds,
        settings.violation_lookback_seconds,
        settings.idempotency_ttl_seconds,
        settings.max_trigger_age_seconds,
    ) == (0, 7200, 86400, 600)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        (ENV_COOLDOWN_SECONDS, "", f"{ENV_COOLDOWN_SECONDS} must be set"),
        (ENV_COOLDOWN_SECONDS, "6h", f"{ENV_COOLDOWN_SECONDS} must be a whole number of seconds, got '6h'"),
        (ENV_COOLDOWN_SECONDS, "-1", f"{ENV_COOLDOWN_SECONDS} must be 0 or more, got -1"),
        (ENV_VIOLATION_LOOKBACK_SECONDS, "1.5", f"{ENV_VIOLATION_LOOKBACK_SECONDS} must be a whole number"),
        (ENV_VIOLATION_LOOKBACK_SECONDS, "0", f"{ENV_VIOLATION_LOOKBACK_SECONDS} must be 1 or more, got 0"),
        (ENV_IDEMPOTENCY_TTL_SECONDS, "a day", f"{ENV_IDEMPOTENCY_TTL_SECONDS} must be a whole number"),
        (ENV_MAX_TRIGGER_AGE_SECONDS, "x", f"{ENV_MAX_TRIGGER_AGE_SECONDS} must be a whole number"),
        (ENV_MAX_TRIGGER_AGE_SECONDS, "0", f"{ENV_MAX_TRIGGER_AGE_SECONDS} must be 1 or more, got 0"),
    ],
)
def test_bad_seconds_are_named(decisions, name, value, problem):
    with pytest.raises(ValueError, match="invalid retraining trigger configuration") as raised:
        decisions.Settings.from_env({**BASE, name: value})
    assert problem in str(raised.value)


def test_every_problem_is_reported_at_once(decisions):
    with pytest.raises(ValueError, match="invalid retraining trigger configuration") as raised:
        decisions.Settings.from_env({**BASE, ENV_COOLDOWN_SECONDS: "-5", ENV_MAX_TRIGGER_AGE_SECONDS: "soon"})
    assert f"{ENV_COOLDOWN_SECONDS} must be 0 or more" in str(raised.value)
    assert f"{ENV_MAX_TRIGGER_AGE_SECONDS} must be a whole number" in str(raised.value)
