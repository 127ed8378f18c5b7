"""``IEndpoint`` and ``EndpointBase``: what created and imported endpoints share (grants, metrics, the capture
location), and the imported endpoint; as aws-lambda's ``function-base.ts`` beside ``function.ts``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import jsii
from aws_cdk import Duration, Resource, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.interfaces.aws_sagemaker import EndpointReference
from constructs import Construct

from sagemaker_constructs._internal.validation import (
    ENDPOINT_NAME_PATTERN,
    ValidationError,
    ValidationErrors,
    checked_arguments,
    is_token,
)

from .data_capture import CaptureDestination
from .endpoint_metrics import INSTANCE_NAMESPACE, INVOCATION_NAMESPACE, EndpointKind
from .variants import Variant


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

    def retain_variant_weights(self) -> bool:
        """Keep the variants' current weights across CloudFormation updates (weights set outside the stack, e.g.
        by ``BanditTrafficAllocation``); returns whether this construct's template does so.

        An imported endpoint's template is elsewhere: this returns False, and the endpoint's own stack must call
        ``retain_variant_weights()`` on it. ``Endpoint`` overrides it.
        """
        return False


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
