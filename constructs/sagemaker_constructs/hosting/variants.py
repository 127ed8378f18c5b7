"""Production, shadow and serverless variants of an endpoint."""

from __future__ import annotations

import enum
import re
from dataclasses import KW_ONLY, dataclass
from typing import ClassVar

from aws_cdk import Duration, Size

from sagemaker_constructs._internal.validation import (
    ENDPOINT_NAME_PATTERN,
    INSTANCE_TYPE_PATTERN,
    ValidationErrors,
    checked_arguments,
    is_token,
    size_in,
)

from .model import IModel

# Instance families with local NVMe instance storage: a storage KmsKeyId does not encrypt it, a hardware module
# does (CreateEndpointConfig, KmsKeyId, botocore's SageMaker model). Families ending in "d" / "dn" / "de" plus GPU
# and Trainium families.
_LOCAL_STORAGE_FAMILY = re.compile(r"^(?:[a-z]+\d+[a-z]*d[a-z]?|g5|g6|g6e|p5|p5e|p5en|trn1|trn1n)$")


@dataclass(frozen=True)
class InstanceType:
    """A SageMaker hosting instance type, such as ``ml.m5.large``."""

    name: str

    ML_M5_LARGE: ClassVar[InstanceType]
    ML_M5_XLARGE: ClassVar[InstanceType]
    ML_C5_LARGE: ClassVar[InstanceType]
    ML_C5_XLARGE: ClassVar[InstanceType]
    ML_G5_XLARGE: ClassVar[InstanceType]

    @staticmethod
    @checked_arguments
    def of(name: str) -> InstanceType:
        """An instance type by name (``ml.<family>.<size>``)."""
        return InstanceType(name)

    @property
    def family(self) -> str:
        """The family, e.g. ``m5`` for ``ml.m5.large``."""
        parts = self.name.split(".")
        return parts[1] if len(parts) == 3 else ""

    @property
    def is_burstable(self) -> bool:
        """Burstable ``ml.t*`` instances cannot be auto scaled."""
        return self.family.startswith("t")

    @property
    def has_local_storage(self) -> bool:
        """Whether the type has local NVMe storage (which a storage KMS key does not encrypt)."""
        return bool(_LOCAL_STORAGE_FAMILY.match(self.family))

    def validate(self, errors: ValidationErrors, prop: str) -> None:
        """Record a problem if the name is not a SageMaker instance type."""
        if not is_token(self.name) and not INSTANCE_TYPE_PATTERN.fullmatch(self.name):
            errors.add(
                f"'{prop}' must look like 'ml.<family>.<size>' (e.g. 'ml.m5.large'), got {self.name!r}"
            )

    def __str__(self) -> str:
        return self.name


InstanceType.ML_M5_LARGE = InstanceType("ml.m5.large")
InstanceType.ML_M5_XLARGE = InstanceType("ml.m5.xlarge")
InstanceType.ML_C5_LARGE = InstanceType("ml.c5.large")
InstanceType.ML_C5_XLARGE = InstanceType("ml.c5.xlarge")
InstanceType.ML_G5_XLARGE = InstanceType("ml.g5.xlarge")


class RoutingStrategy(enum.Enum):
    """How a variant routes requests to its instances."""

    LEAST_OUTSTANDING_REQUESTS = "LEAST_OUTSTANDING_REQUESTS"
    """Send each request to the instance with the fewest requests in flight."""
    RANDOM = "RANDOM"
    """Send each request to a random instance."""


@dataclass(frozen=True)
class ProductionVariant:
    """An instance-based variant: a model on a fleet of instances, taking a weighted share of the traffic.

    ``ProductionVariant("champion", model=model, instance_count=2, weight=90)``
    """

    name: str
    """The variant name: 1-63 letters, digits and hyphens. Keep it across deployments: guardrails need it."""
    _: KW_ONLY
    model: IModel
    """The model to serve."""
    instance_type: InstanceType | str = "ml.m5.large"
    """The instance type. Default: "ml.m5.large\""""
    instance_count: int = 1
    """The initial number of instances (at least 1). Default: 1"""
    weight: float = 1.0
    """The relative share of traffic (at least 0). Default: 1.0"""
    volume_size: Size | None = None
    """The ML storage volume per instance, 1-512 GiB. Default: - SageMaker's default for the type."""
    model_data_download_timeout: Duration | None = None
    """Time allowed to download the model, 60-3600 s. Default: - SageMaker's default."""
    container_startup_health_check_timeout: Duration | None = None
    """Time allowed for the container to pass its health check, 60-3600 s. Default: - SageMaker's default."""
    routing_strategy: RoutingStrategy | None = None
    """Request routing across instances. Default: - SageMaker's default (random)."""
    enable_ssm_access: bool | None = None
    """Allow SSM sessions into the containers. Default: - disabled."""

    @property
    def resolved_instance_type(self) -> InstanceType:
        """The instance type as an ``InstanceType``."""
        return (
            self.instance_type
            if isinstance(self.instance_type, InstanceType)
            else InstanceType(self.instance_type)
        )

    def validate(self, errors: ValidationErrors, prop: str) -> None:
        """Record every problem of this variant under ``prop``."""
        _validate_name(errors, prop, self.name)
        # CreateEndpointConfig ProductionVariant.InstanceType: enum ProductionVariantInstanceType in botocore's
        # SageMaker model (data/sagemaker_enums.json).
        errors.check_instance_type(
            f"{prop}.instance_type",
            self.resolved_instance_type.name,
            "ProductionVariantInstanceType",
            "a SageMaker hosting",
            "'ml.m5.large', 'ml.c5.xlarge', 'ml.g5.xlarge'",
        )
        errors.check_range(f"{prop}.instance_count", self.instance_count, 1, None, integer=True)
        errors.check_range(f"{prop}.weight", self.weight, 0, None)
        errors.check_size(f"{prop}.volume_size", self.volume_size, "GiB", 1, 512)
        errors.check_seconds(
            f"{prop}.model_data_download_timeout", self.model_data_download_timeout, 60, 3600
        )
        errors.check_seconds(
            f"{prop}.container_startup_health_check_timeout",
            self.container_startup_health_check_timeout,
            60,
            3600,
        )


@dataclass(frozen=True)
class ServerlessVariant:
    """A serverless variant: SageMaker provisions compute per request.

    ``ServerlessVariant("serverless", model=model, memory_size=Size.gibibytes(2), max_concurrency=20)``
    """

    name: str
    """The variant name: 1-63 letters, digits and hyphens."""
    _: KW_ONLY
    model: IModel
    """The model to serve."""
    memory_size: Size = Size.gibibytes(2)
    """Memory per invocation: 1-6 GiB in 1 GiB steps. Default: 2 GiB"""
    max_concurrency: int = 20
    """Concurrent invocations, 1-200. Default: 20"""
    provisioned_concurrency: int | None = None
    """Pre-warmed concurrency, 1-200 and at most ``max_concurrency``. Default: - none (cold starts)."""
    weight: float = 1.0
    """The relative share of traffic (at least 0). Default: 1.0"""

    def validate(self, errors: ValidationErrors, prop: str) -> None:
        """Record every problem of this variant under ``prop``."""
        _validate_name(errors, prop, self.name)
        if not is_token(self.memory_size):
            mebibytes = size_in(self.memory_size, "MiB")
            if mebibytes not in (1024, 2048, 3072, 4096, 5120, 6144):
                errors.add(
                    f"'{prop}.memory_size' must be 1, 2, 3, 4, 5 or 6 GiB (1024-6144 MiB in 1024 MiB steps), "
                    f"got {mebibytes:g} MiB"
                )
        errors.check_range(f"{prop}.max_concurrency", self.max_concurrency, 1, 200, integer=True)
        errors.check_range(
            f"{prop}.provisioned_concurrency", self.provisioned_concurrency, 1, 200, integer=True
        )
        if (
            self.provisioned_concurrency is not None
            and not is_token(self.provisioned_concurrency)
            and not is_token(self.max_concurrency)
            and self.provisioned_concurrency > self.max_concurrency
        ):
            errors.add(
                f"'{prop}.provisioned_concurrency' must be at most 'max_concurrency' ({self.max_concurrency}), "
                f"got {self.provisioned_concurrency}"
            )
        errors.check_range(f"{prop}.weight", self.weight, 0, None)


Variant = ProductionVariant | ServerlessVariant
"""Any variant an endpoint can hold."""


def _validate_name(errors: ValidationErrors, prop: str, name: str) -> None:
    errors.check_name(f"{prop}.name", name, ENDPOINT_NAME_PATTERN, 63)
