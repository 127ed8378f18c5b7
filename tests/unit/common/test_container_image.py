"""SageMaker images resolved per region: a mapping in env-agnostic stacks, a literal in region-bound stacks."""

from __future__ import annotations

import pytest
from aws_cdk import Stack

from sagemaker_constructs import ContainerImage, Model


def image_of(template) -> object:
    model = next(iter(template.find_resources("AWS::SageMaker::Model").values()))
    return model["Properties"]["PrimaryContainer"]["Image"]


def test_env_agnostic_stack_uses_a_region_mapping(synth):
    template = synth(lambda s: Model(s, "M", image=ContainerImage.for_algorithm("xgboost", "3.0-5")))
    mappings = template.to_json()["Mappings"]
    assert list(mappings) == ["SageMakerImageAccountsXgboost"]
    accounts = mappings["SageMakerImageAccountsXgboost"]
    assert accounts["us-east-1"] == {"account": "683313688378"}
    assert accounts["cn-north-1"] == {"account": "450853457545"}
    assert len(accounts) >= 30
    assert image_of(template) == {
        "Fn::Join": [
            "",
            [
                {"Fn::FindInMap": ["SageMakerImageAccountsXgboost", {"Ref": "AWS::Region"}, "account"]},
                ".dkr.ecr.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                "/sagemaker-xgboost:3.0-5",
            ],
        ]
    }


def test_one_mapping_per_registry_even_for_many_images(synth):
    def build(stack: Stack) -> None:
        Model(stack, "A", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        Model(stack, "B", image=ContainerImage.for_algorithm("xgboost", "1.7-1"))
        Model(stack, "C", image=ContainerImage.for_algorithm("sklearn", "1.2-1"))

    template = synth(build)
    assert list(template.to_json()["Mappings"]) == ["SageMakerImageAccountsXgboost"]


def test_region_bound_stack_gets_the_literal_account(synth):
    template = synth(
        lambda s: Model(s, "M", image=ContainerImage.for_algorithm("xgboost", "3.0-5")), region="eu-west-1"
    )
    assert "Mappings" not in template.to_json()
    image = image_of(template)
    assert image["Fn::Join"][1][0] == "141502667606.dkr.ecr.eu-west-1."
    assert image["Fn::Join"][1][-1] == "/sagemaker-xgboost:3.0-5"


def test_region_without_the_image_fails_at_synth():
    from aws_cdk import App, Environment

    stack = Stack(App(), "Gov", env=Environment(account="123456789012", region="us-gov-west-1"))
    with pytest.raises(
        ValueError, match="SageMaker publishes no model-monitor  image in region 'us-gov-west-1'"
    ):
        Model(stack, "M", image=ContainerImage.for_algorithm("model-monitor", ""))


def test_unknown_framework_and_version():
    with pytest.raises(ValueError, match=r"'framework' must be one of \['clarify', 'model-monitor', 'sklearn', 'xgboost'\], got 'xgb'"):  # fmt: skip
        ContainerImage.for_algorithm("xgb", "3.0-5")
    with pytest.raises(ValueError, match=r"'version' for framework 'xgboost' must be one of \[.*'3.0-5'.*\], got '9.9'"):  # fmt: skip
        ContainerImage.for_algorithm("xgboost", "9.9")


def test_image_uri_is_checked():
    with pytest.raises(
        ValueError, match="'image_uri' must be 1-255 characters without whitespace, got 'a b'"
    ):
        ContainerImage.from_image_uri("a b")
