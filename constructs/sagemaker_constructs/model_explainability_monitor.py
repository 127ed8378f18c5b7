"""``ModelExplainabilityMonitor``: feature attribution (SHAP) drift with SageMaker Clarify."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Size, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from . import _nag
from ._monitor_base import MonitorBase
from ._validation import MODEL_NAME_PATTERN, ValidationErrors
from .batch_transform import BatchTransform
from .clarify_config import ExplainabilityAnalysisConfig, write_config_file
from .container_image import ContainerImage
from .endpoint import IEndpoint
from .monitoring_options import (
    Baseline,
    DatasetFormat,
    MonitoringSchedule,
    S3Source,
    validate_attribute,
    validate_transform_output_attributes,
)

ENDPOINT_NAMESPACE = "aws/sagemaker/Endpoints/explainability-metrics"
BATCH_NAMESPACE = "aws/sagemaker/ModelMonitoring/explainability-metrics"


class ModelExplainabilityMonitor(MonitorBase):
    """A feature attribution drift monitor (``AWS::SageMaker::ModelExplainabilityJobDefinition`` +
    ``MonitoringSchedule``).

    SageMaker Clarify computes global SHAP values of each window of captured data and compares them with the
    baseline. Kernel SHAP needs a predictor: by default the monitored endpoint itself (adding
    ``num_samples`` requests per analysed record, which you should size for), or a model served on a temporary
    shadow endpoint (``shadow_model_name``, which must be known at synth time).
    """

    monitoring_type = "ModelExplainability"
    image_framework = "clarify"
    image_version = "1.0"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        analysis_config: ExplainabilityAnalysisConfig | S3Source,
        endpoint: IEndpoint | None = None,
        batch_transform: BatchTransform | None = None,
        dataset_format: DatasetFormat | None = None,
        shadow_model_name: str | None = None,
        shadow_instance_type: str = "ml.m5.xlarge",
        features_attribute: str | None = None,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        baseline: Baseline | None = None,
        schedule: MonitoringSchedule | None = None,
        image: ContainerImage | None = None,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        volume_size: Size = Size.gibibytes(20),
        volume_kms_key: kms.IKey | None = None,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str | None = None,
        output_kms_key: kms.IKey | None = None,
        max_runtime: Duration = Duration.hours(1),
        environment: Mapping[str, str] | None = None,
        publish_cloudwatch_metrics: bool = True,
        role: iam.IRole | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        network_isolation: bool = False,
        inter_container_encryption: bool = True,
        notification_topic: sns.ITopic | None = None,
    ) -> None:
        """Define a feature attribution drift monitor.

        :param analysis_config: the Clarify config (headers, SHAP baseline...). A typed config gets its
            predictor filled in; an ``S3Source`` must name one itself.
        :param shadow_model_name: compute SHAP on a temporary endpoint of this model instead of the monitored
            endpoint; required for batch transforms. Default: - the monitored endpoint.
        :param shadow_instance_type: instance type of the shadow endpoint. Default: "ml.m5.xlarge"
        :param features_attribute: JSON path of the features in JSON records. Default: - CSV columns.
        :param inference_attribute: where the predicted label is. Default: - none.
        :param probability_attribute: where the probability is, e.g. "0". Default: - none.
        :param baseline: constraints from a Clarify baselining job (``analysis.json``). Default: - none.
        :param schedule: Default: ``MonitoringSchedule.daily()``
        (Other parameters as for ``DataQualityMonitor``.)
        """
        errors = ValidationErrors(f"ModelExplainabilityMonitor '{scope.node.path}/{construct_id}'")
        if isinstance(analysis_config, ExplainabilityAnalysisConfig):
            analysis_config.validate(errors)
            if batch_transform is not None and shadow_model_name is None:
                errors.add(
                    "'shadow_model_name' is required to explain a batch transform (Clarify needs a predictor, and "
                    "a batch transform has no endpoint)"
                )
        if shadow_model_name is not None and not Token.is_unresolved(shadow_model_name):
            errors.check_name("shadow_model_name", shadow_model_name, MODEL_NAME_PATTERN, 63)
        if shadow_model_name is not None and Token.is_unresolved(shadow_model_name):
            errors.add(
                "'shadow_model_name' must be known at synth time (the Clarify config is a static file): create the "
                "Model with model_name='<name>' and pass the same literal string here, got a token"
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
        self.analysis_config = analysis_config
        self._shadow_model_name = shadow_model_name
        self._shadow_instance_type = shadow_instance_type
        self._attributes = {
            "featuresAttribute": features_attribute,
            "inferenceAttribute": inference_attribute,
            "probabilityAttribute": probability_attribute,
        }
        super().__init__(
            scope, construct_id, endpoint=endpoint, batch_transform=batch_transform, dataset_format=dataset_format,
            schedule=schedule or MonitoringSchedule.daily(), baseline=baseline, image=image, instance_type=instance_type,
            instance_count=instance_count, volume_size=volume_size, volume_kms_key=volume_kms_key,
            output_bucket=output_bucket, output_prefix=output_prefix, output_kms_key=output_kms_key,
            max_runtime=max_runtime, environment=environment, publish_cloudwatch_metrics=publish_cloudwatch_metrics,
            role=role, vpc=vpc, vpc_subnets=vpc_subnets, security_groups=security_groups,
            network_isolation=network_isolation, inter_container_encryption=inter_container_encryption,
            notification_topic=notification_topic, errors=errors,
        )  # fmt: skip

    def _predictor(self) -> dict[str, Any]:
        if self._shadow_model_name is not None:
            return {
                "model_name": self._shadow_model_name,
                "instance_type": self._shadow_instance_type,
                "initial_instance_count": 1,
            }
        assert self.endpoint_name is not None
        if Token.is_unresolved(self.endpoint_name):
            raise ValueError(
                "the monitored endpoint's name must be known at synth time for the Clarify config: import it with "
                "a literal name, or pass 'shadow_model_name'"
            )
        return {"endpoint_name": self.endpoint_name}

    def _grant_predictor(self) -> None:
        if self._shadow_model_name is None:
            if self.endpoint is not None:
                self.endpoint.grant_invoke(self.role)
            return
        # Clarify serves the model on a temporary endpoint named with its "sm-clarify" prefix (the SDK's
        # default endpoint_name_prefix), calls it and deletes it.
        stack = Stack.of(self)
        shadow = [
            stack.format_arn(service="sagemaker", resource=kind, resource_name="sm-clarify-*")
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

    def _create_job_definition(self) -> Any:
        if isinstance(self.analysis_config, ExplainabilityAnalysisConfig):
            source = S3Source.from_asset(write_config_file(self.analysis_config.to_json(self._predictor())))
        else:
            source = self.analysis_config
        self._grant_predictor()
        app = {
            "imageUri": self._image_uri(),
            "configUri": source.bind(self, "AnalysisConfig", self.role),
            "environment": self._app_environment(),
        }
        job_input = (
            {"endpointInput": self._endpoint_input(**self._attributes)}
            if self.endpoint is not None
            else {"batchTransformInput": self._batch_input(**self._attributes)}
        )
        return sagemaker.CfnModelExplainabilityJobDefinition(
            self,
            "JobDefinition",
            model_explainability_app_specification=app,
            model_explainability_job_input=job_input,
            model_explainability_job_output_config=self._output_config(),
            job_resources=self._job_resources(),
            role_arn=self.role.role_arn,
            model_explainability_baseline_config=self._baseline_config(with_statistics=False),
            network_config=self._network_config(),
            stopping_condition=self._stopping_condition(),
        )

    @property
    def metric_namespace(self) -> str:
        """The namespace the metric methods use."""
        return ENDPOINT_NAMESPACE if self.endpoint is not None else BATCH_NAMESPACE

    def metric_feature_attribution(
        self, feature: str, *, label: str = "label0", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Global SHAP value of ``feature`` (``feature_<feature>``) for output ``label``.

        Dimensions ``Endpoint``, ``MonitoringSchedule``, ``ExplainabilityMethod`` (KernelShap), ``Label``,
        ``ValueType`` (GlobalShapValues). Statistic Average, period 1 hour.
        """
        dimensions = {
            "MonitoringSchedule": self.monitoring_schedule_name,
            "ExplainabilityMethod": "KernelShap",
            "Label": label,
            "ValueType": "GlobalShapValues",
        }
        if self.endpoint_name is not None:
            dimensions = {"Endpoint": self.endpoint_name, **dimensions}
        return cloudwatch.Metric(
            namespace=self.metric_namespace,
            metric_name=f"feature_{feature}",
            dimensions_map=dimensions,
            statistic="Average",
            period=period or self._metric_period(),
        )
