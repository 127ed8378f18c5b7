"""``Model``: a SageMaker model with one container, a serial inference pipeline, or a multi-model container."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, cast

import jsii
from aws_cdk import Aws, Fn, Resource, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.interfaces.aws_sagemaker import IModelRef, ModelReference
from constructs import Construct

from sagemaker_constructs._internal.arns import name_from_arn
from sagemaker_constructs._internal.execution_role import create_execution_role
from sagemaker_constructs._internal.network import place_in_vpc
from sagemaker_constructs._internal.validation import (
    MODEL_NAME_PATTERN,
    ValidationError,
    ValidationErrors,
    check_argument_types,
    checked_arguments,
    construct_path,
)
from sagemaker_constructs.common.container_image import ContainerImage

from .container_definition import (
    ContainerDefinition,
    InferenceExecutionMode,
    resolve_containers,
    validate_containers,
)
from .model_data import ModelData

_LOG_GROUPS = "/aws/sagemaker/*"


class IModel(iam.IGrantable, IModelRef, Protocol):
    """A SageMaker model, created by this library or imported.

    An ``iam.IGrantable`` whose principal is the model's execution role, so aws-cdk-lib's grants
    (``bucket.grant_read(model)``, ``key.grant_decrypt(model)``) go to the role the containers run as.
    """

    @property
    def model_name(self) -> str:
        """The model's name."""
        ...

    @property
    def model_arn(self) -> str:
        """The model's ARN."""
        ...

    @property
    def role(self) -> iam.IRole | None:
        """The model's execution role, if known. Data capture and batch output grants go to it."""
        ...

    @property
    def is_multi_model(self) -> bool | None:
        """Whether the model serves many artifacts from one container; None when unknown (imported)."""
        ...


class _ModelBase(Resource):
    """What created and imported models share: an aws-cdk-lib ``Resource`` that is ``iam.IGrantable``."""

    @property
    def model_name(self) -> str:
        """The model's name."""
        raise NotImplementedError

    @property
    def model_arn(self) -> str:
        """The model's ARN."""
        raise NotImplementedError

    @property
    def role(self) -> iam.IRole | None:
        """The execution role, if known."""
        raise NotImplementedError

    @property
    def model_ref(self) -> ModelReference:
        """A reference to this model for aws-cdk-lib's ``IModelRef`` consumers."""
        return ModelReference(model_arn=self.model_arn)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The principal the model runs as: its execution role. An imported model without ``role`` has an
        ``iam.UnknownPrincipal``: grants to it add nothing and warn at synth."""
        role = self.role
        if role is not None:
            return role.grant_principal
        # A jsii class implementing an interface is not a structural subtype for mypy.
        return cast(iam.IPrincipal, iam.UnknownPrincipal(resource=self))


@jsii.implements(iam.IGrantable, ec2.IConnectable, IModelRef)
class Model(_ModelBase):
    """A SageMaker model (``AWS::SageMaker::Model``).

    The simplest form takes one ``image`` and its ``model_data``; ``containers`` builds serial inference
    pipelines (2-15 containers), direct-invocation models and multi-model containers. A least-privilege
    execution role is created unless ``role`` is given: CloudWatch Logs for SageMaker's log groups, read access
    to the model data and pull access to ECR images, and ENI management only when the model runs in a VPC.

    CloudFormation replaces a model on every change, so the name is generated unless you set ``model_name``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: ContainerImage | None = None,
        model_data: ModelData | None = None,
        environment: Mapping[str, str] | None = None,
        containers: Sequence[ContainerDefinition] | None = None,
        inference_execution_mode: InferenceExecutionMode | None = None,
        role: iam.IRole | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        network_isolation: bool = False,
        model_name: str | None = None,
    ) -> None:
        """Define a model.

        :param image: the image of a single-container model. Default: - ``containers`` is required instead.
        :param model_data: the artifacts of a single-container model. Default: - none.
        :param environment: environment of a single-container model. Default: - none.
        :param containers: the containers (1-15). Default: - one container from ``image``.
        :param inference_execution_mode: how 2+ containers run. Default: ``InferenceExecutionMode.SERIAL``
        :param role: the execution role. Default: - a least-privilege role is created.
        :param vpc: run the containers in this VPC. Default: - no VPC.
        :param vpc_subnets: subnets in ``vpc``. Default: - the VPC's private subnets.
        :param security_groups: 1-5 security groups. Default: - one is created, with no inbound rule.
        :param network_isolation: block all network access from the containers. Default: False
        :param model_name: a fixed name (makes replacement on change fail). Default: - generated.
        """
        check_argument_types(construct_path(scope, construct_id, "Model"), Model.__init__, locals())
        super().__init__(scope, construct_id)
        errors = ValidationErrors(f"Model '{self.node.path}'")
        resolved = resolve_containers(errors, image, model_data, environment, containers)
        validate_containers(errors, resolved, inference_execution_mode)
        errors.check_name("model_name", model_name, MODEL_NAME_PATTERN, 63)
        if vpc is None and (vpc_subnets is not None or security_groups is not None):
            errors.add("'vpc_subnets' and 'security_groups' require 'vpc', got vpc=None")
        if security_groups is not None and not 1 <= len(security_groups) <= 5:
            errors.add(f"'security_groups' must hold 1-5 security groups, got {len(security_groups)}")
        errors.raise_if_any()

        self._role: iam.IRole = role or self._create_role()
        self._is_multi_model = any(c.multi_model for c in resolved)
        self.container_count = len(resolved)
        """The number of containers (2 or more for an inference pipeline)."""
        self.in_vpc = vpc is not None
        """Whether the containers run in a VPC."""
        self.network_isolation = network_isolation
        """Whether the containers run without network access."""

        vpc_config = None
        self._connections: ec2.Connections | None = None
        if vpc is not None:
            vpc_config = self._vpc_config(vpc, vpc_subnets, security_groups)

        rendered = [self._render_container(i, c, len(resolved)) for i, c in enumerate(resolved)]
        multi = len(rendered) > 1
        self.resource = sagemaker.CfnModel(
            self,
            "Resource",
            execution_role_arn=self._role.role_arn,
            primary_container=None if multi else rendered[0],
            containers=rendered if multi else None,
            inference_execution_config=(
                sagemaker.CfnModel.InferenceExecutionConfigProperty(
                    mode=(inference_execution_mode or InferenceExecutionMode.SERIAL).value
                )
                if multi
                else None
            ),
            vpc_config=vpc_config,
            enable_network_isolation=network_isolation or None,
            model_name=model_name,
        )
        # SageMaker checks the role's permissions (model data, images) when the model and its endpoint are
        # created: create the role's policy first (the role itself is already referenced). Grants added later
        # (data capture, batch output) land in the same policy.
        # Works for a role the user passes too, when it is a Role construct of this app.
        default_policy = self._role.node.try_find_child("DefaultPolicy")
        if default_policy is not None:
            self.resource.node.add_dependency(default_policy)

    @staticmethod
    @checked_arguments
    def from_model_name(
        scope: Construct, construct_id: str, model_name: str, *, role: iam.IRole | None = None
    ) -> IModel:
        """Import a model created elsewhere.

        :param role: its execution role, if data capture or batch output grants should go to it.
            Default: - unknown; grant access to your data capture bucket yourself.
        """
        return _ImportedModel(scope, construct_id, model_name, role)

    @staticmethod
    @checked_arguments
    def from_model_arn(
        scope: Construct, construct_id: str, model_arn: str, *, role: iam.IRole | None = None
    ) -> IModel:
        """Import a model created elsewhere by its ARN (``arn:aws:sagemaker:<region>:<account>:model/<name>``).

        The name is read from the ARN; the ARN is used as given, and its account and region become the import's
        ``env``.

        :param role: its execution role, if data capture or batch output grants should go to it.
            Default: - unknown; grant access to your data capture bucket yourself.
        """
        errors = ValidationErrors(f"imported Model '{scope.node.path}/{construct_id}'")
        name = name_from_arn(errors, "model_arn", model_arn, "model")
        errors.check_name("model_arn", name or None, MODEL_NAME_PATTERN, 63)
        errors.raise_if_any()
        return _ImportedModel(scope, construct_id, name, role, model_arn)

    @property
    def model_name(self) -> str:
        """The model's name."""
        return self.resource.attr_model_name

    @property
    def model_arn(self) -> str:
        """The model's ARN."""
        return self.resource.attr_model_arn

    @property
    def role(self) -> iam.IRole:
        """The execution role."""
        return self._role

    @property
    def is_multi_model(self) -> bool:
        """Whether the model is a multi-model container."""
        return self._is_multi_model

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The principal that the model runs as (its execution role)."""
        return self._role.grant_principal

    @property
    def connections(self) -> ec2.Connections:
        """The network connections of a model in a VPC (its security groups), for ``allow_to``/``allow_from``.

        Raises ``ValidationError`` (a ``ValueError``) for a model without ``vpc`` (check ``in_vpc``), as aws-cdk-lib's Lambda functions
        do: such a model has no security group to manage.
        """
        if self._connections is None:
            raise ValidationError(
                f"Model '{self.node.path}' has no 'vpc', so it has no security groups: 'connections' "
                "needs a model created with vpc=..."
            )
        return self._connections

    def _create_role(self) -> iam.Role:
        return create_execution_role(
            self,
            "Role",
            description="Execution role of a SageMaker model (sagemaker-constructs)",
            log_groups=_LOG_GROUPS,
            logs_sid="SageMakerLogs",
            metrics_sid="SageMakerMetrics",
            metric_namespaces=["AWS/SageMaker", "/aws/sagemaker/*"],
            log_groups_reason=(
                "SageMaker names the log groups of endpoints and jobs at run time, all under /aws/sagemaker/."
            ),
            log_streams_reason="SageMaker names the log streams of endpoints and jobs at run time (one per instance).",
            metrics_reason=(
                "cloudwatch:PutMetricData and the EC2 network-interface actions support no resource-level "
                "permissions; metrics are limited to SageMaker namespaces by a condition."
            ),
        )

    def _vpc_config(
        self,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup] | None,
    ) -> sagemaker.CfnModel.VpcConfigProperty:
        placement = place_in_vpc(
            self,
            self._role,
            vpc,
            vpc_subnets,
            security_groups,
            security_group_description="SageMaker model containers",
        )
        self._connections = ec2.Connections(security_groups=placement.security_groups)
        return sagemaker.CfnModel.VpcConfigProperty(
            security_group_ids=[g.security_group_id for g in placement.security_groups],
            subnets=placement.subnet_ids,
        )

    def _render_container(
        self, index: int, container: ContainerDefinition, count: int
    ) -> sagemaker.CfnModel.ContainerDefinitionProperty:
        suffix = "" if count == 1 else str(index + 1)
        chosen = self._render_one(suffix, container)
        if container.condition is None or container.otherwise is None:
            return chosen
        other = self._render_one(f"{suffix}Otherwise", container.otherwise)
        condition_id = container.condition.logical_id

        def pick(when_true: object, when_false: object) -> object:
            if when_true is None and when_false is None:
                return None
            return Fn.condition_if(
                condition_id,
                Aws.NO_VALUE if when_true is None else when_true,
                Aws.NO_VALUE if when_false is None else when_false,
            )

        def pick_string(when_true: str | None, when_false: str | None) -> str | None:
            chosen_value = pick(when_true, when_false)
            return None if chosen_value is None else Token.as_string(chosen_value)

        return sagemaker.CfnModel.ContainerDefinitionProperty(
            image=pick_string(chosen.image, other.image),
            model_data_url=pick_string(chosen.model_data_url, other.model_data_url),
            environment=pick(chosen.environment, other.environment),
            container_hostname=container.hostname,
            model_package_name=pick_string(chosen.model_package_name, other.model_package_name),
        )

    def _render_one(
        self, suffix: str, container: ContainerDefinition
    ) -> sagemaker.CfnModel.ContainerDefinitionProperty:
        image_uri = container.image.bind(self, self._role) if container.image else None
        model_data_url = (
            container.model_data.bind(self, f"ModelData{suffix}", self._role)
            if container.model_data
            else None
        )
        return sagemaker.CfnModel.ContainerDefinitionProperty(
            image=image_uri,
            model_data_url=model_data_url,
            environment=dict(container.environment) or None,
            container_hostname=container.hostname,
            mode="MultiModel" if container.multi_model else None,
            multi_model_config=(
                sagemaker.CfnModel.MultiModelConfigProperty(
                    model_cache_setting="Enabled" if container.model_cache else "Disabled"
                )
                if container.multi_model and container.model_cache is not None
                else None
            ),
            model_package_name=container.model_package_arn,
        )


@jsii.implements(iam.IGrantable, IModelRef)
class _ImportedModel(_ModelBase):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        model_name: str,
        role: iam.IRole | None,
        model_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id, environment_from_arn=model_arn)
        errors = ValidationErrors(f"imported Model '{self.node.path}'")
        errors.check_name("model_name", model_name, MODEL_NAME_PATTERN, 63)
        errors.raise_if_any()
        self._model_name = model_name
        self._model_arn = model_arn
        self._role = role

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def model_arn(self) -> str:
        if self._model_arn is not None:
            return self._model_arn
        return Stack.of(self).format_arn(
            service="sagemaker", resource="model", resource_name=self._model_name
        )

    @property
    def role(self) -> iam.IRole | None:
        return self._role

    @property
    def is_multi_model(self) -> bool | None:
        return None


__all__ = ["ContainerDefinition", "IModel", "InferenceExecutionMode", "Model"]
