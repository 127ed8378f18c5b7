"""mypy reads only the aws-cdk-lib modules the library and the handlers import (pyproject.toml): every module the
code imports must be on that list, or mypy would take it as Any without a word."""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MYPY: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
CHECKED = [ROOT / path for path in MYPY["files"]]
"""What mypy checks (``[tool.mypy] files``): the library and the handlers."""


@cache
def _aws_cdk_dir() -> Path:
    # find_spec of a top-level package locates it without importing it (importing aws_cdk starts jsii's Node.js).
    spec = importlib.util.find_spec("aws_cdk")
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def _is_module(name: str) -> bool:
    path = _aws_cdk_dir().joinpath(*name.split(".")[1:])
    return path.is_dir() or path.with_suffix(".py").is_file()


def imported_aws_cdk_modules(roots: list[Path]) -> set[str]:
    """The aws_cdk modules that the Python files under ``roots`` import (``from aws_cdk import aws_iam`` names the
    module aws_cdk.aws_iam; ``from aws_cdk import Duration`` names aws_cdk)."""
    found: set[str] = set()
    for root in roots:
        for file in root.rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(a.name for a in node.names if a.name.split(".")[0] == "aws_cdk")
                elif (
                    isinstance(node, ast.ImportFrom)
                    and node.module
                    and node.module.split(".")[0] == "aws_cdk"
                ):
                    for alias in node.names:
                        child = f"{node.module}.{alias.name}"
                        found.add(child if _is_module(child) else node.module)
    return found


def followed_aws_cdk_modules() -> set[str]:
    """The aws_cdk modules pyproject.toml has mypy read (``follow_imports = "silent"``)."""
    return {
        m
        for o in MYPY["overrides"]
        if o.get("follow_imports") == "silent"
        for m in o["module"]
        if m.split(".")[0] == "aws_cdk"
    }


def test_mypy_reads_every_aws_cdk_module_the_code_imports_and_no_other() -> None:
    skipped = {m for o in MYPY["overrides"] if o.get("follow_imports") == "skip" for m in o["module"]}
    assert skipped == {"aws_cdk.*"}, skipped
    assert imported_aws_cdk_modules(CHECKED) == followed_aws_cdk_modules()


def test_a_new_import_of_a_skipped_module_is_seen(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_text(
        "from aws_cdk import Duration, aws_medialive as medialive\nimport aws_cdk.aws_glue\n"
    )
    found = imported_aws_cdk_modules([tmp_path])
    assert found == {"aws_cdk", "aws_cdk.aws_medialive", "aws_cdk.aws_glue"}
    assert not found <= followed_aws_cdk_modules()
