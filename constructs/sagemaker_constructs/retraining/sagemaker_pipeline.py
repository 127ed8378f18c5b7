"""``SageMakerPipeline``: a SageMaker Model Building Pipeline from a definition, and its imports and grants."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

import jsii
from aws_cdk import Duration, Names, Resource, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.interfaces.aws_sagemaker import PipelineReference
from constructs import Construct

from sagemaker_constructs._internal.arns import name_from_arn
from sagemaker_constructs._internal.validation import (
    ValidationError,
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
)

_PIPELINE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
METRIC_NAMESPACE = "AWS/Sagemaker/ModelBuildingPipeline"
"""Namespace of pipeline metrics (note the casing), dimension PipelineName."""


class IPipeline(sagemaker.IPipeline, Protocol):
    """A SageMaker pipeline, created by this library or imported.

    It is aws-cdk-lib's ``aws_sagemaker.IPipeline`` (so Scheduler's ``SageMakerStartPipelineExecution`` target
    takes it) with this library's grants and metrics.
    """

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to start executions."""
        ...

    def grant_read_executions(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list and describe executions."""
        ...


@jsii.implements(sagemaker.IPipeline)
class PipelineBase(Resource):
    """Grants and metrics shared by created and imported pipelines (an aws-cdk-lib ``Resource``)."""

    @property
    def pipeline_name(self) -> str:
        """The pipeline's name."""
        raise NotImplementedError

    @property
    def pipeline_arn(self) -> str:
        """The pipeline's ARN (SageMaker lower-cases the name in ARNs)."""
        name = self.pipeline_name
        return Stack.of(self).format_arn(
            service="sagemaker",
            resource="pipeline",
            resource_name=name if Token.is_unresolved(name) else name.lower(),
        )

    @property
    def pipeline_ref(self) -> PipelineReference:
        """A reference to this pipeline for aws-cdk-lib's ``IPipelineRef`` consumers."""
        return PipelineReference(pipeline_name=self.pipeline_name)

    def grant_start_pipeline_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """``sagemaker:StartPipelineExecution`` on this pipeline only (aws-cdk-lib's ``IPipeline`` name of
        ``grant_start_execution()``)."""
        return self.grant_start_execution(grantee)

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """``sagemaker:StartPipelineExecution`` on this pipeline only."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:StartPipelineExecution"], resource_arns=[self.pipeline_arn]
        )

    def grant_read_executions(self, grantee: iam.IGrantable) -> iam.Grant:
        """``ListPipelineExecutions`` on this pipeline and ``DescribePipelineExecution`` on its executions."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:ListPipelineExecutions", "sagemaker:DescribePipelineExecution"],
            resource_arns=[self.pipeline_arn, f"{self.pipeline_arn}/execution/*"],
        )

    @checked_arguments
    def metric(
        self, metric_name: str, *, statistic: str = "Sum", period: Duration | None = None
    ) -> cloudwatch.Metric:
        """A pipeline metric (``ExecutionStarted``, ``ExecutionFailed``, ``ExecutionSucceeded``,
        ``ExecutionStopped``, ``ExecutionDuration``). Statistic Sum, period 5 minutes by default."""
        return cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"PipelineName": self.pipeline_name},
            statistic=statistic,
            period=period or Duration.minutes(5),
        )

    @checked_arguments
    def metric_execution_failed(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Failed executions. Statistic Sum, period 5 minutes."""
        return self.metric("ExecutionFailed", period=period)

    @checked_arguments
    def metric_execution_started(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Started executions. Statistic Sum, period 5 minutes."""
        return self.metric("ExecutionStarted", period=period)

    @checked_arguments
    def metric_execution_succeeded(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Succeeded executions. Statistic Sum, period 5 minutes."""
        return self.metric("ExecutionSucceeded", period=period)


class SageMakerPipeline(PipelineBase):
    """A SageMaker Model Building Pipeline (``AWS::SageMaker::Pipeline``) from a definition dict.

    The definition may hold CDK tokens (role ARNs, bucket names, image URIs): it is rendered with
    ``Stack.to_json_string``. The pipeline's name is fixed at synth (derived from the construct path unless
    given) because CloudFormation requires one; the definition is updated in place.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: Mapping[str, Any],
        role: iam.IRole,
        pipeline_name: str | None = None,
        description: str | None = None,
        max_parallel_steps: int | None = None,
    ) -> None:
        """Define a pipeline.

        :param definition: the pipeline definition (``{"Version": "2020-12-01", "Parameters": [...], "Steps": [...]}``).
        :param role: the role the pipeline runs its steps with.
        :param pipeline_name: Default: - derived from the construct path.
        :param description: Default: - none.
        :param max_parallel_steps: steps run at the same time. Default: - SageMaker's default.
        """
        check_argument_types(
            construct_path(scope, construct_id, "SageMakerPipeline"), SageMakerPipeline.__init__, locals()
        )
        super().__init__(scope, construct_id)
        name = (
            pipeline_name
            if pipeline_name is not None
            else Names.unique_resource_name(self, max_length=256, separator="-")
        )
        errors = ValidationErrors(f"SageMakerPipeline '{self.node.path}'")
        if not Token.is_unresolved(name) and not _PIPELINE_NAME.fullmatch(name):
            errors.add(
                f"'pipeline_name' must match {_PIPELINE_NAME.pattern} (1-256 characters), got {name!r}"
            )
        for key in ("Version", "Steps"):
            if key not in definition:
                errors.add(f"'definition' must have a {key!r} key, got keys {sorted(definition)}")
        declared = definition.get("Parameters", [])
        if not isinstance(declared, list | tuple) or not all(isinstance(p, Mapping) for p in declared):
            errors.add(f"'definition' Parameters must be a list of objects with a 'Name', got {declared!r}")
            declared = (
                [p for p in declared if isinstance(p, Mapping)] if isinstance(declared, list | tuple) else []
            )
        parameters = [p.get("Name") for p in declared]
        if len(set(parameters)) != len(parameters):
            errors.add(f"'definition' parameter names must be unique, got {parameters}")
        if description is not None and len(description) > 3072:
            errors.add(f"'description' must be at most 3072 characters, got {len(description)}")
        errors.check_range("max_parallel_steps", max_parallel_steps, 1, None, integer=True)
        errors.raise_if_any()
        self._name = name
        self.role = role
        self.parameter_names = tuple(str(p) for p in parameters)
        """The names of the definition's parameters."""
        self.resource = sagemaker.CfnPipeline(
            self,
            "Resource",
            pipeline_name=name,
            role_arn=role.role_arn,
            pipeline_definition={"PipelineDefinitionBody": Stack.of(self).to_json_string(dict(definition))},
            pipeline_description=description,
            # The L1 types this property as plain JSON: a ParallelismConfigurationProperty would be rendered with
            # its camelCase field name, which CloudFormation rejects.
            parallelism_configuration=(
                {"MaxParallelExecutionSteps": max_parallel_steps} if max_parallel_steps else None
            ),
        )
        default_policy = role.node.try_find_child("DefaultPolicy")
        if default_policy is not None:
            self.resource.node.add_dependency(default_policy)

    @staticmethod
    @checked_arguments
    def from_pipeline_name(scope: Construct, construct_id: str, pipeline_name: str) -> IPipeline:
        """Import a pipeline created elsewhere by its name."""
        if not Token.is_unresolved(pipeline_name) and not _PIPELINE_NAME.fullmatch(pipeline_name):
            raise ValidationError(
                f"'pipeline_name' must match {_PIPELINE_NAME.pattern}, got {pipeline_name!r}"
            )
        return _ImportedPipeline(scope, construct_id, pipeline_name)

    @staticmethod
    @checked_arguments
    def from_pipeline_arn(scope: Construct, construct_id: str, pipeline_arn: str) -> IPipeline:
        """Import a pipeline created elsewhere by its ARN (``arn:aws:sagemaker:<region>:<account>:pipeline/<name>``).

        The ARN is used as given (grants, Scheduler targets); its account and region become the import's ``env``.
        The name is read from the ARN, where SageMaker writes it in lower case: metrics and the retraining
        trigger use that name, so import a pipeline whose name has upper-case letters with
        ``from_pipeline_name()``.
        """
        errors = ValidationErrors(f"imported SageMakerPipeline '{scope.node.path}/{construct_id}'")
        name = name_from_arn(errors, "pipeline_arn", pipeline_arn, "pipeline")
        if name and not Token.is_unresolved(name) and not _PIPELINE_NAME.fullmatch(name):
            errors.add(f"'pipeline_arn' must end in a name matching {_PIPELINE_NAME.pattern}, got {name!r}")
        errors.raise_if_any()
        return _ImportedPipeline(scope, construct_id, name, pipeline_arn)

    @property
    def pipeline_name(self) -> str:
        """The pipeline's name (fixed at synth)."""
        return self._name


class _ImportedPipeline(PipelineBase):
    def __init__(
        self, scope: Construct, construct_id: str, pipeline_name: str, pipeline_arn: str | None = None
    ) -> None:
        super().__init__(scope, construct_id, environment_from_arn=pipeline_arn)
        self._name = pipeline_name
        self._arn = pipeline_arn

    @property
    def pipeline_name(self) -> str:
        return self._name

    @property
    def pipeline_arn(self) -> str:
        return self._arn if self._arn is not None else super().pipeline_arn
