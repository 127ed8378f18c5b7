"""An IAM policy evaluator for the actor rehearsal: does a principal's request get allowed?

It follows AWS's documented evaluation logic for requests within one account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

1. an explicit ``Deny`` in any applicable policy (identity or resource) wins;
2. KMS: the key policy must allow the principal itself, or allow the account (its root principal), in which case
   an identity policy must allow the request too
   (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam);
3. every other service: an ``Allow`` in the identity policies OR in the resource policy (naming the principal
   itself, not only its account) allows the request;
4. anything else is an implicit deny.

Statements are matched on ``Action``/``NotAction`` (case-insensitive, ``*`` and ``?``), ``Resource``/
``NotResource`` (case-sensitive), ``Principal``/``NotPrincipal`` (AWS ARNs, account IDs, account roots,
``Service``, ``*``) and ``Condition`` with the operators of
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
(String*, Numeric*, Date*, Bool, IpAddress/NotIpAddress, Arn*, Null, ``...IfExists``) and the set operators
``ForAnyValue:``/``ForAllValues:`` of
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html.
Anything else (an unknown operator, a policy variable) raises ``PolicyError``: it never silently allows.

Out of scope (none of the library's templates use them): permissions boundaries, SCPs/RCPs, session policies,
cross-account requests. ``evaluate`` refuses a cross-account request rather than guess.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

Policy = Mapping[str, Any]
ContextValue = str | bool | int | float | Sequence[str]


class PolicyError(ValueError):
    """A policy or request the evaluator cannot judge faithfully (so it refuses to)."""


class Decision(enum.Enum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


@dataclass(frozen=True)
class Request:
    """One AWS API authorization: ``principal`` calls ``action`` on ``resource`` with ``context`` keys.

    ``principal`` is an IAM role/user ARN, or ``service:<name>.amazonaws.com`` for a service principal.
    """

    principal: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def __str__(self) -> str:
        keys = ", ".join(
            f"{k}={v}" for k, v in sorted(self.context.items()) if not k.startswith("aws:Principal")
        )
        return f"{self.action} on {self.resource}" + (f" [{keys}]" if keys else "")


@dataclass(frozen=True)
class Evaluation:
    decision: Decision
    reason: str

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


# ------------------------------------------------------------------------------------------------- matching


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """``*`` matches any run of characters (slashes and colons included), ``?`` exactly one."""
    if "${" in pattern:
        raise PolicyError(f"policy variables are not supported by the evaluator: {pattern!r}")
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _check_resolved(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise PolicyError(f"{where} must be resolved to strings, got {value!r}")


def action_matches(patterns: Iterable[str], action: str) -> bool:
    for pattern in patterns:
        _check_resolved(pattern, "Action")
        if wildcard_match(pattern, action, ignore_case=True):
            return True
    return False


def resource_matches(patterns: Iterable[str], resource: str) -> bool:
    for pattern in patterns:
        _check_resolved(pattern, "Resource")
        if wildcard_match(pattern, resource):
            return True
    return False


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _principal_entries(principal: Any) -> list[tuple[str, str]]:
    if principal == "*":
        return [("AWS", "*")]
    if not isinstance(principal, Mapping):
        raise PolicyError(f"Principal must be '*' or a mapping, got {principal!r}")
    entries = []
    for kind, values in principal.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(f"unknown principal type {kind!r}")
        for value in _as_list(values):
            _check_resolved(value, f"Principal.{kind}")
            entries.append((kind, value))
    return entries


def principal_matches(principal: Any, who: str) -> tuple[bool, bool]:
    """(matches, only_through_account): whether ``who`` is named, and whether only its account is named.

    An account ID or ``arn:aws:iam::<account>:root`` names the account: in an ``Allow`` it delegates to the
    account's identity policies rather than allowing the principal itself
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts).
    """
    named_account = False
    is_service = who.startswith("service:")
    for kind, value in _principal_entries(principal):
        if kind == "AWS" and value == "*":
            return True, False
        if kind == "Service":
            if is_service and value == who.removeprefix("service:"):
                return True, False
            continue
        if kind != "AWS" or is_service:
            continue
        if value == who:
            return True, False
        account = value if re.fullmatch(r"[0-9]{12}", value) else None
        root = re.fullmatch(r"arn:aws[a-z-]*:iam::([0-9]{12}):root", value)
        if root:
            account = root.group(1)
        if account is not None and account == account_of(who):
            named_account = True
    return named_account, named_account


# ----------------------------------------------------------------------------------------------- conditions

_STRING = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), True),
    "StringLike": (lambda p, v: wildcard_match(p, v), False),
    "StringNotLike": (lambda p, v: wildcard_match(p, v), True),
}


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise PolicyError(f"not a number: {value!r}") from error


def _date(value: Any) -> float:
    text = str(value)
    if re.fullmatch(r"[0-9]+", text):
        return float(text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as error:
        raise PolicyError(f"not a date: {value!r}") from error


def _arn_match(pattern: str, value: str) -> bool:
    # Each of the six colon-separated parts is compared separately (ArnEquals and ArnLike alike).
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _bool(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


_COMPARE: dict[str, tuple[Any, bool]] = {
    **_STRING,
    "NumericEquals": (lambda p, v: _number(v) == _number(p), False),
    "NumericNotEquals": (lambda p, v: _number(v) == _number(p), True),
    "NumericLessThan": (lambda p, v: _number(v) < _number(p), False),
    "NumericLessThanEquals": (lambda p, v: _number(v) <= _number(p), False),
    "NumericGreaterThan": (lambda p, v: _number(v) > _number(p), False),
    "NumericGreaterThanEquals": (lambda p, v: _number(v) >= _number(p), False),
    "DateEquals": (lambda p, v: _date(v) == _date(p), False),
    "DateNotEquals": (lambda p, v: _date(v) == _date(p), True),
    "DateLessThan": (lambda p, v: _date(v) < _date(p), False),
    "DateLessThanEquals": (lambda p, v: _date(v) <= _date(p), False),
    "DateGreaterThan": (lambda p, v: _date(v) > _date(p), False),
    "DateGreaterThanEquals": (lambda p, v: _date(v) >= _date(p), False),
    "Bool": (lambda p, v: _bool(p) == _bool(v), False),
    "IpAddress": (
        lambda p, v: ipaddress.ip_address(str(v)) in ipaddress.ip_network(str(p), strict=False),
        False,
    ),
    "NotIpAddress": (
        lambda p, v: ipaddress.ip_address(str(v)) in ipaddress.ip_network(str(p), strict=False),
        True,
    ),
    "ArnEquals": (_arn_match, False),
    "ArnLike": (_arn_match, False),
    "ArnNotEquals": (_arn_match, True),
    "ArnNotLike": (_arn_match, True),
}


def _lookup(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    """The context values of ``key`` (key names are case-insensitive), None when absent."""
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            if isinstance(value, list | tuple):
                return [str(v) for v in value]
            return [_bool(value) if isinstance(value, bool) else str(value)]
    return None


def _single(compare: Any, negated: bool, policy_values: list[Any], value: str) -> bool:
    hit = any(compare(p, value) for p in policy_values)
    return not hit if negated else hit


def condition_holds(operator: str, key: str, policy_values: Any, context: Mapping[str, ContextValue]) -> bool:
    """One key of one condition operator."""
    values = [
        v if isinstance(v, str) else _bool(v) if isinstance(v, bool) else v for v in _as_list(policy_values)
    ]
    for value in values:
        if not isinstance(value, str | int | float):
            raise PolicyError(f"condition {operator} {key} must hold resolved values, got {value!r}")
    request_values = _lookup(context, key)
    qualifier = None
    base = operator
    if ":" in operator:
        qualifier, base = operator.split(":", 1)
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise PolicyError(f"unknown condition set operator {qualifier!r} in {operator!r}")
    if base == "Null":
        if qualifier:
            raise PolicyError(f"{operator!r}: Null takes no set operator")
        absent = request_values is None or request_values == []
        return any(_bool(v) == ("true" if absent else "false") for v in values)
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base not in _COMPARE:
        raise PolicyError(f"unknown condition operator {operator!r}: the evaluator refuses to guess")
    compare, negated = _COMPARE[base]
    if qualifier == "ForAllValues":
        # True when every request value matches; vacuously true without the key.
        return all(_single(compare, negated, values, v) for v in request_values or [])
    if qualifier == "ForAnyValue":
        return any(_single(compare, negated, values, v) for v in request_values or [])
    if request_values is None:
        # Absent key: false, except negated operators (true) and ...IfExists (true).
        return if_exists or negated
    if len(request_values) != 1:
        raise PolicyError(f"{operator} {key}: a multivalued key needs ForAnyValue: or ForAllValues:")
    return _single(compare, negated, values, request_values[0])


def conditions_hold(
    condition: Mapping[str, Mapping[str, Any]] | None, context: Mapping[str, ContextValue]
) -> bool:
    if not condition:
        return True
    return all(
        condition_holds(operator, key, values, context)
        for operator, keys in condition.items()
        for key, values in keys.items()
    )


# ----------------------------------------------------------------------------------------------- statements


def statements(policy: Policy | None) -> list[Mapping[str, Any]]:
    if not policy:
        return []
    return _as_list(policy.get("Statement"))


def statement_applies(
    statement: Mapping[str, Any], request: Request, *, resource_policy: bool
) -> tuple[bool, bool]:
    """(applies, only_through_account). Raises PolicyError on a malformed statement."""
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Effect must be Allow or Deny, got {effect!r}")
    if ("Action" in statement) == ("NotAction" in statement):
        raise PolicyError(f"a statement needs exactly one of Action and NotAction: {statement!r}")
    if "Action" in statement:
        if not action_matches(_as_list(statement["Action"]), request.action):
            return False, False
    elif action_matches(_as_list(statement["NotAction"]), request.action):
        return False, False
    if "Resource" in statement:
        if not resource_matches(_as_list(statement["Resource"]), request.resource):
            return False, False
    elif "NotResource" in statement:
        if resource_matches(_as_list(statement["NotResource"]), request.resource):
            return False, False
    elif not resource_policy:
        raise PolicyError(f"an identity policy statement needs Resource or NotResource: {statement!r}")
    through_account = False
    if resource_policy:
        if ("Principal" in statement) == ("NotPrincipal" in statement):
            raise PolicyError(f"a resource policy statement needs Principal or NotPrincipal: {statement!r}")
        if "Principal" in statement:
            matches, through_account = principal_matches(statement["Principal"], request.principal)
            if not matches:
                return False, False
        else:
            matches, _ = principal_matches(statement["NotPrincipal"], request.principal)
            if matches:
                return False, False
    elif "Principal" in statement or "NotPrincipal" in statement:
        raise PolicyError(f"an identity policy statement names no principal: {statement!r}")
    if not conditions_hold(statement.get("Condition"), request.context):
        return False, False
    return True, through_account


def _sid(statement: Mapping[str, Any]) -> str:
    return f" (Sid {statement['Sid']})" if statement.get("Sid") else ""


def evaluate(
    request: Request,
    identity_policies: Sequence[Policy],
    resource_policy: Policy | None = None,
    *,
    resource_account: str | None = None,
) -> Evaluation:
    """Decide ``request`` given the principal's identity policies and the resource's policy (if any).

    ``resource_account`` defaults to the account in the resource ARN (S3 bucket ARNs carry none: pass it).
    A KMS request (``kms:*`` on a key ARN) requires ``resource_policy`` (the key policy).
    """
    principal_account = account_of(request.principal)
    owner = resource_account or account_of(request.resource)
    if not request.principal.startswith("service:") and owner and owner != principal_account:
        raise PolicyError(
            f"cross-account requests are out of scope: {request.principal} on {request.resource}"
        )
    is_kms = request.action.lower().startswith("kms:")
    if is_kms and resource_policy is None:
        raise PolicyError(f"a KMS request needs the key policy: {request}")

    identity_allow = None
    for policy in identity_policies:
        for statement in statements(policy):
            applies, _ = statement_applies(statement, request, resource_policy=False)
            if not applies:
                continue
            if statement["Effect"] == "Deny":
                return Evaluation(
                    Decision.EXPLICIT_DENY, f"denied by an identity policy statement{_sid(statement)}"
                )
            identity_allow = identity_allow or statement
    resource_allow = None
    account_delegation = None
    for statement in statements(resource_policy):
        applies, through_account = statement_applies(statement, request, resource_policy=True)
        if not applies:
            continue
        if statement["Effect"] == "Deny":
            return Evaluation(Decision.EXPLICIT_DENY, f"denied by the resource policy{_sid(statement)}")
        if through_account:
            account_delegation = account_delegation or statement
        else:
            resource_allow = resource_allow or statement
    if is_kms:
        if resource_allow is not None:
            return Evaluation(Decision.ALLOW, f"the key policy allows the principal{_sid(resource_allow)}")
        if account_delegation is None:
            return Evaluation(
                Decision.IMPLICIT_DENY,
                "the key policy neither allows the principal nor delegates to the account's IAM policies",
            )
        if identity_allow is None:
            return Evaluation(
                Decision.IMPLICIT_DENY, "the key policy delegates to IAM, and no identity policy allows it"
            )
        return Evaluation(
            Decision.ALLOW, f"key policy delegates to IAM; identity policy allows{_sid(identity_allow)}"
        )
    if identity_allow is not None:
        return Evaluation(Decision.ALLOW, f"an identity policy allows it{_sid(identity_allow)}")
    if resource_allow is not None:
        return Evaluation(Decision.ALLOW, f"the resource policy allows the principal{_sid(resource_allow)}")
    return Evaluation(Decision.IMPLICIT_DENY, "no identity or resource policy statement allows it")
