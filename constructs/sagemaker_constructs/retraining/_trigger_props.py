"""The props of a ``RetrainingTrigger``: their checks, and the limits of the function's environment and of the
violation sweeps' lookback that they must respect."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping, Sequence

from aws_cdk import Duration, Stack

from sagemaker_constructs._internal.handlers import retraining_trigger_contract as contract
from sagemaker_constructs._internal.validation import ValidationError, ValidationErrors, is_token
from sagemaker_constructs.monitoring._monitor_base import MonitorBase

from .sagemaker_pipeline import IPipeline

_PARAMETER_NAME = re.compile(contract.PARAMETER_NAME_PATTERN)

# Lambda allows 4 KB (4096 bytes) for all environment variables, names and values together. The trigger's own
# variables take at most 1024: names (about 220 bytes), a pipeline name (256), a table name (255), a topic ARN
# (about 310), the service name (64), the namespace and two numbers. The pipeline parameters get the rest.
PARAMETERS_ENV_BUDGET = 4096 - 1024
"""Bytes of the function's environment left to the pipeline parameters and the wired schedules' names."""
_MONITOR_START_DELAY = Duration.minutes(20)
"""How late a scheduled monitoring execution may start (model-monitor-schedule-expression: 0-20 minutes)."""


def check_props(
    description: str,
    pipeline: IPipeline,
    static: Mapping[str, str],
    dynamic: Mapping[str, enum.Enum],
    cooldown: Duration,
    idempotency_ttl: Duration,
    max_event_age: Duration,
    max_trigger_age: Duration | None,
    retry_attempts: int,
    violation_reconciliation: Duration,
    violation_lookback: Duration | None,
    powertools_version: str,
) -> int:
    """Check the props of a ``RetrainingTrigger`` (``description`` names it in the message), raise one
    ValidationError listing every problem, and return the bytes the pipeline parameters take in the function's
    environment."""
    errors = ValidationErrors(description)
    for name in [*static, *dynamic]:
        if not is_token(name) and not _PARAMETER_NAME.fullmatch(name):
            errors.add(
                f"pipeline parameter names must match {contract.PARAMETER_NAME_PATTERN} (letters, digits, '-' "
                f"and '_'), got {name!r}"
            )
    overlap = sorted(set(static) & set(dynamic))
    if overlap:
        errors.add(f"a parameter is either static or from the event, got both for {overlap}")
    for name, value in static.items():
        if not is_token(value) and len(value) > 1024:
            errors.add(f"'static_parameters[{name!r}]' must be at most 1024 characters, got {len(value)}")
    parameters_size = _parameters_env_size(static, dynamic)
    if parameters_size > PARAMETERS_ENV_BUDGET:
        errors.add(
            f"'static_parameters' and 'event_parameters' must fit in {PARAMETERS_ENV_BUDGET} bytes of the "
            f"function's environment (Lambda allows 4 KB for all variables; the trigger's own take the "
            f"rest), got {parameters_size} bytes"
        )
    known = getattr(pipeline, "parameter_names", None)
    if known is not None:
        missing = sorted((set(static) | set(dynamic)) - set(known))
        if missing:
            errors.add(f"parameters {missing} are not declared by the pipeline (it declares {sorted(known)})")
    errors.check_seconds("cooldown", cooldown, 0, 86400 * 30)
    errors.check_seconds("idempotency_ttl", idempotency_ttl, 60, 86400 * 30)
    # The same age limits EventBridge's retries and Lambda's asynchronous retries (at most 6 hours).
    errors.check_seconds("max_event_age", max_event_age, 60, 21600)
    known_ages = not is_token(idempotency_ttl) and not is_token(max_event_age)
    # integral=False: durations that are not whole seconds are reported above, and would raise in jsii here.
    if known_ages and idempotency_ttl.to_seconds(integral=False) < max_event_age.to_seconds(integral=False):
        errors.add(
            "'idempotency_ttl' must be at least 'max_event_age' (a late retry would decide the incident "
            f"again), got {idempotency_ttl.to_human_string()} < {max_event_age.to_human_string()}"
        )
    errors.check_seconds("max_trigger_age", max_trigger_age, 60, 86400 * 30)
    if (
        max_trigger_age is not None
        and not is_token(max_trigger_age)
        and not is_token(idempotency_ttl)
        and max_trigger_age.to_seconds(integral=False) > idempotency_ttl.to_seconds(integral=False)
    ):
        errors.add(
            "'max_trigger_age' must be at most 'idempotency_ttl' (an older event could be an incident already "
            f"forgotten), got {max_trigger_age.to_human_string()} > {idempotency_ttl.to_human_string()}"
        )
    errors.check_range("retry_attempts", retry_attempts, 0, 185, integer=True)
    errors.check_seconds("violation_reconciliation", violation_reconciliation, 60, 86400)
    errors.check_seconds("violation_lookback", violation_lookback, 60, 86400 * 30)
    _check_lookback(errors, violation_reconciliation, violation_lookback, idempotency_ttl)
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", powertools_version):
        errors.add(f"'powertools_version' must be a release like '3.37.0', got {powertools_version!r}")
    errors.raise_if_any()
    return parameters_size


def _check_lookback(
    errors: ValidationErrors, reconciliation: Duration, lookback: Duration | None, idempotency_ttl: Duration
) -> None:
    """The lookback must cover the time between two sweeps, and a looked-back execution must still find its
    idempotency record (else a later sweep would act on it again)."""
    if is_token(reconciliation):
        return
    if reconciliation.to_seconds(integral=False) % 60:
        errors.add(
            "'violation_reconciliation' must be a whole number of minutes (an EventBridge rate), got "
            f"{reconciliation.to_human_string()}"
        )
    if lookback is None or is_token(lookback) or is_token(idempotency_ttl):
        return
    seconds = lookback.to_seconds(integral=False)
    if seconds < reconciliation.to_seconds(integral=False):
        errors.add(
            "'violation_lookback' must be at least 'violation_reconciliation' (executions between two sweeps "
            f"would be missed), got {lookback.to_human_string()} < {reconciliation.to_human_string()}"
        )
    if seconds > idempotency_ttl.to_seconds(integral=False):
        errors.add(
            "'violation_lookback' must be at most 'idempotency_ttl' (a sweep would find an execution whose "
            f"record expired and act on it again), got {lookback.to_human_string()} > "
            f"{idempotency_ttl.to_human_string()}"
        )


def effective_lookback(lookback: Duration | None, idempotency_ttl: Duration) -> Duration:
    """The lookback of the sweeps: ``lookback``, or the shorter of 1 day and ``idempotency_ttl``."""
    if lookback is not None:
        return lookback
    if is_token(idempotency_ttl):
        return Duration.days(1)
    return Duration.seconds(min(86400, int(idempotency_ttl.to_seconds())))


def check_lookback_covers(lookback: Duration, interval: Duration, monitor: MonitorBase) -> None:
    """An execution becomes ``CompletedWithViolations`` only when it ends: up to 20 minutes after its scheduled
    time (runs "can start 0-20 minutes after the requested time", model-monitor-schedule-expression) plus its
    ``max_runtime``. Sweeps filter on the scheduled time, so the lookback must reach back over a whole sweep
    interval past that, or a violation seen by no event would be missed."""
    runtime = monitor.max_runtime
    if any(is_token(v) for v in (lookback, interval, runtime)):
        return
    needed = interval.to_seconds() + runtime.to_seconds() + _MONITOR_START_DELAY.to_seconds()
    if lookback.to_seconds() < needed:
        raise ValidationError(
            f"'violation_lookback' must be at least 'violation_reconciliation' + the monitor's 'max_runtime' + "
            f"20 minutes of start delay ({int(needed)} seconds for monitor {monitor.node.path!r}), or an "
            f"execution ending after the sweep that follows its scheduled time would never be listed; got "
            f"{int(lookback.to_seconds())} seconds (raise 'idempotency_ttl' and 'violation_lookback', or shorten "
            "the monitor's 'max_runtime' or 'violation_reconciliation')"
        )


def schedules_env_size(names: Sequence[str]) -> int:
    """Bytes the wired schedules' names and the lookback take in the function's environment."""
    schedules_json = json.dumps(list(names), separators=(",", ":"))
    lookback = len(contract.ENV_VIOLATION_LOOKBACK_SECONDS) + 7  # at most 30 days: 7 digits
    return len(contract.ENV_MONITORING_SCHEDULES) + len(schedules_json.encode()) + lookback


def check_reports_in_reach(trigger_stack: Stack, monitor: MonitorBase) -> None:
    """Refuse an open-backend monitor whose reports bucket (or key) was created in another stack than the
    trigger's: the function would read it by a reference to that stack, whose event rule already refers to the
    function's, and the two stacks would depend on each other."""
    bucket, key = monitor.output_bucket, monitor.output_kms_key
    foreign = [
        what
        for what, construct, value in (
            ("reports bucket", bucket, bucket.bucket_name),
            ("reports key", key, key.key_arn if key is not None else ""),
        )
        if construct is not None and is_token(value) and Stack.of(construct) is not trigger_stack
    ]
    if foreign:
        raise ValidationError(
            f"monitor {monitor.node.path!r} (processing backend) keeps its reports in stack "
            f"{Stack.of(monitor).node.path!r} with a {' and a '.join(foreign)} created there, and the trigger in "
            f"{trigger_stack.node.path!r} would read them: the stacks would depend on each other. Pass the monitor "
            "an output bucket (and key) of the trigger's stack or an imported one, or wire it to a "
            "RetrainingTrigger in its own stack"
        )


_BUCKET_NAME_MAX = 63
"""S3 bucket names are at most 63 characters: an unresolved name counts as that many bytes."""
_PREFIX_UNRESOLVED = 1024
"""An unresolved report prefix counts as the longest key prefix a monitor accepts."""


def open_monitors_env_size(entries: Sequence[Mapping[str, str]]) -> int:
    """Bytes the wired open monitors (``{"name", "bucket", "prefix"}`` each) take in the function's environment,
    an unresolved bucket name or prefix counting as its longest."""
    if not entries:
        return 0
    known = [
        {
            contract.OPEN_MONITOR_NAME_KEY: entry[contract.OPEN_MONITOR_NAME_KEY],
            contract.OPEN_MONITOR_BUCKET_KEY: (
                "b" * _BUCKET_NAME_MAX
                if is_token(entry[contract.OPEN_MONITOR_BUCKET_KEY])
                else entry[contract.OPEN_MONITOR_BUCKET_KEY]
            ),
            contract.OPEN_MONITOR_PREFIX_KEY: (
                "p" * _PREFIX_UNRESOLVED
                if is_token(entry[contract.OPEN_MONITOR_PREFIX_KEY])
                else entry[contract.OPEN_MONITOR_PREFIX_KEY]
            ),
        }
        for entry in entries
    ]
    return len(contract.ENV_OPEN_MONITORS) + len(json.dumps(known, separators=(",", ":")).encode())


def _parameters_env_size(static: Mapping[str, str], dynamic: Mapping[str, enum.Enum]) -> int:
    """Bytes the two parameter variables take, counting what is known at synth time (tokens count as empty)."""
    known_static = {k: ("" if is_token(v) else v) for k, v in static.items() if not is_token(k)}
    static_json = json.dumps(known_static, sort_keys=True, ensure_ascii=False)
    event_json = json.dumps({k: v.value for k, v in dynamic.items()}, sort_keys=True)
    names = len(contract.ENV_STATIC_PARAMETERS) + len(contract.ENV_EVENT_PARAMETERS)
    return names + len(static_json.encode()) + len(event_json.encode())
