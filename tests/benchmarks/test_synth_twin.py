"""The synth benchmark compares like with like: the raw L1 twin builds the library's real-time stack's resources.

No timing: both stacks are synthesized once, as ``benchmarks/synth.py`` does, and their resource sets compared.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from benchmarks.synth import (
    LIBRARY,
    RAW,
    TwinDriftError,
    build_library,
    build_raw,
    check_like_for_like,
    compare_resources,
    synthesize,
)
from infra.app import cdk_context


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, build in ((LIBRARY, build_library), (RAW, build_raw)):
        _, path = synthesize(build, cdk_context(), str(tmp_path_factory.mktemp(name.replace(" ", "-"))))
        out[name] = json.loads(path.read_text())
    return out


def test_the_raw_twin_builds_the_same_resources_as_the_library(templates: dict[str, dict[str, Any]]) -> None:
    comparison = compare_resources(templates[LIBRARY], templates[RAW])
    assert comparison.like_for_like, comparison.describe()
    assert comparison.library_counts == comparison.raw_counts
    check_like_for_like(templates[LIBRARY], templates[RAW])


def test_a_twin_missing_a_resource_fails_the_benchmark(templates: dict[str, dict[str, Any]]) -> None:
    raw = copy.deepcopy(templates[RAW])
    logical_id = next(i for i, r in raw["Resources"].items() if r["Type"] == "AWS::SNS::TopicPolicy")
    del raw["Resources"][logical_id]
    with pytest.raises(TwinDriftError, match=r"AWS::SNS::TopicPolicy: 1 in library, 0 in raw L1"):
        check_like_for_like(templates[LIBRARY], raw)


def test_a_renamed_resource_fails_even_when_the_counts_match(templates: dict[str, dict[str, Any]]) -> None:
    raw = copy.deepcopy(templates[RAW])
    raw["Resources"]["SomethingElse"] = raw["Resources"].pop("Alerts")
    comparison = compare_resources(templates[LIBRARY], raw)
    assert comparison.library_counts == comparison.raw_counts
    assert comparison.only_in_raw == [("AWS::SNS::Topic", "SomethingElse")]
    assert comparison.only_in_library == [("AWS::SNS::Topic", "Alerts")]
    with pytest.raises(TwinDriftError, match="only in raw L1: AWS::SNS::Topic SomethingElse"):
        check_like_for_like(templates[LIBRARY], raw)
