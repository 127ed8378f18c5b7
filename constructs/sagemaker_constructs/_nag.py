"""Acknowledgements of cdk-nag findings that the library causes by design, each with its reason.

The library acknowledges only precise findings (``AwsSolutions-IAM5[Resource::...]``), never a whole rule, so a
wildcard that a user adds to the same policy is still reported.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct, IValidation


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding (``IAM5[Resource::*]`` etc.) on ``scope`` and its children.

    A finding whose resource has an unmatched bracket (an S3 prefix such as ``a)``, which S3 allows) has no
    acknowledgement CDK accepts: it rejects the rule ID. Such a finding is skipped rather than failing synthesis
    (cdk-nag, if used, cannot report it either).
    """
    rule_id = f"AwsSolutions-{finding}"
    if _valid_rule_id(rule_id):
        Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def _valid_rule_id(rule_id: str) -> bool:
    # CDK's parseValidationId: closing brackets must match the last opening one, and '::' outside brackets
    # separates a namespace (at most once, not first).
    closing = {")": "(", "]": "[", "}": "{"}
    opened: list[str] = []
    separators = 0
    i = 0
    while i < len(rule_id):
        c = rule_id[i]
        if c == ":" and rule_id[i + 1 : i + 2] == ":" and not opened:
            separators += 1
            if i == 0:
                return False
            i += 1
        elif c in closing:
            if not opened or opened.pop() != closing[c]:
                return False
        elif c in "([{":
            opened.append(c)
        i += 1
    return separators <= 1


def acknowledge_resource(scope: IConstruct, resource_arn: str, reason: str) -> None:
    """Acknowledge the IAM5 finding of a wildcard resource ARN, rendered the way cdk-nag prints it.

    The rendering is computed again when the tree is validated, after CDK has turned references to other
    stacks into ``Fn::ImportValue``: cdk-nag prints those by export name.
    """
    acknowledge(scope, f"IAM5[Resource::{nag_rendering(scope, resource_arn)}]", reason)
    scope.node.add_validation(_AcknowledgeWhenResolved(scope, resource_arn, reason))


@jsii.implements(IValidation)
class _AcknowledgeWhenResolved:
    def __init__(self, scope: IConstruct, resource_arn: str, reason: str) -> None:
        self._scope = scope
        self._arn = resource_arn
        self._reason = reason

    def validate(self) -> list[str]:
        acknowledge(self._scope, f"IAM5[Resource::{nag_rendering(self._scope, self._arn)}]", self._reason)
        return []


def nag_rendering(scope: IConstruct, value: str) -> str:
    """How cdk-nag prints a (possibly tokenized) string: ``arn:<AWS::Partition>:s3:::<Bucket1234.Arn>/x/*``."""
    return _render(Stack.of(scope).resolve(value))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(_render(p) for p in parts)
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::ImportValue" in value:
            return _render(value["Fn::ImportValue"])
        if "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            return f"<{logical}.{attribute}>"
    return str(value)
