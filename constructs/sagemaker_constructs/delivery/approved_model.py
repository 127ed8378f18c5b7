"""``ApprovedModelPackage``: a model container that serves the model package version named by a CloudFormation
parameter of its stack, or an initial container while the parameter is ``initial`` (its Default).

The stack stays the source of truth: the version in service is the parameter's value, so drift detection stays
clean and ``cdk deploy`` keeps it (the CDK CLI passes ``UsePreviousValue: true`` for every existing parameter not
given on the command line, unless ``--no-previous-parameters``: ``ParameterValues`` and the option
``previous-parameters`` (default true) in ``node_modules/aws-cdk/lib/index.js``, CLI 2.1148.1).
``ApprovedModelDeployer`` changes the value with UpdateStack when a version is approved.
"""

from __future__ import annotations

import re

from aws_cdk import CfnCondition, CfnParameter, Fn, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_constructs._internal.handlers import model_deployer_contract as contract
from sagemaker_constructs._internal.validation import (
    ValidationErrors,
    check_argument_types,
    construct_path,
    is_token,
)
from sagemaker_constructs.common.container_image import ContainerImage
from sagemaker_constructs.hosting.container_definition import ContainerDefinition
from sagemaker_constructs.hosting.model_data import ModelData

GROUP_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
"""ModelPackageGroupName (SageMaker API reference, CreateModelPackageGroup)."""
PARAMETER_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9]{1,255}$")
"""CloudFormation parameter (logical) names: alphanumeric, at most 255 characters."""
_ARN_PREFIX = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package/"


def allowed_pattern(group_name: str) -> str:
    """The parameter's AllowedPattern: ``initial``, or a versioned model package ARN of ``group_name`` (of any group
    when the name is a token, which AllowedPattern cannot hold)."""
    group = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" if is_token(group_name) else re.escape(group_name)
    return f"^{contract.INITIAL_VALUE}$|^{_ARN_PREFIX}{group}/[0-9]{{1,9}}$"


class ApprovedModelPackage(Construct):
    """A container whose model is chosen at deploy time by a CloudFormation parameter (``parameter``): ``initial``
    (its Default) serves ``initial``; a versioned model package ARN of ``model_package_group_name`` serves that package.

    Use ``container`` in a ``Model`` (``Model(self, "Challenger", containers=[package.container])``): the model
    is replaced when the value changes, and the endpoint moves to it through its own deployment guardrails.
    Binding the container grants the model's role ``s3:GetObject`` under ``artifacts`` (where the group's
    versions keep their model artifacts) and pull access to ``image`` (the versions' inference image), besides
    what ``initial`` needs. ``ApprovedModelDeployer`` sets the parameter when a version is approved.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_package_group_name: str,
        image: ContainerImage,
        artifacts: ModelData,
        initial: ContainerDefinition,
        parameter_name: str | None = None,
    ) -> None:
        """Create the parameter and the condition.

        :param model_package_group_name: the group whose versions this container serves.
        :param image: the inference image of the group's versions (the model's role may pull it).
        :param artifacts: the S3 prefix (``ModelData.from_bucket(bucket, "models/")``) under which the versions'
            model artifacts are stored (the model's role may read it).
        :param initial: the container served while the parameter is ``initial`` (no version deployed yet): an
            ``image``-based ``ContainerDefinition`` without a condition.
        :param parameter_name: the parameter's logical ID (what ``cdk deploy --parameters <name>=<arn>`` names).
            Default: - generated from the construct path.
        """
        check_argument_types(
            construct_path(scope, construct_id, "ApprovedModelPackage"),
            ApprovedModelPackage.__init__,
            locals(),
        )
        super().__init__(scope, construct_id)
        errors = ValidationErrors(f"ApprovedModelPackage '{self.node.path}'")
        errors.check_name("model_package_group_name", model_package_group_name, GROUP_NAME_PATTERN, 63)
        if not artifacts.is_prefix:
            errors.add(
                "'artifacts' must be an S3 prefix ending in '/' (ModelData.from_bucket(bucket, 'models/')), "
                "got a single object"
            )
        if initial.image is None or initial.model_package_arn is not None:
            errors.add(
                "'initial' must be an image-based ContainerDefinition (image=..., model_data=...), got "
                f"image={'set' if initial.image is not None else None}, "
                f"model_package_arn={initial.model_package_arn!r}"
            )
        if initial.condition is not None or initial.otherwise is not None or initial.multi_model:
            errors.add("'initial' must be a single-model container without 'condition' or 'otherwise'")
        if parameter_name is not None and not PARAMETER_NAME_PATTERN.fullmatch(parameter_name):
            errors.add(f"'parameter_name' must be 1-255 letters and digits, got {parameter_name!r}")
        errors.raise_if_any()

        self.model_package_group_name = model_package_group_name
        """The group whose versions this container serves."""
        self._image = image
        self._artifacts = artifacts
        # A parameter's properties must be plain strings: a token group name (a CfnModelPackageGroup's attribute)
        # is left out of them, and the pattern then admits a version of any group.
        group = "the group" if is_token(model_package_group_name) else model_package_group_name
        self.parameter = CfnParameter(
            self,
            "Arn",
            type="String",
            default=contract.INITIAL_VALUE,
            allowed_pattern=allowed_pattern(model_package_group_name),
            constraint_description=(
                f"'{contract.INITIAL_VALUE}' (serve the initial model) or a versioned model package ARN of {group}"
            ),
            description=(
                f"The model package version served (a version ARN of {group}, or "
                f"'{contract.INITIAL_VALUE}': the initial model). Set by the approved-model deployer; cdk deploy keeps it."
            ),
        )
        """The CloudFormation parameter holding the served version's ARN (Default: ``initial``, the initial model)."""
        if parameter_name is not None:
            self.parameter.override_logical_id(parameter_name)
        self.serve_initial = CfnCondition(
            self,
            "ServeInitial",
            expression=Fn.condition_equals(self.parameter.value_as_string, contract.INITIAL_VALUE),
        )
        """The condition that holds while the parameter is ``initial`` (the initial container is served)."""
        self.container = ContainerDefinition(
            image=_ServingImage(self, initial.image) if initial.image is not None else None,
            model_data=initial.model_data,
            environment=initial.environment,
            hostname=initial.hostname,
            condition=self.serve_initial,
            otherwise=ContainerDefinition(
                model_package_arn=self.parameter.value_as_string, hostname=initial.hostname
            ),
        )
        """The container to give a ``Model``: ``initial`` until the parameter names a version, then that version."""

    @property
    def parameter_name(self) -> str:
        """The parameter's logical ID, the name ``cdk deploy --parameters`` and UpdateStack use."""
        return str(Stack.of(self).resolve(self.parameter.logical_id))

    def _grant_serving(self, grantee: iam.IGrantable) -> None:
        # The returned URL is not used: the bind is the prefix grant (s3:GetObject under the prefix, and decrypt
        # with the bucket's key), the same one multi-model containers get.
        self._artifacts.bind(self, "Artifacts", grantee)
        self._image.bind(self, grantee)


class _ServingImage(ContainerImage):
    """The initial image; binding it also grants what serving the group's versions needs."""

    def __init__(self, package: ApprovedModelPackage, initial: ContainerImage) -> None:
        self._package = package
        self._initial = initial

    def bind(self, scope: Construct, grantee: iam.IGrantable | None) -> str:
        if grantee is not None:
            self._package._grant_serving(grantee)
        return self._initial.bind(scope, grantee)


__all__ = ["ApprovedModelPackage"]
