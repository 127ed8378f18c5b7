"""ApprovedModelPackage: the parameter, the condition, the chosen container and its grants, synthesized."""

from __future__ import annotations

import re

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import ApprovedModelPackage, ContainerDefinition, ContainerImage, Model, ModelData

IMAGE = ContainerImage.for_algorithm("xgboost", "3.0-5")


def _package(stack: Stack, **overrides: object) -> ApprovedModelPackage:
    bucket = s3.Bucket(stack, "Artifacts")
    props: dict[str, object] = {
        "model_package_group_name": "churn-models",
        "image": IMAGE,
        "artifacts": ModelData.from_bucket(bucket, "churn/models/"),
        "initial": ContainerDefinition(
            image=IMAGE, model_data=ModelData.from_bucket(bucket, "initial/model.tar.gz")
        ),
    }
    props.update(overrides)
    return ApprovedModelPackage(stack, "Package", **props)  # type: ignore[arg-type]


def test_the_model_serves_the_initial_container_until_the_parameter_names_a_version() -> None:
    stack = Stack(App(), "Serving")
    package = _package(stack, parameter_name="ChallengerModelPackageArn")
    Model(stack, "Challenger", containers=[package.container])
    template = Template.from_stack(stack)

    template.has_parameter(
        "ChallengerModelPackageArn",
        {
            "Type": "String",
            "Default": "initial",
            "AllowedPattern": r"^initial$|^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package/"
            r"churn\-models/[0-9]{1,9}$",
        },
    )
    conditions = template.to_json()["Conditions"]
    (condition_id,) = conditions
    assert conditions[condition_id] == {"Fn::Equals": [{"Ref": "ChallengerModelPackageArn"}, "initial"]}
    container = template.find_resources("AWS::SageMaker::Model")
    (model,) = container.values()
    primary = model["Properties"]["PrimaryContainer"]
    assert primary["ModelPackageName"] == {
        "Fn::If": [condition_id, {"Ref": "AWS::NoValue"}, {"Ref": "ChallengerModelPackageArn"}]
    }
    assert primary["Image"]["Fn::If"][0] == condition_id
    assert primary["Image"]["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    assert primary["ModelDataUrl"]["Fn::If"][0] == condition_id
    assert primary["ModelDataUrl"]["Fn::If"][1]["Fn::Join"][1][-1] == "/initial/model.tar.gz"
    assert package.parameter_name == "ChallengerModelPackageArn"


def test_the_models_role_may_read_the_versions_artifacts_and_the_initial_one() -> None:
    stack = Stack(App(), "Serving")
    package = _package(stack)
    Model(stack, "Challenger", containers=[package.container])
    statements = Template.from_stack(stack).to_json()["Resources"]
    policies = [r for r in statements.values() if r["Type"] == "AWS::IAM::Policy"]
    (policy,) = policies
    reads = [
        s["Resource"]["Fn::Join"][1][-1]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "s3:GetObject"
    ]
    assert sorted(reads) == ["/churn/models/*", "/initial/model.tar.gz"]


def test_the_generated_parameter_name_is_the_logical_id() -> None:
    stack = Stack(App(), "Serving")
    package = _package(stack)
    Model(stack, "Challenger", containers=[package.container])
    assert package.parameter_name in Template.from_stack(stack).to_json()["Parameters"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model_package_group_name": "churn_models"}, "'model_package_group_name'"),
        (
            {"parameter_name": "Model-Arn"},
            "'parameter_name' must be 1-255 letters and digits, got 'Model-Arn'",
        ),
        (
            {
                "initial": ContainerDefinition(
                    model_package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/1"
                )
            },
            "'initial' must be an image-based ContainerDefinition",
        ),
    ],
    ids=["group-name", "parameter-name", "initial-package"],
)
def test_bad_props_are_rejected_at_construction(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _package(Stack(App(), "Serving"), **overrides)


def test_artifacts_must_be_a_prefix() -> None:
    stack = Stack(App(), "Serving")
    bucket = s3.Bucket(stack, "Other")
    with pytest.raises(ValueError, match="'artifacts' must be an S3 prefix ending in '/'"):
        _package(stack, artifacts=ModelData.from_bucket(bucket, "churn/model.tar.gz"))


def test_a_condition_needs_its_otherwise() -> None:
    stack = Stack(App(), "Serving")
    package = _package(stack)
    lone = ContainerDefinition(image=IMAGE, condition=package.serve_initial)
    with pytest.raises(
        ValueError, match=re.escape("'containers[0].condition' and 'containers[0].otherwise' go together")
    ):
        Model(stack, "Bad", containers=[lone])


def test_a_token_group_name_leaves_the_parameter_plain_strings() -> None:
    # CloudFormation refuses intrinsic functions in a parameter's properties; a group name known only at deploy
    # time (another parameter, an import) is a token.
    from aws_cdk import CfnParameter

    stack = Stack(App(), "Serving")
    group_name = CfnParameter(stack, "GroupName").value_as_string
    package = _package(stack, model_package_group_name=group_name, parameter_name="ServedVersion")
    Model(stack, "Challenger", containers=[package.container])
    parameter = Template.from_stack(stack).to_json()["Parameters"]["ServedVersion"]
    assert all(isinstance(value, str) for value in parameter.values()), parameter
    assert re.fullmatch(
        parameter["AllowedPattern"], "arn:aws:sagemaker:us-east-1:123456789012:model-package/any-group/7"
    )
    assert "${Token" not in str(parameter)
