"""Asynchronous inference: an endpoint that queues requests and writes responses to S3."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from sagemaker_constructs._internal.validation import ValidationErrors, is_token

# S3OutputPath and S3FailurePath hold at most 512 characters (CreateEndpointConfig): "s3://", a bucket name of
# up to 63 characters and "/" leave 443 for the prefix.
MAX_PREFIX_LENGTH = 512 - len("s3://") - 63 - 1


class IncludeInferenceResponseIn(enum.Enum):
    """Which notification carries the inference response itself (SageMaker includes responses up to 128 KB)."""

    SUCCESS_NOTIFICATION_TOPIC = "SUCCESS_NOTIFICATION_TOPIC"
    """The notification sent to ``success_topic``."""
    ERROR_NOTIFICATION_TOPIC = "ERROR_NOTIFICATION_TOPIC"
    """The notification sent to ``error_topic``."""


@dataclass(frozen=True, kw_only=True)
class AsyncInference:
    """Make an endpoint asynchronous (``AsyncInferenceConfig``): callers put a request in S3 and call
    ``InvokeEndpointAsync``; SageMaker queues it and writes the response under ``output_prefix``.

    With no ``bucket``, the endpoint creates one: KMS-encrypted with a rotating key, TLS-only, versioned, private,
    with access logs, and retained on stack deletion. Each model's execution role may only put objects under
    the output and failure prefixes, use the key to encrypt them, and publish to the notification topics.

    An asynchronous endpoint serves one instance-based production variant, without shadow variant or data
    capture, and its variant may scale to zero instances. Deployment guardrails apply to it.
    """

    bucket: s3.IBucket | None = None
    """Your bucket for responses and failures. Default: - a secure bucket is created."""
    output_prefix: str = "async-inference/output"
    """Key prefix of successful responses, without leading or trailing '/'. Default: "async-inference/output\""""
    failure_prefix: str | None = "async-inference/failures"
    """Key prefix of failure responses, without leading or trailing '/'; None leaves ``S3FailurePath`` unset.
    Default: "async-inference/failures\""""
    input_prefix: str | None = None
    """A prefix of the same bucket where callers upload requests: the execution roles may read objects under
    it (and decrypt them). Default: - none; grant read access to your request location yourself."""
    kms_key: kms.IKey | None = None
    """Key SageMaker encrypts responses with. Default: - the created bucket's key, or your bucket's key (none
    for a bucket imported without one: its default encryption applies)."""
    max_concurrent_invocations_per_instance: int | None = None
    """Requests SageMaker sends to each instance's container at once, 1-1000. Default: - SageMaker chooses."""
    success_topic: sns.ITopic | None = None
    """Topic notified when a request succeeds. Default: - no success notifications."""
    error_topic: sns.ITopic | None = None
    """Topic notified when a request fails. Default: - no error notifications."""
    include_inference_response_in: Sequence[IncludeInferenceResponseIn] = ()
    """Notifications that carry the response itself (up to 128 KB); each needs its topic. Default: - none."""
    expiration: Duration | None = None
    """Created bucket only: delete objects this long after creation. Default: - kept forever."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """Created bucket only: what happens to it on stack deletion. Default: RemovalPolicy.RETAIN"""

    @property
    def prefixes(self) -> list[str]:
        """The prefixes SageMaker writes to: output, then failures if set."""
        return [self.output_prefix, *([self.failure_prefix] if self.failure_prefix is not None else [])]

    @property
    def topics(self) -> list[sns.ITopic]:
        """The notification topics, each once."""
        topics: list[sns.ITopic] = []
        for topic in (self.success_topic, self.error_topic):
            if topic is not None and all(topic is not t for t in topics):
                topics.append(topic)
        return topics

    def validate(self, errors: ValidationErrors) -> None:
        """Record every problem under 'async_inference.*'."""
        prop = "async_inference"
        errors.check_range(
            f"{prop}.max_concurrent_invocations_per_instance",
            self.max_concurrent_invocations_per_instance,
            1,
            1000,
            integer=True,
        )
        for name, prefix in (
            ("output_prefix", self.output_prefix),
            ("failure_prefix", self.failure_prefix),
            ("input_prefix", self.input_prefix),
        ):
            _validate_prefix(errors, f"{prop}.{name}", prefix)
        # Typed as objects: callers without a type checker pass strings.
        responses: list[object] = list(self.include_inference_response_in)
        if isinstance(self.include_inference_response_in, str | IncludeInferenceResponseIn):
            errors.add(
                f"'{prop}.include_inference_response_in' must be a list of IncludeInferenceResponseIn, got "
                f"{self.include_inference_response_in!r}"
            )
            responses = []
        for entry in responses:
            if not isinstance(entry, IncludeInferenceResponseIn):
                errors.add(
                    f"'{prop}.include_inference_response_in' entries must be IncludeInferenceResponseIn."
                    f"SUCCESS_NOTIFICATION_TOPIC or .ERROR_NOTIFICATION_TOPIC, got {entry!r}"
                )
        if len(set(responses)) != len(responses):
            errors.add(f"'{prop}.include_inference_response_in' must not repeat an entry, got {responses}")
        for entry, topic, topic_prop in (
            (IncludeInferenceResponseIn.SUCCESS_NOTIFICATION_TOPIC, self.success_topic, "success_topic"),
            (IncludeInferenceResponseIn.ERROR_NOTIFICATION_TOPIC, self.error_topic, "error_topic"),
        ):
            if entry in responses and topic is None:
                errors.add(
                    f"'{prop}.include_inference_response_in' holds {entry.name}, which needs "
                    f"'{prop}.{topic_prop}', got {topic_prop}=None"
                )
        if self.bucket is not None:
            if self.expiration is not None:
                errors.add(
                    f"'{prop}.expiration' applies only to the created bucket; set lifecycle rules on yours"
                )
            if self.removal_policy is not RemovalPolicy.RETAIN:
                errors.add(
                    f"'{prop}.removal_policy' applies only to the created bucket, got {self.removal_policy} "
                    "with your bucket"
                )
        errors.check_days(f"{prop}.expiration", self.expiration, 1)


def _validate_prefix(errors: ValidationErrors, prop: str, prefix: str | None) -> None:
    if prefix is None or is_token(prefix):
        return
    if not prefix or len(prefix) > MAX_PREFIX_LENGTH or prefix.startswith("/") or prefix.endswith("/"):
        errors.add(
            f"'{prop}' must be 1-{MAX_PREFIX_LENGTH} characters without leading or trailing '/', got {prefix!r}"
        )
    errors.check_s3_key(prop, prefix)
