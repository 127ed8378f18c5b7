"""The script package runs in SageMaker's scikit-learn container: Python 3.8 syntax, stdlib + numpy, relative
imports only; and it streams (memory does not grow with the window)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.monitor_capture import ROOT, capture_line, churn_rows, config, write_lines

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

PACKAGE = ROOT / "constructs" / "sagemaker_constructs" / "_monitor_script"
SOURCES = sorted(PACKAGE.glob("*.py"))
ALLOWED = set(sys.stdlib_module_names) | {"numpy"}
# Python 3.9+ names the 3.8 container lacks, which 3.8 syntax alone does not catch.
NEWER = {"removeprefix", "removesuffix", "cache", "fma", "pairwise", "batched", "bit_count", "is_relative_to"}


def test_the_package_has_its_modules() -> None:
    assert {p.name for p in SOURCES} >= {
        "__init__.py",
        "__main__.py",
        "cli.py",
        "run.py",
        "paths.py",
        "capture.py",
    }


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_python_38_syntax_and_imports(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path), feature_version=(3, 8))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert {a.name.split(".")[0] for a in node.names} <= ALLOWED, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            assert (node.module or "").split(".")[0] in ALLOWED | {"__future__"}, ast.unparse(node)
        elif isinstance(node, ast.Attribute):
            assert node.attr not in NEWER, f"{path.name}:{node.lineno} uses .{node.attr} (Python 3.9+)"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "zip":
            assert not any(k.arg == "strict" for k in node.keywords), (
                f"{path.name}:{node.lineno}: zip(strict=) is 3.10+"
            )
    code = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    if code:  # annotations must stay unevaluated: 3.8 cannot evaluate list[str] or X | None
        assert isinstance(code[0], ast.ImportFrom), path.name
        assert code[0].module == "__future__", path.name


MEASURE = """
import json, resource, sys
from sagemaker_constructs._monitor_script import run
summary = run.analyze(json.loads(sys.argv[1]), [sys.argv[2]])
assert summary["records"]["used"] > 0, summary
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_kib(path: Path, monitor: dict[str, object]) -> int:
    """Peak resident memory of a fresh process analyzing ``path`` (tracemalloc would slow 200k records 5-fold)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "PYTHONPATH": str(ROOT / "constructs")
    }
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(monitor), str(path)],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return int(done.stdout.split()[-1])


def test_memory_does_not_grow_with_the_window(tmp_path: Path) -> None:
    rows = [",".join(r) for r in churn_rows()]
    small = write_lines(tmp_path / "small.csv", [rows[i % len(rows)] for i in range(10_000)])
    large = write_lines(tmp_path / "large.csv", [rows[i % len(rows)] for i in range(200_000)])
    batch = config(source="batch_transform", datasetFormat={"csv": {"header": False}})
    # 200,000 rows held in memory would take well over 100 MB; streamed, the peak stays that of 10,000.
    assert peak_kib(large, batch) < 1.25 * peak_kib(small, batch)


def test_capture_reading_streams(tmp_path: Path) -> None:
    lines = [capture_line(row) for row in (",".join(r) for r in churn_rows())]
    small = write_lines(tmp_path / "small.jsonl", [lines[i % len(lines)] for i in range(10_000)])
    large = write_lines(tmp_path / "large.jsonl", [lines[i % len(lines)] for i in range(200_000)])
    assert peak_kib(large, config()) < 1.25 * peak_kib(small, config())
