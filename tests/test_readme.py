"""The README's examples run: every ```python block is executed as the body of a stack, synthesized and linted.

A ```text block that directly follows a ```python block (only blank lines and one short line of prose such as
"prints:" in between) is that block's expected output: what the example prints must match it exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint
from support.cdk_flags import app_context, from_aws_cdk_lib_vpc

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
LINT_REGIONS = ["us-east-1"]

_FENCE = re.compile(r"^```(\S*)\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$")
# Between an example and its expected output: blank lines and at most one short lead-in line ("prints:").
_OUTPUT_LEAD_IN = re.compile(r"^[A-Za-z ,]{0,40}:$")


@dataclass(frozen=True)
class Snippet:
    """One ```python block of the README."""

    heading: str
    index: int
    line: int
    code: str
    expected_output: str | None

    @property
    def id(self) -> str:
        """The nearest heading above the block, and the block's number under that heading."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")
        return f"{slug}-{self.index}"


@dataclass(frozen=True)
class _Block:
    language: str
    start: int
    end: int
    heading: str
    text: str


def _blocks(markdown: str) -> list[_Block]:
    lines = markdown.splitlines()
    blocks: list[_Block] = []
    heading = "top"
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            match = _HEADING.match(lines[index])
            if match:
                heading = match.group(1)
            index += 1
            continue
        start = index
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            index += 1
        if index == len(lines):
            raise AssertionError(f"README.md:{start + 1}: unclosed code fence")
        body = "\n".join(lines[start + 1 : index]) + "\n"
        blocks.append(_Block(fence.group(1), start + 1, index + 1, heading, body))
        index += 1
    return blocks


def _is_output_gap(lines: list[str]) -> bool:
    prose = [line for line in lines if line.strip()]
    return len(prose) <= 1 and all(_OUTPUT_LEAD_IN.match(line.strip()) for line in prose)


def readme_snippets() -> list[Snippet]:
    """Every ```python block, with the nearest heading above it and its expected output, if any."""
    markdown = README.read_text(encoding="utf-8")
    lines = markdown.splitlines()
    blocks = _blocks(markdown)
    snippets: list[Snippet] = []
    for position, block in enumerate(blocks):
        if block.language != "python":
            continue
        expected = None
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        if (
            following is not None
            and following.language == "text"
            and _is_output_gap(lines[block.end : following.start - 1])
        ):
            expected = following.text
        index = 1 + sum(1 for s in snippets if s.heading == block.heading)
        snippets.append(Snippet(block.heading, index, block.start, block.text, expected))
    return snippets


SNIPPETS = readme_snippets()


def test_readme_has_python_examples() -> None:
    assert len(SNIPPETS) >= 15, f"expected the README's examples, found {len(SNIPPETS)}"


def test_readme_quick_start_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make synth" in text
    assert "make test" in text


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_readme_snippet_synthesizes_and_lints(
    snippet: Snippet, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Examples use paths relative to the repository root (model_artifacts/churn/model.tar.gz).
    monkeypatch.chdir(REPO_ROOT)
    app = App(context=app_context())
    stack = Stack(app, "Readme")

    code = compile(snippet.code, f"README.md:{snippet.line}", "exec")
    exec(code, {"stack": stack, "__name__": "readme"})
    printed = capsys.readouterr().out

    # Examples must also pass cdk-nag AwsSolutions, as the reference app does.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    template = Template.from_stack(stack).to_json()
    assert template.get("Resources"), "the example defines no resources"
    matches = [m for m in lint(json.dumps(template), regions=LINT_REGIONS) if not from_aws_cdk_lib_vpc(m)]
    assert matches == [], "cfn-lint findings:\n" + "\n".join(str(m) for m in matches)

    if snippet.expected_output is not None:
        assert printed == snippet.expected_output
