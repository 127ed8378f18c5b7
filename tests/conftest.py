"""Shared fixtures. The code behind them lives in ``tests/support/``: small stacks synthesized and linted
(``support.stacks``, ``support.cfn_lint``), EventBridge routing (``support.eventbridge``), botocore service-model
checks (``support.service_models``), cdk-nag (``support.nag``) and the reference app synthesized once per session
(``support.reference_app``) for the snapshot, the security audits and the end-to-end retraining test."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from support.botocore_loader import share_botocore_loader
from support.cdk_flags import flag_set_forbidden
from support.cfn_lint import cfn_lint
from support.eventbridge import eventbridge_delivers
from support.property_report import write_property_summary
from support.reference_app import SynthesizedApp, synthesize_reference_app
from support.sample_events import load_event
from support.service_models import service_model_problems
from support.stacks import SAMPLE_MODEL, SynthFn, new_stack, synthesize

from infra.app import MONITORING_BACKEND_CONTEXT

REPO_ROOT = Path(__file__).resolve().parent.parent

# jsii starts the Node.js it finds first on PATH: use the project's pinned Node 22 when it is installed.
_NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
if _NODE_BIN.is_dir() and str(_NODE_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
# Every botocore session of the test process reads the service models once (support.botocore_loader).
share_botocore_loader()


@pytest.fixture
def synth() -> SynthFn:
    """Build constructs into a new stack, synthesize it, and fail on any cfn-lint or cdk-nag finding
    (``support.stacks.synthesize``).

    Usage: ``template = synth(lambda stack: Endpoint(stack, "E", ...))``.
    """
    return synthesize


@pytest.fixture(scope="session")
def service_model() -> Callable[[str, str, dict[str, Any]], list[str]]:
    """``service_model(service, operation, request)``: the problems of a request against botocore's model."""
    return service_model_problems


@pytest.fixture(scope="session")
def lint_template() -> Callable[[dict[str, Any]], list[str]]:
    """cfn-lint as a fixture, for tests that synthesize templates themselves."""
    return cfn_lint


@pytest.fixture(scope="session")
def routes() -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    """``routes(pattern, event)``: whether EventBridge delivers the event to a rule with that pattern."""
    return eventbridge_delivers


@pytest.fixture(scope="session")
def sample_event() -> Callable[..., dict[str, Any]]:
    """``sample_event(name, **overrides)``: a sample event from tests/events/."""
    return load_event


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may reach AWS: boto3 clients get fake credentials and a default region.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def sample_model() -> str:
    """Path of the sample churn model archive."""
    return SAMPLE_MODEL


@pytest.fixture
def stack() -> Stack:
    """A fresh env-agnostic stack, for tests that expect construction to fail."""
    return new_stack()


@pytest.fixture(scope="session")
def reference_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The reference app, synthesized once per session (``support.reference_app``): AwsSolutions and NIST 800-53
    rev 5 findings, and the ``NagOffender`` stack."""
    return synthesize_reference_app(tmp_path_factory.mktemp("reference.cdk.out"))


@pytest.fixture(scope="session")
def model_monitor_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The reference app with its monitors on Model Monitor (``cdk synth -c
    sagemaker-constructs:monitoring-backend=model-monitor``), synthesized once per session like ``reference_app``
    (whose monitors run on the open backend, the app's default)."""
    return synthesize_reference_app(
        tmp_path_factory.mktemp("model-monitor.cdk.out"), {MONITORING_BACKEND_CONTEXT: "model-monitor"}
    )


@pytest.fixture(scope="session")
def model_monitor_templates(model_monitor_app: SynthesizedApp) -> dict[str, dict[str, Any]]:
    """``{stack name: template}`` of the reference stacks on Model Monitor."""
    return model_monitor_app.templates


@pytest.fixture(scope="session")
def reference_templates(reference_app: SynthesizedApp) -> dict[str, dict[str, Any]]:
    """``{stack name: template}`` of the reference stacks."""
    return reference_app.templates


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report the property tests' draws (tests/unit/test_properties.py) when they ran."""
    write_property_summary(terminalreporter, sys.modules.get("test_properties"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """A test marked ``flag_independent`` runs (fixtures of every scope included) with the selected flag set out of
    reach (``support.cdk_flags.flag_set_forbidden``): the mark is checked on every run of the first pass."""
    if item.get_closest_marker("flag_independent") is None:
        return (yield)
    with flag_set_forbidden(item.nodeid):
        return (yield)
