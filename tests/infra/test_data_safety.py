"""Data safety audit of the reference templates: encryption, retention, TLS-only access, no public buckets.

For every resource that holds data:

- ``AWS::S3::Bucket``: default encryption (SSE-KMS with a key; SSE-S3 only for server access log buckets, the
  only encryption S3 delivers logs to), all four public access blocks, versioning, and a bucket policy that
  denies every request not sent over TLS, on the bucket and its objects;
- ``AWS::DynamoDB::Table``: SSE enabled, point-in-time recovery;
- ``AWS::SQS::Queue``: SSE (KMS or SQS-managed) and a queue policy that denies requests not sent over TLS;
- ``AWS::SNS::Topic``: encrypted with a KMS key and TLS-only for publishers;
- ``AWS::KMS::Key``: rotation on;
- ``AWS::Logs::LogGroup``: a retention period.

Buckets, tables, KMS keys, dead-letter queues and model package groups (``MUST_RETAIN``) have ``DeletionPolicy``
and ``UpdateReplacePolicy`` ``Retain``: they hold user data, monitoring history, parked events or model versions,
or the keys that decrypt them. ``MAY_BE_DELETED`` lists what is
deliberately not retained, with the reason.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

Template = dict[str, Any]

MUST_RETAIN = {
    "AWS::S3::Bucket": "Captured traffic, batch input and predictions, ground truth, monitoring reports, "
    "training data, pipeline artifacts and the access logs of each.",
    "AWS::DynamoDB::Table": "Trigger state: deleting it with the stack would let a redeployed trigger "
    "start a pipeline again for an incident it already handled.",
    "AWS::KMS::Key": "Without the key, nothing it encrypted (retained buckets and tables, their backups and "
    "versions) can be read again.",
    "AWS::SQS::Queue": "Every queue of the reference app is a dead-letter queue: the events parked there are the "
    "only record of runs and retrainings that were never started (issue 11, item 15).",
    "AWS::SageMaker::ModelPackageGroup": "The registered model versions and their approval history: deleting "
    "the group with the stack deletes what the endpoints were approved from.",
}


def _refs(value: Any) -> set[str]:
    """Logical IDs that ``value`` references with ``Ref`` or ``Fn::GetAtt``."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return {ref for item in value.values() for ref in _refs(item)}
    if isinstance(value, list):
        return {ref for item in value for ref in _refs(item)}
    return set()


def _holders(value: Any, key: str) -> list[Any]:
    """The values of ``key`` anywhere in ``value``."""
    if isinstance(value, dict):
        return ([value[key]] if key in value else []) + [
            v for item in value.values() for v in _holders(item, key)
        ]
    if isinstance(value, list):
        return [v for item in value for v in _holders(item, key)]
    return []


def dead_letter_queues(template: Template) -> set[str]:
    """Queues that only receive what a rule, schedule or function could not deliver or process."""
    resources = template["Resources"]
    return {
        ref
        for holder in _holders(resources, "DeadLetterConfig") + _holders(resources, "OnFailure")
        for ref in _refs(holder)
    }


def access_log_buckets(template: Template) -> set[str]:
    """Buckets that receive other buckets' server access logs."""
    return {
        ref
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::Bucket"
        for ref in _refs(r.get("Properties", {}).get("LoggingConfiguration", {}).get("DestinationBucketName"))
    }


# Resources that are deliberately not retained: (type, which of them, reason).
MAY_BE_DELETED: list[tuple[str, Callable[[Template], set[str]], str]] = [
    (
        "AWS::SNS::Topic",
        lambda template: {k for k, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic"},
        "SNS stores no messages; its key is retained.",
    ),
    (
        "AWS::Logs::LogGroup",
        lambda template: {k for k, r in template["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"},
        "Run metadata that expires with its retention period anyway (CDK retains log groups by default).",
    ),
]


def _tls_only(policy: dict[str, Any], actions: set[str]) -> list[dict[str, Any]]:
    """The statements of ``policy`` that deny one of ``actions`` to everyone when ``aws:SecureTransport`` is
    false."""
    return [
        s
        for s in policy.get("Statement", [])
        if s.get("Effect") == "Deny"
        and s.get("Principal") in ("*", {"AWS": "*"})
        and set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]]) & actions
        and str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
    ]


def _policies_of(
    template: Template, policy_type: str, target_key: str, logical_id: str
) -> list[dict[str, Any]]:
    return [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] == policy_type and logical_id in _refs(r["Properties"][target_key])
    ]


def check_bucket(template: Template, logical_id: str, properties: dict[str, Any]) -> list[str]:
    problems = []
    rules = properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    defaults = [r.get("ServerSideEncryptionByDefault", {}) for r in rules]
    kms = [
        d
        for d in defaults
        if d.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse") and d.get("KMSMasterKeyID")
    ]
    sse_s3 = [d for d in defaults if d.get("SSEAlgorithm") == "AES256"]
    if not kms and not (sse_s3 and logical_id in access_log_buckets(template)):
        problems.append("not encrypted with a KMS key (SSE-S3 only for server access log buckets)")
    block = properties.get("PublicAccessBlockConfiguration", {})
    flags = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    if not all(block.get(flag) is True for flag in flags):
        problems.append("public access not fully blocked")
    if properties.get("VersioningConfiguration", {}).get("Status") != "Enabled":
        problems.append("not versioned")
    denies = [
        s
        for policy in _policies_of(template, "AWS::S3::BucketPolicy", "Bucket", logical_id)
        for s in _tls_only(policy, {"s3:*"})
    ]
    covered = {json.dumps(r, sort_keys=True) for s in denies for r in s["Resource"]}
    bucket_arn = {"Fn::GetAtt": [logical_id, "Arn"]}
    objects = {"Fn::Join": ["", [bucket_arn, "/*"]]}
    if not {json.dumps(bucket_arn, sort_keys=True), json.dumps(objects, sort_keys=True)} <= covered:
        problems.append("no bucket policy denying s3:* without TLS on the bucket and its objects")
    return problems


def check_table(template: Template, logical_id: str, properties: dict[str, Any]) -> list[str]:
    problems = []
    if properties.get("SSESpecification", {}).get("SSEEnabled") is not True:
        problems.append("SSESpecification.SSEEnabled is not true")
    if properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is not True:
        problems.append("point-in-time recovery is off")
    return problems


def check_queue(template: Template, logical_id: str, properties: dict[str, Any]) -> list[str]:
    problems = []
    if not properties.get("KmsMasterKeyId") and properties.get("SqsManagedSseEnabled") is not True:
        problems.append("neither KmsMasterKeyId nor SqsManagedSseEnabled")
    policies = _policies_of(template, "AWS::SQS::QueuePolicy", "Queues", logical_id)
    if not any(_tls_only(p, {"sqs:*"}) for p in policies):
        problems.append("no queue policy denying sqs:* without TLS")
    return problems


def check_topic(template: Template, logical_id: str, properties: dict[str, Any]) -> list[str]:
    problems = []
    if not properties.get("KmsMasterKeyId"):
        problems.append("no KmsMasterKeyId")
    policies = _policies_of(template, "AWS::SNS::TopicPolicy", "Topics", logical_id)
    if not any(_tls_only(p, {"sns:*", "sns:Publish"}) for p in policies):
        problems.append("no topic policy denying sns:Publish without TLS")
    return problems


def check_key(template: Template, logical_id: str, properties: dict[str, Any]) -> list[str]:
    symmetric = properties.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    return ["key rotation is off"] if symmetric and properties.get("EnableKeyRotation") is not True else []


def check_log_group(template: Template, logical_id: str, properties: dict[str, Any]) -> list[str]:
    return [] if properties.get("RetentionInDays") else ["no retention period (logs kept forever)"]


CHECKS = {
    "AWS::S3::Bucket": check_bucket,
    "AWS::DynamoDB::Table": check_table,
    "AWS::SQS::Queue": check_queue,
    "AWS::SNS::Topic": check_topic,
    "AWS::KMS::Key": check_key,
    "AWS::Logs::LogGroup": check_log_group,
    "AWS::SageMaker::ModelPackageGroup": lambda template, logical_id, properties: [],  # retention only
}


def audit(template: Template) -> list[str]:
    """Every data safety problem of the template (empty when there is none)."""
    problems = []
    exempt = {
        (resource_type, logical_id)
        for resource_type, which, _ in MAY_BE_DELETED
        for logical_id in which(template)
    }
    for logical_id, resource in template["Resources"].items():
        resource_type = resource["Type"]
        if resource_type not in CHECKS:
            continue
        where = f"{logical_id} ({resource_type})"
        problems += [
            f"{where}: {p}" for p in CHECKS[resource_type](template, logical_id, resource["Properties"])
        ]
        retained = all(resource.get(p) == "Retain" for p in ("DeletionPolicy", "UpdateReplacePolicy"))
        if not retained and (resource_type in MUST_RETAIN or (resource_type, logical_id) not in exempt):
            problems.append(f"{where}: not retained (DeletionPolicy and UpdateReplacePolicy must be Retain)")
    return problems


# --------------------------------------------------------------------------------------------------- the tests


def test_reference_data_is_encrypted_retained_and_tls_only(reference_templates: dict[str, Template]) -> None:
    problems = [f"{stack}/{p}" for stack, template in reference_templates.items() for p in audit(template)]
    assert problems == [], f"{len(problems)} data safety problems:\n" + "\n".join(problems)


def test_every_audited_type_is_present(reference_templates: dict[str, Template]) -> None:
    # The audit sees every kind of data store the reference app has, so none is skipped silently.
    present = {r["Type"] for t in reference_templates.values() for r in t["Resources"].values()}
    assert set(CHECKS) <= present


def test_what_is_not_retained_is_what_the_list_allows(reference_templates: dict[str, Template]) -> None:
    # Only the topics are deleted with their stacks; log groups are retained (CDK's default), and so are the
    # queues: the dead-letter queues and the approved-model deployer's queue, whose redrive policy names one.
    deleted = [
        (r["Type"], logical_id)
        for t in reference_templates.values()
        for logical_id, r in t["Resources"].items()
        if r["Type"] in CHECKS and r.get("DeletionPolicy") != "Retain"
    ]
    assert {kind for kind, _ in deleted} == {"AWS::SNS::Topic"}
    queues = [
        logical_id
        for t in reference_templates.values()
        for logical_id, r in t["Resources"].items()
        if r["Type"] == "AWS::SQS::Queue"
    ]
    assert queues
    redriven = [
        logical_id
        for t in reference_templates.values()
        for logical_id, r in t["Resources"].items()
        if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]
    ]
    assert sorted(queues) == sorted(
        [*redriven, *(q for t in reference_templates.values() for q in dead_letter_queues(t))]
    )


BUCKET_POLICY_DENY = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    "Resource": [
        {"Fn::GetAtt": ["Data", "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": ["Data", "Arn"]}, "/*"]]},
    ],
}
GOOD: Template = {
    "Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
        "Data": {
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
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "VersioningConfiguration": {"Status": "Enabled"},
            },
        },
        "DataPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "Data"}, "PolicyDocument": {"Statement": [BUCKET_POLICY_DENY]}},
        },
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "SSESpecification": {"SSEEnabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            },
        },
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}},
        "QueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "Queue"}],
                "PolicyDocument": {
                    "Statement": [{**BUCKET_POLICY_DENY, "Action": "sqs:*", "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}]
                },
            },
        },
        "Rule": {
            "Type": "AWS::Events::Rule",
            "Properties": {"Targets": [{"DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["Queue", "Arn"]}}}]},
        },
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "Key"}}},
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Topic"}],
                "PolicyDocument": {"Statement": [{**BUCKET_POLICY_DENY, "Action": "sns:Publish", "Resource": "*"}]},
            },
        },
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
    }
}  # fmt: skip
for _id in ("Key", "Data", "Table", "Queue"):
    GOOD["Resources"][_id].update(DeletionPolicy="Retain", UpdateReplacePolicy="Retain")


def test_a_good_template_passes() -> None:
    assert audit(GOOD) == []


def _break(change: Callable[[dict[str, Any]], None]) -> list[str]:
    template = copy.deepcopy(GOOD)
    change(template["Resources"])
    return audit(template)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["Data"]["Properties"].pop("BucketEncryption"), "Data (AWS::S3::Bucket): not encrypted"),
        (
            lambda r: r["Data"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0].update(
                ServerSideEncryptionByDefault={"SSEAlgorithm": "AES256"}
            ),
            "Data (AWS::S3::Bucket): not encrypted with a KMS key",
        ),
        (
            lambda r: r["Data"]["Properties"]["PublicAccessBlockConfiguration"].update(RestrictPublicBuckets=False),
            "Data (AWS::S3::Bucket): public access not fully blocked",
        ),
        (lambda r: r["Data"]["Properties"].pop("VersioningConfiguration"), "Data (AWS::S3::Bucket): not versioned"),
        (lambda r: r.pop("DataPolicy"), "Data (AWS::S3::Bucket): no bucket policy denying"),
        (
            lambda r: r["DataPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Resource"].pop(),
            "Data (AWS::S3::Bucket): no bucket policy denying",
        ),
        (lambda r: r["Data"].pop("DeletionPolicy"), "Data (AWS::S3::Bucket): not retained"),
        (lambda r: r["Key"].update(UpdateReplacePolicy="Delete"), "Key (AWS::KMS::Key): not retained"),
        (lambda r: r["Key"]["Properties"].pop("EnableKeyRotation"), "Key (AWS::KMS::Key): key rotation is off"),
        (lambda r: r["Table"]["Properties"].pop("SSESpecification"), "Table (AWS::DynamoDB::Table): SSESpec"),
        (
            lambda r: r["Table"]["Properties"].pop("PointInTimeRecoverySpecification"),
            "Table (AWS::DynamoDB::Table): point-in-time recovery is off",
        ),
        (lambda r: r["Table"].pop("DeletionPolicy"), "Table (AWS::DynamoDB::Table): not retained"),
        (lambda r: r["Queue"]["Properties"].pop("SqsManagedSseEnabled"), "Queue (AWS::SQS::Queue): neither"),
        (lambda r: r.pop("QueuePolicy"), "Queue (AWS::SQS::Queue): no queue policy denying"),
        # Queues must be retained, dead-letter queues included: they hold the parked events.
        (lambda r: r["Queue"].pop("DeletionPolicy"), "Queue (AWS::SQS::Queue): not retained"),
        (lambda r: r["Topic"]["Properties"].pop("KmsMasterKeyId"), "Topic (AWS::SNS::Topic): no KmsMasterKeyId"),
        (lambda r: r.pop("TopicPolicy"), "Topic (AWS::SNS::Topic): no topic policy denying"),
        (lambda r: r["Logs"]["Properties"].pop("RetentionInDays"), "Logs (AWS::Logs::LogGroup): no retention"),
    ],
)  # fmt: skip
def test_audit_catches(change: Callable[[dict[str, Any]], None], expected: str) -> None:
    problems = _break(change)
    assert any(p.startswith(expected) for p in problems), problems


def test_the_retention_lists_have_reasons() -> None:
    assert all(len(reason) > 30 for reason in MUST_RETAIN.values())
    assert all(len(reason) > 30 for _, _, reason in MAY_BE_DELETED)
    assert not set(MUST_RETAIN) & {kind for kind, _, _ in MAY_BE_DELETED}
