"""The dashboard section of an endpoint, built only from ``EndpointBase``'s public metrics and properties, so an
imported endpoint gets the section a created one with the same name and known variants gets."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs._internal.validation import ValidationErrors, checked_arguments
from sagemaker_constructs.common.dashboard_section import DashboardSection, check_names, graph, label

from .endpoint import EndpointBase
from .endpoint_metrics import DEFAULT_LATENCY_GRAPH_STATISTICS, EndpointKind, is_documented
from .variants import ProductionVariant, ServerlessVariant


@checked_arguments
def endpoint_section(
    endpoint: EndpointBase,
    *,
    variant_names: Sequence[str] | None = None,
    latency_statistics: Sequence[str] = DEFAULT_LATENCY_GRAPH_STATISTICS,
    title: str | None = None,
) -> DashboardSection:
    """Invocations, errors, latency and instance use per variant (the shadow variant included), the queue of an
    asynchronous endpoint, and the endpoint's alarms (``endpoint.alarms``).

    Each graph shows only metrics AWS documents for the variant's kind (``endpoint_metrics``). An endpoint whose
    variants are unknown (imported) gets the invocation graphs of ``variant_names`` as a real-time endpoint.

    :param variant_names: the variants to graph; required when ``endpoint.variants`` is empty (an import).
        Default: - every production and shadow variant
    :param latency_statistics: statistics of the model and overhead latency graphs. Default: ("Average", "Maximum")
    :param title: Default: - "Endpoint <endpoint name>"
    """
    errors = ValidationErrors(f"dashboard section of Endpoint '{endpoint.node.path}'")
    check_names(errors, "latency_statistics", latency_statistics)
    shadow = endpoint.shadow_variant
    variants = [*endpoint.variants, *([shadow] if shadow else [])]
    if variant_names is not None or not variants:
        check_names(errors, "variant_names", variant_names or [])
    if variant_names is not None and variants:
        unknown = sorted(set(variant_names) - {v.name for v in variants})
        if unknown:
            errors.add(
                f"'variant_names' must be variants of the endpoint ({[v.name for v in variants]}), got {unknown}"
            )
        variants = [v for v in variants if v.name in variant_names]
    errors.raise_if_any()

    names = [v.name for v in variants] if variants else list(variant_names or [])
    kinds = {n: endpoint.variant_kind(n) for n in names}
    graphs: list[cloudwatch.IWidget] = []
    if endpoint.kind is EndpointKind.ASYNCHRONOUS:
        # Asynchronous endpoints publish no Invocations or OverheadLatency; their queue is what matters.
        graphs += [
            graph(
                "Queue (requests)",
                [
                    label(endpoint.metric_approximate_backlog_size(), "backlog"),
                    label(endpoint.metric_approximate_backlog_size_per_instance(), "backlog per instance"),
                    label(endpoint.metric_has_backlog_without_capacity(), "backlog without capacity"),
                ],
            ),
            graph(
                "Oldest queued request (seconds)",
                [label(endpoint.metric_approximate_age_of_oldest_request(statistic="Maximum"), "age")],
            ),
        ]
    else:
        graphs.append(graph("Invocations", [label(endpoint.metric_invocations(n), n) for n in names]))
    graphs += [
        graph(
            "Errors",
            _documented(
                kinds,
                [
                    (n, label(metric, f"{n} {kind}"))
                    for n in names
                    for kind, metric in (
                        ("4XX", endpoint.metric_invocation_4xx_errors(n)),
                        ("5XX", endpoint.metric_invocation_5xx_errors(n)),
                        ("model", endpoint.metric_invocation_model_errors(n)),
                        ("failed", endpoint.metric_invocation_failures(n)),
                    )
                ],
            ),
        ),
        graph(
            "Model latency (microseconds)",
            [
                label(endpoint.metric_model_latency(n, statistic=statistic), f"{n} {statistic}")
                for n in names
                for statistic in latency_statistics
            ],
        ),
    ]
    overhead = _documented(
        kinds,
        [
            (n, label(endpoint.metric_overhead_latency(n, statistic=statistic), f"{n} {statistic}"))
            for n in names
            for statistic in latency_statistics
        ],
    )
    if overhead:
        graphs.append(graph("Overhead latency (microseconds)", overhead))
    instance = [v.name for v in variants if isinstance(v, ProductionVariant)]
    if instance:
        graphs += [
            graph(
                "CPU utilization (%, summed over cores)",
                [label(endpoint.metric_cpu_utilization(n), n) for n in instance],
            ),
            graph(
                "Memory utilization (%)", [label(endpoint.metric_memory_utilization(n), n) for n in instance]
            ),
            graph("Disk utilization (%)", [label(endpoint.metric_disk_utilization(n), n) for n in instance]),
        ]
    serverless = [v.name for v in variants if isinstance(v, ServerlessVariant)]
    if serverless:
        graphs.append(
            graph(
                "Serverless cold starts (model setup, microseconds)",
                [label(endpoint.metric_model_setup_time(n), n) for n in serverless],
            )
        )
    # The name the metrics use: known at synth time, so the title needs no reference to the endpoint.
    return DashboardSection(
        title=title or f"Endpoint {endpoint.endpoint_name_for_metrics}", graphs=graphs, alarms=endpoint.alarms
    )


def _documented(
    kinds: dict[str, EndpointKind], metrics: Sequence[tuple[str, cloudwatch.Metric]]
) -> list[cloudwatch.Metric]:
    """The metrics AWS documents for their variant's kind: the others would draw an empty line."""
    return [m for variant, m in metrics if is_documented(kinds[variant], m.namespace, m.metric_name)]
