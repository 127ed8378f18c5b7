"""The option groups the four Model Monitor constructs share, declared and documented once: where the data
comes from (``MonitorSource``), the processing job that analyses it (``MonitoringJob``) and where its reports go
(``MonitoringOutput``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, Duration, Resource, Size
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from sagemaker_constructs._internal.validation import (
    ENV_KEY_PATTERN,
    ValidationError,
    ValidationErrors,
    checked_arguments,
    is_token,
)
from sagemaker_constructs.batch.batch_transform import BatchTransform
from sagemaker_constructs.common.container_image import ContainerImage
from sagemaker_constructs.hosting.endpoint import IEndpoint

from .monitoring_options import DatasetFormat


@dataclass(frozen=True, kw_only=True)
class MonitorSource:
    """What a monitor watches: the captured traffic of an endpoint or the captured data of a batch transform.

    ``MonitorSource.endpoint(endpoint)`` or ``MonitorSource.batch_transform(transform,
    dataset_format=DatasetFormat.csv())``. One source object can be shared by several monitors.
    """

    monitored_endpoint: IEndpoint | None = None
    """The endpoint (with data capture). Set by ``MonitorSource.endpoint``. Default: - none."""
    monitored_batch_transform: BatchTransform | None = None
    """The batch transform (with data capture). Set by ``MonitorSource.batch_transform``. Default: - none."""
    dataset_format: DatasetFormat | None = None
    """Batch transform only: the format of its captured data. Default: - from the transform's input content
    type (JSON lines for JSON, CSV without a header otherwise)."""

    def __post_init__(self) -> None:
        # The named constructors cannot produce these; a direct construction can.
        if (self.monitored_endpoint is None) == (self.monitored_batch_transform is None):
            raise ValidationError(
                "'source' must watch exactly one endpoint or batch transform: use MonitorSource.endpoint(endpoint) "
                "or MonitorSource.batch_transform(transform), got "
                f"{'both' if self.monitored_endpoint is not None else 'neither'}"
            )
        if self.monitored_endpoint is not None and self.dataset_format is not None:
            raise ValidationError(
                "'source.dataset_format' applies only to a batch transform (an endpoint's captured data records "
                "its own content types), got a dataset format with an endpoint"
            )

    @staticmethod
    @checked_arguments
    def endpoint(endpoint: IEndpoint) -> MonitorSource:
        """Watch the captured traffic of ``endpoint`` (created with ``data_capture=DataCapture(...)``, or
        imported with ``data_capture_enabled=True``)."""
        return MonitorSource(monitored_endpoint=endpoint)

    @staticmethod
    @checked_arguments
    def batch_transform(
        transform: BatchTransform, *, dataset_format: DatasetFormat | None = None
    ) -> MonitorSource:
        """Watch the captured data of ``transform`` (created with ``data_capture=BatchDataCapture(...)``).

        :param dataset_format: the format of the captured data. Default: - from the transform's input content
            type (JSON lines for JSON, CSV without a header otherwise).
        """
        return MonitorSource(monitored_batch_transform=transform, dataset_format=dataset_format)

    def grant_read_captured_data(self, grantee: iam.IGrantable) -> None:
        """Allow ``grantee`` to read the source's captured data (an endpoint's capture destination, when known;
        a batch transform's capture and the objects its manifests list)."""
        endpoint, transform = self.monitored_endpoint, self.monitored_batch_transform
        destination = endpoint.capture_destination if endpoint is not None else None
        if destination is not None:
            destination.grant_read(grantee)
        elif transform is not None and transform.data_capture is not None:
            transform.grant_read_captured_data(grantee)

    def validate_capture(self, scope: IConstruct, errors: ValidationErrors) -> None:
        """Record under 'source' what stops Model Monitor from reading the source's captured data: no data
        capture, or a multi-model endpoint; warn on ``scope`` when an imported endpoint's capture is unknown."""
        endpoint = self.monitored_endpoint
        batch_transform = self.monitored_batch_transform
        if endpoint is not None:
            if getattr(endpoint, "is_multi_model", False):
                errors.add(
                    "'source' endpoint hosts a multi-model container: Model Monitor supports only endpoints that "
                    "host a single model"
                )
            capture = endpoint.data_capture_enabled
            if capture is False and _defined_in_app(endpoint):
                errors.add(
                    "'source' endpoint has no data capture: Model Monitor reads captured traffic, so pass "
                    "data_capture=DataCapture(...) to the Endpoint"
                )
            elif capture is False:
                # An imported endpoint is configured where it was created: no prop of this app can change it.
                errors.add(
                    f"'source' endpoint {endpoint.endpoint_name!r} was imported with data_capture_enabled=False: "
                    "Model Monitor reads captured traffic, so turn on data capture where the endpoint is defined "
                    "(its endpoint config's DataCaptureConfig, applied with UpdateEndpoint), then import it with "
                    "data_capture_enabled=True"
                )
            elif capture is None:
                Annotations.of(scope).add_warning_v2(
                    "sagemaker-constructs:MonitorCaptureUnknown",
                    "The imported endpoint's data capture is unknown: make sure it captures its traffic, and grant "
                    "the monitor's role read access to the capture location.",
                )
        if batch_transform is not None and not batch_transform.data_capture_enabled:
            errors.add(
                "'source' batch transform has no data capture: pass data_capture=BatchDataCapture(...) to the "
                "BatchTransform"
            )

    @property
    def resolved_dataset_format(self) -> DatasetFormat | None:
        """The batch transform's dataset format (given or derived from its content type); None for an endpoint."""
        transform = self.monitored_batch_transform
        if transform is None:
            return None
        return self.dataset_format or DatasetFormat.for_content_type(transform.input.content_type)


@dataclass(frozen=True, kw_only=True)
class MonitoringJob:
    """The processing job each monitoring run starts: its resources, container, role and network.

    Share one object between monitors that should run alike:
    ``job = MonitoringJob(volume_kms_key=key, vpc=vpc)``, then ``DataQualityMonitor(..., job=job)``.
    """

    instance_type: str = "ml.m5.xlarge"
    """A processing instance type. Default: "ml.m5.xlarge\""""
    instance_count: int = 1
    """Instances per run, 1-100. Default: 1"""
    volume_size: Size = Size.gibibytes(20)
    """Storage volume of each instance, 1-16384 GiB. Default: 20 GiB"""
    volume_kms_key: kms.IKey | None = None
    """Key that encrypts the storage volumes. Default: - an AWS managed key."""
    max_runtime: Duration | None = None
    """How long one run may take, at most 24 hours (at most 1800 seconds for hourly model quality and bias
    monitors, whose ground-truth merge and analysis share the hour). Default: - 30 minutes for
    ``ModelQualityMonitor`` and ``ModelBiasMonitor``, 1 hour for the others."""
    environment: Mapping[str, str] | None = None
    """Extra container environment, at most 50 variables. Default: - none."""
    role: iam.IRole | None = None
    """The execution role. Default: - a least-privilege role is created."""
    image: ContainerImage | None = None
    """The analyzer image. Default: - SageMaker's image for the stack's region (from the registry; regions
    without one fail at synth, so pass ``ContainerImage.from_image_uri`` there)."""
    vpc: ec2.IVpc | None = None
    """Run the jobs in this VPC. Default: - no VPC."""
    vpc_subnets: ec2.SubnetSelection | None = None
    """Subnets of ``vpc``. Default: - its private subnets with egress."""
    security_groups: Sequence[ec2.ISecurityGroup] | None = None
    """1-5 security groups in ``vpc``. Default: - one is created per monitor."""
    network_isolation: bool = False
    """Deny the containers network access. Default: False"""
    inter_container_encryption: bool = True
    """Encrypt traffic between the instances of a run. Default: True"""

    def validate(self, errors: ValidationErrors, prop: str = "job") -> None:
        """Record every problem under ``'job.*'`` (the hourly runtime cap is the monitor's to check)."""
        # MonitoringClusterConfig.InstanceType: enum ProcessingInstanceType in botocore's SageMaker model
        # (data/sagemaker_enums.json, package data: the check does not depend on botocore being installed).
        errors.check_instance_type(
            f"{prop}.instance_type",
            self.instance_type,
            "ProcessingInstanceType",
            "a processing",
            "'ml.m5.xlarge', 'ml.c5.xlarge', 'ml.r5.2xlarge'",
        )
        errors.check_range(f"{prop}.instance_count", self.instance_count, 1, 100, integer=True)
        errors.check_size(f"{prop}.volume_size", self.volume_size, "GiB", 1, 16384)
        if self.max_runtime is not None:
            errors.check_seconds(f"{prop}.max_runtime", self.max_runtime, 1, 86400)
        env = self.environment or {}
        if len(env) > 50:
            errors.add(f"'{prop}.environment' must hold at most 50 variables, got {len(env)}")
        for key, value in env.items():
            if not is_token(key) and (len(key) > 256 or not ENV_KEY_PATTERN.fullmatch(key)):
                errors.add(
                    f"'{prop}.environment' key must match {ENV_KEY_PATTERN.pattern} (at most 256), got {key!r}"
                )
            if not is_token(value) and not 1 <= len(value) <= 256:
                # CloudFormation's schema of the job definitions rejects empty values (minLength 1).
                errors.add(f"'{prop}.environment[{key!r}]' must be 1-256 characters, got {len(value)}")
        if self.vpc is None and (self.vpc_subnets is not None or self.security_groups is not None):
            errors.add(
                f"'{prop}.vpc_subnets' and '{prop}.security_groups' require '{prop}.vpc', got vpc=None"
            )
        if self.security_groups is not None and not 1 <= len(self.security_groups) <= 5:
            errors.add(
                f"'{prop}.security_groups' must hold 1-5 security groups, got {len(self.security_groups)}"
            )


@dataclass(frozen=True, kw_only=True)
class MonitoringOutput:
    """Where a monitor's reports go (``statistics.json``, ``constraint_violations.json`` ...) and whether its
    runs publish CloudWatch metrics.

    Reports land under ``s3://<bucket>/<prefix>``; by default every monitor of a stack shares one secure
    ``ModelMonitorReports`` bucket, one folder per monitor.
    """

    bucket: s3.IBucket | None = None
    """Your bucket. Default: - the stack's shared, secure ``ModelMonitorReports`` bucket."""
    prefix: str | None = None
    """Key prefix, without leading or trailing '/'; give each monitor its own. Default: -
    ``model-monitor/<monitoring type>/<schedule name>``"""
    kms_key: kms.IKey | None = None
    """Key that encrypts the reports. Default: - the bucket's key."""
    publish_cloudwatch_metrics: bool = True
    """Publish the run's metrics to CloudWatch (the metric and alarm methods need them). Default: True"""

    def validate(self, errors: ValidationErrors, prop: str = "output") -> None:
        """Record every problem under ``'output.*'``."""
        key = f"{prop}.prefix"
        if self.prefix is not None and not is_token(self.prefix) and self.prefix.strip("/") != self.prefix:
            errors.add(f"'{key}' must not start or end with '/', got {self.prefix!r}")
        if self.prefix == "":
            # Not silently replaced by the default prefix.
            errors.add(f"'{key}' must not be empty (leave it out for the default prefix), got ''")
        errors.check_s3_key(key, self.prefix)
        errors.check_s3_uri_length(key, self.prefix, 512)


def _defined_in_app(endpoint: IEndpoint) -> bool:
    """Whether the endpoint is created by this CDK app (it owns a CloudFormation resource), not imported.

    Asked through aws-cdk-lib's ``Resource.is_owned_resource`` (the construct's default child is a
    ``CfnResource``), so it holds for any ``IEndpoint`` construct, not only this library's ``Endpoint``.
    """
    return isinstance(endpoint, Construct) and Resource.is_owned_resource(endpoint)
