"""The cfn-lint cache of the tests (``support.cfn_lint``) gives the findings cfn-lint gives, and lints again
whenever the input differs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint as fresh_lint
from support import cfn_lint as cache

BAD = {
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketNam": "typo"}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 100000}},
    }
}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """An empty cache in a temporary folder, and the texts cfn-lint itself was asked to lint."""
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path)
    monkeypatch.delenv("SMC_CFN_LINT_CACHE", raising=False)
    seen: list[str] = []

    real_lint = cache.lint

    def counting_lint(text: str, regions: list[str]) -> Any:
        seen.append(text)
        return real_lint(text, regions)

    monkeypatch.setattr(cache, "lint", counting_lint)
    return seen


def test_a_cached_result_is_what_cfn_lint_reports(calls: list[str]) -> None:
    text = json.dumps(BAD)
    fresh = fresh_lint(text, regions=cache.LINT_REGIONS)
    assert len(fresh) >= 2
    first = cache.lint_text(text)
    second = cache.lint_text(text)
    assert len(calls) == 1, "the second lint of the same text must come from the cache"
    expected = [(m.rule.id, tuple(m.path), str(m)) for m in fresh]
    assert [(f.rule.id, f.path, str(f)) for f in first] == expected
    assert [(f.rule.id, f.path, str(f)) for f in second] == expected


def test_any_change_to_the_text_or_the_regions_lints_again(calls: list[str]) -> None:
    assert cache.cfn_lint(BAD) != []
    fixed = json.loads(json.dumps(BAD))
    fixed["Resources"]["Bucket"]["Properties"] = {"BucketName": "fine"}
    fixed["Resources"]["Queue"]["Properties"] = {"VisibilityTimeout": 30}
    assert cache.cfn_lint(fixed) == []
    assert cache.cfn_lint(BAD, ["us-east-1"]) != []
    assert len(calls) == 3


def test_the_cache_can_be_turned_off(calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMC_CFN_LINT_CACHE", "off")
    cache.cfn_lint(BAD)
    cache.cfn_lint(BAD)
    assert len(calls) == 2


@pytest.mark.parametrize("regions", [cache.LINT_REGIONS, ["us-east-1"]], ids=["three-regions", "one-region"])
def test_one_runner_per_process_gives_what_cfn_lint_api_gives_template_after_template(
    regions: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMC_CFN_LINT_CACHE", "off")
    fixed = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "fine"}}}}
    # Different templates in turn through the same runner and rules: nothing a run leaves behind changes the next;
    # and a text cfn-lint cannot decode gives its decode error as cfnlint.api.lint does.
    for text in (json.dumps(BAD), json.dumps(fixed), "{not json", json.dumps(BAD), json.dumps(fixed)):
        expected = [
            (m.rule.id, tuple(getattr(m, "path", None) or ()), str(m))
            for m in fresh_lint(text, regions=regions)
        ]
        assert [(f.rule.id, f.path, str(f)) for f in cache.lint_text(text, regions)] == expected
