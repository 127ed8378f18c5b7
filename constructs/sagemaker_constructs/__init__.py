"""sagemaker-constructs: AWS CDK v2 constructs for production Amazon SageMaker deployments."""

from ._validation import ValidationError
from .async_inference import AsyncInference, IncludeInferenceResponseIn
from .autoscaling import ScalableVariant
from .batch_transform import BatchTransform
from .clarify_config import BiasAnalysisConfig, ExplainabilityAnalysisConfig, Facet, ShapAggregation
from .container_image import ContainerImage
from .data_capture import DataCapture
from .data_quality_monitor import DataQualityMonitor
from .deployment import AutoRollback, CapacitySize, CapacityUnit, DeploymentGuardrails, TrafficShift
from .endpoint import (
    INSTANCE_NAMESPACE,
    INVOCATION_NAMESPACE,
    Endpoint,
    EndpointBase,
    EndpointVariant,
    IEndpoint,
)
from .model import ContainerDefinition, IModel, InferenceExecutionMode, Model
from .model_bias_monitor import ModelBiasMonitor
from .model_data import ModelData
from .model_explainability_monitor import ModelExplainabilityMonitor
from .model_quality_monitor import ModelQualityMonitor
from .monitoring_options import (
    Baseline,
    DatasetFormat,
    GroundTruth,
    ModelQualityConstraints,
    MonitoringSchedule,
    ProblemType,
    S3Source,
    transform_output_column,
)
from .notification_topic import NotificationTopic
from .operations_dashboard import OperationsDashboard
from .retraining_trigger import IncidentField, RetrainingTrigger
from .sagemaker_pipeline import IPipeline, PipelineBase, SageMakerPipeline
from .secure_bucket import SecureBucket
from .transform_options import (
    AssembleWith,
    BatchDataCapture,
    BatchStrategy,
    CompressionType,
    DataProcessing,
    JoinSource,
    ModelClientOptions,
    SplitType,
    TransformInput,
    TransformOutput,
)
from .transform_schedule import TransformSchedule
from .variants import InstanceType, ProductionVariant, RoutingStrategy, ServerlessVariant, Variant

__all__ = [
    "ValidationError",
    "INSTANCE_NAMESPACE",
    "INVOCATION_NAMESPACE",
    "AssembleWith",
    "AsyncInference",
    "AutoRollback",
    "Baseline",
    "BatchDataCapture",
    "BatchStrategy",
    "BatchTransform",
    "BiasAnalysisConfig",
    "CapacitySize",
    "CapacityUnit",
    "CompressionType",
    "ContainerDefinition",
    "ContainerImage",
    "DataCapture",
    "DataProcessing",
    "DataQualityMonitor",
    "DatasetFormat",
    "DeploymentGuardrails",
    "Endpoint",
    "EndpointBase",
    "EndpointVariant",
    "ExplainabilityAnalysisConfig",
    "Facet",
    "GroundTruth",
    "IEndpoint",
    "IModel",
    "IPipeline",
    "IncidentField",
    "IncludeInferenceResponseIn",
    "InferenceExecutionMode",
    "InstanceType",
    "JoinSource",
    "Model",
    "ModelBiasMonitor",
    "ModelClientOptions",
    "ModelData",
    "ModelExplainabilityMonitor",
    "ModelQualityConstraints",
    "ModelQualityMonitor",
    "MonitoringSchedule",
    "NotificationTopic",
    "OperationsDashboard",
    "PipelineBase",
    "ProblemType",
    "ProductionVariant",
    "RetrainingTrigger",
    "RoutingStrategy",
    "S3Source",
    "SageMakerPipeline",
    "ScalableVariant",
    "SecureBucket",
    "ServerlessVariant",
    "ShapAggregation",
    "SplitType",
    "TrafficShift",
    "TransformInput",
    "TransformOutput",
    "TransformSchedule",
    "Variant",
    "transform_output_column",
]
