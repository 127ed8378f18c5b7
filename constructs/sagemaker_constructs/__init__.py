"""sagemaker-constructs: AWS CDK v2 constructs for production Amazon SageMaker deployments."""

from .autoscaling import ScalableVariant
from .batch_transform import BatchTransform
from .container_image import ContainerImage
from .data_capture import DataCapture
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
from .model_data import ModelData
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
    "INSTANCE_NAMESPACE",
    "INVOCATION_NAMESPACE",
    "AssembleWith",
    "AutoRollback",
    "BatchDataCapture",
    "BatchStrategy",
    "BatchTransform",
    "CompressionType",
    "DataProcessing",
    "JoinSource",
    "ModelClientOptions",
    "SplitType",
    "TransformInput",
    "TransformOutput",
    "TransformSchedule",
    "CapacitySize",
    "CapacityUnit",
    "ContainerDefinition",
    "ContainerImage",
    "DataCapture",
    "DeploymentGuardrails",
    "Endpoint",
    "EndpointBase",
    "EndpointVariant",
    "IEndpoint",
    "IModel",
    "InferenceExecutionMode",
    "InstanceType",
    "Model",
    "ModelData",
    "ProductionVariant",
    "RoutingStrategy",
    "ScalableVariant",
    "SecureBucket",
    "ServerlessVariant",
    "TrafficShift",
    "Variant",
]
