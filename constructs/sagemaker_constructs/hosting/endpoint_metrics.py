"""The CloudWatch metrics AWS documents for each kind of SageMaker endpoint, with their valid statistics.

Dashboards and alarms of this library only use metrics listed here for the endpoint's kind, with a statistic the
page lists for them: a metric AWS does not publish for that kind of endpoint would draw an empty line, and an alarm
on it would stay ``OK`` forever (``notBreaching``). Sources, by kind:

- Real-time (instance-based) endpoints: "Amazon SageMaker AI metrics in Amazon CloudWatch",
  https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html (endpoint invocation metrics, with
  "Valid statistics"; endpoint instance metrics in ``/aws/sagemaker/Endpoints``, which list no statistics: the five
  basic ones are taken). ``InvocationModelErrors`` is on the live page (Average, Sum), not in the 2023 archive.
- Serverless endpoints: "Alarms and logs for tracking metrics from serverless endpoints",
  https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html, "an exhaustive list":
  ``OverheadLatency``, ``Invocation4XXErrors``, ``Invocation5XXErrors``, ``Invocations``, ``ModelLatency``,
  ``ModelSetupTime``, ``MemoryUtilization``, ``ServerlessConcurrentExecutionsUtilization`` and the provisioned
  concurrency metrics (not used here). No ``InvocationModelErrors``, no ``InvocationsPerInstance``, no CPU or disk.
- Asynchronous endpoints: "Alarms and logs for tracking metrics from asynchronous endpoints",
  https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html, "an exhaustive list": the common
  ``Invocation4XXErrors``, ``Invocation5XXErrors``, ``ModelLatency``; the queue metrics per endpoint; the
  request-processing metrics per variant; and host metrics. Not ``Invocations``, ``InvocationsPerInstance``,
  ``OverheadLatency`` or ``InvocationModelErrors``. ``HasBacklogWithoutCapacity`` comes from
  https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html (scale out from zero).

Percentiles: the pages list only Average, Sum, Minimum, Maximum and SampleCount for ``ModelLatency`` and
``OverheadLatency`` (percentiles only for ``ModelSetupTime``), so the library's latency alarms and graphs use
``Average`` and ``Maximum`` by default; a percentile is an explicit choice of the user.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

INVOCATION_NAMESPACE = "AWS/SageMaker"
"""Namespace of invocation metrics (Invocations, ModelLatency, errors), dimensions EndpointName, VariantName."""
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
"""Namespace of instance metrics (CPU, memory, disk, GPU), dimensions EndpointName, VariantName."""

BASIC_STATISTICS = frozenset({"Average", "Sum", "Minimum", "Maximum", "SampleCount"})
"""CloudWatch's five basic statistics."""
_COUNTER = frozenset(
    {"Average", "Sum"}
)  # 1 or 0 per request ("For each 4xx response, 1 is sent; otherwise, 0")
_SUM = frozenset({"Sum"})
_TIMER = BASIC_STATISTICS  # "Average, Sum, Min, Max, Sample Count"
_GAUGE = frozenset({"Average", "Maximum", "Minimum"})  # the queue metrics: "Average, Max, Min"
_PERCENTILE = re.compile(r"^p\d{1,2}(\.\d+)?$|^p100$")

DEFAULT_LATENCY_STATISTIC = "Average"
"""The statistic of the library's latency alarms: AWS's own rollback-alarm example uses Average on ModelLatency
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html)."""
DEFAULT_LATENCY_GRAPH_STATISTICS = ("Average", "Maximum")
"""The statistics the dashboard graphs for ModelLatency and OverheadLatency."""


class EndpointKind(enum.Enum):
    """The kind of endpoint (or variant) a metric is published for."""

    REAL_TIME = "real-time"
    """An instance-based variant of a real-time endpoint."""
    SERVERLESS = "serverless"
    """A serverless variant."""
    ASYNCHRONOUS = "asynchronous"
    """The instance-based variant of an asynchronous endpoint."""


@dataclass(frozen=True)
class DocumentedMetric:
    """One metric AWS documents, with the statistics its page lists."""

    namespace: str
    name: str
    statistics: frozenset[str]
    per_variant: bool = True
    """Dimensions ``EndpointName`` and ``VariantName``; False: ``EndpointName`` only."""
    percentiles: bool = False
    """Whether the page lists percentiles for it."""


def _table(*metrics: DocumentedMetric) -> Mapping[tuple[str, str], DocumentedMetric]:
    return {(m.namespace, m.name): m for m in metrics}


def _invocation(name: str, statistics: frozenset[str], **kwargs: bool) -> DocumentedMetric:
    return DocumentedMetric(INVOCATION_NAMESPACE, name, statistics, **kwargs)


def _instance(name: str) -> DocumentedMetric:
    return DocumentedMetric(INSTANCE_NAMESPACE, name, BASIC_STATISTICS)


_HOST = tuple(
    _instance(n)
    for n in (
        "CPUUtilization",
        "MemoryUtilization",
        "DiskUtilization",
        "GPUUtilization",
        "GPUMemoryUtilization",
    )
)

DOCUMENTED_METRICS: Mapping[EndpointKind, Mapping[tuple[str, str], DocumentedMetric]] = {
    EndpointKind.REAL_TIME: _table(
        _invocation("Invocations", _SUM),
        _invocation("InvocationsPerInstance", _SUM),
        _invocation("Invocation4XXErrors", _COUNTER),
        _invocation("Invocation5XXErrors", _COUNTER),
        _invocation("InvocationModelErrors", _COUNTER),
        _invocation("ModelLatency", _TIMER),
        _invocation("OverheadLatency", _TIMER),
        *_HOST,
    ),
    EndpointKind.SERVERLESS: _table(
        _invocation("Invocations", _SUM),
        _invocation("Invocation4XXErrors", _COUNTER),
        _invocation("Invocation5XXErrors", _COUNTER),
        _invocation("ModelLatency", _TIMER),
        _invocation("OverheadLatency", _TIMER),
        # "Valid statistics: Average, Min, Max, Sample Count, Percentiles" (monitoring-cloudwatch).
        _invocation(
            "ModelSetupTime", frozenset({"Average", "Minimum", "Maximum", "SampleCount"}), percentiles=True
        ),
        _instance("MemoryUtilization"),
        _invocation("ServerlessConcurrentExecutionsUtilization", _GAUGE),
        # The provisioned-concurrency metrics are documented too; the library uses none of them (scaling uses the
        # predefined SageMakerVariantProvisionedConcurrencyUtilization), so they are not listed here.
    ),
    EndpointKind.ASYNCHRONOUS: _table(
        _invocation("Invocation4XXErrors", _COUNTER),
        _invocation("Invocation5XXErrors", _COUNTER),
        _invocation("ModelLatency", _TIMER),
        _invocation("ApproximateBacklogSize", _GAUGE, per_variant=False),
        _invocation("ApproximateBacklogSizePerInstance", _GAUGE, per_variant=False),
        _invocation("ApproximateAgeOfOldestRequest", _GAUGE, per_variant=False),
        # The autoscaling page's scale-out-from-zero alarm uses Average; the metric is 1 or 0.
        _invocation("HasBacklogWithoutCapacity", _GAUGE, per_variant=False),
        _invocation("RequestDownloadFailures", _SUM),
        _invocation("ResponseUploadFailures", _SUM),
        _invocation("NotificationFailures", _SUM),
        _invocation("ExpiredRequests", _SUM),
        _invocation("InvocationFailures", _SUM),
        _invocation("InvocationsProcesssed", _SUM),  # sic: AWS spells it with three s
        _invocation("RequestDownloadLatency", _TIMER),
        _invocation("ResponseUploadLatency", _TIMER),
        _invocation("TimeInBacklog", _TIMER),
        _invocation("TotalProcessingTime", _TIMER),
        *_HOST,
    ),
}
"""Per endpoint kind, the metrics AWS documents for it, keyed by ``(namespace, metric name)``."""


def is_percentile(statistic: str) -> bool:
    """Whether ``statistic`` is a CloudWatch percentile such as ``p99`` or ``p99.9``."""
    return bool(_PERCENTILE.match(statistic))


def is_documented(kind: EndpointKind, namespace: str, name: str, statistic: str | None = None) -> bool:
    """Whether AWS documents metric ``name`` in ``namespace`` for ``kind`` (and, if given, ``statistic`` for it)."""
    metric = DOCUMENTED_METRICS[kind].get((namespace, name))
    if metric is None:
        return False
    if statistic is None or statistic in metric.statistics:
        return True
    return metric.percentiles and is_percentile(statistic)
