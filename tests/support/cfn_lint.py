"""cfn-lint as the tests run it: every finding (errors and warnings) of a template against the official resource
schemas of a few regions, less the known findings on aws-cdk-lib's own VPC (``support.cdk_flags``).

Linting is most of a construct test's time (a small stack synthesizes in about 0.1 s and lints in about 0.7 s),
and many tests lint the very same template: several tests assert different things on one construct, and the
plain-``App()`` pass of ``make test`` synthesizes most templates again, identical where no feature flag changes
them. So the findings of each template text are kept on disk (``build/cfn-lint-cache/``), keyed by cfn-lint's
version, the regions and the exact text that is linted: a result is reused only for the same input to the same
linter, which gives the same findings. ``SMC_CFN_LINT_CACHE=off`` lints every time; ``make clean`` empties it.

Each process loads cfn-lint's rules once (``_runner``) and lints every template with them, as cfn-lint's own command
line does for all the files it is given: ``cfnlint.api.lint`` builds a new runner, and so loads every rule and the
JSON data files the rules read, on every call, which was about half of each call's CPU time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint import version as cfn_lint_version
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.rules import Match
from cfnlint.runner import Runner

from .cdk_flags import from_aws_cdk_lib_vpc

LINT_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
CACHE_DIR = Path(__file__).resolve().parents[2] / "build" / "cfn-lint-cache"


@dataclass(frozen=True)
class _Rule:
    id: str


@dataclass(frozen=True)
class Finding:
    """One cfn-lint match as the tests use it: its rule, its path in the template, and how cfn-lint prints it."""

    rule: _Rule
    path: tuple[Any, ...]
    text: str

    def __str__(self) -> str:
        return self.text


@cache
def _runner(regions: tuple[str, ...]) -> Runner:
    """A cfn-lint runner for these regions, with its rules loaded once per process."""
    return Runner(ConfigMixIn(regions=list(regions)))


def lint(text: str, regions: Sequence[str]) -> list[Match]:
    """What ``cfnlint.api.lint(text, regions=regions)`` returns, from a runner whose rules are already loaded."""
    template, errors = decode_str(text)
    if errors:
        return list(errors)
    if template is None:
        return []
    return list(_runner(tuple(regions)).validate_template(template))


def _cache_enabled() -> bool:
    return os.environ.get("SMC_CFN_LINT_CACHE", "on").lower() not in ("off", "0", "false", "no")


def _cache_file(text: str, regions: Sequence[str]) -> Path:
    key = hashlib.sha256(
        "\0".join([cfn_lint_version.__version__, ",".join(regions), text]).encode()
    ).hexdigest()
    return CACHE_DIR / key[:2] / f"{key}.json"


def lint_text(text: str, regions: Sequence[str] = LINT_REGIONS) -> list[Finding]:
    """Every cfn-lint finding of a template's JSON text, from the cache when this exact text was linted before."""
    path = _cache_file(text, regions)
    if _cache_enabled() and path.is_file():
        cached = json.loads(path.read_text(encoding="utf-8"))
        return [Finding(_Rule(f["rule"]), tuple(f["path"]), f["text"]) for f in cached]
    findings = [
        Finding(_Rule(m.rule.id), tuple(getattr(m, "path", None) or ()), str(m)) for m in lint(text, regions)
    ]
    if _cache_enabled():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written to a temporary file and renamed: workers of one run read while others write.
        with tempfile.NamedTemporaryFile(
            "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
        ) as f:
            json.dump([{"rule": x.rule.id, "path": list(x.path), "text": x.text} for x in findings], f)
        os.replace(f.name, path)
    return findings


def cfn_lint(template: dict[str, Any], regions: Sequence[str] = LINT_REGIONS) -> list[str]:
    """cfn-lint findings (errors and warnings) of a template, against the official resource schemas."""
    return [str(m) for m in lint_text(json.dumps(template), regions) if not from_aws_cdk_lib_vpc(m)]
