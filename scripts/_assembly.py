"""What the scripts that document a synthesized cloud assembly share: its stacks, and the page block they rewrite.

``architecture_diagram.py`` and ``cost_report.py`` both read ``cdk.out`` (``manifest.json`` and the templates and
metadata files it names) and write their result between a BEGIN and an END marker of a page under ``docs/``,
leaving the rest of the page as its authors wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Template = dict[str, Any]

STACK_ARTIFACT = "aws:cloudformation:stack"
LOGICAL_ID_METADATA = "aws:cdk:logicalId"


class AssemblyError(Exception):
    """The assembly or the page is not what the script expects; nothing is written."""


class MissingBlockError(AssemblyError):
    """The page has no BEGIN ... END marker pair for the generated block."""


@dataclass
class Assembly:
    """The CloudFormation stacks of a cloud assembly, by stack name (the manifest's display name)."""

    templates: dict[str, Template]
    construct_paths: dict[str, dict[str, str]]
    """``{stack: {logical ID: construct path}}``, from the stacks' ``aws:cdk:logicalId`` metadata."""

    def resources(self, stack: str) -> dict[str, Any]:
        """The ``Resources`` section of the stack's template, by logical ID."""
        resources: dict[str, Any] = self.templates[stack].get("Resources", {})
        return resources


def _read_manifest(outdir: Path) -> dict[str, Any]:
    """The assembly's ``manifest.json``."""
    manifest_path = outdir / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{outdir} is not a cloud assembly (no manifest.json): synthesize the app first")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    return manifest


def _stack_artifacts(manifest: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{stack name: (artifact ID, artifact)}`` of the manifest's CloudFormation stacks, sorted by name.

    A stack's name is its display name, which is its artifact ID unless the stack is inside a stage.
    """
    stacks = {
        str(artifact.get("displayName", artifact_id)): (artifact_id, artifact)
        for artifact_id, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == STACK_ARTIFACT
    }
    return dict(sorted(stacks.items()))


def load_assembly(outdir: Path, stacks: Iterable[str] | None = None) -> Assembly:
    """The CloudFormation stacks of the assembly in ``outdir``: all of them, or those named in ``stacks``."""
    artifacts = _stack_artifacts(_read_manifest(outdir))
    wanted = list(artifacts) if stacks is None else sorted(set(stacks))
    missing = [name for name in wanted if name not in artifacts]
    if missing:
        raise AssemblyError(f"stacks not in the assembly {outdir}: {', '.join(missing)}")
    assembly = Assembly({}, {})
    for name in wanted:
        artifact_id, artifact = artifacts[name]
        template_file = artifact.get("properties", {}).get("templateFile", f"{artifact_id}.template.json")
        assembly.templates[name] = json.loads((outdir / template_file).read_text())
        metadata = dict(artifact.get("metadata", {}))
        if "additionalMetadataFile" in artifact:
            metadata.update(json.loads((outdir / artifact["additionalMetadataFile"]).read_text()))
        assembly.construct_paths[name] = {
            entry["data"]: construct_path
            for construct_path, entries in metadata.items()
            for entry in entries
            if entry.get("type") == LOGICAL_ID_METADATA
        }
    return assembly


def load_dependencies(outdir: Path) -> dict[str, list[str]]:
    """``{stack name: the stacks it depends on}`` of every stack in ``manifest.json``: direct dependencies, stacks
    only (not asset manifests), sorted. Reads the manifest alone."""
    artifacts = _stack_artifacts(_read_manifest(outdir))
    names = {artifact_id: name for name, (artifact_id, _) in artifacts.items()}
    return {
        name: sorted(names[d] for d in artifact.get("dependencies", []) if d in names)
        for name, (_, artifact) in artifacts.items()
    }


@dataclass(frozen=True)
class GeneratedBlock:
    """The part of a Markdown page between a BEGIN and an END marker: a script's output, which it rewrites."""

    begin: str
    end: str

    def _bounds(self, page: str) -> tuple[int, int]:
        start, end = page.find(self.begin), page.find(self.end)
        if start < 0 or end < start:
            raise MissingBlockError(f"the page has no '{self.begin}' ... '{self.end}' block")
        return start + len(self.begin), end

    def extract(self, page: str) -> str:
        """The text between the page's markers, from the line after the BEGIN marker."""
        start, end = self._bounds(page)
        return page[start:end].removeprefix("\n")

    def replace(self, page: str, block: str) -> str:
        """``page`` with the text between its markers replaced by ``block``, on the line after the BEGIN marker."""
        start, end = self._bounds(page)
        return f"{page[:start]}\n{block}{page[end:]}"
