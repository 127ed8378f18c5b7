"""What the package-data generators share: deterministic JSON, the ``--check`` comparison and the command line.

``generate_image_registry.py`` and ``generate_sagemaker_enums.py`` each build one JSON document from an installed
package (the SageMaker SDK, botocore) and commit it as package data; this module writes it, or with ``--check``
compares it with the committed file and explains what changed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_DIFF_LINES = 200

Summariser = Callable[[Mapping[str, Any], Mapping[str, Any]], list[str]]


class GenerationError(RuntimeError):
    """The installed package does not give what the data file needs; nothing is written."""


def render(document: Mapping[str, Any]) -> str:
    """Serialise deterministically (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _display(path: Path) -> str:
    """Path relative to the repository root when possible."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def check(path: Path, expected: str, summarise: Summariser, script: str) -> int:
    """Compare the committed file with freshly generated content; 0 if identical, else 1 with a summary."""
    if not path.exists():
        print(f"{path} does not exist; run {script} to create it", file=sys.stderr)
        return 1
    current = path.read_text(encoding="utf-8")
    if current == expected:
        print(f"{_display(path)} is up to date")
        return 0
    print(f"{_display(path)} is stale; rerun {script}. Summary:", file=sys.stderr)
    try:
        summary = summarise(json.loads(current), json.loads(expected))
    except json.JSONDecodeError as exc:
        summary = [f"committed file is not valid JSON: {exc}"]
    for line in summary or ["formatting differs only"]:
        print(f"  - {line}", file=sys.stderr)
    diff = list(
        difflib.unified_diff(
            current.splitlines(), expected.splitlines(), "committed", "generated", lineterm=""
        )
    )
    for line in diff[:MAX_DIFF_LINES]:
        print(line, file=sys.stderr)
    if len(diff) > MAX_DIFF_LINES:
        print(f"... ({len(diff) - MAX_DIFF_LINES} more diff lines)", file=sys.stderr)
    return 1


def main(
    argv: list[str] | None,
    *,
    generate: Callable[[], Mapping[str, Any]],
    summarise: Summariser,
    output_path: Path,
    script: str,
    description: str | None,
) -> int:
    """Write the data file, or with ``--check`` compare it; returns the process exit code (2: cannot generate)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 and print a diff summary if the committed file is stale",
    )
    parser.add_argument("--output", type=Path, default=output_path, help="data file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        content = render(generate())
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output: Path = args.output.resolve()
    if args.check:
        return check(output, content, summarise, script)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(content, encoding="utf-8")
    print(f"wrote {output}")
    return 0
