#!/usr/bin/env python3
"""Generate the SageMaker enum data the construct library validates props against.

The library checks instance types (hosting variants, batch transform, processing for Model Monitor) against
the values the SageMaker API accepts. Those values live in botocore's SageMaker service model
(``botocore/data/sagemaker/<api version>/service-2.json``), but botocore is not a dependency of the library:
importing it at synth time made the check silently disappear in a virtual environment without it. This script
reads the enums from the installed botocore once and writes them as package data to
``constructs/sagemaker_constructs/data/sagemaker_enums.json``; ``tests/library/test_sagemaker_enums_data.py``
fails when the committed file differs from what the installed (pinned) botocore says.

Output format (sorted keys and values, 2-space indent, trailing newline)::

    {
      "generated_from": {"package": "botocore", "version": "...", "service": "sagemaker",
                         "api_version": "2017-07-24"},
      "enums": {"<ShapeName>": ["<value>", ...]}
    }

Usage::

    python scripts/generate_sagemaker_enums.py          # (re)write the data file
    python scripts/generate_sagemaker_enums.py --check  # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import botocore
import botocore.session

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_PATH = REPO_ROOT / "constructs" / "sagemaker_constructs" / "data" / "sagemaker_enums.json"

SHAPES = (
    "ProductionVariantInstanceType",  # CreateEndpointConfig ProductionVariants[].InstanceType
    "TransformInstanceType",  # CreateTransformJob TransformResources.InstanceType
    "ProcessingInstanceType",  # Create*JobDefinition JobResources.ClusterConfig.InstanceType
)
"""The enum shapes of botocore's SageMaker model that the library validates against."""


class GenerationError(RuntimeError):
    """Raised when botocore's model does not hold an expected enum."""


def generate() -> dict[str, Any]:
    """Read every enum in ``SHAPES`` from the installed botocore's SageMaker model."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    enums: dict[str, list[str]] = {}
    for shape_name in SHAPES:
        values = getattr(model.shape_for(shape_name), "enum", None)
        if not values:
            raise GenerationError(f"botocore {botocore.__version__}: shape {shape_name} has no enum values")
        enums[shape_name] = sorted(set(values))
    return {
        "generated_from": {
            "package": "botocore",
            "version": botocore.__version__,
            "service": "sagemaker",
            "api_version": model.api_version,
        },
        "enums": enums,
    }


def render(document: Mapping[str, Any]) -> str:
    """Serialise deterministically (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def summarise_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Human-readable summary of what differs between two documents."""
    lines: list[str] = []
    if old.get("generated_from") != new.get("generated_from"):
        lines.append(f"generated_from: {old.get('generated_from')} -> {new.get('generated_from')}")
    old_enums, new_enums = old.get("enums", {}), new.get("enums", {})
    for shape in sorted(set(old_enums) | set(new_enums)):
        before, after = set(old_enums.get(shape, [])), set(new_enums.get(shape, []))
        if before != after:
            lines.append(f"{shape}: added {sorted(after - before)}, removed {sorted(before - after)}")
    return lines


def check(path: Path, expected: str) -> int:
    """Compare the committed file with freshly generated content; 0 if identical."""
    if not path.exists():
        print(f"{path} does not exist; run {Path(__file__).name} to create it", file=sys.stderr)
        return 1
    current = path.read_text(encoding="utf-8")
    if current == expected:
        print(f"{path} is up to date")
        return 0
    print(f"{path} is stale; rerun {Path(__file__).name}. Summary:", file=sys.stderr)
    try:
        summary = summarise_changes(json.loads(current), json.loads(expected))
    except json.JSONDecodeError as exc:
        summary = [f"committed file is not valid JSON: {exc}"]
    for line in summary or ["formatting differs only"]:
        print(f"  - {line}", file=sys.stderr)
    for line in list(difflib.unified_diff(current.splitlines(), expected.splitlines(), lineterm=""))[:200]:
        print(line, file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT_PATH, help="data file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        content = render(generate())
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output: Path = args.output.resolve()
    if args.check:
        return check(output, content)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(content, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
