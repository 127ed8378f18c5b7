"""The AWS calls behind common runtime steps, as ``Request``s the evaluator judges.

Each helper cites where the call and its authorization come from. Every request carries
``aws:SecureTransport=true`` (AWS SDKs and services call S3 over TLS) and the principal's ARN and account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from support.cfn_resolve import ACCOUNT, PARTITION, REGION, World
from support.iam_eval import ContextValue, Decision, PolicyError, Request

S3_KMS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms"
"""S3 with SSE-KMS: PutObject needs kms:GenerateDataKey, GetObject needs kms:Decrypt on the object's key, both
requested by S3 on the caller's behalf (kms:ViaService s3.<region>.amazonaws.com)."""
LIST_OBJECTS = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html"
"""ListObjectsV2 is authorized as s3:ListBucket on the bucket, with the request's Prefix as s3:prefix
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html)."""
PROCESSING_ROLE = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createprocessingjob-perms"
"""CreateProcessingJob execution role: s3:ListBucket on the buckets of ProcessingInputs (S3Prefix inputs are
listed), s3:GetObject, s3:PutObject on outputs, logs:CreateLogGroup/CreateLogStream/PutLogEvents under
/aws/sagemaker/ProcessingJobs, cloudwatch:PutMetricData, kms for the keys in the request."""


@dataclass(frozen=True)
class Call:
    """One authorization an actor needs: ``why`` it makes the call, and the ``source`` that says so."""

    actor: str
    request: Request
    why: str
    source: str


@dataclass(frozen=True)
class Denial:
    call: Call
    decision: Decision
    reason: str

    def __str__(self) -> str:
        return f"{self.call.actor} / {self.call.request} / {self.call.why} / {self.decision.value}: {self.reason}"


def context(principal: str, **extra: ContextValue) -> dict[str, ContextValue]:
    ctx: dict[str, ContextValue] = {
        "aws:SecureTransport": "true",
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": ACCOUNT,
    }
    ctx.update(extra)
    return ctx


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def object_arn(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


def bucket_arn(bucket: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}"


def _kms(actor: str, principal: str, action: str, key: str, why: str) -> Call:
    return Call(
        actor,
        Request(
            principal,
            action,
            key,
            context(
                principal, **{"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:CallerAccount": ACCOUNT}
            ),
        ),
        why,
        S3_KMS,
    )


def read_prefix(
    world: World,
    actor: str,
    principal: str,
    uri: str,
    objects: Iterable[str],
    *,
    why: str,
    source: str,
    kms_key: str | None = None,
) -> list[Call]:
    """An ``S3Prefix`` input: list ``uri``'s key as prefix, get each object (keys relative to the prefix, or ""
    for the object the URI names), decrypt with the bucket's key."""
    bucket, prefix = split_s3_uri(uri)
    calls = [
        Call(
            actor,
            Request(
                principal, "s3:ListBucket", bucket_arn(bucket), context(principal, **{"s3:prefix": prefix})
            ),
            f"list {why}",
            f"{source}; {LIST_OBJECTS}",
        )
    ]
    calls += read_objects(
        world,
        actor,
        principal,
        [f"s3://{bucket}/{prefix}{name}" for name in objects],
        why=why,
        source=source,
        kms_key=kms_key,
    )
    return calls


def read_objects(
    world: World,
    actor: str,
    principal: str,
    uris: Iterable[str],
    *,
    why: str,
    source: str,
    kms_key: str | None = None,
) -> list[Call]:
    calls = []
    keys: set[str] = set()
    for uri in uris:
        bucket, key = split_s3_uri(uri)
        calls.append(
            Call(
                actor,
                Request(principal, "s3:GetObject", object_arn(bucket, key), context(principal)),
                f"read {why}",
                source,
            )
        )
        kms_key_arn = kms_key or bucket_key(world, bucket)
        if kms_key_arn:
            keys.add(kms_key_arn)
    calls += [_kms(actor, principal, "kms:Decrypt", key, f"decrypt {why}") for key in sorted(keys)]
    return calls


def write_object(
    world: World, actor: str, principal: str, uri: str, *, why: str, source: str, kms_key: str | None = None
) -> list[Call]:
    """PutObject with SSE-KMS: the request's key (``kms_key``) or the bucket's default key."""
    bucket, key = split_s3_uri(uri)
    calls = [
        Call(
            actor,
            Request(principal, "s3:PutObject", object_arn(bucket, key), context(principal)),
            f"write {why}",
            source,
        )
    ]
    kms_key_arn = kms_key or bucket_key(world, bucket)
    if kms_key_arn:
        calls.append(_kms(actor, principal, "kms:GenerateDataKey", kms_key_arn, f"encrypt {why}"))
    return calls


def bucket_key(world: World, bucket: str) -> str | None:
    if bucket not in world.bucket_keys:
        raise PolicyError(f"no template defines bucket {bucket}: its encryption is unknown")
    return world.bucket_keys[bucket]


def call(
    actor: str, principal: str, action: str, resource: str, *, why: str, source: str, **keys: ContextValue
) -> Call:
    return Call(actor, Request(principal, action, resource, context(principal, **keys)), why, source)


def arn(service: str, resource: str) -> str:
    return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{resource}"


def denials(world: World, calls: Iterable[Call]) -> list[Denial]:
    found = []
    for c in calls:
        result = world.evaluate(c.request)
        if not result.allowed:
            found.append(Denial(c, result.decision, result.reason))
    return found


def report(denied: Iterable[Denial]) -> str:
    lines = [str(d) for d in denied]
    return "actor / call / why / decision:\n  " + "\n  ".join(lines) if lines else ""
