"""Pausing a variant's auto scaling around an instance type change (see ``autoscaling``'s module docstring): two
``AwsCustomResource`` calls per scaled variant, all of a stack's run by CDK's one provider function with one role.

One role per stack, passed as the custom resources' ``role``: aws-cdk-lib's ``AwsCustomResource`` creates its
``CustomResourcePolicy`` (an ``AWS::IAM::Policy``) only when given a ``policy``, and hands ``role`` to its
singleton provider function (custom-resources/lib/aws-custom-resource/aws-custom-resource.ts). The role holds
exactly what each pause and resume needed before, once: the two Application Auto Scaling actions on ``*``, describe
and update on each scaled endpoint's ARN, and describe on the stack's endpoint configs; plus the AWS managed basic
execution role for the function's logs (what the function's own role had).

The provider function is a singleton: a ``role`` given after it exists is ignored. If another
``AwsCustomResource`` of the stack created it first, each call keeps its own policy, as before.
"""

from __future__ import annotations

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from sagemaker_constructs._internal import nag as _nag
from sagemaker_constructs._internal.validation import is_token

AWS_CUSTOM_RESOURCE_PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287"
"""The construct ID of CDK's singleton AwsCustomResource function in a stack (aws-cdk-lib custom-resources)."""

PAUSE_ROLE_ID = "SageMakerScalingPauseRole"
"""The construct ID, at the stack's root, of the role of the function that pauses and resumes scaling."""

_STAR_REASON = (
    "Application Auto Scaling's Register/DeregisterScalableTarget take no resource ARN known at synth "
    "(a target's ARN exists only after registration)."
)
_CONFIG_REASON = (
    "SageMaker generates each endpoint config's name; registering a variant describes the current one."
)


class _PauseRole(Construct):
    """The stack's one role for pausing and resuming scaling, with the statements of every scaled endpoint."""

    def __init__(self, scope: Construct, construct_id: str, config_arn: str) -> None:
        super().__init__(scope, construct_id)
        self._endpoint_arns: list[str] = []
        self._endpoints = iam.PolicyStatement(
            actions=["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"]
        )
        document = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "application-autoscaling:DeregisterScalableTarget",
                        "application-autoscaling:RegisterScalableTarget",
                    ],
                    resources=["*"],
                ),
                self._endpoints,
                iam.PolicyStatement(actions=["sagemaker:DescribeEndpointConfig"], resources=[config_arn]),
            ]
        )
        self.role = iam.Role(
            self,
            "Resource",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Pauses and resumes SageMaker endpoint auto scaling around instance type changes",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole")
            ],
            # Inline: rendered at synth with every endpoint added meanwhile, and no AWS::IAM::Policy resource.
            inline_policies={"PauseScaling": document},
        )
        _nag.acknowledge_resource(self.role, "*", _STAR_REASON)
        _nag.acknowledge_resource(self.role, config_arn, _CONFIG_REASON)
        _nag.acknowledge(
            self.role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's AwsCustomResource function only writes its own logs with the AWS managed basic execution role.",
        )

    def allow_endpoint(self, endpoint_arn: str) -> None:
        """Describe and update ``endpoint_arn`` too (once per endpoint)."""
        if endpoint_arn not in self._endpoint_arns:
            self._endpoint_arns.append(endpoint_arn)
            self._endpoints.add_resources(endpoint_arn)


def _statements(endpoint_arn: str, config_arn: str) -> list[iam.PolicyStatement]:
    return [
        iam.PolicyStatement(
            actions=[
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:RegisterScalableTarget",
            ],
            resources=["*"],
        ),
        iam.PolicyStatement(
            actions=["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"],
            resources=[endpoint_arn],
        ),
        iam.PolicyStatement(actions=["sagemaker:DescribeEndpointConfig"], resources=[config_arn]),
    ]


def pause_around_instance_type_changes(
    scope: Construct,
    *,
    resource_id: str,
    static_id: str,
    scalable_dimension: str,
    instance_type: str,
    min_capacity: int,
    max_capacity: int,
) -> tuple[cr.AwsCustomResource, cr.AwsCustomResource]:
    """``PauseScaling`` and ``ResumeScaling`` under ``scope``: (pause, resume). The endpoint must depend on the
    pause; the resume must depend on the scalable target."""
    stack = Stack.of(scope)
    # endpoint/<name>/variant/<variant>: a token name is one "${Token[...]}" part, without "/".
    name = static_id.split("/")[1]
    target_id = {"ServiceNamespace": "sagemaker", "ScalableDimension": scalable_dimension}
    # Application Auto Scaling has no resource-level permissions for these actions (its targets have no ARN
    # known before registration); registering a SageMaker variant also has the caller describe it.
    # SageMaker lower-cases endpoint names in ARNs (a token stays as it is: lower-casing would break it).
    arn_name = name if is_token(name) else name.lower()
    endpoint_arn = stack.format_arn(service="sagemaker", resource="endpoint", resource_name=arn_name)
    config_arn = stack.format_arn(service="sagemaker", resource="endpoint-config", resource_name="*")

    existing = stack.node.try_find_child(PAUSE_ROLE_ID)
    provider_exists = stack.node.try_find_child(AWS_CUSTOM_RESOURCE_PROVIDER_ID) is not None
    shared: _PauseRole | None = None
    if isinstance(existing, _PauseRole):
        shared = existing
    elif existing is None and not provider_exists:
        shared = _PauseRole(stack, PAUSE_ROLE_ID, config_arn)
    policy: cr.AwsCustomResourcePolicy | None = None
    if shared is not None:
        shared.allow_endpoint(endpoint_arn)
    else:
        policy = cr.AwsCustomResourcePolicy.from_statements(_statements(endpoint_arn, config_arn))
    role = shared.role if shared is not None else None

    # The physical ID carries the instance type: the call's properties change (and the call runs) only when it
    # does. Nothing happens on delete: deleting the endpoint deregisters its targets (endpoint-delete-with-scaling).
    pause_call = cr.AwsSdkCall(
        service="ApplicationAutoScaling",
        action="DeregisterScalableTarget",
        parameters={**target_id, "ResourceId": static_id},
        physical_resource_id=cr.PhysicalResourceId.of(f"{static_id}@{instance_type}"),
        # On the first deployment there is no target yet.
        ignore_error_codes_matching="ObjectNotFoundException",
    )
    pause = cr.AwsCustomResource(
        scope, "PauseScaling", on_update=pause_call, policy=policy, role=role, install_latest_aws_sdk=False
    )
    resume_call = cr.AwsSdkCall(
        service="ApplicationAutoScaling",
        action="RegisterScalableTarget",
        parameters={
            **target_id,
            # The endpoint's GetAtt: the resume waits for the endpoint update.
            "ResourceId": resource_id,
            "MinCapacity": min_capacity,
            "MaxCapacity": max_capacity,
        },
        physical_resource_id=cr.PhysicalResourceId.of(f"{static_id}@{instance_type}"),
    )
    resume = cr.AwsCustomResource(
        scope, "ResumeScaling", on_update=resume_call, policy=policy, role=role, install_latest_aws_sdk=False
    )
    if policy is not None:
        for custom in (pause, resume):
            _nag.acknowledge_resource(custom, "*", _STAR_REASON)
            _nag.acknowledge_resource(custom, config_arn, _CONFIG_REASON)
    # CDK's one function for every AwsCustomResource of the stack.
    provider = stack.node.try_find_child(AWS_CUSTOM_RESOURCE_PROVIDER_ID)
    if provider is not None:
        # CDK adds DependsOn its role, which the function's GetAtt of the role already enforces (cfn-lint W3005).
        function = provider.node.default_child
        if isinstance(function, CfnResource):
            function.add_deletion_override("DependsOn")
        _nag.acknowledge(
            provider,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's AwsCustomResource function only writes its own logs with the AWS managed basic execution role.",
        )
    return pause, resume
