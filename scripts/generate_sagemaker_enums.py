#!/usr/bin/env python3
"""Generate the SageMaker enum data the construct library validates props against.

The library checks instance types (hosting variants, batch transform, processing for Model Monitor) against
the values the SageMaker API accepts. Those values live in botocore's SageMaker service model
(``botocore/data/sagemaker/<api version>/service-2.json``), but botocore is not a dependency of the library:
importing it at synth time made the check silently disappear in a virtual environment without it. This script
reads the enums from the installed botocore once and writes them as package data to
``constructs/sagemaker_constructs/data/sagemaker_enums.json``; ``tests/unit/test_sagemaker_enums_data.py``
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

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import _data_file
import botocore
import botocore.session
from _data_file import GenerationError

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_PATH = REPO_ROOT / "constructs" / "sagemaker_constructs" / "data" / "sagemaker_enums.json"

SHAPES = (
    "ProductionVariantInstanceType",  # CreateEndpointConfig ProductionVariants[].InstanceType
    "TransformInstanceType",  # CreateTransformJob TransformResources.InstanceType
    "ProcessingInstanceType",  # Create*JobDefinition JobResources.ClusterConfig.InstanceType
)
"""The enum shapes of botocore's SageMaker model that the library validates against."""


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


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    return _data_file.main(
        argv,
        generate=generate,
        summarise=summarise_changes,
        output_path=OUTPUT_PATH,
        script=Path(__file__).name,
        description=__doc__.splitlines()[0] if __doc__ else None,
    )


if __name__ == "__main__":
    sys.exit(main())
