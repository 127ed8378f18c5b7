"""The four monitor types from one user code, on either backend (only ``backend=`` differs)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_s3 as s3

from sagemaker_constructs import (
    Baseline,
    BatchDataCapture,
    BatchTransform,
    BiasAnalysisConfig,
    ContainerImage,
    DataCapture,
    DataQualityMonitor,
    Endpoint,
    ExplainabilityAnalysisConfig,
    Facet,
    GroundTruth,
    Model,
    ModelBiasMonitor,
    ModelData,
    ModelExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorBackend,
    MonitoringJob,
    MonitorSource,
    ProblemType,
    ProductionVariant,
    S3Source,
    SecureBucket,
    TransformInput,
)
from sagemaker_constructs.monitoring._monitor_base import MonitorBase

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"
BASELINES = "model_artifacts/churn/baselines"
FEATURES = [
    "age",
    "tenure_months",
    "monthly_charges",
    "support_calls",
    "contract_monthly",
    "has_fiber",
    "num_products",
]
TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
BACKENDS = ("model-monitor", "processing")


def backend_of(kind: str) -> MonitorBackend:
    return MonitorBackend.processing() if kind == "processing" else MonitorBackend.model_monitor()


def model(stack: Stack) -> Model:
    existing = stack.node.try_find_child("Model")
    if isinstance(existing, Model):
        return existing
    return Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
        model_name="churn-model",
    )


def source(stack: Stack, kind: str) -> MonitorSource:
    if kind == "endpoint":
        existing = stack.node.try_find_child("Endpoint")
        served = (
            existing
            if isinstance(existing, Endpoint)
            else Endpoint(
                stack,
                "Endpoint",
                variants=[ProductionVariant("v", model=model(stack))],
                data_capture=DataCapture(),
                endpoint_name="churn",
            )
        )
        return MonitorSource.endpoint(served)
    existing = stack.node.try_find_child("Batch")
    transform = (
        existing
        if isinstance(existing, BatchTransform)
        else BatchTransform(
            stack,
            "Batch",
            model=model(stack),
            input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
            data_capture=BatchDataCapture(),
        )
    )
    return MonitorSource.batch_transform(transform)


def ground_truth(stack: Stack) -> GroundTruth:
    existing = stack.node.try_find_child("Labels")
    bucket = (
        existing
        if isinstance(existing, SecureBucket)
        else SecureBucket(stack, "Labels", description="labels")
    )
    return GroundTruth(bucket.bucket, "labels")


def monitor(
    stack: Stack,
    monitoring_type: str,
    backend: str,
    *,
    source_kind: str = "endpoint",
    job: MonitoringJob | None = None,
    construct_id: str | None = None,
    **extra: Any,
) -> MonitorBase:
    """One monitor of ``monitoring_type``; the user code is the same for both backends."""
    src = source(stack, source_kind)
    common: dict[str, Any] = {"source": src, "backend": backend_of(backend), **extra}
    if job is not None:
        common["job"] = job
    cid = construct_id or monitoring_type
    if monitoring_type == "DataQuality":
        return DataQualityMonitor(
            stack,
            cid,
            baseline=Baseline(
                statistics=S3Source.from_asset(f"{BASELINES}/data_quality/statistics.json"),
                constraints=S3Source.from_asset(f"{BASELINES}/data_quality/constraints.json"),
            ),
            **common,
        )
    if monitoring_type == "ModelQuality":
        return ModelQualityMonitor(
            stack,
            cid,
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=ground_truth(stack),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
            **common,
        )
    if monitoring_type == "ModelBias":
        return ModelBiasMonitor(
            stack,
            cid,
            analysis_config=BiasAnalysisConfig(
                headers=[*FEATURES[:2], "churned", *FEATURES[2:]],
                label="churned",
                label_values_or_threshold=[1],
                facets=[Facet(name="age", values_or_threshold=[40])],
            ),
            ground_truth=ground_truth(stack),
            probability_attribute="0",
            **common,
        )
    return ModelExplainabilityMonitor(
        stack,
        cid,
        analysis_config=ExplainabilityAnalysisConfig(
            headers=FEATURES, shap_baseline=[[40, 24, 46, 1, 1, 0, 2]]
        ),
        **common,
    )


def definition_of(template: dict[str, Any], logical_prefix: str) -> dict[str, Any]:
    """The state machine definition whose logical ID starts with ``logical_prefix``, with tokens rendered as
    ``${Logical}`` / ``${Logical.Attr}`` placeholders (stand-ins for what CloudFormation substitutes)."""
    (body,) = [
        resource["Properties"]["DefinitionString"]
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine" and logical.startswith(logical_prefix)
    ]
    return json.loads(render_join(body))


def render_join(value: Any) -> str:
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render_join(p) for p in parts)
    if "Ref" in value:
        return {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
                "AWS::URLSuffix": "amazonaws.com"}.get(value["Ref"], f"ref-{value['Ref'].lower()}")  # fmt: skip
    if "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        if attribute == "Arn" and "Function" in logical:
            return f"arn:aws:lambda:us-east-1:123456789012:function:{logical.lower()}"
        if attribute == "Arn":
            return f"arn:aws:iam::123456789012:role/{logical.lower()}"
        return f"{logical.lower()}-{attribute.lower()}"
    if "Fn::FindInMap" in value:
        return "683313688378"
    if "Fn::Sub" in value:
        return (
            str(value["Fn::Sub"]).replace("${AWS::Partition}", "aws").replace("${AWS::Region}", "us-east-1")
        )
    raise ValueError(f"cannot render {value}")
