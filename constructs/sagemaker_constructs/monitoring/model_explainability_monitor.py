"""``ModelExplainabilityMonitor``: feature attribution (SHAP) drift with SageMaker Clarify."""

from __future__ import annotations

import hashlib
from typing import Any

from aws_cdk import Aws, Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.validation import (
    ENDPOINT_NAME_PATTERN,
    MODEL_NAME_PATTERN,
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
)
from sagemaker_constructs.batch.batch_transform import BatchTransform
from sagemaker_constructs.hosting.endpoint import IEndpoint

from ._monitor_base import MonitorBase
from ._open_backend import refuse
from .clarify_config import S3_OBJECT_URI, ExplainabilityAnalysisConfig, write_config_file
from .monitor_backend import MonitorBackend
from .monitor_props import MonitoringJob, MonitoringOutput, MonitorSource
from .monitoring_options import (
    Baseline,
    MonitoringSchedule,
    S3Source,
    validate_attribute,
    validate_clarify_constraints,
    validate_transform_output_attributes,
)

SHADOW_ENDPOINT_PREFIX = "sm-clarify"
"""Start of the default ``endpoint_name_prefix`` of Clarify's temporary shadow endpoints (Clarify's own default
prefix); each monitor appends a hash of its path, so its role may manage only its own shadow endpoints."""
SHADOW_ENDPOINT_PREFIX_MAX_LENGTH = 23
"""Longest ``endpoint_name_prefix`` accepted: Clarify appends its own suffix to reach an endpoint name (at most 63
characters, ``EndpointName`` in the SageMaker API). The analysis configuration page
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html, ``predictor``)
gives 23 and the ``EndpointName`` pattern; no offline copy confirmed the number (README, "What cannot be verified
offline"), so ``shadow_endpoint_name_prefix`` lets you choose another prefix."""
ENDPOINT_NAMESPACE = "aws/sagemaker/Endpoints/explainability-metrics"
BATCH_NAMESPACE = "aws/sagemaker/ModelMonitoring/explainability-metrics"


class ModelExplainabilityMonitor(MonitorBase):
    """A feature attribution drift monitor (``AWS::SageMaker::ModelExplainabilityJobDefinition`` +
    ``MonitoringSchedule``).

    SageMaker Clarify computes global SHAP values of each window of captured data and compares them with the
    baseline constraints. Kernel SHAP needs a predictor: Clarify serves the monitored model on a temporary
    shadow endpoint (``model_name`` in the config), calls it ``num_samples`` times per analysed record and
    deletes it. The production endpoint is never the predictor: it captures its traffic, so SHAP's synthetic
    requests would land in the data the data-quality monitor analyses, which AWS advises against
    (``endpoint_name`` in https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html).
    The model is the endpoint's variant with the highest weight, the transform's model, or ``shadow_model_name``;
    its name must be known at synth time (the config is a static file).
    """

    monitoring_type = "ModelExplainability"
    endpoint_metric_namespace = ENDPOINT_NAMESPACE
    batch_metric_namespace = BATCH_NAMESPACE
    metric_kind = "explainability"
    image_framework = "clarify"
    image_version = "1.0"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: MonitorSource,
        analysis_config: ExplainabilityAnalysisConfig | S3Source,
        shadow_model_name: str | None = None,
        shadow_instance_type: str = "ml.m5.xlarge",
        shadow_instance_count: int = 1,
        shadow_endpoint_name_prefix: str | None = None,
        invoke_monitored_endpoint: bool = False,
        features_attribute: str | None = None,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        baseline: Baseline | None = None,
        schedule: MonitoringSchedule | None = None,
        job: MonitoringJob = MonitoringJob(),
        output: MonitoringOutput = MonitoringOutput(),
        notification_topic: sns.ITopic | None = None,
        backend: MonitorBackend | None = None,
    ) -> None:
        """Define a feature attribution drift monitor.

        :param source: what to watch: ``MonitorSource.endpoint(endpoint)`` or
            ``MonitorSource.batch_transform(transform)``, with data capture.
        :param analysis_config: the Clarify config (headers, SHAP baseline...). A typed config gets its
            predictor filled in; an ``S3Source`` must name one itself.
        :param shadow_model_name: the model Clarify serves on its temporary shadow endpoint; required for an
            imported endpoint. Default: - the model of the endpoint's variant with the highest weight (the first
            on a tie), or the batch transform's model.
        :param shadow_instance_type: instance type of the shadow endpoint. Default: "ml.m5.xlarge"
        :param shadow_instance_count: instance count of the shadow endpoint. Default: 1
        :param shadow_endpoint_name_prefix: ``endpoint_name_prefix`` of the shadow endpoint (at most 23 letters,
            digits and hyphens); the role may create, invoke and delete only endpoints and endpoint configs whose
            names start with it, so keep it unique to this monitor. With an ``S3Source`` config, set it to the
            prefix your file names. Default: - "sm-clarify-" and 8 hex digits of a hash of the stack name and
            this monitor's construct path.
        :param invoke_monitored_endpoint: let the role invoke the monitored (production) endpoint, for an
            ``S3Source`` config whose predictor is that ``endpoint_name``. AWS advises against it: SHAP's
            synthetic requests land in the endpoint's captured data. Default: False - an ``S3Source`` config on
            an endpoint needs ``shadow_model_name`` (a shadow endpoint) or this explicit opt-in.
        :param features_attribute: JSON path of the features in JSON records. Default: - CSV columns.
        :param inference_attribute: where the predicted label is. Default: - none.
        :param probability_attribute: where the probability is, e.g. "0". Default: - none.
        :param baseline: constraints from a Clarify baselining job (``analysis.json``). Default: - none.
        :param schedule: Default: ``MonitoringSchedule.daily()``
        :param job: the processing job of each run (see ``MonitoringJob``): instances, runtime, role, image,
            network. Its ``max_runtime`` defaults to 1 hour.
            Default: ``MonitoringJob()``
        :param output: where the reports go (see ``MonitoringOutput``). Default: ``MonitoringOutput()`` - the
            stack's shared reports bucket, metrics published.
        :param notification_topic: receives failed executions. Default: - none.
        :param backend: where the executions run: Model Monitor or the open backend on SageMaker Processing
            (``MonitorBackend.processing()``). Default: ``MonitorBackend.model_monitor()``
        """
        check_argument_types(
            construct_path(scope, construct_id, "ModelExplainabilityMonitor"),
            ModelExplainabilityMonitor.__init__,
            locals(),
        )
        endpoint, batch_transform = source.monitored_endpoint, source.monitored_batch_transform
        errors = ValidationErrors(f"ModelExplainabilityMonitor '{scope.node.path}/{construct_id}'")
        if isinstance(analysis_config, ExplainabilityAnalysisConfig):
            analysis_config.validate(errors)
        _check_predictor_choice(
            errors,
            typed=isinstance(analysis_config, ExplainabilityAnalysisConfig),
            shadow_model_name=shadow_model_name,
            endpoint=endpoint,
            invoke_monitored_endpoint=invoke_monitored_endpoint,
        )
        shadow_model_name = _shadow_model_name(
            errors,
            shadow_model_name,
            endpoint,
            batch_transform,
            typed=isinstance(analysis_config, ExplainabilityAnalysisConfig),
        )
        errors.check_range("shadow_instance_count", shadow_instance_count, 1, None, integer=True)
        if shadow_endpoint_name_prefix is None:
            shadow_endpoint_name_prefix = _default_shadow_prefix(scope, construct_id)
        else:
            errors.check_name(
                "shadow_endpoint_name_prefix",
                shadow_endpoint_name_prefix,
                ENDPOINT_NAME_PATTERN,
                SHADOW_ENDPOINT_PREFIX_MAX_LENGTH,
            )
        for prop, value in (
            ("features_attribute", features_attribute),
            ("inference_attribute", inference_attribute),
            ("probability_attribute", probability_attribute),
        ):
            validate_attribute(errors, prop, value)
        validate_transform_output_attributes(
            errors,
            batch_transform,
            {"inference_attribute": inference_attribute, "probability_attribute": probability_attribute},
        )
        validate_clarify_constraints(errors, baseline, "explanations", "explainability")
        self.analysis_config = analysis_config
        self._shadow_model_name = shadow_model_name
        self._shadow_instance_type = shadow_instance_type
        self._shadow_instance_count = shadow_instance_count
        self.shadow_endpoint_name_prefix: str = shadow_endpoint_name_prefix
        """The ``endpoint_name_prefix`` of this monitor's Clarify shadow endpoints (the role's grants end in it)."""
        self._invoke_monitored_endpoint = invoke_monitored_endpoint
        self._attributes = {
            "featuresAttribute": features_attribute,
            "inferenceAttribute": inference_attribute,
            "probabilityAttribute": probability_attribute,
        }
        super().__init__(
            scope,
            construct_id,
            source=source,
            job=job,
            output=output,
            schedule=schedule or MonitoringSchedule.daily(),
            baseline=baseline,
            notification_topic=notification_topic,
            backend=backend,
            errors=errors,
        )

    def _predictor(self) -> dict[str, Any]:
        # What the SDK's ModelConfig(model_name=..., instance_type=..., instance_count=...,
        # endpoint_name_prefix=...) renders: Clarify creates the endpoint, named with the prefix, and deletes it.
        assert self._shadow_model_name is not None
        return {
            "model_name": self._shadow_model_name,
            "instance_type": self._shadow_instance_type,
            "initial_instance_count": self._shadow_instance_count,
            "endpoint_name_prefix": self.shadow_endpoint_name_prefix,
        }

    def _grant_shap_baseline(self) -> None:
        config = self.analysis_config
        if isinstance(config, ExplainabilityAnalysisConfig) and isinstance(config.shap_baseline, str):
            match = S3_OBJECT_URI.fullmatch(config.shap_baseline)
            assert match is not None  # validated
            iam.Grant.add_to_principal(
                grantee=self.role,
                actions=["s3:GetObject"],
                resource_arns=[f"arn:{Aws.PARTITION}:s3:::{match.group(1)}/{match.group(2)}"],
            )

    def _grant_predictor(self) -> None:
        if self._shadow_model_name is None:
            # A config from S3 whose predictor is the monitored endpoint, which the user opted in to
            # (_check_predictor_choice refuses it otherwise).
            if self.endpoint is not None and self._invoke_monitored_endpoint:
                self.endpoint.grant_invoke(self.role)
            return
        # Clarify serves the model on a temporary endpoint named with the config's endpoint_name_prefix, calls
        # it and deletes it (and its endpoint config). The grants end in this monitor's own prefix; SageMaker
        # ARNs carry names in lower case (as for the model below).
        stack = Stack.of(self)
        prefix = self.shadow_endpoint_name_prefix.lower()
        shadow = [
            stack.format_arn(service="sagemaker", resource=kind, resource_name=f"{prefix}*")
            for kind in ("endpoint", "endpoint-config")
        ]
        model_arn = stack.format_arn(
            service="sagemaker", resource="model", resource_name=self._shadow_model_name.lower()
        )
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=[
                "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint", "sagemaker:DescribeEndpoint",
                "sagemaker:InvokeEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:DeleteEndpointConfig",
                "sagemaker:DescribeEndpointConfig",
            ],
            resource_arns=shadow,
        )  # fmt: skip
        iam.Grant.add_to_principal(
            grantee=self.role, actions=["sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig"],
            resource_arns=[model_arn],
        )  # fmt: skip
        for arn in shadow:
            _nag.acknowledge_resource(
                self.role, arn, "Clarify names its temporary shadow endpoints at run time."
            )

    def _open_config(self) -> dict[str, Any]:
        config = self.analysis_config
        if not isinstance(config, ExplainabilityAnalysisConfig):
            refuse(
                self,
                "analysis_config",
                config,
                "the workflow writes Clarify's analysis_config.json itself: pass an "
                "ExplainabilityAnalysisConfig",
            )
        assert isinstance(config, ExplainabilityAnalysisConfig)
        # The Clarify step serves the model on a shadow endpoint (predictor.model_name) and reads the extracted
        # records, headerless CSV (dataset_type: clarify-processing-job-configure-analysis).
        self._grant_predictor()
        self._grant_shap_baseline()
        return {
            "analysisConfig": {"dataset_type": "text/csv", **config.to_json(self._predictor())},
            "featuresAttribute": self._attributes["featuresAttribute"],
            "inferenceAttribute": self._attributes["inferenceAttribute"],
            "probabilityAttribute": self._attributes["probabilityAttribute"],
        }

    def _create_job_definition(self) -> Any:
        if isinstance(self.analysis_config, ExplainabilityAnalysisConfig):
            source = S3Source.from_asset(write_config_file(self.analysis_config.to_json(self._predictor())))
        else:
            source = self.analysis_config
        self._grant_predictor()
        self._grant_shap_baseline()
        app = {
            "imageUri": self._image_uri(),
            "configUri": source.bind(self, "AnalysisConfig", self.role),
            "environment": self._app_environment(),
        }
        job_input = self._data_input(**self._attributes)
        return sagemaker.CfnModelExplainabilityJobDefinition(
            self,
            "JobDefinition",
            model_explainability_app_specification=app,
            model_explainability_job_input=job_input,
            model_explainability_job_output_config=self._output_config(),
            model_explainability_baseline_config=self._baseline_config(with_statistics=False),
            **self._job_props(),
        )

    @checked_arguments
    def metric_feature_attribution(
        self, feature: str, *, label: str = "label0", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Global SHAP value of ``feature`` (``feature_<feature>``) for output ``label``.

        Dimensions ``Endpoint``, ``MonitoringSchedule``, ``ExplainabilityMethod`` (KernelShap), ``Label``,
        ``ValueType`` (GlobalShapValues). Statistic Average, period 1 hour.
        """
        dimensions = self._schedule_dimensions(
            ExplainabilityMethod="KernelShap", Label=label, ValueType="GlobalShapValues"
        )
        return cloudwatch.Metric(
            namespace=self.metric_namespace,
            metric_name=f"feature_{feature}",
            dimensions_map=dimensions,
            statistic="Average",
            period=period or self._metric_period(),
        )


def _default_shadow_prefix(scope: Construct, construct_id: str) -> str:
    """``sm-clarify-`` and 8 hex digits of a hash of the stack name and construct path (19 characters)."""
    stack_name = Stack.of(scope).stack_name
    key = f"{'' if Token.is_unresolved(stack_name) else stack_name}/{scope.node.path}/{construct_id}"
    return f"{SHADOW_ENDPOINT_PREFIX}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _check_predictor_choice(
    errors: ValidationErrors,
    *,
    typed: bool,
    shadow_model_name: str | None,
    endpoint: IEndpoint | None,
    invoke_monitored_endpoint: bool,
) -> None:
    """The production endpoint is the predictor only when the user asks for it, with their own S3 config."""
    if invoke_monitored_endpoint and (typed or endpoint is None or shadow_model_name is not None):
        errors.add(
            "'invoke_monitored_endpoint' applies only to an S3Source 'analysis_config' on an endpoint without "
            "'shadow_model_name' (a typed config always uses a shadow endpoint), got True"
        )
    if not typed and shadow_model_name is None and endpoint is not None and not invoke_monitored_endpoint:
        errors.add(
            "an S3Source 'analysis_config' on an endpoint needs 'shadow_model_name' (the model its predictor "
            "serves on a shadow endpoint named with 'shadow_endpoint_name_prefix'), or "
            "'invoke_monitored_endpoint=True' if its predictor is the production endpoint, which AWS advises "
            "against (SHAP's synthetic requests land in the captured data), got neither"
        )


def _shadow_model_name(
    errors: ValidationErrors,
    explicit: str | None,
    endpoint: IEndpoint | None,
    batch_transform: BatchTransform | None,
    *,
    typed: bool,
) -> str | None:
    """The model Clarify serves on its shadow endpoint: explicit, or found through the public interfaces."""
    if not typed and explicit is None:
        return None  # a config from S3 names its own predictor
    name = explicit
    source = "'shadow_model_name'"
    if name is None and batch_transform is not None:
        name, source = _literal_model_name(batch_transform.model), "the batch transform's model name"
    variants = getattr(endpoint, "variants", None)
    if name is None and variants:
        # The champion: the first of the variants with the highest weight.
        _, best = max(enumerate(variants), key=lambda iv: (getattr(iv[1], "weight", 1.0), -iv[0]))
        name, source = (
            _literal_model_name(best.model),
            f"the model name of the endpoint's variant {best.name!r}",
        )
    if name is None:
        if typed:
            errors.add(
                "'shadow_model_name' is required for an imported endpoint: Clarify computes SHAP on a temporary "
                "endpoint of the model (not on the production endpoint, whose captured traffic it would pollute)"
            )
        return None
    if Token.is_unresolved(name):
        if typed or explicit is not None:
            errors.add(
                f"'shadow_model_name' must be known at synth time (the Clarify config is a static file), but "
                f"{source} is generated at deploy time: create the Model with model_name='<name>' or pass "
                "shadow_model_name='<name>', got a token"
            )
        return None
    errors.check_name("shadow_model_name", name, MODEL_NAME_PATTERN, 63)
    return name


def _literal_model_name(model: Any) -> str:
    """The model's name, as a literal when the model was given a fixed one.

    ``Model.model_name`` is a GetAtt (so consumers depend on the model); its ``resource`` holds the fixed
    name, if any.
    """
    name: str = model.model_name
    if Token.is_unresolved(name):
        fixed = getattr(getattr(model, "resource", None), "model_name", None)
        if isinstance(fixed, str) and not Token.is_unresolved(fixed):
            return fixed
    return name
