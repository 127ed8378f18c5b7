"""Shared fixtures: synthesize small stacks for construct tests, lint every template with cfn-lint, and the
reference app synthesized once per session (``reference_app``) for the snapshot, the security audits and the
end-to-end retraining test."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from cfnlint.api import lint
from support.cdk_flags import app_context, from_aws_cdk_lib_vpc

from infra.app import build_app, cdk_context

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
    return [str(m) for m in matches if not from_aws_cdk_lib_vpc(m)]


def new_stack(region: str | None = None) -> Stack:
    """A fresh stack in a fresh app with the selected feature flags (``SMC_CDK_FLAGS``, default ``cdk.json``'s,
    see ``support.cdk_flags``); env-agnostic unless ``region``."""
    app = App(context=app_context())
    env = Environment(account="123456789012", region=region) if region else None
    return Stack(app, "Test", env=env)


SynthFn = Callable[..., Template]


@pytest.fixture
def synth() -> SynthFn:
    """Build constructs into a new stack, synthesize it, and fail on any cfn-lint finding.

    Usage: ``template = synth(lambda stack: Endpoint(stack, "E", ...))``.
    """

    def _synth(build: Callable[[Stack], object], *, region: str | None = None, nag: bool = True) -> Template:
        stack = new_stack(region)
        build(stack)
        if nag:
            # cdk-nag AwsSolutions as in the reference app: any unacknowledged finding fails synthesis.
            Validations.of(stack.node.root).add_plugins(AwsSolutionsChecks(stack.node.root))
        template = Template.from_stack(stack)
        findings = cfn_lint(template.to_json())
        assert findings == [], "cfn-lint findings:\n" + "\n".join(findings)
        return template

    return _synth


EVENTS_DIR = REPO_ROOT / "tests" / "events"


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A sample event from ``tests/events/``; ``overrides`` replace top-level keys."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    event.update(overrides)
    return event


def eventbridge_delivers(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether EventBridge (moto's implementation) routes ``event`` to a rule with ``pattern``.

    moto's ``test_event_pattern`` is a stub that answers nothing, so this puts the rule, an SQS target and the
    event on a moto bus and checks what arrives.
    """
    import boto3
    from moto import mock_aws

    with mock_aws():
        region = event.get("region", "us-east-1")
        events = boto3.client("events", region_name=region)
        sqs = boto3.client("sqs", region_name=region)
        queue_url = sqs.create_queue(QueueName="target")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name="rule", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="rule", Targets=[{"Id": "queue", "Arn": queue_arn}])
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event.get("resources", []),
        }
        result = events.put_events(Entries=[entry])
        assert result["FailedEntryCount"] == 0, result
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return len(messages) == 1


def _fullmatch(pattern: str, value: str) -> bool:
    """``re.fullmatch``, or the ``regex`` module for the Unicode classes (``\\p{L}``) some AWS patterns use."""
    import re

    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        import regex  # installed with cfn-lint

        return regex.fullmatch(pattern, value) is not None


def service_model_problems(service: str, operation: str, request: dict[str, Any]) -> list[str]:
    """Every way ``request`` breaks botocore's model of ``service.operation``.

    botocore's own client-side validation checks types and required members only; this also checks enums,
    patterns, lengths, numeric ranges and unknown members, as the service would.
    """

    import botocore.session

    shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    problems: list[str] = []

    def check(value: Any, shape: Any, path: str) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if not isinstance(value, dict):
                problems.append(f"{path}: expected an object, got {value!r}")
                return
            for name in shape.required_members:
                if name not in value:
                    problems.append(f"{path}.{name}: required")
            for name, item in value.items():
                if name not in shape.members:
                    problems.append(f"{path}.{name}: unknown member")
                else:
                    check(item, shape.members[name], f"{path}.{name}")
        elif kind == "list":
            if not isinstance(value, list):
                problems.append(f"{path}: expected a list")
                return
            if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
                problems.append(f"{path}: {len(value)} items outside {meta.get('min')}-{meta.get('max')}")
            for i, item in enumerate(value):
                check(item, shape.member, f"{path}[{i}]")
        elif kind == "map":
            if not isinstance(value, dict):
                problems.append(f"{path}: expected a map")
                return
            if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
                problems.append(f"{path}: {len(value)} entries outside {meta.get('min')}-{meta.get('max')}")
            for key, item in value.items():
                check(key, shape.key, f"{path} key")
                check(item, shape.value, f"{path}[{key!r}]")
        elif kind == "string":
            if not isinstance(value, str):
                problems.append(f"{path}: expected a string, got {value!r}")
                return
            if shape.enum and value not in shape.enum:
                problems.append(f"{path}: {value!r} is not one of {shape.enum}")
            if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
                problems.append(f"{path}: length {len(value)} outside {meta.get('min')}-{meta.get('max')}")
            if "pattern" in meta and not _fullmatch(meta["pattern"], value):
                problems.append(f"{path}: {value!r} does not match {meta['pattern']}")
        elif kind in ("integer", "long", "float", "double"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{path}: expected a number, got {value!r}")
                return
            if ("min" in meta and value < meta["min"]) or ("max" in meta and value > meta["max"]):
                problems.append(f"{path}: {value} outside {meta.get('min')}-{meta.get('max')}")
        elif kind == "boolean" and not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, got {value!r}")

    check(request, shape, operation)
    return problems


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


# ------------------------------------------------------------------------------ the reference app, once

REFERENCE_STACKS = [
    "SageMakerRealtime",
    "SageMakerBatch",
    "SageMakerMonitoring",
    "SageMakerRetraining",
    "SageMakerOperations",
]


@dataclass(frozen=True)
class NagFinding:
    """One cdk-nag finding: ``NIST.800.53.R5-IAMNoInlinePolicy`` on ``SageMakerBatch/Model/Role/...``."""

    rule: str
    path: str
    description: str

    @property
    def summary(self) -> str:
        """The description without NIST's list of control IDs."""
        return self.description.split(" - (")[0]

    def __str__(self) -> str:
        return f"{self.rule} on {self.path}: {self.summary}"


@dataclass(frozen=True)
class SynthesizedApp:
    outdir: Path
    templates: dict[str, dict[str, Any]]
    nag_findings: list[NagFinding]
    logical_ids: dict[str, tuple[str, str]]
    """``{construct path: (stack name, logical ID)}`` of every resource, to match findings to resources."""


def logical_ids(outdir: Path, stacks: list[str]) -> dict[str, tuple[str, str]]:
    """Construct paths (``SageMakerBatch/Model/Role/Resource``) of the stacks' resources, from the assembly."""
    found: dict[str, tuple[str, str]] = {}
    for stack in stacks:
        metadata = json.loads((outdir / f"{stack}.metadata.json").read_text())
        for path, entries in metadata.items():
            for entry in entries:
                if entry["type"] == "aws:cdk:logicalId":
                    found[path.lstrip("/")] = (stack, entry["data"])
    return found


def nag_findings(outdir: Path) -> list[NagFinding]:
    """The unacknowledged findings of every cdk-nag rule pack, from the assembly's ``validation-report.json``."""
    report_file = outdir / "validation-report.json"
    if not report_file.exists():
        return []
    report = json.loads(report_file.read_text())
    return [
        NagFinding(violation["ruleName"], construct["constructPath"], violation["description"])
        for plugin in report.get("pluginReports", [])
        for violation in plugin["violations"]
        for construct in violation.get("violatingConstructs", [])
    ]


def synthesize_with_nag(app: App, outdir: Path) -> list[NagFinding]:
    """Add the NIST 800-53 rev 5 pack to ``app``, synthesize it and return the findings of all packs.

    CDK writes the templates before it runs the validation plugins, then raises ``ValidationFailed`` if any
    finding is unacknowledged: that error is expected here, the findings are returned instead.
    """
    Validations.of(app).add_plugins(NIST80053R5Checks(app))
    try:
        app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error) or not (outdir / "validation-report.json").exists():
            raise
    return nag_findings(outdir)


OFFENDER_STACK = "NagOffender"
"""A stack added to the reference app's synthesis holding what both rule packs must flag (proof they ran)."""


def add_offender(app: App) -> None:
    """An unlogged, unencrypted-by-KMS bucket and an unencrypted log group, in a stack of their own.

    The reference stacks do not reference it, so their templates are exactly what ``make synth`` writes.
    """
    stack = Stack(app, OFFENDER_STACK)
    s3.Bucket(stack, "Plain", enforce_ssl=False)
    logs.LogGroup(stack, "Logs", retention=logs.RetentionDays.ONE_DAY)


@pytest.fixture(scope="session")
def reference_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The reference app, synthesized once per session.

    ``build_app`` adds cdk-nag's AwsSolutions pack, as ``make synth`` does; NIST 800-53 rev 5 is added here,
    and so is the ``NagOffender`` stack. ``templates`` holds the reference stacks only.
    """
    outdir = tmp_path_factory.mktemp("reference.cdk.out")
    app = build_app(App(context=cdk_context(), outdir=str(outdir)))
    add_offender(app)
    findings = synthesize_with_nag(app, outdir)
    templates = {
        name: json.loads((outdir / f"{name}.template.json").read_text()) for name in REFERENCE_STACKS
    }
    return SynthesizedApp(outdir, templates, findings, logical_ids(outdir, REFERENCE_STACKS))


@pytest.fixture(scope="session")
def reference_templates(reference_app: SynthesizedApp) -> dict[str, dict[str, Any]]:
    """``{stack name: template}`` of the reference stacks."""
    return reference_app.templates


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report the property tests' draws (tests/unit/test_properties.py) when they ran."""
    module = sys.modules.get("test_properties")
    draws = getattr(module, "DRAWS", None)
    if not draws:
        return
    outcomes = module.OUTCOMES  # type: ignore[union-attr]
    synthesized = sum(n for (_, outcome), n in outcomes.items() if outcome == "synthesized")
    rejected = sum(n for (_, outcome), n in outcomes.items() if outcome == "rejected")
    terminalreporter.section("property tests")
    terminalreporter.write_line(
        f"{sum(draws.values())} draws: {synthesized} synthesized and linted clean, {rejected} rejected with a "
        f"ValueError naming the bad prop, {sum(draws.values()) - synthesized - rejected} named-constructor calls"
    )
    wrong_types = getattr(module, "WRONG_TYPES", None)
    if wrong_types:
        terminalreporter.write_line(
            f"  of the rejected draws, {sum(wrong_types.values())} for a prop of the wrong type"
        )
    for construct, count in sorted(draws.items()):
        split = ", ".join(f"{n} {o}" for (c, o), n in sorted(outcomes.items()) if c == construct)
        terminalreporter.write_line(f"  {construct}: {count}" + (f" ({split})" if split else ""))
