"""cfn-lint as the tests run it: every finding (errors and warnings) of a template against the official resource
schemas of a few regions, less the known findings on aws-cdk-lib's own VPC (``support.cdk_flags``)."""

from __future__ import annotations

import json
from typing import Any

from cfnlint.api import lint

from .cdk_flags import from_aws_cdk_lib_vpc

LINT_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def cfn_lint(template: dict[str, Any]) -> list[str]:
    """cfn-lint findings (errors and warnings) of a template, against the official resource schemas."""
    matches = lint(json.dumps(template), regions=LINT_REGIONS)
    return [str(m) for m in matches if not from_aws_cdk_lib_vpc(m)]
