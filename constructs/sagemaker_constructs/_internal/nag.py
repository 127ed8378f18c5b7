"""Acknowledgements of cdk-nag findings that the library causes by design, each with its reason.

The library acknowledges only precise findings (``AwsSolutions-IAM5[Resource::...]``), never a whole rule, so a
wildcard that a user adds to the same policy is still reported.
"""

from __future__ import annotations

import json
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
    stacks into ``Fn::ImportValue`` (cdk-nag prints those by export name) or, with weak cross-stack references,
    ``Fn::GetStackOutput`` (printed as JSON).
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
    # cdk-nag 3's flattenCfnReference (lib/utils/flatten-cfn-reference.js), rule for rule: Fn::Join, Fn::Sub,
    # Fn::GetAtt, Fn::ImportValue and Ref are flattened; anything else is printed as JSON. That includes
    # Fn::GetStackOutput, which CDK writes for references to other stacks when the app sets
    # @aws-cdk/core:defaultCrossStackReferences to "weak", as `cdk init` does
    # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html).
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if value.get("Fn::Join"):
            separator, parts = value["Fn::Join"]
            return str(separator).join(_render(p) for p in parts)
        if value.get("Fn::Sub"):
            return _render(value["Fn::Sub"])
        if value.get("Fn::GetAtt"):
            logical, attribute = value["Fn::GetAtt"]
            return f"<{_render(logical)}.{_render(attribute)}>"
        if value.get("Fn::ImportValue"):
            return _render(value["Fn::ImportValue"])
        if value.get("Ref"):
            return f"<{_render(value['Ref'])}>"
    # JSON.stringify: no spaces, non-ASCII characters as they are.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
