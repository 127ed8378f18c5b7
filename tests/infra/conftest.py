"""The reference app for the security audits: synthesized once per session, with cdk-nag's AwsSolutions and
NIST 800-53 rev 5 rule packs, into a temporary directory.

``audited_app`` holds the four templates (for checkov, the IAM audit and the data safety audit) and every
cdk-nag finding that is not acknowledged in the library (``test_security_scanners.py`` decides which of them
are not applicable, with the reason, and fails on the others).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Validations
from cdk_nag import NIST80053R5Checks

from infra.app import build_app, cdk_context

REFERENCE_STACKS = ["SageMakerRealtime", "SageMakerBatch", "SageMakerMonitoring", "SageMakerRetraining"]


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


@pytest.fixture(scope="session")
def audited_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The reference app (``build_app``, with AwsSolutions) synthesized once with NIST 800-53 rev 5 added."""
    outdir = tmp_path_factory.mktemp("audited.cdk.out")
    app = build_app(App(context=cdk_context(), outdir=str(outdir)))
    findings = synthesize_with_nag(app, outdir)
    templates = {
        name: json.loads((outdir / f"{name}.template.json").read_text()) for name in REFERENCE_STACKS
    }
    return SynthesizedApp(outdir, templates, findings, logical_ids(outdir, REFERENCE_STACKS))


@pytest.fixture(scope="session")
def reference_templates(audited_app: SynthesizedApp) -> dict[str, dict[str, Any]]:
    """``{stack name: template}`` of the four reference stacks."""
    return audited_app.templates


@pytest.fixture(scope="session")
def nag_synth() -> Callable[[App, Path], list[NagFinding]]:
    """``nag_synth(app, outdir)``: synthesize with AwsSolutions (if added) and NIST 800-53 rev 5, list findings."""
    return synthesize_with_nag
