"""Model: containers, images, model data, pipelines, multi-model, packages, VPC and the execution role."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from support.stacks import synthesize

from sagemaker_constructs import ContainerDefinition, ContainerImage, InferenceExecutionMode, Model, ModelData

XGBOOST = ContainerImage.for_algorithm("xgboost", "3.0-5")
SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"


@pytest.fixture(scope="module")
def model_from_asset() -> Template:
    """A single-container model of the sample archive: synthesized once for the tests that only read it."""
    return synthesize(
        lambda s: Model(s, "Model", image=XGBOOST, model_data=ModelData.from_asset(SAMPLE_MODEL))
    )


def test_single_container_from_asset_grants_only_that_object(model_from_asset):
    template = model_from_asset
    template.resource_count_is("AWS::SageMaker::Model", 1)
    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": {
                "Image": Match.any_value(),
                "ModelDataUrl": Match.any_value(),
            },
            "ModelName": Match.absent(),
            "Containers": Match.absent(),
        },
    )
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert '"s3:GetObject"' in policies
    # Not the whole asset bucket, and no list/write.
    assert "s3:List" not in policies
    assert "s3:GetBucket" not in policies
    # The statement names the asset object itself (``<hash>.gz``), not ``assets-bucket/*``.
    assert re.search(r'/[0-9a-f]{64}\.gz"', policies), policies
    assert 'assets-${AWS::AccountId}-${AWS::Region}"}, "/*"' not in policies


def test_execution_role_is_least_privilege(model_from_asset):
    template = model_from_asset
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [Match.object_like({"Principal": {"Service": "sagemaker.amazonaws.com"}})]
            },
            "ManagedPolicyArns": Match.absent(),
        },
    )
    statements = [
        st
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert not any(a.endswith(":*") or a == "*" for a in actions), actions
    metrics = next(st for st in statements if st["Action"] == "cloudwatch:PutMetricData")
    assert metrics["Condition"] == {
        "StringLike": {"cloudwatch:namespace": ["AWS/SageMaker", "/aws/sagemaker/*"]}
    }


def test_model_waits_for_its_role_policy(model_from_asset):
    template = model_from_asset
    model = next(iter(template.find_resources("AWS::SageMaker::Model").values()))
    policy_ids = list(template.find_resources("AWS::IAM::Policy"))
    assert model["DependsOn"] == policy_ids


def test_ecr_image_grants_pull(synth):
    def build(stack: Stack) -> None:
        repo = ecr.Repository.from_repository_name(stack, "Repo", "my-model")
        Model(stack, "Model", image=ContainerImage.from_ecr_repository(repo, "v3"))

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": {
                "Image": {"Fn::Join": ["", Match.array_with([Match.string_like_regexp("my-model:v3")])]}
            }
        },
    )
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert "ecr:BatchGetImage" in policies
    assert "ecr:GetAuthorizationToken" in policies


def test_serial_inference_pipeline(synth):
    def build(stack: Stack) -> None:
        Model(
            stack,
            "Pipeline",
            containers=[
                ContainerDefinition(
                    image=ContainerImage.for_algorithm("sklearn", "1.2-1"),
                    environment={"SAGEMAKER_PROGRAM": "preprocess.py"},
                ),
                ContainerDefinition(image=XGBOOST, model_data=ModelData.from_asset(SAMPLE_MODEL)),
            ],
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "Containers": [
                Match.object_like({"Environment": {"SAGEMAKER_PROGRAM": "preprocess.py"}}),
                Match.object_like({"ModelDataUrl": Match.any_value()}),
            ],
            "InferenceExecutionConfig": {"Mode": "Serial"},
            "PrimaryContainer": Match.absent(),
        },
    )


def test_direct_mode_needs_hostnames(stack):
    with pytest.raises(
        ValueError, match=r"every container needs a 'hostname' with InferenceExecutionMode.DIRECT"
    ):
        Model(
            stack,
            "M",
            containers=[ContainerDefinition(image=XGBOOST), ContainerDefinition(image=XGBOOST)],
            inference_execution_mode=InferenceExecutionMode.DIRECT,
        )


def test_multi_model_from_prefix(synth):
    def build(stack: Stack) -> None:
        bucket = s3.Bucket.from_bucket_name(stack, "Models", "my-models")
        Model(
            stack,
            "Mme",
            containers=[
                ContainerDefinition(
                    image=XGBOOST,
                    model_data=ModelData.from_bucket(bucket, "models/"),
                    multi_model=True,
                    model_cache=True,
                )
            ],
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": {
                "Mode": "MultiModel",
                "MultiModelConfig": {"ModelCacheSetting": "Enabled"},
                "ModelDataUrl": "s3://my-models/models/",
                "Image": Match.any_value(),
            }
        },
    )
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert "my-models/models/*" in policies


def test_multi_model_needs_a_prefix(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Models", "my-models")
    with pytest.raises(ValueError, match=r"multi-model container must be an S3 prefix ending in '/'"):
        Model(
            stack,
            "Mme",
            containers=[
                ContainerDefinition(
                    image=XGBOOST, model_data=ModelData.from_bucket(bucket, "m.tar.gz"), multi_model=True
                )
            ],
        )


def test_model_package(synth):
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"
    template = synth(lambda s: Model(s, "Pkg", containers=[ContainerDefinition(model_package_arn=arn)]))
    template.has_resource_properties(
        "AWS::SageMaker::Model", {"PrimaryContainer": {"ModelPackageName": arn, "Image": Match.absent()}}
    )


def test_model_package_arn_is_checked(stack):
    with pytest.raises(ValueError, match=r"'containers\[0\].model_package_arn' must be a model package ARN"):
        Model(stack, "Pkg", containers=[ContainerDefinition(model_package_arn="arn:aws:s3:::not-a-package")])


def test_vpc_and_network_isolation(synth):
    def build(stack: Stack) -> None:
        vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
            ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ])  # fmt: skip
        vpc.add_flow_log("FlowLog")
        Model(
            stack,
            "Model",
            image=XGBOOST,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            network_isolation=True,
        )

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "EnableNetworkIsolation": True,
            "VpcConfig": {"SecurityGroupIds": [Match.any_value()], "Subnets": Match.any_value()},
        },
    )
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert "ec2:CreateNetworkInterface" in policies


def test_no_vpc_permissions_without_vpc(synth):
    template = synth(lambda s: Model(s, "Model", image=XGBOOST))
    assert "ec2:" not in json.dumps(template.find_resources("AWS::IAM::Policy"))


def test_given_role_is_used_and_not_created(synth):
    from aws_cdk import aws_iam as iam

    def build(stack: Stack) -> None:
        role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/ml", mutable=False)
        Model(stack, "Model", image=XGBOOST, role=role)

    template = synth(build)
    template.resource_count_is("AWS::IAM::Role", 0)
    template.has_resource_properties(
        "AWS::SageMaker::Model", {"ExecutionRoleArn": "arn:aws:iam::123456789012:role/ml"}
    )


def test_errors_are_collected_with_prop_names(stack):
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        Model(
            stack,
            "Bad",
            image=XGBOOST,
            environment={"1BAD": "x", "GOOD": "y" * 2000},
            model_name="bad_name",
        )
    message = str(excinfo.value)
    assert "Invalid props for Model 'Test/Bad'" in message
    assert "'containers[0].environment' key must match" in message
    assert "'1BAD'" in message
    assert "must be at most 1024 characters, got 2000" in message
    assert "'model_name' must be 1-63 characters" in message
    assert "got 'bad_name'" in message


def test_image_or_containers_required(stack):
    with pytest.raises(ValueError, match="one of 'image' or 'containers' is required, got neither"):
        Model(stack, "Empty")


def test_too_many_containers(stack):
    with pytest.raises(ValueError, match="'containers' must hold 1-15 containers, got 16"):
        Model(
            stack, "Big", containers=[ContainerDefinition(image=XGBOOST, hostname=f"c{i}") for i in range(16)]
        )


def test_model_data_asset_must_be_tar_gz():
    with pytest.raises(ValueError, match=r"'path' must name a .tar.gz file .* got 'model.pkl'"):
        ModelData.from_asset("model.pkl")


def test_model_data_asset_must_exist():
    with pytest.raises(ValueError, match=r"'path' must be an existing file, got 'missing/model.tar.gz'"):
        ModelData.from_asset("missing/model.tar.gz")


def test_imported_model_by_name(stack):
    model = Model.from_model_name(stack, "Imported", "churn-v2")
    assert model.model_name == "churn-v2"
    assert model.role is None
    assert model.is_multi_model is None


def test_model_data_from_bucket_grants_get_object_and_decrypt(synth):
    from aws_cdk import aws_kms as kms

    def build(stack: Stack) -> None:
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        bucket = s3.Bucket(stack, "Artifacts", encryption_key=key, enforce_ssl=True)
        Model(stack, "Model", image=XGBOOST, model_data=ModelData.from_bucket(bucket, "churn/model.tar.gz"))

    # nag=False: the test's own bucket has no access logs; the user's buckets are the user's to secure.
    template = synth(build, nag=False)
    statements = [
        st
        for p in template.find_resources("AWS::IAM::Policy").values()
        for st in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    get = next(st for st in statements if st["Action"] == "s3:GetObject")
    assert get["Resource"]["Fn::Join"][1][-1] == "/churn/model.tar.gz"
    assert any(st["Action"] == "kms:Decrypt" for st in statements)
    assert not any("s3:List" in json.dumps(st["Action"]) for st in statements)


def test_a_given_role_policy_is_created_before_the_model(synth):
    from aws_cdk import aws_iam as iam

    def build(stack: Stack) -> None:
        role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        Model(stack, "Model", image=XGBOOST, model_data=ModelData.from_asset(SAMPLE_MODEL), role=role)

    template = synth(build)
    model = next(iter(template.find_resources("AWS::SageMaker::Model").values()))
    assert model["DependsOn"] == [next(iter(template.find_resources("AWS::IAM::Policy")))]


# Regressions found by the property tests (tests/unit/test_properties.py).


def test_trailing_newlines_are_rejected_in_names_keys_and_image_uris(stack):
    # re.match with '$' accepted "name\n"; SageMaker's patterns must match the whole value.
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        Model(
            stack,
            "M",
            containers=[
                ContainerDefinition(image=XGBOOST, environment={"KEY\n": "v"}, hostname="host\n"),
                ContainerDefinition(image=XGBOOST, hostname="other"),
            ],
            model_name="churn\n",
        )
    message = str(excinfo.value)
    assert "'containers[0].environment' key must match" in message
    assert "'containers[0].hostname' must be 1-63 characters" in message
    assert "'model_name' must be 1-63 characters" in message
    with pytest.raises(ValueError, match="'image_uri' must be 1-255 characters without whitespace"):
        ContainerImage.from_image_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1\n")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn_model/3",
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3/4",
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-/3",
        "arn:aws:sagemaker:us-east-1:\u0661\u0662\u0663456789012:model-package/churn/3",
    ],
)
def test_model_package_arn_follows_the_sagemaker_pattern(stack, arn):
    # 'model-package/[\S]+' accepted these, and cfn-lint rejected the template (E3031).
    with pytest.raises(ValueError, match=r"'containers\[0\].model_package_arn' must be a model package ARN"):
        Model(stack, "Pkg", containers=[ContainerDefinition(model_package_arn=arn)])


def test_model_data_key_with_a_line_break_is_rejected(stack):
    # The ModelDataUrl pattern s3://bucket/(.*) does not match line breaks.
    bucket = s3.Bucket.from_bucket_name(stack, "Artifacts", "artifacts")
    with pytest.raises(
        ValueError, match="'key' must be a non-empty S3 key without a leading '/' or line breaks"
    ):
        ModelData.from_bucket(bucket, "models/a\nb.tar.gz")


def test_model_data_key_must_fit_a_1024_character_url(stack):
    # ModelDataUrl holds at most 1024 characters (botocore's model), with a bucket name of up to 63.
    bucket = s3.Bucket.from_bucket_name(stack, "LongKeys", "artifacts")
    with pytest.raises(ValueError, match=r"'key' must be at most 955 characters .* got 956 characters"):
        ModelData.from_bucket(bucket, "m" * 956)
    ModelData.from_bucket(bucket, "m" * 955)
