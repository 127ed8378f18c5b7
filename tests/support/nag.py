"""cdk-nag in the tests: the findings of every rule pack from a cloud assembly's validation report, a synthesis
that returns them instead of failing, and a stack of offenders that proves the packs ran."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import App, Stack, Validations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from cdk_nag import NIST80053R5Checks


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
