"""Parse the deployer queue's message bodies: the EventBridge events its rules send.

- "SageMaker Model Package State Change" (source ``aws.sagemaker``): ``detail`` mirrors DescribeModelPackage
  (``ModelPackageGroupName``, ``ModelPackageArn``, ``ModelApprovalStatus``, ...), per the SageMaker Developer Guide,
  "Events that SageMaker AI sends to Amazon EventBridge", model package state change
  (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
- "CloudFormation Stack Status Change" (source ``aws.cloudformation``): ``detail`` holds ``stack-id``,
  ``status-details.status``, ``status-details.status-reason`` and ``client-request-token``, per the CloudFormation
  User Guide, "Stack Status Change event detail"
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-status-change.html).
- The construct's own reconcile event (``contract.RECONCILE_SOURCE`` / ``RECONCILE_DETAIL_TYPE``).

Anything else is ``MalformedMessageError``: the handler logs it, counts it and drops it (a retry could not make it readable).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .contract import (
    PACKAGE_DETAIL_TYPE,
    PACKAGE_SOURCE,
    RECONCILE_DETAIL_TYPE,
    RECONCILE_SOURCE,
    STACK_DETAIL_TYPE,
    STACK_SOURCE,
)


class MalformedMessageError(ValueError):
    """The message is not an event the deployer understands; the text says why."""


@dataclass(frozen=True)
class PackageChange:
    """A model package's approval status changed."""

    arn: str
    group: str
    approval_status: str
    event_id: str


@dataclass(frozen=True)
class StackChange:
    """The serving stack's status changed."""

    stack_id: str
    status: str
    reason: str
    client_request_token: str
    event_id: str


@dataclass(frozen=True)
class Reconcile:
    """The periodic reconciliation: compare the served version with the newest approved one."""

    event_id: str


Message = PackageChange | StackChange | Reconcile


def parse(body: str) -> Message:
    """The message in an SQS body, or ``MalformedMessageError``."""
    try:
        event = json.loads(body)
    except (TypeError, ValueError) as error:
        raise MalformedMessageError(f"the body is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise MalformedMessageError(f"the body is not a JSON object, got {type(event).__name__}")
    source, detail_type = event.get("source"), event.get("detail-type")
    event_id = str(event.get("id", ""))
    detail = event.get("detail")
    if (source, detail_type) == (RECONCILE_SOURCE, RECONCILE_DETAIL_TYPE):
        return Reconcile(event_id=event_id)
    if not isinstance(detail, dict):
        raise MalformedMessageError(f"event {source!r}/{detail_type!r} has no 'detail' object")
    if (source, detail_type) == (PACKAGE_SOURCE, PACKAGE_DETAIL_TYPE):
        return PackageChange(
            arn=_text(detail, "ModelPackageArn"),
            group=_text(detail, "ModelPackageGroupName"),
            approval_status=_text(detail, "ModelApprovalStatus"),
            event_id=event_id,
        )
    if (source, detail_type) == (STACK_SOURCE, STACK_DETAIL_TYPE):
        status_details = detail.get("status-details")
        if not isinstance(status_details, dict):
            raise MalformedMessageError("stack event has no 'status-details' object")
        reason = status_details.get("status-reason")
        token = detail.get("client-request-token")
        return StackChange(
            stack_id=_text(detail, "stack-id"),
            status=_text(status_details, "status"),
            reason=reason if isinstance(reason, str) else "",
            client_request_token=token if isinstance(token, str) else "",
            event_id=event_id,
        )
    raise MalformedMessageError(f"unexpected event source/detail-type {source!r}/{detail_type!r}")


def _text(detail: dict[str, Any], key: str) -> str:
    value = detail.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedMessageError(f"'{key}' must be a non-empty string, got {value!r}")
    return value
