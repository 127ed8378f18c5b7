"""What the open backend needs of a monitor (``MonitorBase`` provides it): a protocol, so the backend's modules
need not import the monitors that build it."""

from __future__ import annotations

from typing import Any, Protocol

from aws_cdk import Duration, Size
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Node

from sagemaker_constructs.batch.batch_transform import BatchTransform
from sagemaker_constructs.common.container_image import ContainerImage
from sagemaker_constructs.hosting.endpoint import IEndpoint

from .monitor_backend import MonitorBackend
from .monitor_props import MonitorSource
from .monitoring_options import Baseline, DatasetFormat, MonitoringSchedule


class OpenMonitor(Protocol):
    """A monitor as the open backend sees it."""

    @property
    def node(self) -> Node: ...

    role: iam.IRole
    source: MonitorSource
    endpoint: IEndpoint | None
    batch_transform: BatchTransform | None
    dataset_format: DatasetFormat | None
    schedule: MonitoringSchedule
    backend: MonitorBackend
    monitoring_type: str
    monitoring_schedule_name: str
    metric_kind: str
    output_bucket: s3.IBucket
    output_prefix: str
    _image: ContainerImage | None
    _instance_count: int
    _instance_type: str
    _volume_size: Size
    _volume_kms_key: kms.IKey | None
    _inter_container_encryption: bool
    _vpc_config: dict[str, Any] | None
    _environment: dict[str, str]
    _baseline: Baseline | None
    _baseline_uris: tuple[str | None, str | None]
    _publish: bool

    @property
    def output_kms_key(self) -> kms.IKey | None: ...

    @property
    def max_runtime(self) -> Duration: ...

    @property
    def metric_namespace(self) -> str: ...

    def _schedule_dimensions(self, **extra: str) -> dict[str, str]: ...
