"""CloudFormation dependency fixes shared by constructs that wrap CDK L2 resources."""

from __future__ import annotations

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct


def depend_on_role_policy_only(resource: IConstruct, role: iam.IRole) -> None:
    """Keep only the role's default policy in ``resource``'s DependsOn.

    CDK makes Lambda functions and state machines depend on their role and its policy; the role is already
    referenced through ``GetAtt`` (cfn-lint W3005), while the policy must exist before the first invocation.
    """
    policy = role.node.try_find_child("DefaultPolicy")
    cfn_resource = resource.node.default_child
    if isinstance(policy, iam.Policy) and isinstance(cfn_resource, CfnResource):
        cfn_policy = policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnPolicy)
        cfn_resource.add_override("DependsOn", [Stack.of(resource).get_logical_id(cfn_policy)])
