"""sagemaker-constructs: AWS CDK v2 constructs for production Amazon SageMaker deployments."""

from ._internal.validation import ValidationError
from .batch.batch_transform import BatchTransform
from .batch.transform_options import (
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
from .batch.transform_schedule import TransformSchedule
from .common.container_image import ContainerImage
from .common.notification_topic import NotificationTopic
from .common.secure_bucket import SecureBucket
from .delivery.approved_model import ApprovedModelPackage
from .delivery.bandit import BanditTrafficAllocation
from .delivery.bandit_options import BanditPolicy, BanditReward
from .delivery.model_deployer import ApprovedModelDeployer
from .hosting.async_inference import AsyncInference, IncludeInferenceResponseIn
from .hosting.autoscaling import ScalableVariant, ScalingMetrics
from .hosting.data_capture import CaptureDestination, DataCapture
from .hosting.deployment import AutoRollback, CapacitySize, CapacityUnit, DeploymentGuardrails, TrafficShift
from .hosting.endpoint import (
    INSTANCE_NAMESPACE,
    INVOCATION_NAMESPACE,
    Endpoint,
    EndpointBase,
    EndpointVariant,
    IEndpoint,
)
from .hosting.model import ContainerDefinition, IModel, InferenceExecutionMode, Model
from .hosting.model_data import ModelData
from .hosting.variants import InstanceType, ProductionVariant, RoutingStrategy, ServerlessVariant, Variant
from .monitoring.clarify_config import (
    BiasAnalysisConfig,
    ExplainabilityAnalysisConfig,
    Facet,
    ShapAggregation,
)
from .monitoring.data_quality_monitor import DataQualityMonitor
from .monitoring.model_bias_monitor import ModelBiasMonitor
from .monitoring.model_explainability_monitor import ModelExplainabilityMonitor
from .monitoring.model_quality_monitor import ModelQualityMonitor
from .monitoring.monitor_backend import MonitorBackend
from .monitoring.monitor_props import MonitoringJob, MonitoringOutput, MonitorSource
from .monitoring.monitoring_options import (
    Baseline,
    DatasetFormat,
    GroundTruth,
    ModelQualityConstraints,
    MonitoringSchedule,
    ProblemType,
    S3Source,
    transform_output_column,
)
from .observability.operations_dashboard import OperationsDashboard
from .retraining.retraining_trigger import IncidentField, RetrainingTrigger
from .retraining.sagemaker_pipeline import IPipeline, PipelineBase, SageMakerPipeline

__all__ = [
    "ValidationError",
    "INSTANCE_NAMESPACE",
    "INVOCATION_NAMESPACE",
    "ApprovedModelDeployer",
    "ApprovedModelPackage",
    "AssembleWith",
    "AsyncInference",
    "AutoRollback",
    "BanditPolicy",
    "BanditReward",
    "BanditTrafficAllocation",
    "Baseline",
    "BatchDataCapture",
    "BatchStrategy",
    "BatchTransform",
    "BiasAnalysisConfig",
    "CaptureDestination",
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
    "MonitorBackend",
    "MonitoringJob",
    "MonitoringOutput",
    "MonitoringSchedule",
    "MonitorSource",
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
    "ScalingMetrics",
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
