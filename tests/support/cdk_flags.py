"""The feature-flag sets the library tests run under, chosen with the environment variable ``SMC_CDK_FLAGS``.

- ``repo`` (the default): the context of the repository's ``cdk.json``, which is the full set of recommended flags
  that the pinned CDK CLI's ``cdk init`` writes (``tests/support/cdk_init_context.json``, kept fresh by
  ``tests/test_cdk_flags.py``).
- ``none``: no context at all, a plain ``App()``, as the unit test that ``cdk init`` generates and a user's first
  app use. CDK then applies each flag's default, the behaviour of the oldest CDK v2 apps.

The library relies on no flag: ``make test`` runs the construct tests under both sets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infra.app import cdk_context

FLAGS_ENV = "SMC_CDK_FLAGS"
CDK_INIT_CONTEXT = Path(__file__).with_name("cdk_init_context.json")


def cdk_init_context() -> dict[str, Any]:
    """The context that ``cdk init app --language=python`` of the pinned CLI writes into a new ``cdk.json``."""
    context: dict[str, Any] = json.loads(CDK_INIT_CONTEXT.read_text())
    return context


_FORBIDDEN_FOR: list[str] = []


@contextmanager
def flag_set_forbidden(test: str) -> Iterator[None]:
    """While ``test`` runs, reading the selected flag set fails: a test marked ``flag_independent`` (which the
    plain-``App()`` pass of ``make test`` leaves out) must not build anything on the selected flags."""
    _FORBIDDEN_FOR.append(test)
    try:
        yield
    finally:
        _FORBIDDEN_FOR.pop()


def flag_set() -> str:
    """The selected flag set: ``repo`` or ``none``."""
    if _FORBIDDEN_FOR:
        raise AssertionError(
            f"{_FORBIDDEN_FOR[-1]} is marked flag_independent, so the plain-App() pass of make test leaves it out, "
            f"but it builds an app on the selected flags ({FLAGS_ENV}): remove the marker"
        )
    name = os.environ.get(FLAGS_ENV, "repo") or "repo"
    if name not in ("repo", "none"):
        raise ValueError(f"{FLAGS_ENV} must be 'repo' or 'none', got {name!r}")
    return name


def app_context() -> dict[str, Any]:
    """The context of every test app: ``cdk.json``'s flags, or none (``SMC_CDK_FLAGS=none``)."""
    return cdk_context() if flag_set() == "repo" else {}


def from_aws_cdk_lib_vpc(match: Any) -> bool:
    """A cfn-lint match that aws-cdk-lib's own resources cause under cdk init's flags, not the library's.

    ``@aws-cdk/aws-ec2:restrictDefaultSecurityGroup`` gives every ``ec2.Vpc`` (the tests' and the documentation
    examples', never the library's) a custom resource whose provider function both ``DependsOn`` its role and reads the role's ARN:
    cfn-lint warns W3005 (redundant, harmless) on that provider only. Anything else is still reported.
    """
    path = list(getattr(match, "path", []))
    return (
        match.rule.id == "W3005"
        and len(path) > 2
        and path[0] == "Resources"
        and str(path[1]).startswith("CustomVpcRestrictDefaultSGCustomResourceProvider")
        and path[2] == "DependsOn"
    )
