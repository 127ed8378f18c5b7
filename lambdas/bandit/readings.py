"""Each variant's reward over the window, read with one paginated CloudWatch ``GetMetricData`` call.

The construct renders every reward metric to GetMetricData's ``MetricStat`` at synth (``contract.ENV_QUERIES``);
this module only overrides the statistic, because the reward's shape fixes it:

- **conversions**: successes and trials are counted with ``Sum`` over the window.
- **continuous**: each period's ``Sum`` and ``SampleCount`` of the reward metric (one value per request). The
  trials are the samples, the reward sum their sum. The per-sample variance is estimated from the period means
  ``m_i = Sum_i / n_i`` around the window mean ``m``: ``sum(n_i * (m_i - m) ** 2) / (P - 1)`` over the P periods
  with samples. For independent samples of variance ``s2``, ``Var(m_i) = s2 / n_i``, so each term estimates
  ``s2``. Fewer than two periods give no estimate: the policy's prior variance is used.

GetMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html (query
``Id`` must start with a lower-case letter; results are paginated with ``NextToken``; ``StatusCode`` is
``Complete``, ``PartialData`` (more pages), ``InternalError`` or ``Forbidden``).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .allocation import ArmObservation
from .contract import REWARD_CONTINUOUS, REWARD_CONVERSIONS, TRIALS_INVOCATIONS

QUERY_REWARD = "reward"
QUERY_TRIALS = "trials"
"""Keys of each variant's entry in ``contract.ENV_QUERIES``."""


class MetricReadError(RuntimeError):
    """CloudWatch answered a query with ``InternalError`` or ``Forbidden``: the window cannot be read."""


def _stat(metric_stat: Mapping[str, Any], statistic: str) -> dict[str, Any]:
    rendered = copy.deepcopy(dict(metric_stat))
    rendered["Stat"] = statistic
    return rendered


def invocations(endpoint_name: str, variant: str) -> dict[str, Any]:
    """The variant's ``Invocations`` per minute (``AWS/SageMaker``, dimensions ``EndpointName``, ``VariantName``)."""
    return {
        "Metric": {
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocations",
            "Dimensions": [
                {"Name": "EndpointName", "Value": endpoint_name},
                {"Name": "VariantName", "Value": variant},
            ],
        },
        "Period": 60,
        "Stat": "Sum",
    }


def build_queries(
    kind: str, variants: Sequence[str], queries: Mapping[str, Mapping[str, Any]], endpoint_name: str
) -> list[dict[str, Any]]:
    """GetMetricData's ``MetricDataQueries``: ``s<i>`` (reward sum) and ``t<i>`` (trials: ``Sum`` of the trials
    metric, or the reward's ``SampleCount`` for a continuous reward) for the i-th variant."""
    rendered: list[dict[str, Any]] = []
    for index, variant in enumerate(variants):
        entry = queries[variant]
        reward = entry[QUERY_REWARD]
        rendered.append({"Id": f"s{index}", "MetricStat": _stat(reward, "Sum"), "ReturnData": True})
        if kind == REWARD_CONVERSIONS:
            spec = entry[QUERY_TRIALS]
            trials = invocations(endpoint_name, variant) if spec == TRIALS_INVOCATIONS else _stat(spec, "Sum")
        elif kind == REWARD_CONTINUOUS:
            trials = _stat(reward, "SampleCount")
        else:
            raise ValueError(
                f"reward kind must be one of {REWARD_CONVERSIONS}, {REWARD_CONTINUOUS}, got {kind!r}"
            )
        rendered.append({"Id": f"t{index}", "MetricStat": trials, "ReturnData": True})
    return rendered


def fetch(
    cloudwatch: Any, queries: list[dict[str, Any]], start: datetime, end: datetime
) -> dict[str, dict[datetime, float]]:
    """Every query's datapoints in ``[start, end)``, by query id and timestamp, across all pages."""
    series: dict[str, dict[datetime, float]] = defaultdict(dict)
    token: str | None = None
    while True:
        request: dict[str, Any] = {
            "MetricDataQueries": queries,
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        if token:
            request["NextToken"] = token
        response = cloudwatch.get_metric_data(**request)
        for result in response.get("MetricDataResults", []):
            if result.get("StatusCode") in ("InternalError", "Forbidden"):
                raise MetricReadError(
                    f"GetMetricData query {result.get('Id')} returned {result.get('StatusCode')}: "
                    f"{result.get('Messages', [])}"
                )
            points = series[result["Id"]]
            for timestamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                points[timestamp] = points.get(timestamp, 0.0) + float(value)
        token = response.get("NextToken")
        if not token:
            return series


def observations(
    kind: str, variants: Sequence[str], series: Mapping[str, Mapping[datetime, float]]
) -> list[ArmObservation]:
    """One ``ArmObservation`` per variant from the fetched series (missing series count as no data)."""
    arms = []
    for index, variant in enumerate(variants):
        sums = series.get(f"s{index}", {})
        counts = series.get(f"t{index}", {})
        trials = sum(counts.values())
        reward_sum = sum(sums.values())
        variance = None
        if kind == REWARD_CONTINUOUS:
            variance = _variance(sums, counts)
        arms.append(ArmObservation(variant=variant, trials=trials, reward_sum=reward_sum, variance=variance))
    return arms


def _variance(sums: Mapping[datetime, float], counts: Mapping[datetime, float]) -> float | None:
    periods = [(counts[t], sums.get(t, 0.0) / counts[t]) for t in counts if counts[t] > 0]
    if len(periods) < 2:
        return None
    total = sum(n for n, _ in periods)
    mean = sum(n * m for n, m in periods) / total
    estimate = sum(n * (m - mean) ** 2 for n, m in periods) / (len(periods) - 1)
    return estimate if estimate > 0 else None
