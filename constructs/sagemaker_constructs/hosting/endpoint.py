"""``Endpoint``: a real-time SageMaker endpoint with its endpoint config, data capture and guardrails."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import jsii
from aws_cdk import Annotations, Duration, IStableAnyProducer, Lazy, Names, Resource, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces.aws_sagemaker import EndpointReference
from constructs import Construct, IValidation

from sagemaker_constructs._internal.arns import name_from_arn
from sagemaker_constructs._internal.validation import (
    ENDPOINT_NAME_PATTERN,
    ValidationError,
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
    is_token,
)

from . import _model_output
from .async_inference import AsyncInference
from .autoscaling import INSTANCE_COUNT_DIMENSION, PROVISIONED_CONCURRENCY_DIMENSION, ScalableVariant
from .data_capture import CaptureDestination, DataCapture
from .deployment import CapacitySize, DeploymentGuardrails, validate_latency_statistic
from .endpoint_metrics import (
    DEFAULT_LATENCY_STATISTIC,
    EndpointKind,
    is_percentile,
)
from .endpoint_metrics import (
    INSTANCE_NAMESPACE as INSTANCE_NAMESPACE,  # re-exported: public since 0.1
)
from .endpoint_metrics import INVOCATION_NAMESPACE as INVOCATION_NAMESPACE
from .variants import ProductionVariant, ServerlessVariant, Variant

MAX_VARIANTS = 10


class IEndpoint(sagemaker.IEndpoint, Protocol):
    """A SageMaker endpoint, created by this library or imported.

    It is aws-cdk-lib's ``aws_sagemaker.IEndpoint`` (so API Gateway's ``SagemakerIntegration`` takes it) with this
    library's metrics and what monitors need to know.
    """

    @property
    def data_capture_enabled(self) -> bool | None:
        """Whether the endpoint captures its traffic; None when unknown."""
        ...

    @property
    def capture_destination(self) -> CaptureDestination | None:
        """Where the captured traffic lands; None when the endpoint captures nothing or the location is unknown."""
        ...

    @property
    def endpoint_name_for_metrics(self) -> str:
        """The name CloudWatch dimensions carry, known at synth time: alarms and dashboards that use it do not
        wait for the endpoint to be created."""
        ...

    def grant_read_captured_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list, read and decrypt the captured traffic."""
        ...

    def metric(
        self,
        metric_name: str,
        variant_name: str,
        *,
        namespace: str = INVOCATION_NAMESPACE,
        statistic: str = "Sum",
        period: Duration | None = None,
    ) -> cloudwatch.Metric:
        """A metric of one variant."""
        ...

    def metric_approximate_backlog_size(
        self, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: requests queued or in process."""
        ...

    def metric_approximate_backlog_size_per_instance(
        self, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: queued requests divided by the instance count."""
        ...

    def metric_approximate_age_of_oldest_request(
        self, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: age of the oldest queued request, in seconds."""
        ...

    def metric_has_backlog_without_capacity(
        self, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: 1 while requests wait and no instance runs."""
        ...


@jsii.implements(sagemaker.IEndpoint)
class EndpointBase(Resource):
    """Grants and metrics shared by created and imported endpoints (an aws-cdk-lib ``Resource``)."""

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name."""
        raise NotImplementedError

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN."""
        raise NotImplementedError

    @property
    def data_capture_enabled(self) -> bool | None:
        """Whether the endpoint captures its traffic; None when unknown."""
        raise NotImplementedError

    @property
    def endpoint_ref(self) -> EndpointReference:
        """A reference to this endpoint for aws-cdk-lib's ``IEndpointRef`` consumers."""
        return EndpointReference(endpoint_arn=self.endpoint_arn)

    @property
    def capture_destination(self) -> CaptureDestination | None:
        """Where the captured traffic lands; None when the endpoint captures nothing or the location is unknown."""
        return None

    @property
    def endpoint_name_for_metrics(self) -> str:
        """The name CloudWatch dimensions carry, known at synth time (an imported endpoint's name)."""
        return self.endpoint_name

    def grant_read_captured_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list, read and decrypt the captured traffic.

        :raises ValidationError: when the capture location is unknown (no data capture, or an imported endpoint
            without ``capture_destination``).
        """
        destination = self.capture_destination
        if destination is None:
            raise ValidationError(
                f"Endpoint '{self.node.path}': 'grant_read_captured_data' needs the capture location, got none: "
                "create the endpoint with data_capture=DataCapture(...), or import it with "
                "capture_destination=CaptureDestination(...)"
            )
        return destination.grant_read(grantee)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the endpoint (real-time, async and streaming), scoped to its ARN."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "sagemaker:InvokeEndpoint",
                "sagemaker:InvokeEndpointAsync",
                "sagemaker:InvokeEndpointWithResponseStream",
            ],
            resource_arns=[self.endpoint_arn],
        )

    @checked_arguments
    def metric(
        self,
        metric_name: str,
        variant_name: str,
        *,
        namespace: str = INVOCATION_NAMESPACE,
        statistic: str = "Sum",
        period: Duration | None = None,
    ) -> cloudwatch.Metric:
        """A metric of one variant, dimensions ``EndpointName`` and ``VariantName``.

        :param namespace: ``AWS/SageMaker`` (invocations) or ``/aws/sagemaker/Endpoints`` (instances).
            Default: "AWS/SageMaker"
        :param statistic: Default: "Sum"
        :param period: Default: 1 minute
        """
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name_for_metrics, "VariantName": variant_name},
            statistic=statistic,
            period=period or Duration.minutes(1),
        )

    @checked_arguments
    def metric_invocations(self, variant_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Requests sent to the variant. Statistic Sum, period 1 minute by default."""
        return self.metric("Invocations", variant_name, period=period)

    @checked_arguments
    def metric_invocations_per_instance(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Requests per instance (the autoscaling target metric). Statistic Sum, period 1 minute."""
        return self.metric("InvocationsPerInstance", variant_name, period=period)

    @checked_arguments
    def metric_invocation_4xx_errors(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Requests answered with 4XX. Statistic Sum, period 1 minute."""
        return self.metric("Invocation4XXErrors", variant_name, period=period)

    @checked_arguments
    def metric_invocation_5xx_errors(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Requests answered with 5XX. Statistic Sum, period 1 minute."""
        return self.metric("Invocation5XXErrors", variant_name, period=period)

    @checked_arguments
    def metric_invocation_model_errors(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Requests the model failed. Statistic Sum, period 1 minute. Published for real-time instance variants
        only: not for serverless variants nor asynchronous endpoints (see ``endpoint_metrics``)."""
        return self.metric("InvocationModelErrors", variant_name, period=period)

    @checked_arguments
    def metric_invocation_failures(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: requests that failed for any reason (``InvocationFailures``). Statistic Sum,
        period 1 minute."""
        return self.metric("InvocationFailures", variant_name, period=period)

    @checked_arguments
    def metric_5xx_error_rate(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.MathExpression:
        """Percentage of requests answered with 5XX (no data while there is no traffic). Period 1 minute."""
        return cloudwatch.MathExpression(
            expression="100 * errors / invocations",
            using_metrics={
                "errors": self.metric_invocation_5xx_errors(variant_name, period=period),
                "invocations": self.metric_invocations(variant_name, period=period),
            },
            label=f"{variant_name} 5XX error rate (%)",
            period=period or Duration.minutes(1),
        )

    @checked_arguments
    def metric_model_latency(
        self, variant_name: str, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Time the model took to respond, in **microseconds**. Statistic Average, period 1 minute.

        AWS documents Average, Sum, Minimum, Maximum and SampleCount for it, not percentiles: a percentile such
        as ``"p99"`` may stay empty."""
        return self.metric("ModelLatency", variant_name, statistic=statistic, period=period)

    @checked_arguments
    def metric_overhead_latency(
        self, variant_name: str, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """SageMaker's own overhead, in microseconds. Statistic Average, period 1 minute. Not published for
        asynchronous endpoints; AWS documents no percentiles for it."""
        return self.metric("OverheadLatency", variant_name, statistic=statistic, period=period)

    @checked_arguments
    def metric_model_setup_time(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Serverless cold-start time, in microseconds. Statistic Average, period 1 minute."""
        return self.metric("ModelSetupTime", variant_name, statistic="Average", period=period)

    @checked_arguments
    def metric_cpu_utilization(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """CPU use summed over cores (0-100% times the core count). Statistic Average, period 1 minute."""
        return self.metric(
            "CPUUtilization", variant_name, namespace=INSTANCE_NAMESPACE, statistic="Average", period=period
        )

    @checked_arguments
    def metric_memory_utilization(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Memory use in percent. Statistic Average, period 1 minute."""
        return self.metric(
            "MemoryUtilization",
            variant_name,
            namespace=INSTANCE_NAMESPACE,
            statistic="Average",
            period=period,
        )

    @checked_arguments
    def metric_disk_utilization(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Disk use in percent; data capture stops when it is high. Statistic Average, period 1 minute."""
        return self.metric(
            "DiskUtilization", variant_name, namespace=INSTANCE_NAMESPACE, statistic="Average", period=period
        )

    @checked_arguments
    def metric_gpu_utilization(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """GPU use summed over GPUs. Statistic Average, period 1 minute."""
        return self.metric(
            "GPUUtilization", variant_name, namespace=INSTANCE_NAMESPACE, statistic="Average", period=period
        )

    @checked_arguments
    def metric_gpu_memory_utilization(
        self, variant_name: str, *, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """GPU memory use summed over GPUs. Statistic Average, period 1 minute."""
        return self.metric(
            "GPUMemoryUtilization",
            variant_name,
            namespace=INSTANCE_NAMESPACE,
            statistic="Average",
            period=period,
        )

    @checked_arguments
    def metric_endpoint(
        self, metric_name: str, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """An ``AWS/SageMaker`` metric of the whole endpoint, dimension ``EndpointName`` only (the queue
        metrics of asynchronous endpoints).

        :param statistic: Default: "Average"
        :param period: Default: 1 minute
        """
        return cloudwatch.Metric(
            namespace=INVOCATION_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name_for_metrics},
            statistic=statistic,
            period=period or Duration.minutes(1),
        )

    @checked_arguments
    def metric_approximate_backlog_size(
        self, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: requests in the queue, waiting or in process (``ApproximateBacklogSize``).
        Statistic Average, period 1 minute."""
        return self.metric_endpoint("ApproximateBacklogSize", statistic=statistic, period=period)

    @checked_arguments
    def metric_approximate_backlog_size_per_instance(
        self, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: queued requests divided by the instance count, the metric to scale on
        (``ApproximateBacklogSizePerInstance``). Statistic Average, period 1 minute."""
        return self.metric_endpoint("ApproximateBacklogSizePerInstance", statistic=statistic, period=period)

    @checked_arguments
    def metric_approximate_age_of_oldest_request(
        self, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: age of the oldest queued request, in **seconds**
        (``ApproximateAgeOfOldestRequest``). Statistic Average, period 1 minute."""
        return self.metric_endpoint("ApproximateAgeOfOldestRequest", statistic=statistic, period=period)

    @checked_arguments
    def metric_has_backlog_without_capacity(
        self, *, statistic: str = "Average", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Asynchronous endpoints: 1 while requests wait and the endpoint has no instance, else 0
        (``HasBacklogWithoutCapacity``, the scale-out-from-zero signal). Statistic Average, period 1 minute."""
        return self.metric_endpoint("HasBacklogWithoutCapacity", statistic=statistic, period=period)

    # What dashboards read instead of ``isinstance(endpoint, Endpoint)``. The defaults describe an imported
    # endpoint: variants unknown, metrics as for a real-time endpoint, no alarms. ``Endpoint`` overrides them.

    alarms: Sequence[cloudwatch.IAlarm] = ()
    """Alarms created by this endpoint (rollback and operational); none for an imported endpoint."""

    @property
    def variants(self) -> Sequence[Variant]:
        """The production variants; empty when unknown (an imported endpoint)."""
        return ()

    @property
    def shadow_variant(self) -> Variant | None:
        """The shadow variant; None when there is none or it is unknown (an imported endpoint)."""
        return None

    @property
    def kind(self) -> EndpointKind:
        """The endpoint's kind as far as CloudWatch metrics go. Default: real-time (an imported endpoint)."""
        return EndpointKind.REAL_TIME

    def variant_kind(self, variant_name: str) -> EndpointKind:
        """Which documented metric set a variant publishes. Default: the endpoint's ``kind`` (an imported
        endpoint's variants are taken as real-time)."""
        return self.kind


class EndpointVariant:
    """One variant of an ``Endpoint``: returned by ``endpoint.variant(name)``."""

    def __init__(self, endpoint: Endpoint, variant: Variant) -> None:
        self.endpoint = endpoint
        self.variant = variant
        self._scaling: ScalableVariant | None = None

    @property
    def name(self) -> str:
        """The variant name."""
        return self.variant.name

    def auto_scale(self, *, min_capacity: int, max_capacity: int) -> ScalableVariant:
        """Scale the variant's instance count between ``min_capacity`` and ``max_capacity``; for a serverless
        variant with ``provisioned_concurrency``, its provisioned concurrency instead (dimension
        ``sagemaker:variant:DesiredProvisionedConcurrency``).

        Add policies to the result: ``on_invocations_per_instance(...)``, ``on_cpu_utilization(...)``,
        ``on_metric(...)``; for asynchronous endpoints ``on_backlog_size_per_instance(...)`` and
        ``scale_out_from_zero()``; for serverless variants ``on_provisioned_concurrency_utilization(...)``.
        Rejected for burstable ``ml.t*`` instances and serverless variants without provisioned concurrency.

        :param min_capacity: at least 1; 0 (scale to zero) only for an asynchronous endpoint.
        :param max_capacity: at least 1 and at least ``min_capacity``; for a serverless variant at most its
            ``max_concurrency``.
        """
        description = f"auto scaling of variant '{self.name}' of Endpoint '{self.endpoint.node.path}'"
        check_argument_types(description, EndpointVariant.auto_scale, locals())
        errors = ValidationErrors(description)
        if self._scaling is not None:
            errors.add(f"'auto_scale' was already called for variant {self.name!r}")
        if isinstance(self.variant, ServerlessVariant):
            self._validate_provisioned_concurrency_scaling(errors, min_capacity, max_capacity)
            errors.raise_if_any()
            self._scaling = self.endpoint._add_scaling(
                self.name, min_capacity, max_capacity, dimension=PROVISIONED_CONCURRENCY_DIMENSION
            )
            return self._scaling
        # Application Auto Scaling does not support burstable instances ("Prerequisites" of endpoint auto
        # scaling, https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-prerequisites.html).
        if self.variant.resolved_instance_type.is_burstable:
            errors.add(
                f"variant {self.name!r} uses burstable instance type "
                f"{self.variant.resolved_instance_type.name!r}; auto scaling needs a non-burstable type (not ml.t*)"
            )
        is_async = self.endpoint.async_inference is not None
        if min_capacity == 0 and not is_async and not isinstance(min_capacity, bool):
            errors.add(
                "'min_capacity' 0 (scale to zero) needs an asynchronous endpoint (async_inference=AsyncInference"
                "(...)); a real-time variant keeps at least 1 instance, got 0"
            )
        else:
            errors.check_range("min_capacity", min_capacity, 0 if is_async else 1, None, integer=True)
        errors.check_range("max_capacity", max_capacity, 1, None, integer=True)
        if not is_token(min_capacity) and not is_token(max_capacity) and min_capacity > max_capacity:
            errors.add(f"'min_capacity' ({min_capacity}) must be at most 'max_capacity', got {max_capacity}")
        if isinstance(self.variant, ProductionVariant) and not is_token(self.variant.instance_count):
            count = self.variant.instance_count
            if (
                not is_token(min_capacity)
                and not is_token(max_capacity)
                and not min_capacity <= count <= max_capacity
            ):
                errors.add(
                    f"the variant's instance_count ({count}) must lie between 'min_capacity' and 'max_capacity', "
                    f"got {min_capacity}-{max_capacity}"
                )
        errors.raise_if_any()
        self._scaling = self.endpoint._add_scaling(self.name, min_capacity, max_capacity)
        return self._scaling

    def _validate_provisioned_concurrency_scaling(
        self, errors: ValidationErrors, min_capacity: int, max_capacity: int
    ) -> None:
        # Serverless variants scale their provisioned concurrency, dimension
        # sagemaker:variant:DesiredProvisionedConcurrency, metric SageMakerVariantProvisionedConcurrencyUtilization
        # (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-autoscale.html).
        variant = self.variant
        assert isinstance(variant, ServerlessVariant)
        if variant.provisioned_concurrency is None:
            errors.add(
                f"variant {self.name!r} is serverless without 'provisioned_concurrency': SageMaker scales its "
                "on-demand concurrency itself, and Application Auto Scaling scales only provisioned concurrency "
                "(serverless-endpoints-autoscale); set provisioned_concurrency or drop auto_scale"
            )
        limit = variant.max_concurrency
        errors.check_range("min_capacity", min_capacity, 1, None, integer=True)
        errors.check_range("max_capacity", max_capacity, 1, None if is_token(limit) else limit, integer=True)
        if not is_token(min_capacity) and not is_token(max_capacity) and min_capacity > max_capacity:
            errors.add(f"'min_capacity' ({min_capacity}) must be at most 'max_capacity', got {max_capacity}")
        wanted = variant.provisioned_concurrency
        tokens = any(is_token(v) for v in (wanted, min_capacity, max_capacity))
        if wanted is not None and not tokens and not min_capacity <= wanted <= max_capacity:
            errors.add(
                f"the variant's provisioned_concurrency ({wanted}) must lie between 'min_capacity' and "
                f"'max_capacity', got {min_capacity}-{max_capacity}"
            )


class Endpoint(EndpointBase):
    """A real-time SageMaker endpoint (``AWS::SageMaker::Endpoint``) and its endpoint config.

    Holds 1-10 weighted production variants (instance-based or serverless), or one production variant with one
    shadow variant. Optionally captures traffic to an encrypted bucket, deploys changes with blue/green or
    rolling guardrails that roll back on alarms, and scales each variant. With ``async_inference`` it is an
    asynchronous endpoint instead: one instance variant that queues requests, writes responses to S3 and may
    scale to zero.

    The endpoint config is replaced on every change, so its name is always generated. The endpoint's own name is
    fixed at synth time (derived from the construct path unless ``endpoint_name`` is set) so that rollback alarms
    can watch it before it exists.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        variants: Sequence[Variant],
        shadow_variant: Variant | None = None,
        data_capture: DataCapture | None = None,
        deployment: DeploymentGuardrails | None = None,
        kms_key: kms.IKey | None = None,
        endpoint_name: str | None = None,
        async_inference: AsyncInference | None = None,
    ) -> None:
        """Define an endpoint.

        :param variants: 1-10 production variants (``ProductionVariant`` or ``ServerlessVariant``).
        :param shadow_variant: a variant that receives a copy of the traffic; its responses are discarded.
            Needs exactly one production variant. Default: - none.
        :param data_capture: capture requests and responses to S3. Default: - no capture.
        :param deployment: guardrails for updates. Default: - SageMaker's default (blue/green, all at once,
            no baking, no automatic rollback).
        :param kms_key: encrypts the instances' ML storage volumes (``KmsKeyId``). Instance types with local NVMe
            storage encrypt it with a hardware module instead (a synth warning says so). Default: - an AWS
            managed key.
        :param endpoint_name: the endpoint's name. Default: - derived from the construct path.
        :param async_inference: make the endpoint asynchronous: requests are queued and responses written to
            S3. Needs exactly one ``ProductionVariant``, and excludes ``shadow_variant`` and ``data_capture``.
            Default: - a real-time endpoint.
        """
        check_argument_types(construct_path(scope, construct_id, "Endpoint"), Endpoint.__init__, locals())
        super().__init__(scope, construct_id)
        self._validate(
            variants, shadow_variant, data_capture, deployment, kms_key, endpoint_name, async_inference
        )
        self._variants = list(variants)
        self._shadow = shadow_variant
        self._data_capture = data_capture
        self._async_inference = async_inference

        self._fixed_name = endpoint_name or Names.unique_resource_name(self, max_length=63, separator="-")
        self._scaled: dict[str, ScalableVariant] = {}
        self._handles: dict[str, EndpointVariant] = {}
        self.alarms: list[cloudwatch.Alarm] = []
        """Alarms created by this endpoint (rollback and operational)."""
        self._rollback_alarms: list[cloudwatch.IAlarm] = []
        self._deployment = deployment
        self.node.add_validation(_RollbackAlarmLimit(self._rollback_alarms))

        self.data_capture_bucket: s3.IBucket | None = None
        """The bucket receiving captured data, when data capture is on."""
        self.data_capture_key: kms.IKey | None = None
        """The key encrypting captured data, when known."""
        data_capture_config = self._data_capture_config(data_capture) if data_capture else None

        self.async_output_bucket: s3.IBucket | None = None
        """The bucket receiving asynchronous responses and failures, when the endpoint is asynchronous."""
        self.async_output_key: kms.IKey | None = None
        """The key encrypting asynchronous responses, when known."""
        async_config = self._async_inference_config(async_inference) if async_inference else None

        self.config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[self._render_variant(v) for v in self._variants],
            shadow_production_variants=[self._render_variant(shadow_variant)] if shadow_variant else None,
            data_capture_config=data_capture_config,
            kms_key_id=kms_key.key_arn if kms_key else None,
            async_inference_config=async_config,
        )
        self.resource = sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_config_name=self.config.attr_endpoint_config_name,
            endpoint_name=self._fixed_name,
            deployment_config=self._deployment_config(deployment) if deployment else None,
        )
        self.node.default_child = self.resource
        self._describe_alarms: iam.PolicyStatement | None = None
        if deployment is not None:
            self._grant_describe_rollback_alarms()

    @staticmethod
    @checked_arguments
    def from_endpoint_name(scope: Construct, construct_id: str, endpoint_name: str) -> IEndpoint:
        """Import an endpoint by name."""
        return Endpoint.from_endpoint_attributes(scope, construct_id, endpoint_name=endpoint_name)

    @staticmethod
    @checked_arguments
    def from_endpoint_attributes(
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        data_capture_enabled: bool | None = None,
        capture_destination: CaptureDestination | None = None,
    ) -> IEndpoint:
        """Import an endpoint created elsewhere.

        :param endpoint_name: its name.
        :param data_capture_enabled: whether it captures its traffic (monitors check it).
            Default: - True with a ``capture_destination``, else unknown.
        :param capture_destination: where it captures its traffic, so that monitors and
            ``grant_read_captured_data`` can read it as they read a created endpoint's. Default: - unknown.
        """
        return _ImportedEndpoint(
            scope, construct_id, endpoint_name, data_capture_enabled, capture_destination=capture_destination
        )

    @staticmethod
    @checked_arguments
    def from_endpoint_arn(
        scope: Construct,
        construct_id: str,
        endpoint_arn: str,
        *,
        data_capture_enabled: bool | None = None,
    ) -> IEndpoint:
        """Import an endpoint created elsewhere by its ARN (``arn:aws:sagemaker:<region>:<account>:endpoint/<name>``).

        The ARN is used as given (``grant_invoke``, API Gateway); its account and region become the import's
        ``env``. The name is read from the ARN, where SageMaker writes it in lower case, while CloudWatch
        dimensions keep the name's case: import an endpoint whose name has upper-case letters with
        :meth:`from_endpoint_attributes` so that its metrics and monitors find it.

        :param data_capture_enabled: whether it captures its traffic (monitors check it). Default: - unknown.
        """
        errors = ValidationErrors(f"imported Endpoint '{scope.node.path}/{construct_id}'")
        name = name_from_arn(errors, "endpoint_arn", endpoint_arn, "endpoint")
        errors.check_name("endpoint_arn", name or None, ENDPOINT_NAME_PATTERN, 63)
        errors.raise_if_any()
        return _ImportedEndpoint(scope, construct_id, name, data_capture_enabled, endpoint_arn)

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name (a token that makes dependants wait for the endpoint)."""
        return self.resource.attr_endpoint_name

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN."""
        return self.resource.attr_endpoint_arn

    @property
    def endpoint_config_name(self) -> str:
        """The name of the current endpoint config."""
        return self.config.attr_endpoint_config_name

    @property
    def data_capture_enabled(self) -> bool:
        """Whether the endpoint captures its traffic."""
        return self._data_capture is not None and self._data_capture.enabled

    @property
    def data_capture(self) -> DataCapture | None:
        """The data capture settings."""
        return self._data_capture

    @property
    def data_capture_s3_uri(self) -> str | None:
        """``s3://bucket/prefix`` under which captured data lands, when data capture is on."""
        if self._data_capture is None or self.data_capture_bucket is None:
            return None
        return self.data_capture_bucket.s3_url_for_object(self._data_capture.prefix)

    @property
    def async_inference(self) -> AsyncInference | None:
        """The asynchronous inference settings; None for a real-time endpoint."""
        return self._async_inference

    @property
    def async_output_s3_uri(self) -> str | None:
        """``s3://bucket/prefix`` under which asynchronous responses land, when the endpoint is asynchronous."""
        if self._async_inference is None or self.async_output_bucket is None:
            return None
        return self.async_output_bucket.s3_url_for_object(self._async_inference.output_prefix)

    @property
    def async_failure_s3_uri(self) -> str | None:
        """``s3://bucket/prefix`` under which asynchronous failures land, when set."""
        settings = self._async_inference
        if settings is None or settings.failure_prefix is None or self.async_output_bucket is None:
            return None
        return self.async_output_bucket.s3_url_for_object(settings.failure_prefix)

    @property
    def variants(self) -> Sequence[Variant]:
        """The production variants."""
        return tuple(self._variants)

    @property
    def shadow_variant(self) -> Variant | None:
        """The shadow variant."""
        return self._shadow

    @property
    def is_multi_model(self) -> bool:
        """Whether any variant serves a multi-model container."""
        return any(v.model.is_multi_model for v in self._all_variants())

    @property
    def endpoint_name_for_metrics(self) -> str:
        """The endpoint's name as fixed at synth time, which CloudWatch dimensions carry: alarms and dashboards
        that use it do not wait for the endpoint."""
        return self._fixed_name

    @property
    def capture_destination(self) -> CaptureDestination | None:
        """Where the captured traffic lands, when data capture is configured."""
        if self._data_capture is None or self.data_capture_bucket is None:
            return None
        return CaptureDestination(self.data_capture_bucket, self._data_capture.prefix, self.data_capture_key)

    @checked_arguments
    def variant(self, name: str) -> EndpointVariant:
        """The production or shadow variant called ``name``."""
        if name not in self._handles:
            match = next((v for v in self._all_variants() if v.name == name), None)
            if match is None:
                known = [v.name for v in self._all_variants()]
                raise ValidationError(f"'name' must be one of the endpoint's variants {known}, got {name!r}")
            self._handles[name] = EndpointVariant(self, match)
        return self._handles[name]

    def add_rollback_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Roll deployments back when ``alarm`` fires, besides the alarms given in ``deployment``.

        Build it from this endpoint's metrics (``endpoint.metric_*``): they name the endpoint by its synth-time
        name, so the alarm can exist before the endpoint. At most 10 rollback alarms in all.
        """
        if self._deployment is None:
            raise ValidationError(
                "'add_rollback_alarm' needs deployment guardrails: pass 'deployment' (e.g. "
                "DeploymentGuardrails.canary(...)) to the Endpoint, got deployment=None"
            )
        if any(existing is alarm for existing in self._rollback_alarms):
            raise ValidationError(f"alarm {alarm.node.path!r} is already a rollback alarm of this endpoint")
        self._rollback_alarms.append(alarm)
        if self._describe_alarms is not None:
            self._describe_alarms.add_resources(alarm.alarm_arn)

    def _grant_describe_rollback_alarms(self) -> None:
        """SageMaker reads the rollback alarms during a guarded deployment with the model execution role: "Ensure
        that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action on the
        auto-rollback alarms you specify" (https://docs.aws.amazon.com/sagemaker/latest/dg/
        deployment-guardrails-configuration.html). Every variant's model role gets it, on exactly these alarms
        (one statement, shared, so that alarms added later with add_rollback_alarm() join it)."""
        if not self._rollback_alarms:
            return
        self._describe_alarms = iam.PolicyStatement(
            actions=["cloudwatch:DescribeAlarms"], resources=[a.alarm_arn for a in self._rollback_alarms]
        )
        roles: list[iam.IRole] = []
        for variant in self._all_variants():
            role = variant.model.role
            if role is None:
                Annotations.of(self).add_warning_v2(
                    "sagemaker-constructs:RollbackRoleUnknown",
                    f"Variant {variant.name!r} uses an imported model without a role: grant its execution role "
                    "cloudwatch:DescribeAlarms on the endpoint's rollback alarms yourself, or SageMaker cannot "
                    "watch them during a deployment.",
                )
                continue
            if any(role is r for r in roles):
                continue
            roles.append(role)
            result = role.add_to_principal_policy(self._describe_alarms)
            # The grant must be in place before SageMaker deploys a config that it checks alarms for.
            if result.policy_dependable is not None:
                self.resource.node.add_dependency(result.policy_dependable)

    def _render_rollback_alarms(self) -> dict[str, object] | None:
        if not self._rollback_alarms:
            return None
        # Lazy values are rendered through the L1 mapper: use its camelCase property names.
        return {"alarms": [{"alarmName": a.alarm_name} for a in self._rollback_alarms]}

    @checked_arguments
    def add_operational_alarms(
        self,
        *,
        error_rate_percent: float = 1.0,
        model_latency: Duration | None = None,
        latency_statistic: str = DEFAULT_LATENCY_STATISTIC,
        p99_model_latency: Duration | None = None,
        disk_utilization_percent: float = 75.0,
        evaluation_periods: int = 5,
        action: cloudwatch.IAlarmAction | None = None,
    ) -> list[cloudwatch.Alarm]:
        """Alarms per production and shadow variant: 5XX error rate, model latency and, for instance variants,
        disk utilization (data capture stops silently when the disk fills up).

        An asynchronous endpoint publishes no ``Invocations`` metric, so it gets no error-rate alarm: alarm on
        ``metric_approximate_age_of_oldest_request()`` or ``metric_invocation_failures(variant)`` instead.

        :param error_rate_percent: Default: 1.0
        :param model_latency: alarm when ``ModelLatency`` at ``latency_statistic`` exceeds it. Default: 1 second
        :param latency_statistic: ``"Average"``, ``"Maximum"`` or ``"Minimum"`` (what AWS documents for
            ``ModelLatency``); a percentile such as ``"p99"`` is accepted with a warning. Default: "Average"
        :param p99_model_latency: deprecated: ``model_latency`` with ``latency_statistic="p99"``.
            Default: - not used
        :param disk_utilization_percent: Default: 75.0
        :param evaluation_periods: consecutive 1-minute periods that must breach. Default: 5
        :param action: run on ALARM and OK, e.g. an SNS action. Default: - none.
        """
        errors = ValidationErrors(f"operational alarms of Endpoint '{self.node.path}'")
        if self.node.try_find_child("OperationalAlarms") is not None:
            errors.add("'add_operational_alarms' was already called for this endpoint")
        errors.check_range("error_rate_percent", error_rate_percent, 0, 100, unit="percent")
        errors.check_range("disk_utilization_percent", disk_utilization_percent, 0, 100, unit="percent")
        errors.check_range("evaluation_periods", evaluation_periods, 1, 1440, integer=True)
        for prop, latency in (("model_latency", model_latency), ("p99_model_latency", p99_model_latency)):
            if latency is not None and not is_token(latency):
                errors.check_range(prop, latency.to_milliseconds(), 1, None, unit="ms")
        if model_latency is not None and p99_model_latency is not None:
            errors.add(
                "'p99_model_latency' is the deprecated spelling of 'model_latency': give one, got both"
            )
        if p99_model_latency is not None and latency_statistic == DEFAULT_LATENCY_STATISTIC:
            latency_statistic = "p99"
        validate_latency_statistic(errors, "latency_statistic", latency_statistic)
        errors.raise_if_any()
        threshold_latency = model_latency or p99_model_latency or Duration.seconds(1)
        self._warn_if_percentile(latency_statistic)

        scope = Construct(self, "OperationalAlarms")
        created: list[cloudwatch.Alarm] = []
        for variant in self._all_variants():
            name = variant.name
            specs: list[tuple[str, cloudwatch.IMetric, float, str]] = []
            if self._async_inference is None:
                specs.append(
                    (
                        "ErrorRate",
                        self.metric_5xx_error_rate(name),
                        error_rate_percent,
                        "5XX error rate above %s%%",
                    )
                )
            # The construct ID predates the statistic choice; it stays so that existing alarms are not replaced.
            specs += [
                (
                    "P99Latency",
                    self.metric_model_latency(name, statistic=latency_statistic),
                    threshold_latency.to_milliseconds() * 1000,
                    f"model latency ({latency_statistic}) above %s microseconds",
                ),
            ]
            if isinstance(variant, ProductionVariant):
                specs.append(
                    (
                        "DiskUtilization",
                        self.metric_disk_utilization(name),
                        disk_utilization_percent,
                        "disk utilization above %s%% (data capture stops when the disk fills up)",
                    )
                )
            for suffix, metric, threshold, text in specs:
                alarm = cloudwatch.Alarm(
                    scope,
                    f"{name}-{suffix}",
                    metric=metric,
                    threshold=threshold,
                    evaluation_periods=evaluation_periods,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    alarm_description=f"SageMaker endpoint {self._fixed_name} variant {name}: "
                    + text % f"{threshold:g}",
                )
                if action is not None:
                    alarm.add_alarm_action(action)
                    alarm.add_ok_action(action)
                created.append(alarm)
        self.alarms.extend(created)
        return created

    def _all_variants(self) -> list[Variant]:
        return [*self._variants, *([self._shadow] if self._shadow else [])]

    @property
    def kind(self) -> EndpointKind:
        """The endpoint's kind as far as CloudWatch metrics go: asynchronous, or real-time (whose serverless
        variants publish the serverless metrics, see ``variant_kind``)."""
        return EndpointKind.ASYNCHRONOUS if self._async_inference is not None else EndpointKind.REAL_TIME

    @checked_arguments
    def variant_kind(self, variant_name: str) -> EndpointKind:
        """Which documented metric set a variant publishes (``endpoint_metrics.DOCUMENTED_METRICS``)."""
        if self._async_inference is not None:
            return EndpointKind.ASYNCHRONOUS
        variant = self.variant(variant_name).variant
        return EndpointKind.SERVERLESS if isinstance(variant, ServerlessVariant) else EndpointKind.REAL_TIME

    def _warn_if_percentile(self, statistic: str) -> None:
        if isinstance(statistic, str) and is_percentile(statistic):
            Annotations.of(self).add_warning_v2(
                "sagemaker-constructs:UndocumentedLatencyStatistic",
                f"Latency alarms use {statistic!r}: AWS documents only Average, Sum, Minimum, Maximum and "
                "SampleCount for ModelLatency (https://docs.aws.amazon.com/sagemaker/latest/dg/"
                "monitoring-cloudwatch.html). If CloudWatch has no percentile data, the alarm never fires.",
            )

    def _validate(
        self,
        variants: Sequence[Variant],
        shadow: Variant | None,
        data_capture: DataCapture | None,
        deployment: DeploymentGuardrails | None,
        kms_key: kms.IKey | None,
        endpoint_name: str | None,
        async_inference: AsyncInference | None,
    ) -> None:
        errors = ValidationErrors(f"Endpoint '{self.node.path}'")
        errors.check_name("endpoint_name", endpoint_name, ENDPOINT_NAME_PATTERN, 63)
        if isinstance(variants, ProductionVariant | ServerlessVariant):
            errors.add("'variants' must be a list of variants, got a single variant; wrap it in [...]")
            errors.raise_if_any()
        if not 1 <= len(variants) <= MAX_VARIANTS:
            errors.add(f"'variants' must hold 1-{MAX_VARIANTS} production variants, got {len(variants)}")
        for index, v in enumerate(variants):
            v.validate(errors, f"variants[{index}]")
        if shadow is not None:
            shadow.validate(errors, "shadow_variant")
            if len(variants) != 1:
                errors.add(f"'shadow_variant' needs exactly one production variant, got {len(variants)}")
        names = [v.name for v in [*variants, *([shadow] if shadow else [])]]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            errors.add(
                f"variant names must be unique across production and shadow variants, got duplicates {duplicates}"
            )
        weights = [v.weight for v in variants if not is_token(v.weight)]
        if variants and len(weights) == len(variants) and sum(weights) <= 0:
            errors.add(f"the production variants' weights must add up to more than 0, got {weights}")
        all_variants = [*variants, *([shadow] if shadow else [])]
        has_serverless = any(isinstance(v, ServerlessVariant) for v in all_variants)
        if kms_key is not None:
            # Allowed with serverless variants (AWS's serverless endpoint-config example passes KmsKeyId) and
            # with local-NVMe instance types: "the KmsKeyId parameter does not encrypt instance local storage",
            # which "a hardware module on the instance" encrypts (botocore's SageMaker model, CreateEndpointConfig
            # KmsKeyId; older text said the call fails). Only a warning for the latter: the key protects nothing.
            local = sorted(
                {
                    v.resolved_instance_type.name
                    for v in all_variants
                    if isinstance(v, ProductionVariant) and v.resolved_instance_type.has_local_storage
                }
            )
            if local:
                Annotations.of(self).add_warning_v2(
                    "sagemaker-constructs:KmsKeyOnLocalStorage",
                    f"'kms_key' does not encrypt the local NVMe storage of {local}: SageMaker encrypts it with a "
                    "hardware module on the instance (CreateEndpointConfig, KmsKeyId).",
                )
        _validate_feature_exclusions(errors, variants, shadow, data_capture)
        if data_capture is not None:
            data_capture.validate(errors)
        if deployment is not None:
            counts = [v.instance_count for v in variants if isinstance(v, ProductionVariant)]
            deployment.validate(errors, counts, len(variants), has_serverless)
        if async_inference is not None:
            async_inference.validate(errors)
            _validate_async_exclusions(errors, variants, shadow, data_capture)
        errors.raise_if_any()

    def _render_variant(self, v: Variant) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        if isinstance(v, ServerlessVariant):
            return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=v.name,
                model_name=v.model.model_name,
                initial_variant_weight=v.weight,
                serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                    memory_size_in_mb=int(v.memory_size.to_mebibytes()),
                    max_concurrency=v.max_concurrency,
                    provisioned_concurrency=v.provisioned_concurrency,
                ),
            )
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=v.name,
            model_name=v.model.model_name,
            instance_type=v.resolved_instance_type.name,
            initial_instance_count=v.instance_count,
            initial_variant_weight=v.weight,
            volume_size_in_gb=int(v.volume_size.to_gibibytes()) if v.volume_size else None,
            model_data_download_timeout_in_seconds=(
                int(v.model_data_download_timeout.to_seconds()) if v.model_data_download_timeout else None
            ),
            container_startup_health_check_timeout_in_seconds=(
                int(v.container_startup_health_check_timeout.to_seconds())
                if v.container_startup_health_check_timeout
                else None
            ),
            routing_config=(
                sagemaker.CfnEndpointConfig.RoutingConfigProperty(routing_strategy=v.routing_strategy.value)
                if v.routing_strategy
                else None
            ),
            enable_ssm_access=v.enable_ssm_access,
        )

    def _data_capture_config(
        self, capture: DataCapture
    ) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty:
        bucket, kms_key = _model_output.resolve_bucket(
            self,
            "DataCaptureBucket",
            description="SageMaker endpoint data capture",
            bucket=capture.bucket,
            kms_key=capture.kms_key,
            expiration=capture.expiration,
            removal_policy=capture.removal_policy,
        )
        self.data_capture_bucket = bucket
        self.data_capture_key = kms_key
        # SageMaker writes captured data with the execution role of each variant's model.
        _model_output.grant_model_roles(
            self,
            [(v.name, v.model) for v in self._all_variants()],
            bucket=bucket,
            prefixes=[capture.prefix],
            actions=["s3:PutObject"],
            key=kms_key,
            key_actions=["kms:Encrypt", "kms:GenerateDataKey"],
            warning_id="sagemaker-constructs:DataCaptureRoleUnknown",
            feature="data capture",
            reason="SageMaker writes one object per capture file under the data capture prefix; the role may "
            "only put objects there.",
        )
        content_types = None
        if capture.csv_content_types or capture.json_content_types:
            content_types = sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                csv_content_types=list(capture.csv_content_types) or None,
                json_content_types=list(capture.json_content_types) or None,
            )
        return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            enable_capture=capture.enabled,
            initial_sampling_percentage=capture.sampling_percentage,
            destination_s3_uri=bucket.s3_url_for_object(capture.prefix),
            capture_options=[
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=m)
                for m in capture.capture_modes
            ],
            capture_content_type_header=content_types,
            kms_key_id=kms_key.key_arn if kms_key else None,
        )

    def _async_inference_config(
        self, settings: AsyncInference
    ) -> sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty:
        bucket, kms_key = _model_output.resolve_bucket(
            self,
            "AsyncInferenceBucket",
            description="SageMaker asynchronous inference responses",
            bucket=settings.bucket,
            kms_key=settings.kms_key,
            expiration=settings.expiration,
            removal_policy=settings.removal_policy,
        )
        self.async_output_bucket = bucket
        self.async_output_key = kms_key
        models = [(v.name, v.model) for v in self._all_variants()]
        # SageMaker writes responses and failures, and publishes notifications, as each variant's model role.
        _model_output.grant_model_roles(
            self,
            models,
            bucket=bucket,
            prefixes=settings.prefixes,
            # Responses of up to 1 GB may be uploaded in parts; an aborted upload must be cleaned up (the async
            # prerequisites page grants s3:AbortMultipartUpload). A multipart upload to a KMS-encrypted bucket also
            # needs kms:Decrypt: S3 decrypts the data key to assemble the parts ("Multipart upload API and
            # permissions", https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions;
            # https://repost.aws/knowledge-center/s3-large-file-encryption-kms-key).
            actions=["s3:PutObject", "s3:AbortMultipartUpload"],
            key=kms_key,
            key_actions=["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
            warning_id="sagemaker-constructs:AsyncInferenceRoleUnknown",
            feature="asynchronous inference",
            reason="SageMaker names each asynchronous response and failure object at run time, under its prefix; "
            "the role may only put objects there.",
        )
        if settings.input_prefix is not None:
            _model_output.grant_model_roles(
                self,
                models,
                bucket=bucket,
                prefixes=[settings.input_prefix],
                actions=["s3:GetObject"],
                key=kms_key,
                key_actions=["kms:Decrypt"],
                warning_id="sagemaker-constructs:AsyncInferenceRoleUnknown",
                feature="asynchronous inference",
                reason="Callers name each asynchronous request object; the role may only read objects under "
                "the request prefix.",
            )
        for _, model in models:
            if model.role is not None:
                for topic in settings.topics:
                    _grant_publish(topic, model.role)
        notifications = None
        if settings.topics:
            notifications = sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                success_topic=settings.success_topic.topic_arn if settings.success_topic else None,
                error_topic=settings.error_topic.topic_arn if settings.error_topic else None,
                include_inference_response_in=[e.value for e in settings.include_inference_response_in]
                or None,
            )
        return sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
            output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                s3_output_path=bucket.s3_url_for_object(settings.output_prefix),
                s3_failure_path=(
                    bucket.s3_url_for_object(settings.failure_prefix) if settings.failure_prefix else None
                ),
                kms_key_id=kms_key.key_arn if kms_key else None,
                notification_config=notifications,
            ),
            client_config=(
                sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                    max_concurrent_invocations_per_instance=settings.max_concurrent_invocations_per_instance
                )
                if settings.max_concurrent_invocations_per_instance is not None
                else None
            ),
        )

    def _deployment_config(
        self, deployment: DeploymentGuardrails
    ) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
        rollback = deployment.auto_rollback
        self._rollback_alarms.extend(rollback.alarms)
        if rollback.creates_default_alarms:
            self._warn_if_percentile(rollback.latency_statistic)
            self._rollback_alarms.extend(
                self._create_rollback_alarms(
                    rollback.error_rate_percent, rollback.latency_threshold, rollback.latency_statistic
                )
            )
        # Rendered at synth so that add_rollback_alarm() can append alarms built on this endpoint's metrics.
        auto_rollback = Lazy.any(_Producer(self._render_rollback_alarms))
        timeout = deployment.max_execution_timeout
        timeout_seconds = int(timeout.to_seconds()) if timeout else None
        wait_seconds = int(deployment.wait.to_seconds()) if deployment.wait else None
        if deployment.is_rolling:
            assert deployment.size is not None
            return sagemaker.CfnEndpoint.DeploymentConfigProperty(
                auto_rollback_configuration=auto_rollback,
                rolling_update_policy=sagemaker.CfnEndpoint.RollingUpdatePolicyProperty(
                    maximum_batch_size=_capacity(deployment.size),
                    wait_interval_in_seconds=wait_seconds or 0,
                    maximum_execution_timeout_in_seconds=timeout_seconds,
                    rollback_maximum_batch_size=(
                        _capacity(deployment.rollback_batch_size) if deployment.rollback_batch_size else None
                    ),
                ),
            )
        assert deployment.traffic_shift is not None
        shift = deployment.traffic_shift.value
        return sagemaker.CfnEndpoint.DeploymentConfigProperty(
            auto_rollback_configuration=auto_rollback,
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                    type=shift,
                    wait_interval_in_seconds=wait_seconds,
                    canary_size=_capacity(deployment.size) if shift == "CANARY" and deployment.size else None,
                    linear_step_size=_capacity(deployment.size)
                    if shift == "LINEAR" and deployment.size
                    else None,
                ),
                termination_wait_in_seconds=(
                    int(deployment.termination_wait.to_seconds()) if deployment.termination_wait else None
                ),
                maximum_execution_timeout_in_seconds=timeout_seconds,
            ),
        )

    def _create_rollback_alarms(
        self, error_rate_percent: float | None, model_latency: Duration | None, latency_statistic: str
    ) -> list[cloudwatch.Alarm]:
        # The alarms watch the endpoint by its synth-time name, so they exist before the endpoint that names
        # them in its AutoRollbackConfiguration (no dependency cycle).
        names = [v.name for v in self._variants]
        created: list[cloudwatch.Alarm] = []
        if error_rate_percent is not None and self._async_inference is not None:
            # Asynchronous endpoints publish no Invocations; Invocation5XXErrors is 1 or 0 per request, so its
            # Average is the error rate (async-inference-monitor: "For each 5xx response, 1 is sent; otherwise, 0").
            (only,) = names
            rate = cloudwatch.MathExpression(
                expression="100 * e0",
                using_metrics={"e0": self.metric("Invocation5XXErrors", only, statistic="Average")},
                label="5XX error rate (%)",
                period=Duration.minutes(1),
            )
            created.append(self._rollback_alarm("RollbackErrorRateAlarm", rate, error_rate_percent,
                                                f"5XX error rate above {error_rate_percent:g}%"))  # fmt: skip
        elif error_rate_percent is not None:
            errors = " + ".join(f"e{i}" for i in range(len(names)))
            invocations = " + ".join(f"i{i}" for i in range(len(names)))
            using: dict[str, cloudwatch.IMetric] = {}
            for i, name in enumerate(names):
                using[f"e{i}"] = self.metric_invocation_5xx_errors(name)
                using[f"i{i}"] = self.metric_invocations(name)
            rate = cloudwatch.MathExpression(
                expression=f"100 * ({errors}) / ({invocations})",
                using_metrics=using,
                label="5XX error rate (%) over production variants",
                period=Duration.minutes(1),
            )
            created.append(self._rollback_alarm("RollbackErrorRateAlarm", rate, error_rate_percent,
                                                f"5XX error rate above {error_rate_percent:g}%"))  # fmt: skip
        if model_latency is not None:
            threshold = model_latency.to_milliseconds() * 1000
            latency: cloudwatch.IMetric
            if len(names) == 1:
                latency = self.metric_model_latency(names[0], statistic=latency_statistic)
            else:
                latency = cloudwatch.MathExpression(
                    expression="MAX([" + ", ".join(f"l{i}" for i in range(len(names))) + "])",
                    using_metrics={
                        f"l{i}": self.metric_model_latency(n, statistic=latency_statistic)
                        for i, n in enumerate(names)
                    },
                    label=f"highest {latency_statistic} ModelLatency over production variants (microseconds)",
                    period=Duration.minutes(1),
                )
            created.append(self._rollback_alarm("RollbackLatencyAlarm", latency, threshold,
                                                f"model latency ({latency_statistic}) above {threshold:g} "
                                                "microseconds"))  # fmt: skip
        self.alarms.extend(created)
        return created

    def _rollback_alarm(
        self, construct_id: str, metric: cloudwatch.IMetric, threshold: float, text: str
    ) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"Rolls back deployments of SageMaker endpoint {self._fixed_name}: {text}",
        )

    def _add_scaling(
        self,
        variant_name: str,
        min_capacity: int,
        max_capacity: int,
        *,
        dimension: str = INSTANCE_COUNT_DIMENSION,
    ) -> ScalableVariant:
        variant = self.variant(variant_name).variant
        scaling = ScalableVariant(
            self,
            f"AutoScaling-{variant_name}",
            endpoint=self,
            variant_name=variant_name,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            scalable_dimension=dimension,
            instance_type=(
                variant.resolved_instance_type.name if isinstance(variant, ProductionVariant) else None
            ),
        )
        self._scaled[variant_name] = scaling
        # A CloudFormation update would otherwise reset scaled instance counts to InitialInstanceCount; keep
        # them, but still apply the weights of the new config.
        self.resource.retain_all_variant_properties = True
        self.resource.exclude_retained_variant_properties = [
            sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredWeight")
        ]
        return scaling


@jsii.implements(IStableAnyProducer)
class _Producer:
    def __init__(self, produce: Callable[[], object]) -> None:
        self._produce = produce

    def produce(self) -> object:
        return self._produce()


@jsii.implements(IValidation)
class _RollbackAlarmLimit:
    def __init__(self, alarms: list[cloudwatch.IAlarm]) -> None:
        self._alarms = alarms

    def validate(self) -> list[str]:
        if len(self._alarms) > 10:
            return [f"an endpoint takes at most 10 rollback alarms, got {len(self._alarms)}"]
        return []


def _validate_feature_exclusions(
    errors: ValidationErrors,
    variants: Sequence[Variant],
    shadow: Variant | None,
    data_capture: DataCapture | None,
) -> None:
    """SageMaker features that do not combine: Serverless Inference's feature exclusions (multiple variants,
    data capture, multi-model and multi-container endpoints, VPC, network isolation;
    https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html) and shadow tests' exclusions
    (multi-model and multi-container endpoints, asynchronous inference;
    "Shadow tests" exclusions, https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests.html)."""
    all_variants = [*variants, *([shadow] if shadow else [])]
    serverless = [v.name for v in all_variants if isinstance(v, ServerlessVariant)]
    if serverless:
        if len(all_variants) > 1:
            errors.add(
                f"serverless variants {serverless} must be the endpoint's only variant (Serverless Inference "
                f"supports neither multiple production variants nor shadow tests), got {len(all_variants)} variants"
            )
        if data_capture is not None:
            errors.add(
                f"'data_capture' is not supported by Serverless Inference, got serverless variants {serverless}"
            )
    for v in all_variants:
        model = v.model
        pipeline = (getattr(model, "container_count", None) or 1) > 1
        if isinstance(v, ServerlessVariant):
            for feature, used in (
                ("a multi-model container", model.is_multi_model),
                ("an inference pipeline (several containers)", pipeline),
                ("a VPC", getattr(model, "in_vpc", False)),
                ("network isolation", getattr(model, "network_isolation", False)),
            ):
                if used:
                    errors.add(f"serverless variant {v.name!r} cannot serve a model with {feature}")
        if shadow is not None and (model.is_multi_model or pipeline):
            errors.add(
                f"shadow tests do not support multi-model or multi-container endpoints, got variant {v.name!r}"
            )


def _validate_async_exclusions(
    errors: ValidationErrors,
    variants: Sequence[Variant],
    shadow: Variant | None,
    data_capture: DataCapture | None,
) -> None:
    """What an asynchronous endpoint cannot combine with, each with its source. Shadow tests exclude asynchronous
    inference (shadow-tests-exclusions). Data capture is documented for real-time endpoints and batch transform
    jobs only ("You can implement Data Capture for both real-time and batch model-monitor modes",
    https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html). Several variants: botocore's
    sagemaker-runtime model gives InvokeEndpointAsync no ``TargetVariant`` (InvokeEndpoint has one), and the
    backlog metrics that scale an asynchronous endpoint (async-inference-monitor) are per endpoint, not per
    variant, so a second variant could be neither addressed nor scaled; no AWS page documents the combination. Deployment guardrails are allowed: "Deployment guardrails only apply to
    Asynchronous inference and Real-time inference"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html)."""
    serverless = [v.name for v in variants if isinstance(v, ServerlessVariant)]
    if serverless:
        errors.add(
            f"'async_inference' needs instance-based ProductionVariants (asynchronous endpoints queue requests "
            f"for instances), got serverless variants {serverless}"
        )
    if len(variants) > 1:
        errors.add(
            "'async_inference' needs exactly one production variant (InvokeEndpointAsync has no TargetVariant in "
            f"botocore's sagemaker-runtime model, and the backlog metrics are per endpoint), got {len(variants)}"
        )
    if shadow is not None:
        errors.add(
            f"'async_inference' cannot be combined with 'shadow_variant' (SageMaker shadow tests exclude "
            f"asynchronous inference), got shadow variant {shadow.name!r}"
        )
    if data_capture is not None:
        errors.add(
            "'async_inference' cannot be combined with 'data_capture' (SageMaker documents data capture for "
            "real-time endpoints and batch transform jobs only: model-monitor-data-capture), got "
            "data_capture=DataCapture(...); use data_capture=None"
        )


def _grant_publish(topic: sns.ITopic, role: iam.IRole) -> None:
    iam.Grant.add_to_principal(grantee=role, actions=["sns:Publish"], resource_arns=[topic.topic_arn])
    # An encrypted topic needs the publisher to use its key: exactly the two actions SNS asks for.
    if topic.master_key is not None:
        topic.master_key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")


def _capacity(size: CapacitySize) -> sagemaker.CfnEndpoint.CapacitySizeProperty:
    return sagemaker.CfnEndpoint.CapacitySizeProperty(type=size.unit.value, value=size.value)


class _ImportedEndpoint(EndpointBase):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        endpoint_name: str,
        data_capture_enabled: bool | None,
        endpoint_arn: str | None = None,
        *,
        capture_destination: CaptureDestination | None = None,
    ) -> None:
        super().__init__(scope, construct_id, environment_from_arn=endpoint_arn)
        errors = ValidationErrors(f"imported Endpoint '{self.node.path}'")
        errors.check_name("endpoint_name", endpoint_name, ENDPOINT_NAME_PATTERN, 63)
        if capture_destination is not None and data_capture_enabled is False:
            errors.add(
                "'capture_destination' says where the endpoint captures its traffic, but "
                "'data_capture_enabled' is False: give one or the other"
            )
        errors.raise_if_any()
        self._name = endpoint_name
        self._arn = endpoint_arn
        self._capture_destination = capture_destination
        self._data_capture_enabled = True if capture_destination is not None else data_capture_enabled

    @property
    def endpoint_name(self) -> str:
        return self._name

    @property
    def endpoint_arn(self) -> str:
        if self._arn is not None:
            return self._arn
        # SageMaker lower-cases endpoint names in ARNs (ARNs of endpoints with upper-case names do not match the
        # EndpointName metric dimension: prometheus-community/yet-another-cloudwatch-exporter PR #1178).
        name = self._name if is_token(self._name) else self._name.lower()
        return Stack.of(self).format_arn(service="sagemaker", resource="endpoint", resource_name=name)

    @property
    def data_capture_enabled(self) -> bool | None:
        return self._data_capture_enabled

    @property
    def capture_destination(self) -> CaptureDestination | None:
        return self._capture_destination
