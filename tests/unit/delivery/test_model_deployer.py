"""ApprovedModelDeployer, synthesized: the queue, the function and its permissions, the rules (checked against
the sample events through moto's EventBridge), the CloudFormation role, validation, and the dashboard section."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, LegacyStackSynthesizer, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from support.eventbridge import eventbridge_delivers
from support.sample_events import load_event

from lambdas.model_deployer.messages import Reconcile, parse
from sagemaker_constructs import (
    ApprovedModelDeployer,
    ApprovedModelPackage,
    ContainerDefinition,
    ContainerImage,
    Endpoint,
    Model,
    ModelData,
    OperationsDashboard,
    ProductionVariant,
)
from sagemaker_constructs._internal.handlers import model_deployer_contract as contract

ACCOUNT, REGION = "123456789012", "us-east-1"
IMAGE = ContainerImage.for_algorithm("xgboost", "3.0-5")
CLI_BUNDLE = Path(__file__).resolve().parents[3] / "node_modules" / "aws-cdk" / "lib" / "index.js"


def _serving(stack: Stack) -> tuple[ApprovedModelPackage, Endpoint]:
    bucket = s3.Bucket(stack, "Artifacts")
    package = ApprovedModelPackage(
        stack,
        "Package",
        model_package_group_name="churn-models",
        image=IMAGE,
        artifacts=ModelData.from_bucket(bucket, "churn/models/"),
        initial=ContainerDefinition(
            image=IMAGE, model_data=ModelData.from_bucket(bucket, "initial/model.tar.gz")
        ),
        parameter_name="ChallengerModelPackageArn",
    )
    model = Model(stack, "Challenger", containers=[package.container])
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant("challenger", model=model, instance_type="ml.m5.large")],
    )
    return package, endpoint


def _deployed(**props: Any) -> tuple[Stack, ApprovedModelDeployer]:
    stack = Stack(App(), "SageMakerRealtime", env=Environment(account=ACCOUNT, region=REGION))
    package, endpoint = _serving(stack)
    return stack, ApprovedModelDeployer(stack, "Deployer", endpoint=endpoint, package=package, **props)


def _resolve(value: Any) -> Any:
    """Fn::Join / Ref of pseudo parameters and Fn::Sub of the bootstrap role, for a stack in ACCOUNT/REGION."""
    pseudo = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::URLSuffix": "amazonaws.com",
    }
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(_resolve(p)) for p in parts)
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in pseudo:
        return pseudo[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda m: pseudo[m.group(1)], value["Fn::Sub"])
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def _rule(template: Template, description_start: str) -> dict[str, Any]:
    (rule,) = [
        r["Properties"]
        for r in template.find_resources("AWS::Events::Rule").values()
        if r["Properties"]["Description"].startswith(description_start)
    ]
    return rule


def _statements(template: Template) -> dict[str, dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    (policy,) = [p for name, p in policies.items() if name.startswith("DeployerFunctionRole")]
    return {
        s.get("Sid", json.dumps(s["Action"])): _resolve(s)
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    }


def test_the_queue_delays_retries_then_parks_and_at_most_two_batches_run_at_once() -> None:
    stack, deployer = _deployed()
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "DelaySeconds": 120,
            "VisibilityTimeout": 360,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"maxReceiveCount": 30, "deadLetterTargetArn": Match.any_value()},
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "model_deployer.handler.lambda_handler",
            "ReservedConcurrentExecutions": Match.absent(),
            "Environment": {
                "Variables": Match.object_like(
                    {
                        contract.ENV_STACK_NAME: "SageMakerRealtime",
                        contract.ENV_PARAMETER_NAME: "ChallengerModelPackageArn",
                        contract.ENV_MODEL_PACKAGE_GROUP: "churn-models",
                        contract.ENV_CLOUDFORMATION_ROLE_ARN: Match.any_value(),
                        contract.ENV_TOPIC_ARN: Match.any_value(),
                    }
                )
            },
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 2},
        },
    )
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"Threshold": 1, "EvaluationPeriods": 1})
    assert deployer.metric_decisions("deploy").metric_name == "DeploymentsStarted"


def test_the_function_may_update_only_the_serving_stack_and_pass_only_the_bootstrap_role() -> None:
    stack, _ = _deployed()
    statements = _statements(Template.from_stack(stack))
    assert statements["ServingStack"]["Action"] == [
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackEvents",
        "cloudformation:UpdateStack",
    ]
    assert (
        statements["ServingStack"]["Resource"]
        == f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/SageMakerRealtime/*"
    )
    assert statements["PassCloudFormationRole"] == {
        "Sid": "PassCloudFormationRole",
        "Action": "iam:PassRole",
        "Effect": "Allow",
        "Resource": f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}",
        "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    }
    assert (
        statements["ModelPackages"]["Resource"]
        == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn-models/*"
    )
    writes = [
        a
        for s in statements.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert not [
        a
        for a in writes
        if a.startswith("sagemaker:") and not a.startswith(("sagemaker:Describe", "sagemaker:List"))
    ]


def test_an_explicit_cloudformation_role_is_passed_instead() -> None:
    stack = Stack(App(), "SageMakerRealtime", env=Environment(account=ACCOUNT, region=REGION))
    package, endpoint = _serving(stack)
    role = iam.Role.from_role_arn(stack, "Cfn", f"arn:aws:iam::{ACCOUNT}:role/deploy-churn")
    ApprovedModelDeployer(stack, "Deployer", endpoint=endpoint, package=package, cloudformation_role=role)
    statements = _statements(Template.from_stack(stack))
    assert statements["PassCloudFormationRole"]["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/deploy-churn"


def test_another_synthesizer_requires_the_role() -> None:
    stack = Stack(App(), "Legacy", synthesizer=LegacyStackSynthesizer())
    package, endpoint = _serving(stack)
    with pytest.raises(ValueError, match=r"'cloudformation_role' is required .* LegacyStackSynthesizer"):
        ApprovedModelDeployer(stack, "Deployer", endpoint=endpoint, package=package)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"settle_time": Duration.minutes(20)},
            "'settle_time' must be between 0 and 15 minutes, got 1200 seconds",
        ),
        ({"retry_for": Duration.minutes(1)}, "'retry_for' must be between 6 minutes and 3 days"),
        (
            {"reconcile_every": Duration.seconds(30)},
            "'reconcile_every' must be at least 1 minute, got 30 seconds",
        ),
    ],
    ids=["settle", "retry", "reconcile"],
)
def test_bad_durations_are_rejected(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _deployed(**props)


def test_the_rules_route_the_documented_events() -> None:
    stack, _ = _deployed()
    template = Template.from_stack(stack)
    packages = _rule(template, "Approval changes")["EventPattern"]
    stacks = _resolve(_rule(template, "Update outcomes")["EventPattern"])

    approved = load_event("model_package_state_change_approved")
    rejected = load_event("model_package_state_change_rejected")
    pending = load_event("model_package_state_change_approved")
    pending["detail"] = {**pending["detail"], "ModelApprovalStatus": "PendingManualApproval"}
    other_group = load_event("model_package_state_change_approved")
    other_group["detail"] = {**other_group["detail"], "ModelPackageGroupName": "fraud-models"}
    assert eventbridge_delivers(packages, approved)
    assert eventbridge_delivers(packages, rejected)
    assert not eventbridge_delivers(packages, pending)
    assert not eventbridge_delivers(packages, other_group)

    rollback = load_event("cloudformation_stack_status_change_rollback")
    complete = load_event("cloudformation_stack_status_change_complete")
    other_stack = load_event("cloudformation_stack_status_change_complete")
    other_stack["detail"] = {
        **other_stack["detail"],
        "stack-id": rollback["detail"]["stack-id"].replace("Realtime/", "RealtimeCopy/"),
    }
    in_progress = load_event("cloudformation_stack_status_change_complete")
    in_progress["detail"] = {**in_progress["detail"], "status-details": {"status": "UPDATE_IN_PROGRESS"}}
    assert eventbridge_delivers(stacks, rollback)
    assert eventbridge_delivers(stacks, complete)
    assert not eventbridge_delivers(stacks, other_stack)
    assert not eventbridge_delivers(stacks, in_progress)


def test_the_reconcile_event_is_the_one_the_handler_reads() -> None:
    stack, _ = _deployed()
    rule = _rule(Template.from_stack(stack), "Reconciles")
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    (target,) = rule["Targets"]
    rendered = target["InputTransformer"]["InputTemplate"].replace("<id>", '"e-1"').replace("<time>", '"t"')
    assert parse(rendered) == Reconcile(event_id="e-1")


def test_metric_methods_check_their_arguments() -> None:
    _, deployer = _deployed()
    with pytest.raises(ValueError, match="'decision' must be one of"):
        deployer.metric_decisions("rolled-back")
    with pytest.raises(ValueError, match="'period' must be a Duration, got int 300"):
        deployer.metric_deployments_failed(period=300)  # type: ignore[arg-type]


def test_no_reconcile_schedule_when_none() -> None:
    stack, _ = _deployed(reconcile_every=None)
    assert len(Template.from_stack(stack).find_resources("AWS::Events::Rule")) == 2


def test_the_operations_dashboard_shows_the_deployer() -> None:
    stack, deployer = _deployed()
    dashboard = OperationsDashboard(stack, "Dashboard")
    dashboard.add_model_deployment(deployer)
    body = json.dumps(Template.from_stack(stack).find_resources("AWS::CloudWatch::Dashboard"))
    for metric in ("DeploymentsStarted", "DeploymentsDeferred", "DeploymentsFailed", "MalformedMessages"):
        assert metric in body


@pytest.mark.skipif(not CLI_BUNDLE.exists(), reason="node_modules not installed (make setup)")
def test_the_cdk_cli_keeps_previous_parameter_values_by_default() -> None:
    """The README's claim: ``cdk deploy`` passes UsePreviousValue for existing parameters not given on the command
    line, unless --no-previous-parameters (the bundled CLI's ParameterValues and its option's default)."""
    bundle = CLI_BUNDLE.read_text()
    assert "this.apiParameters.push({ ParameterKey: key, UsePreviousValue: true });" in bundle
    assert re.search(r'option\("previous-parameters", \{\s*default: true,', bundle)
