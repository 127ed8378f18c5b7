"""``benchmarks/scale.py`` measures what the reference app builds for its endpoint, not a copy that can drift.

No timing: one stack with one fully monitored endpoint is synthesized and its endpoint's resources compared with
the reference app's real-time stack and the endpoint's monitors in the monitoring stack. The benchmark builds the
monitors on Model Monitor (their own default; docs/benchmarks.md measured that), so it is compared with the
reference app synthesized with ``-c sagemaker-constructs:monitoring-backend=model-monitor``, not with the default
app, whose monitors run on the open backend.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
from aws_cdk import App

from benchmarks.scale import MonitoredEndpointsStack
from infra.app import cdk_context

_HASH = re.compile(r"[0-9A-F]{8}$")
# CDK's one AwsCustomResource function (with its log group) and the library's one role for it (pausing scaling)
# per stack: shared, not the endpoint's.
_PROVIDER = ("AWS679f53fac002430cb0da5b7982bd2287", "SageMakerScalingPauseRole")
_ENDPOINT_MONITORS = ("EndpointDataQuality", "EndpointModelQuality", "EndpointBias", "EndpointExplainability")
# The reference endpoint's own alerts topic and volume key: the benchmark passes the stack's shared ones.
_SHARED_IN_BENCHMARK = ("Alerts", "EndpointVolumeKey")
# The stack's one server access-log bucket (and its policy), which every SecureBucket of a stack logs to.
_STACK_ACCESS_LOGS = "SecureBucketAccessLogs"
# The reference stack's approved-model deployer: the delivery path, not part of the endpoint the benchmark repeats.
_DEPLOYER = "ModelDeployer"
# And its bandit, which allocates the reference endpoint's traffic: the benchmark's endpoints have none.
_BANDIT = "Bandit"


def _resources(template: dict[str, Any], keep: Any, prefix: str = "") -> Counter[tuple[str, str]]:
    return Counter(
        (r["Type"], _HASH.sub("", logical_id)[len(prefix) :])
        for logical_id, r in template["Resources"].items()
        if keep(logical_id)
    )


@pytest.fixture(scope="module")
def scale_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("scale")
    app = App(context=cdk_context(), outdir=str(outdir))
    MonitoredEndpointsStack(app, "MonitoredEndpoints", first=0, count=1)
    app.synth()
    template: dict[str, Any] = json.loads((outdir / "MonitoredEndpoints.template.json").read_text())
    return template


def test_a_benchmark_endpoint_is_the_reference_endpoint_with_its_monitors(
    scale_template: dict[str, Any], model_monitor_templates: dict[str, dict[str, Any]]
) -> None:
    reference_templates = model_monitor_templates
    endpoint = _resources(scale_template, lambda i: i.startswith("Ep000"), prefix="Ep000")
    reference = _resources(
        reference_templates["SageMakerRealtime"],
        lambda i: (
            not i.startswith((*_PROVIDER, *_SHARED_IN_BENCHMARK, _STACK_ACCESS_LOGS, _DEPLOYER, _BANDIT))
        ),
    ) + _resources(reference_templates["SageMakerMonitoring"], lambda i: i.startswith(_ENDPOINT_MONITORS))
    assert sum(endpoint.values()) > 0
    assert endpoint == reference, (
        sorted((endpoint - reference).elements()),
        sorted((reference - endpoint).elements()),
    )
