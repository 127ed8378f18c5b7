"""The integration test apps' snapshots (``integ/*.py.snapshot/``), checked offline.

integ-runner would do this itself (its snapshot phase runs without an account), but the newest
``@aws-cdk/integ-runner`` (2.197.10, pinned in package.json) reads cloud assembly schema 53 at most, and
aws-cdk-lib 2.275.0 writes schema 55: it stops with "Cloud assembly schema version mismatch"
(test_integ_runner_still_cannot_read_this_assembly). Until it can, this test synthesizes each integ app and
compares what integ-runner compares (every stack template and the ``integ.json`` test manifest, asset hashes
masked) with the committed snapshot, in integ-runner's own layout so that integ-runner can take over.

Update after a deliberate change, and review the diff::

    pytest tests/integ/test_integ_snapshots.py -p no:cacheprovider --snapshot-update
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEG_DIR = REPO_ROOT / "integ"
INTEG_APPS = sorted(p.name for p in INTEG_DIR.glob("integ_*.py"))
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")
_SALT = re.compile(r'"salt": "[0-9]+"')
# What integ-runner compares; the rest of an assembly (asset payloads, tree.json) is not snapshotted.
SNAPSHOT_FILES = re.compile(r".*\.template\.json|integ\.json|manifest\.json")


def synthesize(app_file: str, outdir: Path) -> dict[str, Any]:
    """Synthesize an integ app into ``outdir``; ``{file name: parsed JSON}`` of the files integ-runner compares."""
    spec = importlib.util.spec_from_file_location(app_file.removesuffix(".py"), INTEG_DIR / app_file)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(str(outdir)).synth()
    return {p.name: json.loads(p.read_text()) for p in outdir.iterdir() if SNAPSHOT_FILES.fullmatch(p.name)}


def masked(document: Any) -> Any:
    """Asset hashes and salts masked: a rebuilt model artifact or Lambda bundle does not churn the snapshot, nor
    does the ``salt`` (the synthesis time) integ-tests-alpha puts in each assertion to make it run again."""
    text = _SALT.sub('"salt": "<salt>"', json.dumps(document))
    return json.loads(_ASSET_HASH.sub("<asset-hash>", text))


def committed(app_file: str) -> dict[str, Any]:
    snapshot = INTEG_DIR / f"{app_file}.snapshot"
    if not snapshot.is_dir():
        return {}
    return {p.name: json.loads(p.read_text()) for p in snapshot.iterdir() if SNAPSHOT_FILES.fullmatch(p.name)}


def test_there_are_integ_apps():
    assert INTEG_APPS == ["integ_reference_app.py"]


@pytest.mark.parametrize("app_file", INTEG_APPS)
def test_integ_snapshot_is_current(app_file: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    fresh = synthesize(app_file, tmp_path / "cdk.out")
    assert "integ.json" in fresh, "not an integ app: no IntegTest in it"
    if request.config.getoption("--snapshot-update", default=False):
        snapshot = INTEG_DIR / f"{app_file}.snapshot"
        shutil.rmtree(snapshot, ignore_errors=True)
        snapshot.mkdir()
        for name, document in fresh.items():
            (snapshot / name).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    old = committed(app_file)
    assert sorted(old) == sorted(fresh), "files differ: run with --snapshot-update and review the diff"
    changed = [name for name in fresh if name != "manifest.json" and masked(old[name]) != masked(fresh[name])]
    assert changed == [], f"{changed} changed: run with --snapshot-update and review the diff"


def test_integ_manifest_names_the_assertions(tmp_path: Path) -> None:
    """The snapshot is of a real IntegTest: its manifest lists the test stacks and the assertion stack."""
    (case,) = committed("integ_reference_app.py")["integ.json"]["testCases"].values()
    assert sorted(case["stacks"]) == [
        "SageMakerBatch",
        "SageMakerMonitoring",
        "SageMakerOperations",
        "SageMakerRealtime",
        "SageMakerRetraining",
    ]
    assert case["assertionStack"].startswith("ReferenceApp/DefaultTest/DeployAssert")
    assert case["regions"] == ["us-east-1"]


def test_integ_runner_still_cannot_read_this_assembly(tmp_path: Path) -> None:
    """The gap this file works around. When integ-runner reads schema 55, this fails: switch to
    ``integ-runner --language python --directory integ`` (no account needed while snapshots match)."""
    runner = REPO_ROOT / "node_modules" / ".bin" / "integ-runner"
    assert runner.exists(), "integ-runner is missing: run npm ci"
    work = tmp_path / "integ"
    work.mkdir()
    snapshot = work / "integ_reference_app.py.snapshot"
    shutil.copytree(INTEG_DIR / "integ_reference_app.py.snapshot", snapshot)
    (work / "integ_reference_app.py").write_text(
        "raise SystemExit('integ-runner must stop at the manifest')\n"
    )
    done = subprocess.run(
        [str(runner), "--language", "python", "--directory", str(work), "--parallel-regions", "us-east-1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Maximum schema version supported is 53.x.x, but found 55.0.0" in output, output
