"""The bandit allocator's handler inside moto: its environment, an endpoint with champion and challenger, a kill
switch, a freeze alarm, and helpers to publish rewards and read back what the handler did. Shared by the handler
tests and the bandit's actor rehearsal."""

from __future__ import annotations

import copy
import importlib
import io
import json
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker import models as moto_sagemaker_models

from lambdas.bandit import contract

REGION = "us-east-1"
ENDPOINT = "churn-endpoint"
ALARM = "churn-endpoint-error-rate"
SWITCH = "/bandit/churn/kill-switch"
EVENTS = Path(__file__).resolve().parents[1] / "events"
TICK_EVENT = json.loads((EVENTS / "bandit_tick.json").read_text())
TICK = datetime(2026, 12, 2, 10, 15, tzinfo=UTC)
WINDOW = timedelta(hours=6)


def _metric_stat(namespace: str, name: str, variant: str, period: int = 60) -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": namespace,
            "MetricName": name,
            "Dimensions": [
                {"Name": "EndpointName", "Value": ENDPOINT},
                {"Name": "VariantName", "Value": variant},
            ],
        },
        "Period": period,
        "Stat": "Average",  # the handler picks the statistic itself
    }


QUERIES = {
    # The construct's short form for the default trials (the variant's Invocations), and the explicit form.
    "champion": {
        "reward": _metric_stat("ChurnApp", "RetentionOfferAccepted", "champion", 300),
        "trials": contract.TRIALS_INVOCATIONS,
    },
    "challenger": {
        "reward": _metric_stat("ChurnApp", "RetentionOfferAccepted", "challenger", 300),
        "trials": _metric_stat("AWS/SageMaker", "Invocations", "challenger"),
    },
}


@dataclass
class Bandit:
    module: ModuleType
    stdout: io.StringIO

    def invoke(self, event: Any) -> dict[str, Any]:
        from support.lambda_context import FakeLambdaContext

        with redirect_stdout(self.stdout):
            return dict(self.module.lambda_handler(copy.deepcopy(event), FakeLambdaContext()))

    def weights(self) -> dict[str, float]:
        described = boto3.client("sagemaker", region_name=REGION).describe_endpoint(EndpointName=ENDPOINT)
        return {v["VariantName"]: v["CurrentWeight"] for v in described["ProductionVariants"]}

    def emf(self) -> list[dict[str, Any]]:
        return [
            json.loads(line) for line in self.stdout.getvalue().splitlines() if line.startswith('{"_aws"')
        ]

    def decisions(self) -> list[str]:
        return [m["Decision"] for m in self.emf() if contract.METRIC_DECISIONS in m]


def endpoint_backend() -> Any:
    return moto_sagemaker_models.sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].endpoints[ENDPOINT]


@pytest.fixture
def bandit(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bandit]:
    env = {
        contract.ENV_ENDPOINT_NAME: ENDPOINT,
        contract.ENV_VARIANTS: json.dumps(["champion", "challenger"]),
        contract.ENV_POLICY: "thompson-beta",
        contract.ENV_EPSILON: "0.1",
        contract.ENV_REWARD_KIND: contract.REWARD_CONVERSIONS,
        contract.ENV_QUERIES: json.dumps(QUERIES),
        contract.ENV_WINDOW_SECONDS: str(int(WINDOW.total_seconds())),
        contract.ENV_MIN_WEIGHT: "0.05",
        contract.ENV_MAX_STEP: "0.2",
        contract.ENV_MIN_TRIALS: "100",
        contract.ENV_MIN_CHANGE: "0.01",
        contract.ENV_KILL_SWITCH_PARAMETER: SWITCH,
        contract.ENV_FREEZE_ALARMS: json.dumps([ALARM]),
        contract.POWERTOOLS_SERVICE_NAME: contract.SERVICE_NAME,
        contract.POWERTOOLS_METRICS_NAMESPACE: contract.METRICS_NAMESPACE,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": REGION,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("ssm", region_name=REGION).put_parameter(Name=SWITCH, Value="enabled", Type="String")
        boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
            AlarmName=ALARM,
            Namespace="AWS/SageMaker",
            MetricName="Invocation5XXErrors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        sm = boto3.client("sagemaker", region_name=REGION)
        sm.create_model(
            ModelName="churn",
            ExecutionRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/model",
            PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:3.0-5"},
        )
        sm.create_endpoint_config(
            EndpointConfigName="churn-config",
            ProductionVariants=[
                {
                    "VariantName": name,
                    "ModelName": "churn",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                    "InitialVariantWeight": weight,
                }
                for name, weight in (("champion", 90.0), ("challenger", 10.0))
            ],
        )
        sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-config")
        # The endpoint was created well before the tick.
        endpoint_backend().last_modified_time = (TICK - timedelta(days=1)).isoformat()
        sys.modules.pop("lambdas.bandit.handler", None)
        module = importlib.import_module("lambdas.bandit.handler")
        yield Bandit(module, io.StringIO())
    sys.modules.pop("lambdas.bandit.handler", None)


def publish_rewards(accepted: dict[str, int], invocations: dict[str, int], *, minutes: int = 60) -> None:
    """Spread each variant's conversions and invocations over the ``minutes`` before the tick."""
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for variant in accepted:
        for namespace, name, total in (
            ("ChurnApp", "RetentionOfferAccepted", accepted[variant]),
            ("AWS/SageMaker", "Invocations", invocations[variant]),
        ):
            per_minute, rest = divmod(total, minutes)
            data = [
                {
                    "MetricName": name,
                    "Dimensions": [{"Name": "EndpointName", "Value": ENDPOINT},
                                   {"Name": "VariantName", "Value": variant}],
                    "Timestamp": TICK - timedelta(minutes=minutes - i),
                    "Value": float(per_minute + (1 if i < rest else 0)),
                }
                for i in range(minutes)
            ]  # fmt: skip
            for start in range(0, len(data), 20):
                cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 20])
