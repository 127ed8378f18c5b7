"""Builds the reference application: used by ``app.py``, the tests and the benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from .batch_stack import BatchInferenceStack
from .monitoring_stack import MonitoringStack
from .realtime_stack import RealtimeInferenceStack
from .retraining_stack import RetrainingStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_context() -> dict[str, Any]:
    """The feature flags of ``cdk.json``, so tests synthesize exactly what ``cdk synth`` does."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def build_app(app: App | None = None, *, nag: bool = True) -> App:
    """Add the reference stacks (environment-agnostic) and the cdk-nag AwsSolutions checks to ``app``."""
    app = app or App(context=cdk_context())
    realtime = RealtimeInferenceStack(
        app, "SageMakerRealtime", description="sagemaker-constructs reference: real-time inference"
    )
    batch = BatchInferenceStack(
        app, "SageMakerBatch", description="sagemaker-constructs reference: nightly batch scoring"
    )
    retraining = RetrainingStack(
        app,
        "SageMakerRetraining",
        description="sagemaker-constructs reference: retraining pipeline and trigger",
    )
    MonitoringStack(
        app,
        "SageMakerMonitoring",
        endpoint=realtime.endpoint,
        batch_transform=batch.transform,
        retraining=retraining.trigger,
        description="sagemaker-constructs reference: Model Monitor for the endpoint and the batch scoring",
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
