"""Every page's examples run as a user runs them: each ```python block of README.md and docs/**/*.md is the body
of a stack, executed from a folder outside the repository, synthesized, checked by cdk-nag and linted by cfn-lint.

A block runs with ``stack = Stack(App(), "Docs")``: the app has no context under ``SMC_CDK_FLAGS=none`` (a user's
first app) and this repository's flags otherwise. The blocks run in a process of their own (``support.snippet_runner``)
started in a temporary folder outside the repository, which holds only the sample files the examples name
(``model_artifacts/churn/model.tar.gz`` and the baselines): a user's app folder with their model in it. A process
of its own, because CDK resolves an asset's relative path in its Node.js process, against the directory that process
started in, which a Python ``chdir`` does not move. The sample files are found by scanning the blocks for string
literals that are paths of files in the repository, so an example that names another sample file gets it without
a change here.

A ```text block that directly follows a ```python block (only blank lines and one short line of prose such as
"prints:" in between) is that block's expected output: what the example prints must match it exactly. The pages
are read by ``support.doc_pages``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cdk_flags import app_context
from support.cfn_lint import cfn_lint
from support.doc_pages import README, REPO_ROOT, Snippet, all_snippets, sample_files

LINT_REGIONS = ["us-east-1"]
RUNNER = Path(__file__).resolve().parent / "support" / "snippet_runner.py"

SNIPPETS = all_snippets()


class ExampleRunner:
    """A process started in the user's folder that runs examples one by one (``support.snippet_runner``)."""

    def __init__(self, folder: Path) -> None:
        # The library imports as it does here; the files the examples read are the copies in ``folder``.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and Path(p).is_dir())}
        self._stderr = (folder / "runner.stderr").open("w")
        self._process = subprocess.Popen(
            [sys.executable, str(RUNNER)],
            cwd=folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    def run(self, snippet: Snippet) -> dict[str, Any]:
        """The example's template, what it printed, and its traceback if it failed."""
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        request = {"code": snippet.code, "filename": snippet.location, "context": app_context()}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        assert answer, f"the example runner exited ({self._process.poll()}); see {self._stderr.name}"
        result: dict[str, Any] = json.loads(answer)
        return result

    def close(self) -> None:
        """Stop the process."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)
        self._stderr.close()


@pytest.fixture(scope="session")
def user_app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the repository holding only the sample files the examples use, as a user's app folder."""
    folder = tmp_path_factory.mktemp("user_app")
    assert REPO_ROOT not in folder.parents, "the examples must run outside the repository"
    for relative in sample_files(SNIPPETS):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / relative, target)
    return folder


@pytest.fixture(scope="session")
def runner(user_app_dir: Path) -> Iterator[ExampleRunner]:
    """One example process per test session (per pytest-xdist worker)."""
    started = ExampleRunner(user_app_dir)
    yield started
    started.close()


def test_the_examples_are_collected_from_the_readme_and_the_pages() -> None:
    pages = {s.page for s in SNIPPETS}
    assert "README" in pages
    assert "hosting/models" in pages
    assert len(SNIPPETS) >= 44, f"expected at least the old README's 44 examples, found {len(SNIPPETS)}"
    ids = [s.id for s in SNIPPETS]
    assert len(ids) == len(set(ids)), "two examples share an id"


def test_the_examples_sample_files_are_found() -> None:
    assert "model_artifacts/churn/model.tar.gz" in sample_files(SNIPPETS)


def test_the_readme_names_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make synth" in text
    assert "make test" in text


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_example_synthesizes_and_lints(snippet: Snippet, runner: ExampleRunner) -> None:
    result = runner.run(snippet)
    if result["error"] is not None:
        pytest.fail(f"{snippet.location}: the example failed:\n{result['error']}", pytrace=False)

    template = result["template"]
    assert template.get("Resources"), "the example defines no resources"
    matches = cfn_lint(template, LINT_REGIONS)
    assert matches == [], "cfn-lint findings:\n" + "\n".join(str(m) for m in matches)

    if snippet.expected_output is not None:
        assert result["printed"] == snippet.expected_output
