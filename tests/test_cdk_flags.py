"""The feature flags: the set that ``cdk init`` writes is shipped as test data and kept fresh against the pinned
CLI, and the repository's ``cdk.json`` carries all of it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support.cdk_flags import CDK_INIT_CONTEXT, app_context, cdk_init_context, flag_set, flag_set_forbidden
from support.stacks import new_stack

from infra.app import cdk_context

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_CLI = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def test_cdk_init_context_is_what_the_pinned_cli_writes(tmp_path: Path) -> None:
    """Regenerate with: ``cdk init app --language=python --generate-only`` in an empty folder named ``app``,
    then copy its ``cdk.json`` ``context`` into tests/support/cdk_init_context.json."""
    assert CDK_CLI.exists(), f"the pinned CDK CLI is not installed at {CDK_CLI} (npm ci)"
    workdir = tmp_path / "app"
    workdir.mkdir()
    subprocess.run(
        [str(CDK_CLI), "init", "app", "--language=python", "--generate-only"],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=120,
    )
    written = json.loads((workdir / "cdk.json").read_text())["context"]
    assert cdk_init_context() == written, f"{CDK_INIT_CONTEXT.name} is stale: regenerate it (see this test)"


def test_cdk_json_carries_every_flag_cdk_init_sets() -> None:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    differ = {
        flag: (context.get(flag, "<unset>"), value)
        for flag, value in cdk_init_context().items()
        if context.get(flag, "<unset>") != value
    }
    assert differ == {}, "cdk.json differs from cdk init's flags ((cdk.json, cdk init)):\n" + "\n".join(
        f"{flag}: {pair}" for flag, pair in sorted(differ.items())
    )


def test_reading_the_flag_set_fails_while_it_is_forbidden() -> None:
    assert app_context() == cdk_context() or flag_set() == "none"
    with flag_set_forbidden("tests/x.py::test_y"), pytest.raises(AssertionError) as raised:
        app_context()
    assert "tests/x.py::test_y is marked flag_independent" in str(raised.value)
    assert flag_set() in ("repo", "none")


@pytest.mark.flag_independent
def test_a_flag_independent_test_cannot_read_the_flag_set() -> None:
    """The mark takes effect: the tests so marked run without the flag set, so the first pass shows they build no
    app on it, and the plain-App() pass may leave them out."""
    with pytest.raises(AssertionError, match="is marked flag_independent"):
        new_stack()
