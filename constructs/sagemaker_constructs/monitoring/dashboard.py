"""The dashboard sections of the four model monitors: their metrics, one graph per metric or feature set, and
their alarms."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs._internal.validation import ValidationErrors, checked_arguments
from sagemaker_constructs.common.dashboard_section import DashboardSection, check_names, graph
from sagemaker_constructs.common.dashboard_section import label as with_label

from .data_quality_monitor import DataQualityMonitor
from .model_bias_monitor import POST_TRAINING_METRICS, ModelBiasMonitor
from .model_explainability_monitor import ModelExplainabilityMonitor
from .model_quality_monitor import ModelQualityMonitor
from .monitoring_options import METRICS_BY_PROBLEM, ProblemType

DEFAULT_QUALITY_METRICS: dict[ProblemType, tuple[str, ...]] = {
    ProblemType.BINARY_CLASSIFICATION: ("auc", "f1", "accuracy", "precision", "recall"),
    ProblemType.MULTICLASS_CLASSIFICATION: (
        "accuracy",
        "weighted_f1",
        "weighted_precision",
        "weighted_recall",
    ),
    ProblemType.REGRESSION: ("rmse", "mae", "r2"),
}
"""The model-quality metrics ``model_quality_section`` graphs when none are given."""


@checked_arguments
def data_quality_section(
    monitor: DataQualityMonitor,
    *,
    features: Sequence[str],
    alarms: Sequence[cloudwatch.IAlarm] = (),
    title: str | None = None,
) -> DashboardSection:
    """Baseline drift and completeness of ``features``, and the monitor's alarms (``monitor.alarms``).

    :param features: the feature names, as in the baseline's statistics.
    :param alarms: more alarms for the section, after ``monitor.alarms``. Default: - none
    :param title: Default: - "Data quality <schedule name>"
    """
    _check(monitor, "features", features)
    graphs: list[cloudwatch.IWidget] = [
        graph("Baseline drift", [with_label(monitor.metric_feature_baseline_drift(f), f) for f in features]),
        graph("Non-null share", [with_label(monitor.metric_feature_non_null(f), f) for f in features]),
    ]
    return DashboardSection(
        title=title or f"Data quality {monitor.monitoring_schedule_name}",
        graphs=graphs,
        alarms=[*monitor.alarms, *alarms],
    )


@checked_arguments
def model_quality_section(
    monitor: ModelQualityMonitor,
    *,
    metrics: Sequence[str] | None = None,
    alarms: Sequence[cloudwatch.IAlarm] = (),
    title: str | None = None,
) -> DashboardSection:
    """Model quality metrics, one graph each, and the monitor's alarms.

    :param metrics: metric names allowed for the monitor's problem type.
        Default: - ``DEFAULT_QUALITY_METRICS`` of the monitor's problem type
    :param alarms: more alarms for the section, after ``monitor.alarms``. Default: - none
    :param title: Default: - "Model quality <schedule name>"
    """
    chosen = list(metrics) if metrics is not None else list(DEFAULT_QUALITY_METRICS[monitor.problem_type])
    _check(monitor, "metrics", chosen, allowed=METRICS_BY_PROBLEM[monitor.problem_type])
    graphs: list[cloudwatch.IWidget] = [graph(m, [monitor.metric(m)]) for m in chosen]
    return DashboardSection(
        title=title or f"Model quality {monitor.monitoring_schedule_name}",
        graphs=graphs,
        alarms=[*monitor.alarms, *alarms],
    )


@checked_arguments
def model_bias_section(
    monitor: ModelBiasMonitor,
    *,
    metrics: Sequence[str],
    facet: str,
    facet_value: str,
    label: str,
    label_value: str,
    stage: str = "Post-Training",
    alarms: Sequence[cloudwatch.IAlarm] = (),
    title: str | None = None,
) -> DashboardSection:
    """Post-training bias metrics (``DPPL``, ``DI``...) for one facet value and label value, and the monitor's
    alarms.

    :param stage: the ``BiasStage`` dimension (see ``ModelBiasMonitor.metric_bias``). Default: "Post-Training"
    :param alarms: more alarms for the section, after ``monitor.alarms``. Default: - none
    :param title: Default: - "Model bias <schedule name>"
    """
    _check(monitor, "metrics", metrics, allowed=POST_TRAINING_METRICS)
    bias = graph(
        f"Bias of {facet}={facet_value} for {label}={label_value}",
        [
            with_label(
                monitor.metric_bias(
                    m, facet=facet, facet_value=facet_value, label=label, label_value=label_value, stage=stage
                ),
                m,
            )
            for m in metrics
        ],
    )
    return DashboardSection(
        title=title or f"Model bias {monitor.monitoring_schedule_name}",
        graphs=[bias],
        alarms=[*monitor.alarms, *alarms],
    )


@checked_arguments
def model_explainability_section(
    monitor: ModelExplainabilityMonitor,
    *,
    features: Sequence[str],
    label: str = "label0",
    alarms: Sequence[cloudwatch.IAlarm] = (),
    title: str | None = None,
) -> DashboardSection:
    """Global SHAP values of ``features`` for output ``label``, and the monitor's alarms.

    :param label: Default: "label0"
    :param alarms: more alarms for the section, after ``monitor.alarms``. Default: - none
    :param title: Default: - "Feature attribution <schedule name>"
    """
    _check(monitor, "features", features)
    shap = graph(
        f"Global SHAP values ({label})",
        [with_label(monitor.metric_feature_attribution(f, label=label), f) for f in features],
    )
    return DashboardSection(
        title=title or f"Feature attribution {monitor.monitoring_schedule_name}",
        graphs=[shap],
        alarms=[*monitor.alarms, *alarms],
    )


def _check(
    monitor: DataQualityMonitor | ModelQualityMonitor | ModelBiasMonitor | ModelExplainabilityMonitor,
    prop: str,
    values: Sequence[str],
    *,
    allowed: Sequence[str] | None = None,
) -> None:
    errors = ValidationErrors(f"dashboard section of {type(monitor).__name__} '{monitor.node.path}'")
    check_names(errors, prop, values, allowed=allowed)
    errors.raise_if_any()
