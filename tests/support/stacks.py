"""Small stacks for construct tests: a fresh stack on the selected feature flags, synthesized with cdk-nag's
AwsSolutions pack and linted with cfn-lint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aws_cdk import App, Environment, Stack, Validations
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from .cdk_flags import app_context
from .cfn_lint import cfn_lint

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_MODEL = str(REPO_ROOT / "model_artifacts" / "churn" / "model.tar.gz")
"""Path of the sample churn model archive."""

SynthFn = Callable[..., Template]


def new_stack(region: str | None = None) -> Stack:
    """A fresh stack in a fresh app with the selected feature flags (``SMC_CDK_FLAGS``, default ``cdk.json``'s,
    see ``support.cdk_flags``); env-agnostic unless ``region``."""
    app = App(context=app_context())
    env = Environment(account="123456789012", region=region) if region else None
    return Stack(app, "Test", env=env)


def synthesize(build: Callable[[Stack], object], *, region: str | None = None, nag: bool = True) -> Template:
    """Build constructs into a new stack, synthesize it, and fail on any cfn-lint finding (and, with ``nag``, on
    any unacknowledged cdk-nag AwsSolutions finding, as in the reference app)."""
    stack = new_stack(region)
    build(stack)
    if nag:
        Validations.of(stack.node.root).add_plugins(AwsSolutionsChecks(stack.node.root))
    template = Template.from_stack(stack)
    findings = cfn_lint(template.to_json())
    assert findings == [], "cfn-lint findings:\n" + "\n".join(findings)
    return template
