"""Shared fixtures: synthesize small stacks for construct tests, lint every template with cfn-lint."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template
from cfnlint.api import lint

from infra.app import cdk_context

REPO_ROOT = Path(__file__).resolve().parent.parent
LINT_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
SAMPLE_MODEL = str(REPO_ROOT / "model_artifacts" / "churn" / "model.tar.gz")

# jsii starts the Node.js it finds first on PATH: use the project's pinned Node 22 when it is installed.
_NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
if _NODE_BIN.is_dir() and str(_NODE_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


def cfn_lint(template: dict[str, Any]) -> list[str]:
    """cfn-lint findings (errors and warnings) of a template, against the official resource schemas."""
    matches = lint(json.dumps(template), regions=LINT_REGIONS)
    return [str(m) for m in matches]


def new_stack(region: str | None = None) -> Stack:
    """A fresh stack in a fresh app with the reference app's feature flags; env-agnostic unless ``region``."""
    app = App(context=cdk_context())
    env = Environment(account="123456789012", region=region) if region else None
    return Stack(app, "Test", env=env)


SynthFn = Callable[..., Template]


@pytest.fixture
def synth() -> SynthFn:
    """Build constructs into a new stack, synthesize it, and fail on any cfn-lint finding.

    Usage: ``template = synth(lambda stack: Endpoint(stack, "E", ...))``.
    """

    def _synth(build: Callable[[Stack], object], *, region: str | None = None) -> Template:
        stack = new_stack(region)
        build(stack)
        template = Template.from_stack(stack)
        findings = cfn_lint(template.to_json())
        assert findings == [], "cfn-lint findings:\n" + "\n".join(findings)
        return template

    return _synth


@pytest.fixture(scope="session")
def lint_template() -> Callable[[dict[str, Any]], list[str]]:
    """cfn-lint as a fixture, for tests that synthesize templates themselves."""
    return cfn_lint


@pytest.fixture
def sample_model() -> str:
    """Path of the sample churn model archive."""
    return SAMPLE_MODEL


@pytest.fixture
def stack() -> Stack:
    """A fresh env-agnostic stack, for tests that expect construction to fail."""
    return new_stack()
