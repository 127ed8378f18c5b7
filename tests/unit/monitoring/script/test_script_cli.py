"""The command line end to end, as the library module and as the container runs it: the package copied to a folder
named ``open_monitor`` and run with ``python -m open_monitor`` and only that folder's parent on PYTHONPATH."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.monitor_capture import DQ_BASELINE, ROOT, churn_rows, config, csv_capture_lines, write_lines

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

PACKAGE = ROOT / "constructs" / "sagemaker_constructs" / "_monitor_script"


def window(tmp_path: Path, factor: float = 1.5) -> Path:
    rows = [[*r[:2], f"{float(r[2]) * factor:.2f}", *r[3:]] for r in churn_rows()]
    write_lines(
        tmp_path / "data" / "churn" / "AllTraffic" / "2026" / "12" / "02" / "04" / "a.jsonl",
        csv_capture_lines(rows[:200]),
    )
    write_lines(
        tmp_path / "data" / "churn" / "AllTraffic" / "2026" / "12" / "02" / "05" / "b.jsonl",
        csv_capture_lines(rows[200:]),
    )
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "monitor.json").write_text(json.dumps(config()))
    return tmp_path


PYTHON38 = os.environ.get("OPEN_MONITOR_PYTHON38")
"""A Python 3.8 interpreter with numpy (the container's), to run the script as the container does; unset: skipped."""


def cli(
    args: list[str], *, module: str, pythonpath: str, cwd: Path, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": pythonpath}
    return subprocess.run(
        [python, "-m", module, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def flags(tmp_path: Path, output: str) -> list[str]:
    return [
        "--config",
        str(tmp_path / "config" / "monitor.json"),
        "--baseline",
        str(DQ_BASELINE),
        "--output",
        str(tmp_path / output),
    ]


def test_analyze_with_the_library_module(tmp_path: Path) -> None:
    window(tmp_path)
    done = cli(
        ["analyze", "--data", str(tmp_path / "data"), *flags(tmp_path, "out")],
        module="sagemaker_constructs._monitor_script",
        pythonpath=str(ROOT / "constructs"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "violations"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["violatedChecks"] == ["baseline_drift_check"]
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())["violations"]
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations] == [
        ("monthly_charges", "baseline_drift_check")
    ]
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert stats["dataset"] == {"item_count": 450}


@pytest.mark.parametrize(
    "python",
    [
        pytest.param(sys.executable, id="this-python"),
        pytest.param(
            PYTHON38,
            id="python3.8",
            marks=pytest.mark.skipif(
                not PYTHON38, reason="set OPEN_MONITOR_PYTHON38 to a Python 3.8 with numpy"
            ),
        ),
    ],
)
def test_partial_and_merge_as_the_container_runs_them(tmp_path: Path, python: str) -> None:
    window(tmp_path)
    code = tmp_path / "code"
    shutil.copytree(PACKAGE, code / "open_monitor", ignore=shutil.ignore_patterns("__pycache__"))
    hours = sorted((tmp_path / "data" / "churn" / "AllTraffic" / "2026" / "12" / "02").iterdir())
    for i, hour in enumerate(hours):
        done = cli(
            [
                "analyze",
                "--partial",
                "--host",
                f"algo-{i + 1}",
                "--data",
                str(hour),
                *flags(tmp_path, "shards"),
            ],
            module="open_monitor",
            pythonpath=str(code),
            cwd=tmp_path,
            python=python,
        )
        assert done.returncode == 0, done.stderr
    done = cli(
        ["merge", "--partials", str(tmp_path / "shards" / "partials"), *flags(tmp_path, "merged")],
        module="open_monitor",
        pythonpath=str(code),
        cwd=tmp_path,
        python=python,
    )
    assert done.returncode == 0, done.stderr
    one = cli(
        ["analyze", "--data", str(tmp_path / "data"), *flags(tmp_path, "one")],
        module="open_monitor",
        pythonpath=str(code),
        cwd=tmp_path,
        python=python,
    )
    assert one.returncode == 0, one.stderr
    for name in ("statistics.json", "constraint_violations.json", "summary.json"):
        assert (tmp_path / "merged" / name).read_text() == (tmp_path / "one" / name).read_text()
    assert json.loads((tmp_path / "merged" / "summary.json").read_text())["records"]["files"] == 2


def test_missing_channels_are_empty_and_bad_types_exit_2(tmp_path: Path) -> None:
    window(tmp_path)
    done = cli(
        ["analyze", "--data", str(tmp_path / "absent"), *flags(tmp_path, "out")],
        module="sagemaker_constructs._monitor_script",
        pythonpath=str(ROOT / "constructs"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "no-data"
    (tmp_path / "config" / "monitor.json").write_text(json.dumps(config(monitoringType="Unknown")))
    done = cli(
        ["analyze", *flags(tmp_path, "out")],
        module="sagemaker_constructs._monitor_script",
        pythonpath=str(ROOT / "constructs"),
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "monitoringType must be one of DataQuality" in done.stderr


@pytest.mark.parametrize("argv", [[], ["analyze", "--bogus"]])
def test_a_bad_command_line_exits_2(tmp_path: Path, argv: list[str]) -> None:
    done = cli(
        argv, module="sagemaker_constructs._monitor_script", pythonpath=str(ROOT / "constructs"), cwd=tmp_path
    )
    assert done.returncode == 2
