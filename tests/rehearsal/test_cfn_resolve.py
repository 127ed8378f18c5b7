"""The template resolver's own tests: intrinsics, cross-stack references, policies attached to their roles,
resource policies and bucket keys, and the cases it must refuse rather than guess."""

from __future__ import annotations

from typing import Any

import pytest
from support.cfn_resolve import ACCOUNT, ASSET_BUCKET, REGION, ResolveError, World
from support.iam_eval import Decision, PolicyError, Request

ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}


def statement(action: str, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def producer() -> dict[str, Any]:
    return {
        "Mappings": {"Registry": {"eu-west-1": {"Account": "468650794304"}}},
        "Conditions": {"InEurope": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}},
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}}},
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {
                                "ServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "aws:kms",
                                    "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]},
                                }
                            }
                        ]
                    }
                },
            },
            "Plain": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "plain-bucket"}},
        },
        "Outputs": {
            "BucketArn": {
                "Value": {"Fn::GetAtt": ["Bucket", "Arn"]},
                "Export": {"Name": "Producer:BucketArn"},
            },
            "Plain": {"Value": {"Ref": "Plain"}},
        },
    }


def consumer() -> dict[str, Any]:
    return {
        "Resources": {
            "Role": ROLE,
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "p",
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {
                        "Statement": [
                            statement(
                                "s3:GetObject",
                                {"Fn::Join": ["", [{"Fn::ImportValue": "Producer:BucketArn"}, "/in/*"]]},
                            ),
                            statement(
                                "s3:ListBucket",
                                {"Fn::Sub": ["arn:${AWS::Partition}:s3:::${Name}", {"Name": "plain-bucket"}]},
                                Condition={
                                    "StringLike": {
                                        "s3:prefix": [{"Fn::Select": [1, {"Fn::Split": [",", "a/*,b/*"]}]}]
                                    }
                                },
                            ),
                            statement(
                                "ecr:BatchGetImage",
                                {
                                    "Fn::If": [
                                        "InEurope",
                                        {
                                            "Fn::Sub": "arn:aws:ecr:${AWS::Region}:${AWS::AccountId}:repository/x"
                                        },
                                        {"Ref": "AWS::NoValue"},
                                    ]
                                },
                            ),
                            statement(
                                "s3:PutObject",
                                {"Fn::Sub": "arn:aws:s3:::${Plain}/${!Literal}"},
                            ),
                        ]
                    },
                },
            },
            "Plain": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "mine"}},
        },
        "Conditions": {"InEurope": {"Fn::Equals": [{"Ref": "AWS::Region"}, REGION]}},
    }


@pytest.fixture
def world() -> World:
    return World.from_templates({"Producer": producer(), "Consumer": consumer()})


def test_intrinsics_and_cross_stack_references_resolve(world: World) -> None:
    [role] = world.roles.values()
    [document] = role.policies
    get, list_, ecr, put = document["Statement"]
    bucket = world.stacks["Producer"].ref("Bucket")
    assert get["Resource"] == f"arn:aws:s3:::{bucket}/in/*"
    assert list_["Resource"] == "arn:aws:s3:::plain-bucket"
    assert list_["Condition"]["StringLike"]["s3:prefix"] == ["b/*"]
    assert ecr["Resource"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/x"
    # ${Logical} is the resource's Ref; ${!Literal} stays a literal ${Literal}.
    assert put["Resource"] == "arn:aws:s3:::mine/${Literal}"


def test_bucket_keys_and_mappings(world: World) -> None:
    bucket = world.stacks["Producer"].ref("Bucket")
    assert world.bucket_keys[bucket] == world.stacks["Producer"].get_att("Key", "Arn")
    assert world.bucket_keys["plain-bucket"] is None
    assert ASSET_BUCKET in world.bucket_keys
    assert world.resolve("Producer", {"Fn::FindInMap": ["Registry", {"Ref": "AWS::Region"}, "Account"]}) == (
        "468650794304"
    )
    assert world.resolve(
        "Producer", {"Fn::GetStackOutput": {"StackName": "Producer", "OutputName": "Plain"}}
    ) == ("plain-bucket")


def test_the_world_judges_with_the_attached_policies(world: World) -> None:
    [role] = world.roles
    bucket = world.stacks["Producer"].ref("Bucket")
    get = Request(role, "s3:GetObject", f"arn:aws:s3:::{bucket}/in/a.csv", {"aws:SecureTransport": "true"})
    assert world.evaluate(get).decision is Decision.ALLOW
    other = Request(role, "s3:GetObject", f"arn:aws:s3:::{bucket}/out/a.csv", {"aws:SecureTransport": "true"})
    assert world.evaluate(other).decision is Decision.IMPLICIT_DENY
    # The key policy (empty here) is consulted for KMS: the identity policy alone does not allow it.
    decrypt = Request(role, "kms:Decrypt", world.bucket_keys[bucket] or "", {})
    assert world.evaluate(decrypt).decision is Decision.IMPLICIT_DENY


def test_unknown_references_and_intrinsics_are_refused() -> None:
    world = World.from_templates({"Producer": producer()})
    with pytest.raises(ResolveError, match="no resource"):
        world.resolve("Producer", {"Ref": "Missing"})
    with pytest.raises(ResolveError, match="is unknown"):
        world.resolve("Producer", {"Fn::GetAtt": ["Bucket", "NoSuchAttribute"]})
    with pytest.raises(ResolveError, match="not supported"):
        world.resolve("Producer", {"Fn::Cidr": ["10.0.0.0/16", 2, 8]})
    with pytest.raises(ResolveError, match="no stack exports"):
        world.resolve("Producer", {"Fn::ImportValue": "Nobody:Exports"})


def test_aws_managed_policies_are_reported_not_assumed() -> None:
    managed = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [managed]}},
        }
    }
    world = World.from_templates({"S": template})
    [role] = world.roles.values()
    assert role.unknown_managed_policies == [managed]
    request = Request(
        role.arn, "sagemaker:CreateEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/e"
    )
    with pytest.raises(PolicyError, match="cannot see"):
        world.evaluate(request)


def test_customer_managed_policies_are_attached() -> None:
    template = {
        "Resources": {
            "Role": ROLE,
            "Managed": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {"Statement": [statement("sqs:SendMessage", "*")]},
                },
            },
        }
    }
    world = World.from_templates({"S": template})
    [role] = world.roles.values()
    assert role.unknown_managed_policies == []
    request = Request(role.arn, "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")
    assert world.evaluate(request).decision is Decision.ALLOW
