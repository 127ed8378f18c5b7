"""``SecureBucket``'s server access logs: one access-log bucket per stack, shared by the stack's SecureBuckets,
each logging under a prefix of its own through a bucket-policy statement scoped to it; a bucket of the user's
choice instead; retained unless every SecureBucket that logs to it is destroyed."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, RemovalPolicy, Stack, Validations
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from support.stacks import SynthFn

from sagemaker_constructs import SecureBucket, ValidationError
from sagemaker_constructs.common.secure_bucket import ACCESS_LOGS_ID

LOG_DELIVERY = {"Service": "logging.s3.amazonaws.com"}


def _buckets(template: Template) -> dict[str, dict[str, Any]]:
    return dict(template.find_resources("AWS::S3::Bucket"))


def _logged(template: Template) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in _buckets(template).items() if "LoggingConfiguration" in r["Properties"]}


def _delivery_statements(template: Template, destination: str) -> list[dict[str, Any]]:
    (policy,) = (
        r["Properties"]["PolicyDocument"]
        for r in template.find_resources("AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": destination}
    )
    return [s for s in policy["Statement"] if s.get("Principal") == LOG_DELIVERY]


def test_the_secure_buckets_of_a_stack_share_one_access_log_bucket(synth: SynthFn) -> None:
    template = synth(
        lambda stack: [SecureBucket(stack, name, description=name) for name in ("Data", "Reports", "Output")]
    )

    logged = _logged(template)
    assert len(logged) == 3
    assert len(_buckets(template)) == 4  # three data buckets and one for their access logs
    destinations = {
        r["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"] for r in logged.values()
    }
    (destination,) = destinations
    assert destination.startswith(ACCESS_LOGS_ID)
    prefixes = {k: r["Properties"]["LoggingConfiguration"]["LogFilePrefix"] for k, r in logged.items()}
    assert len(set(prefixes.values())) == 3, prefixes
    # No prefix contains another's, so no source can write into another's logs.
    assert not any(a != b and b.startswith(a) for a in prefixes.values() for b in prefixes.values())
    # One statement per source: its own prefix, its own ARN, this account.
    statements = _delivery_statements(template, destination)
    assert len(statements) == 3
    for source, prefix in prefixes.items():
        assert {
            "Effect": "Allow",
            "Principal": LOG_DELIVERY,
            "Action": "s3:PutObject",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [destination, "Arn"]}, f"/{prefix}*"]]},
            "Condition": {
                "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [source, "Arn"]}},
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            },
        } in statements


def test_each_stack_has_its_own_access_log_bucket() -> None:
    app = App()
    first, second = Stack(app, "First"), Stack(app, "Second")
    for stack in (first, second):
        SecureBucket(stack, "Data", description="data")
        SecureBucket(stack, "More", description="more")
    for stack in (first, second):
        template = Template.from_stack(stack)
        template.resource_count_is("AWS::S3::Bucket", 3)
        refs = {
            r["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
            for r in _logged(template).values()
        }
        assert len(refs) == 1  # a local Ref: no cross-stack reference


def _shared_bucket(*policies: RemovalPolicy) -> dict[str, Any]:
    stack = Stack(App(), "Policies")
    for i, policy in enumerate(policies):
        SecureBucket(stack, f"Data{i}", description="data", removal_policy=policy)
    buckets = Template.from_stack(stack).find_resources("AWS::S3::Bucket")
    (shared,) = (r for k, r in buckets.items() if k.startswith(ACCESS_LOGS_ID))
    return dict(shared)


def test_the_shared_bucket_is_retained_unless_every_source_is_destroyed() -> None:
    assert _shared_bucket(RemovalPolicy.RETAIN)["DeletionPolicy"] == "Retain"
    assert _shared_bucket(RemovalPolicy.DESTROY)["DeletionPolicy"] == "Delete"
    for policies in [
        (RemovalPolicy.DESTROY, RemovalPolicy.RETAIN),
        (RemovalPolicy.RETAIN, RemovalPolicy.DESTROY),
    ]:
        shared = _shared_bucket(*policies)
        assert (shared["DeletionPolicy"], shared["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_a_bucket_given_for_the_access_logs_receives_them_instead(synth: SynthFn) -> None:
    def build(stack: Stack) -> None:
        own = s3.Bucket(
            stack,
            "OwnLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        )
        Validations.of(own).acknowledge(Acknowledgment(id="AwsSolutions-S1", reason="the test's log bucket"))
        bucket = SecureBucket(stack, "Data", description="data", server_access_logs_bucket=own)
        assert bucket.access_logs is own
        SecureBucket(stack, "Shared", description="shared")

    template = synth(build)
    logged = _logged(template)
    own = next(k for k in _buckets(template) if k.startswith("OwnLogs"))
    data = next(k for k in logged if k.startswith("Data"))
    assert logged[data]["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": own}
    (statement,) = _delivery_statements(template, own)
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [data, "Arn"]}
    prefix = logged[data]["Properties"]["LoggingConfiguration"]["LogFilePrefix"]
    assert statement["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [own, "Arn"]}, f"/{prefix}*"]]}
    shared = next(k for k in _buckets(template) if k.startswith(ACCESS_LOGS_ID))
    assert len(_delivery_statements(template, shared)) == 1


def test_a_stack_without_the_default_creates_no_shared_bucket() -> None:
    stack = Stack(App(), "Own")
    own = s3.Bucket(stack, "OwnLogs")
    SecureBucket(stack, "Data", description="data", server_access_logs_bucket=own)
    assert stack.node.try_find_child(ACCESS_LOGS_ID) is None


def test_the_shared_bucket_id_taken_by_another_construct_is_refused() -> None:
    stack = Stack(App(), "Taken")
    s3.Bucket(stack, ACCESS_LOGS_ID)
    with pytest.raises(ValidationError, match=rf"'{ACCESS_LOGS_ID}' is reserved .* got .*Bucket"):
        SecureBucket(stack, "Data", description="data")
