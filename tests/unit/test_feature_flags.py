"""The library works whatever the app's feature flags: on a plain ``App()`` with no context, and on the full set
that ``cdk init`` writes (weak cross-stack references included), with cfn-lint and cdk-nag clean under both."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint
from support.cdk_flags import cdk_init_context

from sagemaker_constructs import (
    BatchDataCapture,
    BatchTransform,
    ContainerImage,
    DataCapture,
    DataQualityMonitor,
    Endpoint,
    Model,
    ModelData,
    MonitorSource,
    ProductionVariant,
    SecureBucket,
    TransformInput,
)

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"
LOGS_FLAG = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
LOG_DELIVERY = "logging.s3.amazonaws.com"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # The sample model is an asset path relative to the repository root, as in the README.
    monkeypatch.chdir(Path(__file__).resolve().parents[2])


def synthesize(app: App, outdir: Path) -> dict[str, dict[str, Any]]:
    """Synthesize ``app`` with cdk-nag's AwsSolutions pack; fail on any finding or cfn-lint match.

    Returns ``{stack name: template}``.
    """
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        assembly = app.synth()
    except RuntimeError as error:
        report = outdir / "validation-report.json"
        if "ValidationFailed" not in str(error) or not report.exists():
            raise
        findings = [
            f"{violation['ruleName']} on {construct['constructPath']}"
            for plugin in json.loads(report.read_text())["pluginReports"]
            for violation in plugin["violations"]
            for construct in violation.get("violatingConstructs", [])
        ]
        raise AssertionError("cdk-nag findings:\n" + "\n".join(findings)) from error
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    for name, template in templates.items():
        matches = [str(m) for m in lint(json.dumps(template), regions=["us-east-1"])]
        assert matches == [], f"cfn-lint findings in {name}:\n" + "\n".join(matches)
    return templates


def model(stack: Stack) -> Model:
    return Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )


def endpoint(stack: Stack, served: Model) -> Endpoint:
    return Endpoint(
        stack, "Endpoint", variants=[ProductionVariant("v", model=served)], data_capture=DataCapture()
    )


# ------------------------------------------------------------------ item 2: a plain App(), no feature flag


def test_everything_with_a_secure_bucket_synthesizes_on_a_plain_app(tmp_path: Path) -> None:
    """The unit test that ``cdk init`` generates builds its stack on ``App()``: no context, no flags."""
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Plain")
    SecureBucket(stack, "Data", description="data")
    served = model(stack)
    DataQualityMonitor(stack, "DataQuality", source=MonitorSource.endpoint(endpoint(stack, served)))
    BatchTransform(
        stack,
        "Batch",
        model=served,
        input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
        data_capture=BatchDataCapture(),
    )

    template = synthesize(app, tmp_path)["Plain"]

    buckets = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"}
    logged = {k: r for k, r in buckets.items() if "LoggingConfiguration" in r["Properties"]}
    # The data bucket, the capture bucket, the monitor's reports and the batch output: each logs its access, all
    # to the stack's one access-log bucket, each under a prefix of its own.
    assert len(logged) == 4, sorted(logged)
    assert len({destination_of(resource) for resource in logged.values()}) == 1
    assert len({prefix_of(resource) for resource in logged.values()}) == 4
    assert len(buckets) == 5, sorted(buckets)
    for resource in buckets.values():
        properties = resource["Properties"]
        assert "AccessControl" not in properties  # no LogDeliveryWrite ACL: ACLs stay disabled
        assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    for logical_id, resource in logged.items():
        assert log_delivery_statement(template, logical_id) == {
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY},
            "Action": "s3:PutObject",
            "Resource": {
                "Fn::Join": [
                    "",
                    [{"Fn::GetAtt": [destination_of(resource), "Arn"]}, f"/{prefix_of(resource)}*"],
                ]
            },
            "Condition": {
                "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [logical_id, "Arn"]}},
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            },
        }


def destination_of(bucket: dict[str, Any]) -> str:
    """The logical ID of the bucket that receives ``bucket``'s server access logs."""
    logging = bucket["Properties"]["LoggingConfiguration"]
    destination: str = logging["DestinationBucketName"]["Ref"]
    return destination


def prefix_of(bucket: dict[str, Any]) -> str:
    """The prefix of ``bucket``'s server access logs: ``access-logs/<the SecureBucket's unique ID>/``."""
    prefix: str = bucket["Properties"]["LoggingConfiguration"]["LogFilePrefix"]
    assert re.fullmatch(r"access-logs/[A-Za-z0-9]+/", prefix), prefix
    return prefix


def log_delivery_statement(template: dict[str, Any], source: str) -> dict[str, Any]:
    """The one statement of the destination bucket's policy that lets S3 deliver ``source``'s access logs (the
    policy holds one such statement per bucket that logs there)."""
    destination = destination_of(template["Resources"][source])
    (policy,) = (
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": destination}
    )
    (statement,) = (
        s
        for s in policy["Statement"]
        if s.get("Principal") == {"Service": LOG_DELIVERY}
        and s["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [source, "Arn"]}
    )
    return dict(statement)


def secure_bucket_template(context: dict[str, Any]) -> dict[str, Any]:
    stack = Stack(App(context=context), "Flags")
    SecureBucket(stack, "Data", description="data")
    return Template.from_stack(stack).to_json()


def test_secure_bucket_is_the_same_with_or_without_the_log_delivery_flag() -> None:
    assert secure_bucket_template({}) == secure_bucket_template({LOGS_FLAG: True})


def test_log_delivery_is_what_aws_cdk_lib_writes_under_the_flag() -> None:
    """The oracle: aws-cdk-lib's own s3.Bucket(server_access_logs_bucket=...) with the flag set."""
    stack = Stack(App(context={LOGS_FLAG: True}), "Oracle")
    logs = s3.Bucket(
        stack, "Logs", enforce_ssl=True, object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
    )
    ours = secure_bucket_template({})
    (source,) = (k for k, r in ours["Resources"].items() if "LoggingConfiguration" in r.get("Properties", {}))
    prefix = prefix_of(ours["Resources"][source])
    s3.Bucket(stack, "Data", server_access_logs_bucket=logs, server_access_logs_prefix=prefix)
    oracle = Template.from_stack(stack).to_json()
    (oracle_source,) = (
        k for k, r in oracle["Resources"].items() if "LoggingConfiguration" in r.get("Properties", {})
    )

    def normalized(template: dict[str, Any], source: str) -> str:
        text = json.dumps(log_delivery_statement(template, source))
        text = text.replace(destination_of(template["Resources"][source]), "DESTINATION")
        return text.replace(source, "SOURCE")

    assert normalized(ours, source) == normalized(oracle, oracle_source)


# ------------------------------------------------------- item 3: cdk init's flags, weak cross-stack references


def test_a_monitor_in_another_stack_than_its_endpoint_passes_cdk_nag_on_cdk_init_flags(
    tmp_path: Path,
) -> None:
    context = cdk_init_context()
    assert context["@aws-cdk/core:defaultCrossStackReferences"] == "weak"
    app = App(context=context, outdir=str(tmp_path))
    hosting = Stack(app, "Hosting")
    monitored = endpoint(hosting, model(hosting))
    monitoring = Stack(app, "Monitoring")
    DataQualityMonitor(monitoring, "DataQuality", source=MonitorSource.endpoint(monitored))

    templates = synthesize(app, tmp_path)

    # The monitor reads the endpoint's capture bucket through a weak reference, not an export.
    monitor = json.dumps(templates["Monitoring"])
    assert "Fn::GetStackOutput" in monitor
    assert "Fn::ImportValue" not in monitor
