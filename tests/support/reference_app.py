"""The reference application (``infra/``) synthesized as ``make synth`` does, with cdk-nag's NIST 800-53 rev 5
pack and the ``NagOffender`` stack added (``support.nag``): its templates, findings and logical IDs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App

from infra.app import build_app, cdk_context

from .nag import NagFinding, add_offender, synthesize_with_nag

REFERENCE_STACKS = [
    "SageMakerRealtime",
    "SageMakerBatch",
    "SageMakerMonitoring",
    "SageMakerRetraining",
    "SageMakerOperations",
]


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


def synthesize_reference_app(outdir: Path, context: dict[str, Any] | None = None) -> SynthesizedApp:
    """Synthesize the reference app into ``outdir``, with ``context`` on top of cdk.json's (``cdk synth -c``).

    ``build_app`` adds cdk-nag's AwsSolutions pack, as ``make synth`` does; NIST 800-53 rev 5 is added here,
    and so is the ``NagOffender`` stack. ``templates`` holds the reference stacks only.
    """
    app = build_app(App(context={**cdk_context(), **(context or {})}, outdir=str(outdir)))
    add_offender(app)
    findings = synthesize_with_nag(app, outdir)
    templates = {
        name: json.loads((outdir / f"{name}.template.json").read_text()) for name in REFERENCE_STACKS
    }
    return SynthesizedApp(outdir, templates, findings, logical_ids(outdir, REFERENCE_STACKS))
