"""``Endpoint``: a real-time or asynchronous SageMaker endpoint with its endpoint config, data capture,
guardrails and scaling.

``IEndpoint``, ``EndpointBase`` (``endpoint_base``) and ``EndpointVariant`` (``endpoint_variant``) are
re-exported here: ``from sagemaker_constructs.hosting.endpoint import IEndpoint`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Names
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_constructs._internal.arns import name_from_arn
from sagemaker_constructs._internal.validation import (
    ENDPOINT_NAME_PATTERN,
    ValidationError,
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
)

from . import _endpoint_config, _guardrails, _operational_alarms
from ._endpoint_config import MAX_VARIANTS as MAX_VARIANTS
from .async_inference import AsyncInference
from .autoscaling import INSTANCE_COUNT_DIMENSION, ScalableVariant, ScalingMetrics
from .data_capture import CaptureDestination, DataCapture
from .deployment import DeploymentGuardrails
from .endpoint_base import EndpointBase as EndpointBase
from .endpoint_base import IEndpoint as IEndpoint
from .endpoint_base import _ImportedEndpoint
from .endpoint_metrics import DEFAULT_LATENCY_STATISTIC, EndpointKind
from .endpoint_metrics import (
    INSTANCE_NAMESPACE as INSTANCE_NAMESPACE,  # re-exported: public since 0.1
)
from .endpoint_metrics import INVOCATION_NAMESPACE as INVOCATION_NAMESPACE
from .endpoint_variant import EndpointVariant as EndpointVariant
from .variants import ProductionVariant, ServerlessVariant, Variant

__all__ = [
    "INSTANCE_NAMESPACE",
    "INVOCATION_NAMESPACE",
    "MAX_VARIANTS",
    "Endpoint",
    "EndpointBase",
    "EndpointVariant",
    "IEndpoint",
]


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
        _endpoint_config.validate_endpoint(
            self, variants, shadow_variant, data_capture, deployment, kms_key, endpoint_name, async_inference
        )
        self._variants = list(variants)
        self._shadow = shadow_variant
        self._data_capture = data_capture
        self._async_inference = async_inference

        self._fixed_name = endpoint_name or Names.unique_resource_name(self, max_length=63, separator="-")
        self._scaled: dict[str, ScalableVariant] = {}
        self._retain_weights = False
        self._handles: dict[str, EndpointVariant] = {}
        self.alarms: list[cloudwatch.Alarm] = []
        """Alarms created by this endpoint (rollback and operational)."""
        self._rollback_alarms: list[cloudwatch.IAlarm] = []
        self._deployment = deployment
        self.node.add_validation(_guardrails.RollbackAlarmLimit(self._rollback_alarms))

        self.data_capture_bucket: s3.IBucket | None = None
        """The bucket receiving captured data, when data capture is on."""
        self.data_capture_key: kms.IKey | None = None
        """The key encrypting captured data, when known."""
        data_capture_config = None
        if data_capture is not None:
            data_capture_config, self.data_capture_bucket, self.data_capture_key = (
                _endpoint_config.data_capture_config(self, data_capture, self._all_variants())
            )

        self.async_output_bucket: s3.IBucket | None = None
        """The bucket receiving asynchronous responses and failures, when the endpoint is asynchronous."""
        self.async_output_key: kms.IKey | None = None
        """The key encrypting asynchronous responses, when known."""
        async_config = None
        if async_inference is not None:
            async_config, self.async_output_bucket, self.async_output_key = (
                _endpoint_config.async_inference_config(self, async_inference, self._all_variants())
            )

        self.config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[_endpoint_config.render_variant(v) for v in self._variants],
            shadow_production_variants=[_endpoint_config.render_variant(shadow_variant)]
            if shadow_variant
            else None,
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
        if deployment is not None and self._rollback_alarms:
            self._describe_alarms = iam.PolicyStatement(
                actions=["cloudwatch:DescribeAlarms"], resources=[a.alarm_arn for a in self._rollback_alarms]
            )
            _guardrails.grant_describe_rollback_alarms(
                self, self._describe_alarms, self._all_variants(), self.resource
            )

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
        capture_destination: CaptureDestination | None = None,
    ) -> IEndpoint:
        """Import an endpoint created elsewhere by its ARN (``arn:aws:sagemaker:<region>:<account>:endpoint/<name>``).

        The ARN is used as given (``grant_invoke``, API Gateway); its account and region become the import's
        ``env``. The name is read from the ARN, where SageMaker writes it in lower case, while CloudWatch
        dimensions keep the name's case: import an endpoint whose name has upper-case letters with
        ``from_endpoint_attributes()`` so that its metrics and monitors find it.

        :param data_capture_enabled: whether it captures its traffic (monitors check it).
            Default: - True with a ``capture_destination``, else unknown.
        :param capture_destination: where it captures its traffic, so that monitors and
            ``grant_read_captured_data`` can read it as they read a created endpoint's. Default: - unknown.
        """
        errors = ValidationErrors(f"imported Endpoint '{scope.node.path}/{construct_id}'")
        name = name_from_arn(errors, "endpoint_arn", endpoint_arn, "endpoint")
        errors.check_name("endpoint_arn", name or None, ENDPOINT_NAME_PATTERN, 63)
        errors.raise_if_any()
        return _ImportedEndpoint(
            scope,
            construct_id,
            name,
            data_capture_enabled,
            endpoint_arn,
            capture_destination=capture_destination,
        )

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
        """One alarm per kind over the production and shadow variants: 5XX error rate, model latency and, over
        the instance variants, disk utilization (data capture stops silently when the disk fills up).

        Each alarm's metric is the highest of the variants' values (metric math ``MAX([v0, v1, ...])``), so it
        fires when any variant breaches for ``evaluation_periods`` consecutive minutes (not necessarily the same
        variant each minute); its description names the variants. An endpoint with one variant gets that
        variant's own metric. CloudWatch allows at most 10 metrics per alarm: the error rate takes two per
        variant (errors and invocations), so an endpoint with more than 5 variants gets one error-rate alarm per
        group of 5 (construct IDs ``ErrorRate-1``, ``ErrorRate-2``, ...); latency and disk take one per variant
        and are split the same way past 10 variants (10 production variants and a shadow).

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
        created = _operational_alarms.create_operational_alarms(
            self,
            self._all_variants(),
            is_async=self._async_inference is not None,
            error_rate_percent=error_rate_percent,
            model_latency=model_latency,
            latency_statistic=latency_statistic,
            p99_model_latency=p99_model_latency,
            disk_utilization_percent=disk_utilization_percent,
            evaluation_periods=evaluation_periods,
            action=action,
        )
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

    def _deployment_config(
        self, deployment: DeploymentGuardrails
    ) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
        rollback = deployment.auto_rollback
        self._rollback_alarms.extend(rollback.alarms)
        if rollback.creates_default_alarms:
            _guardrails.warn_if_percentile(self, rollback.latency_statistic)
            created = _guardrails.create_rollback_alarms(
                self,
                [v.name for v in self._variants],
                is_async=self._async_inference is not None,
                error_rate_percent=rollback.error_rate_percent,
                model_latency=rollback.latency_threshold,
                latency_statistic=rollback.latency_statistic,
            )
            self.alarms.extend(created)
            self._rollback_alarms.extend(created)
        # Rendered at synth so that add_rollback_alarm() can append alarms built on this endpoint's metrics.
        return _guardrails.render_deployment_config(
            deployment, _guardrails.lazy(self._render_rollback_alarms)
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
        is_async = self._async_inference is not None
        scaling = ScalableVariant(
            self,
            f"AutoScaling-{variant_name}",
            # endpoint_name is a GetAtt: the target waits for the endpoint.
            resource_id=f"endpoint/{self.endpoint_name}/variant/{variant_name}",
            synth_time_resource_id=f"endpoint/{self._fixed_name}/variant/{variant_name}",
            variant_name=variant_name,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            scalable_dimension=dimension,
            is_async=is_async,
            metrics=ScalingMetrics(
                cpu_utilization=self.metric_cpu_utilization(variant_name),
                backlog_size_per_instance=self.metric_approximate_backlog_size_per_instance()
                if is_async
                else None,
                has_backlog_without_capacity=self.metric_has_backlog_without_capacity() if is_async else None,
            ),
            instance_type=(
                variant.resolved_instance_type.name if isinstance(variant, ProductionVariant) else None
            ),
        )
        if scaling.pause is not None:
            self.resource.node.add_dependency(scaling.pause)
        self._scaled[variant_name] = scaling
        _endpoint_config.render_retention(self.resource, scaled=True, weights=self._retain_weights)
        return scaling

    def retain_variant_weights(self) -> bool:
        """Keep the variants' current weights across CloudFormation updates, for weights set outside the stack
        (``BanditTrafficAllocation`` calls it).

        The endpoint then sets ``RetainAllVariantProperties`` without excluding ``DesiredWeight``; instance
        counts are retained only when some variant scales (as before), else excluded. Consequence: ``weight=``
        of a variant only applies when the endpoint is created; changing it in code no longer moves traffic.
        Always returns True (an imported endpoint returns False: its own stack decides).
        """
        self._retain_weights = True
        _endpoint_config.render_retention(self.resource, scaled=bool(self._scaled), weights=True)
        return True
