"""The policy evaluator's own tests: each rule of AWS's evaluation logic, the cases that must deny first.

Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.iam_eval import Decision, PolicyError, Request, evaluate

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Worker"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Other"
BUCKET = "arn:aws:s3:::data"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1111"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(
    request: Request, identity: list[dict[str, Any]], resource: dict[str, Any] | None = None
) -> Decision:
    return evaluate(request, identity, resource, resource_account=ACCOUNT).decision


GET = Request(ROLE, "s3:GetObject", f"{BUCKET}/in/a.csv", {"aws:SecureTransport": True})


# ----------------------------------------------------------------------------------- allow / deny basics


def test_nothing_allows_is_an_implicit_deny() -> None:
    assert decide(GET, []) is Decision.IMPLICIT_DENY
    assert decide(GET, [policy(allow("s3:PutObject", f"{BUCKET}/*"))]) is Decision.IMPLICIT_DENY


def test_identity_allow_allows() -> None:
    assert decide(GET, [policy(allow("s3:GetObject", f"{BUCKET}/in/*"))]) is Decision.ALLOW


def test_explicit_deny_in_identity_policy_wins_over_allow() -> None:
    identity = [policy(allow("s3:*", "*")), policy(deny("s3:Get*", f"{BUCKET}/*"))]
    assert decide(GET, identity) is Decision.EXPLICIT_DENY


def test_explicit_deny_in_resource_policy_wins_over_identity_allow() -> None:
    bucket_policy = policy(deny("s3:*", [BUCKET, f"{BUCKET}/*"], Principal={"AWS": "*"}))
    assert decide(GET, [policy(allow("s3:GetObject", "*"))], bucket_policy) is Decision.EXPLICIT_DENY


def test_resource_policy_naming_the_role_allows_without_identity_policy() -> None:
    bucket_policy = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": ROLE}))
    assert decide(GET, [], bucket_policy) is Decision.ALLOW
    other = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": OTHER_ROLE}))
    assert decide(GET, [], other) is Decision.IMPLICIT_DENY


def test_resource_policy_naming_only_the_account_does_not_allow_by_itself() -> None:
    for principal in ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": ACCOUNT}):
        bucket_policy = policy(allow("s3:GetObject", f"{BUCKET}/*", Principal=principal))
        assert decide(GET, [], bucket_policy) is Decision.IMPLICIT_DENY


def test_resource_policy_deny_naming_the_account_applies_to_its_roles() -> None:
    bucket_policy = policy(
        deny("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    )
    assert decide(GET, [policy(allow("s3:*"))], bucket_policy) is Decision.EXPLICIT_DENY


def test_service_principal() -> None:
    publish = Request("service:events.amazonaws.com", "sns:Publish", f"arn:aws:sns:eu-west-1:{ACCOUNT}:t")
    topic = policy(allow("sns:Publish", publish.resource, Principal={"Service": "events.amazonaws.com"}))
    assert decide(publish, [], topic) is Decision.ALLOW
    other = policy(allow("sns:Publish", publish.resource, Principal={"Service": "s3.amazonaws.com"}))
    assert decide(publish, [], other) is Decision.IMPLICIT_DENY
    # An AWS principal entry never matches a service.
    by_role = policy(allow("sns:Publish", publish.resource, Principal={"AWS": ROLE}))
    assert decide(publish, [], by_role) is Decision.IMPLICIT_DENY


def test_not_principal() -> None:
    bucket_policy = policy(
        {"Effect": "Deny", "Action": "s3:*", "Resource": f"{BUCKET}/*", "NotPrincipal": {"AWS": OTHER_ROLE}}
    )
    assert decide(GET, [policy(allow("s3:*"))], bucket_policy) is Decision.EXPLICIT_DENY
    exempt = policy(
        {"Effect": "Deny", "Action": "s3:*", "Resource": f"{BUCKET}/*", "NotPrincipal": {"AWS": ROLE}}
    )
    assert decide(GET, [policy(allow("s3:*"))], exempt) is Decision.ALLOW


# ------------------------------------------------------------------------------------------------ KMS


DECRYPT = Request(ROLE, "kms:Decrypt", KEY, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
ROOT_ADMIN = {
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def test_kms_needs_key_policy_delegation_and_identity_allow() -> None:
    identity = [policy(allow("kms:Decrypt", KEY))]
    assert decide(DECRYPT, identity, policy(ROOT_ADMIN)) is Decision.ALLOW
    # The key policy delegates, but no identity policy allows.
    assert decide(DECRYPT, [], policy(ROOT_ADMIN)) is Decision.IMPLICIT_DENY
    # The identity policy allows, but the key policy does not delegate to IAM (unlike S3, identity alone fails).
    other = {**ROOT_ADMIN, "Principal": {"AWS": OTHER_ROLE}}
    assert decide(DECRYPT, identity, policy(other)) is Decision.IMPLICIT_DENY


def test_kms_key_policy_naming_the_principal_is_enough() -> None:
    key_policy = policy(ROOT_ADMIN, allow("kms:Decrypt", "*", Principal={"AWS": ROLE}))
    assert decide(DECRYPT, [], key_policy) is Decision.ALLOW


def test_kms_without_key_policy_is_refused() -> None:
    with pytest.raises(PolicyError, match="key policy"):
        evaluate(DECRYPT, [policy(allow("kms:*"))], None)


def test_kms_via_service_condition() -> None:
    key_policy = policy(
        allow(
            "kms:Decrypt",
            "*",
            Principal={"AWS": ROLE},
            Condition={"StringEquals": {"kms:ViaService": "sqs.eu-west-1.amazonaws.com"}},
        )
    )
    assert decide(DECRYPT, [], key_policy) is Decision.IMPLICIT_DENY


# ---------------------------------------------------------------------------- Action / Resource matching


def test_actions_are_case_insensitive_with_wildcards() -> None:
    assert decide(GET, [policy(allow("S3:getobject", f"{BUCKET}/*"))]) is Decision.ALLOW
    assert decide(GET, [policy(allow("s3:Get*", f"{BUCKET}/*"))]) is Decision.ALLOW
    assert decide(GET, [policy(allow("s3:G?tObject", f"{BUCKET}/*"))]) is Decision.ALLOW
    assert decide(GET, [policy(allow("s3:Get?", f"{BUCKET}/*"))]) is Decision.IMPLICIT_DENY
    assert decide(GET, [policy(allow("s3:GetObjectVersion", f"{BUCKET}/*"))]) is Decision.IMPLICIT_DENY


def test_resources_are_case_sensitive_and_wildcards_span_slashes() -> None:
    assert decide(GET, [policy(allow("s3:GetObject", f"{BUCKET}/*"))]) is Decision.ALLOW
    assert decide(GET, [policy(allow("s3:GetObject", f"{BUCKET}/IN/*"))]) is Decision.IMPLICIT_DENY
    assert decide(GET, [policy(allow("s3:GetObject", f"{BUCKET}/in/?.csv"))]) is Decision.ALLOW
    assert decide(GET, [policy(allow("s3:GetObject", f"{BUCKET}/out/*"))]) is Decision.IMPLICIT_DENY
    # The bucket ARN does not match objects.
    assert decide(GET, [policy(allow("s3:GetObject", BUCKET))]) is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource() -> None:
    everything_but_get = [policy({"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"})]
    assert decide(GET, everything_but_get) is Decision.IMPLICIT_DENY
    everything_but_put = [policy({"Effect": "Allow", "NotAction": "s3:Put*", "Resource": "*"})]
    assert decide(GET, everything_but_put) is Decision.ALLOW
    not_here = [policy({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}/in/*"})]
    assert decide(GET, not_here) is Decision.IMPLICIT_DENY
    deny_elsewhere = [
        policy(allow("s3:*"), {"Effect": "Deny", "Action": "s3:*", "NotResource": f"{BUCKET}/in/*"})
    ]
    assert decide(GET, deny_elsewhere) is Decision.ALLOW


def test_malformed_statements_are_refused() -> None:
    with pytest.raises(PolicyError, match="exactly one of Action and NotAction"):
        decide(GET, [policy({"Effect": "Allow", "Resource": "*"})])
    with pytest.raises(PolicyError, match="Effect"):
        decide(GET, [policy({"Effect": "allow", "Action": "*", "Resource": "*"})])
    with pytest.raises(PolicyError, match="resolved"):
        decide(GET, [policy(allow("s3:GetObject", {"Fn::GetAtt": ["B", "Arn"]}))])
    with pytest.raises(PolicyError, match="policy variables"):
        decide(GET, [policy(allow("s3:GetObject", f"{BUCKET}/${{aws:username}}/*"))])


def test_cross_account_is_refused() -> None:
    request = Request(ROLE, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:999999999999:q")
    with pytest.raises(PolicyError, match="cross-account"):
        evaluate(request, [policy(allow("sqs:*"))])


# ------------------------------------------------------------------------------------------- conditions


LIST = Request(ROLE, "s3:ListBucket", BUCKET, {"s3:prefix": "in/2026/", "aws:SecureTransport": "true"})


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"StringLike": {"s3:prefix": ["in/*"]}}, Decision.ALLOW),
        ({"StringLike": {"s3:prefix": ["out/*", "in/*"]}}, Decision.ALLOW),  # values: OR
        ({"StringLike": {"s3:prefix": ["In/*"]}}, Decision.IMPLICIT_DENY),  # case-sensitive
        ({"StringLike": {"s3:prefix": ["in/"]}}, Decision.IMPLICIT_DENY),  # no wildcard: exact
        ({"StringEquals": {"s3:prefix": "in/2026/"}}, Decision.ALLOW),
        ({"StringEquals": {"s3:prefix": "in/*"}}, Decision.IMPLICIT_DENY),  # no wildcards in StringEquals
        ({"StringEqualsIgnoreCase": {"s3:prefix": "IN/2026/"}}, Decision.ALLOW),
        ({"StringNotEquals": {"s3:prefix": ["out/", "in/2026/"]}}, Decision.IMPLICIT_DENY),  # values: NOR
        ({"StringNotEquals": {"s3:prefix": ["out/"]}}, Decision.ALLOW),
        ({"StringNotLike": {"s3:prefix": "in/*"}}, Decision.IMPLICIT_DENY),
        ({"StringLike": {"S3:PREFIX": "in/*"}}, Decision.ALLOW),  # key names are case-insensitive
        ({"Bool": {"aws:SecureTransport": "true"}}, Decision.ALLOW),
        ({"Bool": {"aws:SecureTransport": "false"}}, Decision.IMPLICIT_DENY),
        # Operators AND, keys AND.
        (
            {"StringLike": {"s3:prefix": "in/*"}, "Bool": {"aws:SecureTransport": "false"}},
            Decision.IMPLICIT_DENY,
        ),
        ({"StringLike": {"s3:prefix": "in/*", "s3:delimiter": "/"}}, Decision.IMPLICIT_DENY),
    ],
)
def test_string_and_bool_operators(condition: dict[str, Any], expected: Decision) -> None:
    assert decide(LIST, [policy(allow("s3:ListBucket", BUCKET, Condition=condition))]) is expected


def test_absent_key_is_false_but_true_for_negated_operators_and_if_exists() -> None:
    bare = Request(ROLE, "s3:ListBucket", BUCKET, {})
    for condition, expected in [
        ({"StringLike": {"s3:prefix": "*"}}, Decision.IMPLICIT_DENY),
        ({"StringNotLike": {"s3:prefix": "secret/*"}}, Decision.ALLOW),
        ({"StringNotEquals": {"s3:prefix": "secret/"}}, Decision.ALLOW),
        ({"StringLikeIfExists": {"s3:prefix": "in/*"}}, Decision.ALLOW),
        ({"Null": {"s3:prefix": "true"}}, Decision.ALLOW),
        ({"Null": {"s3:prefix": "false"}}, Decision.IMPLICIT_DENY),
    ]:
        assert decide(bare, [policy(allow("s3:ListBucket", BUCKET, Condition=condition))]) is expected, (
            condition
        )
    # IfExists still checks a present key.
    present = {"StringLikeIfExists": {"s3:prefix": "out/*"}}
    assert decide(LIST, [policy(allow("s3:ListBucket", BUCKET, Condition=present))]) is Decision.IMPLICIT_DENY
    assert decide(
        LIST, [policy(allow("s3:ListBucket", BUCKET, Condition={"Null": {"s3:prefix": "false"}}))]
    ) is (Decision.ALLOW)


def test_tls_deny_of_cdk_bucket_policies() -> None:
    # What aws-cdk's enforceSSL renders: Deny s3:* when aws:SecureTransport is false.
    tls = policy(
        deny(
            "s3:*",
            [BUCKET, f"{BUCKET}/*"],
            Principal={"AWS": "*"},
            Condition={"Bool": {"aws:SecureTransport": "false"}},
        )
    )
    identity = [policy(allow("s3:GetObject", f"{BUCKET}/*"))]
    assert decide(GET, identity, tls) is Decision.ALLOW
    plain = Request(ROLE, "s3:GetObject", GET.resource, {"aws:SecureTransport": False})
    assert decide(plain, identity, tls) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("NumericEquals", "10", True),
        ("NumericNotEquals", "10", False),
        ("NumericLessThan", "11", True),
        ("NumericLessThan", "10", False),
        ("NumericLessThanEquals", "10", True),
        ("NumericGreaterThan", "9", True),
        ("NumericGreaterThan", "10", False),
        ("NumericGreaterThanEquals", "10", True),
        ("NumericGreaterThanEquals", "10.5", False),
    ],
)
def test_numeric_operators(operator: str, value: str, expected: bool) -> None:
    request = Request(ROLE, "s3:ListBucket", BUCKET, {"s3:max-keys": "10"})
    condition = {operator: {"s3:max-keys": value}}
    decision = decide(request, [policy(allow("s3:ListBucket", BUCKET, Condition=condition))])
    assert (decision is Decision.ALLOW) is expected


def test_date_and_ip_operators() -> None:
    request = Request(
        ROLE,
        "s3:GetObject",
        GET.resource,
        {"aws:CurrentTime": "2026-12-01T20:00:00Z", "aws:SourceIp": "10.0.0.5"},
    )
    for condition, expected in [
        ({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, Decision.ALLOW),
        ({"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, Decision.IMPLICIT_DENY),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/24"}}, Decision.ALLOW),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/24"}}, Decision.IMPLICIT_DENY),
    ]:
        assert (
            decide(request, [policy(allow("s3:GetObject", f"{BUCKET}/*", Condition=condition))]) is expected
        )


def test_arn_operators_compare_each_part() -> None:
    source = f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/Nightly"
    publish = Request(
        "service:events.amazonaws.com",
        "sns:Publish",
        f"arn:aws:sns:eu-west-1:{ACCOUNT}:t",
        {"aws:SourceArn": source, "aws:SourceAccount": ACCOUNT},
    )

    def topic(condition: dict[str, Any]) -> dict[str, Any]:
        return policy(
            allow(
                "sns:Publish",
                publish.resource,
                Principal={"Service": "events.amazonaws.com"},
                Condition=condition,
            )
        )

    assert (
        decide(publish, [], topic({"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{ACCOUNT}:rule/*"}}))
        is Decision.ALLOW
    )
    assert decide(publish, [], topic({"ArnEquals": {"aws:SourceArn": source}})) is Decision.ALLOW
    other = "arn:aws:events:eu-west-1:999999999999:rule/*"
    assert decide(publish, [], topic({"ArnLike": {"aws:SourceArn": other}})) is Decision.IMPLICIT_DENY
    # A wildcard may not cross a colon into the next part.
    assert (
        decide(publish, [], topic({"ArnLike": {"aws:SourceArn": "arn:aws:events:*"}}))
        is Decision.IMPLICIT_DENY
    )
    assert decide(publish, [], topic({"ArnNotLike": {"aws:SourceArn": other}})) is Decision.ALLOW
    assert decide(publish, [], topic({"StringEquals": {"aws:SourceAccount": ACCOUNT}})) is Decision.ALLOW
    assert (
        decide(publish, [], topic({"StringEquals": {"aws:SourceAccount": "999999999999"}}))
        is Decision.IMPLICIT_DENY
    )


def test_set_operators() -> None:
    tagged = Request(
        ROLE, "sagemaker:AddTags", f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:x", {"aws:TagKeys": ["a", "b"]}
    )
    untagged = Request(ROLE, "sagemaker:AddTags", tagged.resource, {})

    def with_condition(condition: dict[str, Any]) -> list[dict[str, Any]]:
        return [policy(allow("sagemaker:AddTags", "*", Condition=condition))]

    assert (
        decide(tagged, with_condition({"ForAnyValue:StringEquals": {"aws:TagKeys": ["b", "z"]}}))
        is Decision.ALLOW
    )
    assert (
        decide(tagged, with_condition({"ForAnyValue:StringEquals": {"aws:TagKeys": ["z"]}}))
        is Decision.IMPLICIT_DENY
    )
    assert (
        decide(tagged, with_condition({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b", "c"]}}))
        is Decision.ALLOW
    )
    assert (
        decide(tagged, with_condition({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}))
        is Decision.IMPLICIT_DENY
    )
    # ForAllValues holds vacuously without the key; ForAnyValue does not.
    assert (
        decide(untagged, with_condition({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}))
        is Decision.ALLOW
    )
    assert (
        decide(untagged, with_condition({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}))
        is Decision.IMPLICIT_DENY
    )
    # A multivalued key without a set operator is ambiguous: refused.
    with pytest.raises(PolicyError, match="multivalued"):
        decide(tagged, with_condition({"StringEquals": {"aws:TagKeys": "a"}}))


def test_pass_role_condition() -> None:
    pass_role = Request(ROLE, "iam:PassRole", ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com"})
    statement = allow(
        "iam:PassRole", ROLE, Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    )
    assert decide(pass_role, [policy(statement)]) is Decision.ALLOW
    to_lambda = Request(ROLE, "iam:PassRole", ROLE, {"iam:PassedToService": "lambda.amazonaws.com"})
    assert decide(to_lambda, [policy(statement)]) is Decision.IMPLICIT_DENY


def test_metric_namespace_condition() -> None:
    put = Request(
        ROLE,
        "cloudwatch:PutMetricData",
        "*",
        {"cloudwatch:namespace": "aws/sagemaker/Endpoints/data-metrics"},
    )
    statement = allow(
        "cloudwatch:PutMetricData",
        "*",
        Condition={"StringLike": {"cloudwatch:namespace": "aws/sagemaker/Endpoints/*"}},
    )
    assert decide(put, [policy(statement)]) is Decision.ALLOW
    other = Request(ROLE, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "Custom/Thing"})
    assert decide(other, [policy(statement)]) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    "operator", ["StringMatches", "ForSomeValues:StringEquals", "BinaryEquals", "NullIfExists"]
)
def test_unknown_operators_fail_loudly(operator: str) -> None:
    statement = allow("s3:ListBucket", BUCKET, Condition={operator: {"s3:prefix": "in/*"}})
    with pytest.raises(PolicyError):
        decide(LIST, [policy(statement)])
    # Also in a Deny, and in a resource policy: a condition the evaluator cannot judge never becomes an allow.
    with pytest.raises(PolicyError):
        decide(LIST, [policy(allow("s3:*"))], policy({**statement, "Effect": "Deny", "Principal": "*"}))


def test_kms_explicit_deny_in_key_policy_wins() -> None:
    key_policy = policy(ROOT_ADMIN, deny("kms:Decrypt", "*", Principal={"AWS": ROLE}))
    assert decide(DECRYPT, [policy(allow("kms:*", KEY))], key_policy) is Decision.EXPLICIT_DENY


def test_kms_caller_account_condition() -> None:
    request = Request(ROLE, "kms:Decrypt", KEY, {"kms:CallerAccount": ACCOUNT})
    grant = allow(
        "kms:Decrypt", "*", Principal={"AWS": "*"}, Condition={"StringEquals": {"kms:CallerAccount": ACCOUNT}}
    )
    assert decide(request, [], policy(grant)) is Decision.ALLOW
    other = allow(
        "kms:Decrypt",
        "*",
        Principal={"AWS": "*"},
        Condition={"StringEquals": {"kms:CallerAccount": "999999999999"}},
    )
    assert decide(request, [], policy(other)) is Decision.IMPLICIT_DENY
