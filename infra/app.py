"""Builds the reference application: used by ``app.py``, the tests and the benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from sagemaker_constructs import MonitorBackend

from .batch_stack import BatchInferenceStack
from .monitoring_stack import MonitoringStack
from .operations_stack import OperationsStack
from .realtime_stack import RealtimeInferenceStack
from .retraining_stack import RetrainingStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_context() -> dict[str, Any]:
    """The feature flags of ``cdk.json``, so tests synthesize exactly what ``cdk synth`` does."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


MODEL_MONITOR_CONTEXT = "sagemaker-constructs:model-monitor"
"""Context key: ``false`` leaves out the SageMakerMonitoring stack (the monitors, on either backend)."""


def model_monitor_enabled(app: App) -> bool:
    """Whether the app includes Model Monitor: context ``sagemaker-constructs:model-monitor``, default true."""
    value = app.node.try_get_context(MODEL_MONITOR_CONTEXT)
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"context '{MODEL_MONITOR_CONTEXT}' must be true or false, got {value!r}")


MONITORING_BACKEND_CONTEXT = "sagemaker-constructs:monitoring-backend"
"""Context key: where the monitors run, ``model-monitor`` (Model Monitor's schedules) or ``processing``
(``MonitorBackend.processing()``: Scheduler, Step Functions and SageMaker Processing, for accounts that Model
Monitor no longer accepts). ``sagemaker-constructs:model-monitor=false`` still leaves the monitoring stack out."""
DEFAULT_MONITORING_BACKEND = "processing"
"""The reference app's backend without the context: the open backend, so that an account created today (which
Model Monitor no longer accepts) can deploy the whole app. ``-c sagemaker-constructs:monitoring-backend=model-monitor``
keeps Model Monitor for accounts that still have it."""


def monitoring_backend(app: App) -> MonitorBackend:
    """The monitors' backend: context ``sagemaker-constructs:monitoring-backend``, ``model-monitor`` or
    ``processing`` (default: ``DEFAULT_MONITORING_BACKEND``)."""
    value = app.node.try_get_context(MONITORING_BACKEND_CONTEXT)
    value = DEFAULT_MONITORING_BACKEND if value is None else value
    if value == "processing":
        return MonitorBackend.processing()
    if value == "model-monitor":
        return MonitorBackend.model_monitor()
    raise ValueError(
        f"context '{MONITORING_BACKEND_CONTEXT}' must be 'model-monitor' or 'processing', got {value!r}"
    )


def build_app(app: App | None = None, *, nag: bool = True) -> App:
    """Add the reference stacks (environment-agnostic) and the cdk-nag AwsSolutions checks to ``app``.

    With the context ``sagemaker-constructs:model-monitor`` set to false (``cdk synth -c
    sagemaker-constructs:model-monitor=false``) the Model Monitor stack is left out and the dashboard shows
    hosting, batch scoring and retraining only. The monitors run on the open backend (``processing``, the
    default: EventBridge Scheduler, Step Functions and SageMaker Processing); with
    ``sagemaker-constructs:monitoring-backend`` set to ``model-monitor`` (``cdk synth -c
    sagemaker-constructs:monitoring-backend=model-monitor``) they run on Model Monitor's schedules instead.
    """
    app = app or App(context=cdk_context())
    batch = BatchInferenceStack(
        app, "SageMakerBatch", description="sagemaker-constructs reference: nightly batch scoring"
    )
    retraining = RetrainingStack(
        app,
        "SageMakerRetraining",
        description="sagemaker-constructs reference: retraining pipeline and trigger",
    )
    realtime = RealtimeInferenceStack(
        app,
        "SageMakerRealtime",
        model_package_group_name=retraining.model_package_group_name,
        pipeline_artifacts=retraining.artifacts.bucket,
        description="sagemaker-constructs reference: real-time inference",
    )
    monitoring = None
    if model_monitor_enabled(app):
        backend = monitoring_backend(app)
        on = (
            "the open backend (Scheduler, Step Functions, Processing)"
            if backend.is_processing
            else "Model Monitor"
        )
        monitoring = MonitoringStack(
            app,
            "SageMakerMonitoring",
            endpoint=realtime.endpoint,
            batch_transform=batch.transform,
            retraining=retraining.trigger,
            backend=backend,
            description=f"sagemaker-constructs reference: monitors of the endpoint and the batch scoring on {on}",
        )
    OperationsStack(
        app,
        "SageMakerOperations",
        endpoint=realtime.endpoint,
        batch_transform=batch.transform,
        retraining=retraining.trigger,
        monitoring=monitoring,
        bandit=realtime.bandit,
        deployer=realtime.deployer,
        description="sagemaker-constructs reference: operations dashboard",
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
