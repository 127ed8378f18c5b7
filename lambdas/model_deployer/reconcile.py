"""Decide which model package version the serving stack should serve, and start the stack update that serves it.

The rule is level-triggered: whatever message arrives (an approval, a rejection, a late or repeated event, the
periodic reconcile), the desired state is recomputed from the registry and compared with the stack's parameter.
So duplicate, late and out-of-order events cannot deploy an older version.

API references (request and response fields used here):
- ListModelPackages (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModelPackages.html):
  ``ModelPackageGroupName``, ``ModelApprovalStatus``, ``SortBy=CreationTime``, ``SortOrder=Descending``.
- DescribeEndpoint (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html):
  ``EndpointStatus``.
- DescribeStacks, DescribeStackEvents, UpdateStack
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html): ``UsePreviousTemplate``,
  ``Parameters[].UsePreviousValue``, ``RoleARN``, ``Capabilities``, ``ClientRequestToken``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .contract import (
    APPROVED,
    CAPABILITIES,
    DECISION_BUSY,
    DECISION_DEPLOY,
    DECISION_HELD,
    DECISION_IN_SERVICE,
    DECISION_NO_APPROVED,
    INITIAL_VALUE,
    TOKEN_PREFIX,
)

NO_UPDATES = "No updates are to be performed"
"""The ValidationError message of an UpdateStack that changes nothing."""
STACK_RESOURCE_TYPE = "AWS::CloudFormation::Stack"
ROLLED_BACK = ("UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED")


@dataclass(frozen=True)
class Settings:
    """The deployer's configuration (from the environment)."""

    stack_name: str
    parameter: str
    group: str
    endpoint: str
    role_arn: str


@dataclass(frozen=True)
class Outcome:
    """One reconciliation: the decision, the desired and served versions, and why."""

    decision: str
    desired: str | None
    current: str | None
    reason: str
    token: str | None = None

    @property
    def retry(self) -> bool:
        """Whether the messages behind this outcome must be delivered again later."""
        return self.decision == DECISION_BUSY


class MisconfiguredError(RuntimeError):
    """The serving stack lacks the parameter, or does not exist: retrying cannot help, but nothing may be lost."""


def deployment_token(stack_id: str, package_arn: str) -> str:
    """The ClientRequestToken of the update that serves ``package_arn`` on this stack (same inputs, same token)."""
    digest = hashlib.sha256(f"{stack_id}|{package_arn}".encode()).hexdigest()[:40]
    return f"{TOKEN_PREFIX}{digest}"


def newest_approved(sagemaker: Any, group: str) -> str | None:
    """The ARN of the group's newest Approved version (by creation time), or None."""
    response = sagemaker.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus=APPROVED,
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )
    summaries = response.get("ModelPackageSummaryList", [])
    return str(summaries[0]["ModelPackageArn"]) if summaries else None


def describe_stack(cloudformation: Any, stack_name: str) -> dict[str, Any]:
    """The stack's description (DescribeStacks)."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            raise MisconfiguredError(f"stack {stack_name!r} cannot be described: {error}") from error
        raise
    if not stacks:
        raise MisconfiguredError(f"stack {stack_name!r} does not exist")
    stack: dict[str, Any] = stacks[0]
    return stack


def parameter_value(stack: dict[str, Any], parameter: str) -> str:
    """The stack's current value of ``parameter``."""
    for entry in stack.get("Parameters", []):
        if entry.get("ParameterKey") == parameter:
            return str(entry.get("ParameterValue", ""))
    raise MisconfiguredError(f"stack {stack.get('StackName')!r} has no parameter {parameter!r}")


def last_operation(cloudformation: Any, stack_id: str) -> tuple[str, str]:
    """The ClientRequestToken and first failure reason of the stack's most recent operation (DescribeStackEvents,
    newest first): the token of its newest stack-level event, and the ``ResourceStatusReason`` of the earliest
    ``*_FAILED`` resource event that shares the token."""
    events = cloudformation.describe_stack_events(StackName=stack_id).get("StackEvents", [])
    token = ""
    for event in events:
        if event.get("ResourceType") == STACK_RESOURCE_TYPE:
            token = str(event.get("ClientRequestToken", ""))
            break
    return token, first_failure(events, token)


def first_failure(events: list[dict[str, Any]], token: str) -> str:
    """The reason of the earliest failed resource among ``events`` (newest first) of the operation ``token``."""
    reason = ""
    for event in events:  # newest first: the last match is the earliest failure
        if token and event.get("ClientRequestToken") not in (None, token):
            continue
        status = str(event.get("ResourceStatus", ""))
        if status.endswith("_FAILED") and event.get("ResourceType") != STACK_RESOURCE_TYPE:
            reason = f"{event.get('LogicalResourceId')}: {event.get('ResourceStatusReason', '')}"
    return reason


def reconcile(settings: Settings, sagemaker: Any, cloudformation: Any) -> Outcome:
    """Compare the newest Approved version with the served one and, when they differ and nothing is in
    progress, start the stack update that serves it."""
    desired = newest_approved(sagemaker, settings.group)
    stack = describe_stack(cloudformation, settings.stack_name)
    served = parameter_value(stack, settings.parameter)
    current = None if served in ("", INITIAL_VALUE) else served
    if desired is None:
        return Outcome(
            DECISION_NO_APPROVED, None, current, f"group {settings.group!r} has no Approved version"
        )
    if desired == current:
        return Outcome(DECISION_IN_SERVICE, desired, current, "the newest Approved version is in service")
    status = str(stack.get("StackStatus", ""))
    if status.endswith("_IN_PROGRESS"):
        return Outcome(DECISION_BUSY, desired, current, f"stack is {status}")
    stack_id = str(stack["StackId"])
    token = deployment_token(stack_id, desired)
    if status in ROLLED_BACK:
        last_token, failure = last_operation(cloudformation, stack_id)
        if last_token == token:
            return Outcome(
                DECISION_HELD,
                desired,
                current,
                f"the update to this version rolled back ({failure or status}); reject it or approve another",
                token,
            )
    endpoint_status = sagemaker.describe_endpoint(EndpointName=settings.endpoint)["EndpointStatus"]
    if endpoint_status != "InService":
        return Outcome(DECISION_BUSY, desired, current, f"endpoint is {endpoint_status}")
    return _update(cloudformation, settings, stack, desired, current, token)


def _update(
    cloudformation: Any,
    settings: Settings,
    stack: dict[str, Any],
    desired: str,
    current: str | None,
    token: str,
) -> Outcome:
    parameters: list[dict[str, Any]] = [
        {"ParameterKey": settings.parameter, "ParameterValue": desired}
        if entry["ParameterKey"] == settings.parameter
        else {"ParameterKey": entry["ParameterKey"], "UsePreviousValue": True}
        for entry in stack.get("Parameters", [])
    ]
    try:
        cloudformation.update_stack(
            StackName=stack["StackId"],
            UsePreviousTemplate=True,
            Parameters=parameters,
            Capabilities=list(stack.get("Capabilities") or CAPABILITIES),
            RoleARN=settings.role_arn,
            ClientRequestToken=token,
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code == "ValidationError" and NO_UPDATES in message:
            return Outcome(DECISION_IN_SERVICE, desired, current, "CloudFormation had no update to make")
        if code == "ValidationError" and "_IN_PROGRESS state" in message:
            return Outcome(DECISION_BUSY, desired, current, message)
        if code == "TokenAlreadyExistsException":
            return Outcome(
                DECISION_DEPLOY, desired, current, "the update with this token was already sent", token
            )
        raise
    return Outcome(DECISION_DEPLOY, desired, current, "stack update started", token)
