"""The reference application: synthesized once per session, linted, checked by cdk-nag, and snapshotted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from support.cfn_resolve import World
from syrupy.extensions.json import JSONSnapshotExtension

from infra.app import (
    DEFAULT_MONITORING_BACKEND,
    MODEL_MONITOR_CONTEXT,
    MONITORING_BACKEND_CONTEXT,
    build_app,
    cdk_context,
)

STACKS = [
    "SageMakerRealtime",
    "SageMakerBatch",
    "SageMakerMonitoring",
    "SageMakerRetraining",
    "SageMakerOperations",
]
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="session")
def templates(reference_templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The reference stacks, from the session's one synthesis (``reference_app`` in tests/conftest.py)."""
    return reference_templates


def masked(template: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes masked, so a rebuilt model artifact does not churn the snapshot."""
    return json.loads(_ASSET_HASH.sub("<asset-hash>", json.dumps(template)))


def resources(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def test_cdk_nag_aws_solutions_reports_nothing(reference_app) -> None:
    # `make synth` fails on any unacknowledged AwsSolutions finding; the session's synthesis also ran NIST
    # 800-53 rev 5 (judged in test_security_scanners.py) and the NagOffender stack, which must be flagged.
    # That offender's finding is the proof this test can fail (test_both_cdk_nag_packs_catch_an_offender).
    findings = [
        str(f)
        for f in reference_app.nag_findings
        if f.rule.startswith("AwsSolutions-") and f.path.split("/")[0] in reference_app.templates
    ]
    assert findings == []


@pytest.mark.parametrize("stack_name", STACKS)
def test_cfn_lint_is_clean(templates: dict[str, dict[str, Any]], stack_name: str, lint_template) -> None:
    findings = lint_template(templates[stack_name])
    assert findings == [], "\n".join(findings)


@pytest.mark.parametrize("stack_name", STACKS)
def test_snapshot(templates: dict[str, dict[str, Any]], stack_name: str, snapshot) -> None:
    assert masked(templates[stack_name]) == snapshot(extension_class=JSONSnapshotExtension)


def test_environment_agnostic(templates: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(templates["SageMakerRealtime"]["Resources"])
    assert "123456789012" not in text
    assert not re.search(r'"(us|eu|ap|sa|ca|me|af|il|cn)-[a-z]+-\d"', text), "a literal region leaked in"
    assert "AWS::Region" in text


def test_realtime_stack_shows_every_feature(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["SageMakerRealtime"]
    (config,) = resources(template, "AWS::SageMaker::EndpointConfig")
    variants = config["Properties"]["ProductionVariants"]
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in variants] == [
        ("champion", 90),
        ("challenger", 10),
    ]
    capture = config["Properties"]["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 100
    assert capture["EnableCapture"] is True
    (endpoint,) = resources(template, "AWS::SageMaker::Endpoint")
    deployment = endpoint["Properties"]["DeploymentConfig"]
    assert deployment["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    assert len(deployment["AutoRollbackConfiguration"]["Alarms"]) == 2
    assert endpoint["Properties"]["RetainAllVariantProperties"] is True
    # The bandit sets the weights: they are retained too (scaled instance counts were already).
    assert "ExcludeRetainedVariantProperties" not in endpoint["Properties"]
    targets = resources(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert sorted(t["Properties"]["ResourceId"]["Fn::Join"][1][-1] for t in targets) == [
        "/variant/challenger",
        "/variant/champion",
    ]
    models = resources(template, "AWS::SageMaker::Model")
    assert len(models) == 2
    assert all("FindInMap" in json.dumps(m["Properties"]["PrimaryContainer"]["Image"]) for m in models)
    # 2 rollback alarms + 3 operational alarms (error rate, latency, disk), each over both variants, and the
    # dead-letter alarms of the bandit and the approved-model deployer.
    assert len(resources(template, "AWS::CloudWatch::Alarm")) == 7
    # The bandit on the champion and challenger: every 15 minutes, frozen by the 5 endpoint alarms.
    (schedule,) = resources(template, "AWS::Scheduler::Schedule")
    assert schedule["Properties"]["ScheduleExpression"] == "rate(15 minutes)"
    (bandit,) = [
        f
        for f in resources(template, "AWS::Lambda::Function")
        if f["Properties"]["Handler"] == "bandit.handler.lambda_handler"
    ]
    env = bandit["Properties"]["Environment"]["Variables"]
    assert json.loads(env["BANDIT_VARIANTS"]) == ["champion", "challenger"]
    assert json.dumps(env["BANDIT_FREEZE_ALARMS"]).count('"Ref"') == 5
    assert "RetentionOfferAccepted" in env["BANDIT_QUERIES"]


def test_batch_stack_scores_nightly_with_data_capture(
    templates: dict[str, dict[str, Any]], routes, sample_event
) -> None:
    template = templates["SageMakerBatch"]
    (schedule,) = resources(template, "AWS::Scheduler::Schedule")
    assert schedule["Properties"]["ScheduleExpression"] == "cron(0 2 * * ? *)"
    # The nightly run and the run on arrival are two state machines on separate prefixes (input/, incoming/).
    machines = [
        json.dumps(m["Properties"]["DefinitionString"])
        for m in resources(template, "AWS::StepFunctions::StateMachine")
    ]
    assert len(machines) == 2
    assert all("createTransformJob.sync" in definition for definition in machines)
    [nightly] = [d for d in machines if "DataCaptureConfig" in d]
    assert 'GenerateInferenceId\\":true' in nightly
    (input_bucket,) = [
        (logical, r)
        for logical, r in template["Resources"].items()
        if r["Type"] == "AWS::S3::Bucket" and "NotificationConfiguration" in r["Properties"]
    ]
    assert input_bucket[1]["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    (rule,) = resources(template, "AWS::Events::Rule")
    pattern = json.loads(json.dumps(rule["Properties"]["EventPattern"]).replace(
        json.dumps({"Ref": input_bucket[0]}), '"input-bucket"'
    ))  # fmt: skip
    event = sample_event("s3_object_created")
    assert not routes(pattern, event)  # input/...: the nightly run's folder
    event["detail"]["object"]["key"] = "incoming/part-0001.csv"
    assert routes(pattern, event)


def test_monitoring_stack_runs_all_four_monitors_on_the_open_backend(
    templates: dict[str, dict[str, Any]],
) -> None:
    # The default app: the same six monitors on MonitorBackend.processing(), each a Scheduler schedule (the cron
    # of its Model Monitor schedule) that starts its workflow; one planner function for the stack.
    template = templates["SageMakerMonitoring"]
    assert resources(template, "AWS::SageMaker::MonitoringSchedule") == []
    world = World.from_templates(templates)
    machines = {
        logical: json.loads(props["DefinitionString"])["States"]
        for _stack, logical, props in world.resources("AWS::StepFunctions::StateMachine")
    }
    by_type: dict[str, list[str]] = {}
    for schedule in resources(template, "AWS::Scheduler::Schedule"):
        states = machines[schedule["Properties"]["Target"]["Arn"]["Ref"]]
        monitor = states["Plan"]["Arguments"]["Payload"]["monitor"]
        by_type.setdefault(monitor["monitoringType"], []).append(schedule["Properties"]["ScheduleExpression"])
    assert {k: sorted(v) for k, v in by_type.items()} == {
        "DataQuality": ["cron(0 * ? * * *)", "cron(0 6 ? * * *)"],
        "ModelQuality": ["cron(0 3 ? * * *)", "cron(0 7 ? * * *)"],
        "ModelBias": ["cron(0 4 ? * * *)"],
        "ModelExplainability": ["cron(0 5 ? * * *)"],
    }
    assert len(resources(template, "AWS::Lambda::Function")) == 1  # the shared planner
    # The endpoint's workflows read its name from an output of the real-time stack (weak reference).
    endpoint_workflows = [
        m for m in resources(template, "AWS::StepFunctions::StateMachine")
        if "SageMakerRealtime" in json.dumps(m["Properties"]["DefinitionString"])
    ]  # fmt: skip
    assert len(endpoint_workflows) == 4
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    assert all(a["Properties"].get("AlarmActions") for a in alarms if "Namespace" in a["Properties"])
    # No Model Monitor failure rule: a workflow reports its own failures (topic and Failed event). The rules
    # are the retraining trigger's: violations, quality alarms and the reconciliation of the open monitors.
    rules = resources(template, "AWS::Events::Rule")
    assert len(rules) == 3
    assert all("Fn::GetStackOutput" in json.dumps(r["Properties"]["Targets"]) for r in rules)


def test_model_monitor_variant_runs_all_four_monitors(
    model_monitor_templates: dict[str, dict[str, Any]],
) -> None:
    # -c sagemaker-constructs:monitoring-backend=model-monitor: the monitors on Model Monitor's schedules.
    template = model_monitor_templates["SageMakerMonitoring"]
    schedules = resources(template, "AWS::SageMaker::MonitoringSchedule")
    by_type: dict[str, list[str]] = {}
    for schedule in schedules:
        config = schedule["Properties"]["MonitoringScheduleConfig"]
        by_type.setdefault(config["MonitoringType"], []).append(
            config["ScheduleConfig"]["ScheduleExpression"]
        )
    assert by_type == {
        "DataQuality": ["cron(0 * ? * * *)", "cron(0 6 ? * * *)"],
        "ModelQuality": ["cron(0 3 ? * * *)", "cron(0 7 ? * * *)"],
        "ModelBias": ["cron(0 4 ? * * *)"],
        "ModelExplainability": ["cron(0 5 ? * * *)"],
    }
    # The endpoint's monitors read its name from an output of the real-time stack (a weak reference, as cdk.json
    # sets @aws-cdk/core:defaultCrossStackReferences to "weak"): the app declares the dependency, so CDK deploys
    # the real-time stack first and destroys it last.
    endpoint_schedules = [s for s in schedules if "EndpointName" in s["Properties"]]
    assert len(endpoint_schedules) == 4
    for schedule in endpoint_schedules:
        assert (
            schedule["Properties"]["EndpointName"]["Fn::GetStackOutput"]["StackName"] == "SageMakerRealtime"
        )
    batch_inputs = [
        r["Properties"]
        for r in template["Resources"].values()
        if "BatchTransformInput" in json.dumps(r.get("Properties", {}))
    ]
    assert len(batch_inputs) == 2
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    assert all(a["Properties"]["AlarmActions"] for a in alarms)
    rules = resources(template, "AWS::Events::Rule")
    # Failed executions of the six monitors (one rule: they notify one topic), violations and quality alarms that
    # start retraining (2).
    assert len(rules) == 3
    failures = [r for r in rules if "Failed" in json.dumps(r["Properties"]["EventPattern"])]
    assert len(failures[0]["Properties"]["EventPattern"]["detail"]["MonitoringScheduleArn"]) == 6


IAM_ROLE_INLINE_POLICIES_MAX = 10_240
"""IAM quota: the inline policies of one role together, in characters without whitespace (IAM and AWS STS
quotas, "Role policy size")."""


def test_monitors_of_one_source_share_a_role_within_the_inline_policy_limit(
    model_monitor_templates: dict[str, dict[str, Any]],
) -> None:
    # On Model Monitor, the four monitors of the endpoint share one role, the two of the batch transform another.
    templates = model_monitor_templates
    template = templates["SageMakerMonitoring"]
    job_roles: dict[str, list[str]] = {}
    for resource in template["Resources"].values():
        if resource["Type"].startswith("AWS::SageMaker::") and resource["Type"].endswith("JobDefinition"):
            (role,) = resource["Properties"]["RoleArn"]["Fn::GetAtt"][:1]
            job_roles.setdefault(role, []).append(resource["Type"])
    assert sorted(len(types) for types in job_roles.values()) == [2, 4], job_roles
    # Every inline policy of each shared role, resolved as IAM stores it, leaves a quarter of the quota free.
    world = World.from_templates(templates)
    for role in job_roles:
        documents = [
            world.resolve("SageMakerMonitoring", r["Properties"]["PolicyDocument"])
            for r in resources(template, "AWS::IAM::Policy")
            if {"Ref": role} in r["Properties"]["Roles"]
        ]
        size = sum(len(json.dumps(d, separators=(",", ":"))) for d in documents)
        print(f"{role}: {size} characters")
        assert 0 < size <= 0.75 * IAM_ROLE_INLINE_POLICIES_MAX, (role, size)


def test_open_monitoring_roles_within_the_inline_policy_limit(templates: dict[str, dict[str, Any]]) -> None:
    # The open backend's roles (schedules, workflows, jobs, planner): each leaves a quarter of the quota free.
    template = templates["SageMakerMonitoring"]
    world = World.from_templates(templates)
    sizes: dict[str, int] = {}
    for policy in resources(template, "AWS::IAM::Policy"):
        document = world.resolve("SageMakerMonitoring", policy["Properties"]["PolicyDocument"])
        for role in policy["Properties"]["Roles"]:
            sizes[role["Ref"]] = sizes.get(role["Ref"], 0) + len(json.dumps(document, separators=(",", ":")))
    assert len(sizes) >= 13, sizes  # 6 schedules, 6 workflows, the planner; the job roles
    too_large = {role: size for role, size in sizes.items() if size > 0.75 * IAM_ROLE_INLINE_POLICIES_MAX}
    assert not too_large, too_large


def test_hosting_and_batch_do_not_depend_on_monitoring(templates: dict[str, dict[str, Any]]) -> None:
    for name in ("SageMakerRealtime", "SageMakerBatch", "SageMakerRetraining"):
        text = json.dumps(templates[name])
        assert "Fn::ImportValue" not in text
        assert "MonitoringSchedule" not in text
        # The real-time challenger serves the retraining stack's approved versions (its artifacts bucket).
        allowed = {"SageMakerRetraining"} if name == "SageMakerRealtime" else set()
        assert set(re.findall(r'"Fn::GetStackOutput": \{"StackName": "(\w+)"', text)) <= allowed


def test_retraining_stack_pipeline_and_trigger(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["SageMakerRetraining"]
    (pipeline,) = resources(template, "AWS::SageMaker::Pipeline")
    body = json.dumps(pipeline["Properties"]["PipelineDefinition"])
    for step in ("Train", "Evaluate", "Register"):
        assert f'\\"Name\\":\\"{step}\\"' in body, step
    (function,) = resources(template, "AWS::Lambda::Function")
    env = function["Properties"]["Environment"]["Variables"]
    assert json.loads(env["EVENT_PIPELINE_PARAMETERS"])["TriggerReason"] == "reason"
    schedule_rule, reconcile_rule = sorted(
        resources(template, "AWS::Events::Rule"), key=lambda r: r["Properties"]["ScheduleExpression"]
    )
    assert schedule_rule["Properties"]["ScheduleExpression"] == "cron(0 2 ? * SUN *)"
    assert reconcile_rule["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    (group,) = resources(template, "AWS::SageMaker::ModelPackageGroup")
    assert group["Properties"]["ModelPackageGroupName"] == "sagemakerretraining-churn"
    monitoring = templates["SageMakerMonitoring"]
    trigger_rules = [
        r for r in resources(monitoring, "AWS::Events::Rule")
        if "Fn::GetStackOutput" in json.dumps(r["Properties"]["Targets"])
    ]  # fmt: skip
    # Open monitors' violations, the quality alarms, and the reconciliation of the open monitors' reports, which
    # lives in the monitoring stack (the trigger never names that stack's bucket).
    assert len(trigger_rules) == 3
    assert all("DeadLetterConfig" in r["Properties"]["Targets"][0] for r in trigger_rules)


def _alarm_namespaces(monitoring: dict[str, Any]) -> set[str]:
    """The namespaces of the alarms whose rule starts retraining."""
    trigger_rules = [
        r["Properties"] for r in resources(monitoring, "AWS::Events::Rule")
        if "Fn::GetStackOutput" in json.dumps(r["Properties"]["Targets"])
    ]  # fmt: skip
    (alarm_rule,) = [
        r for r in trigger_rules if r.get("EventPattern", {}).get("source") == ["aws.cloudwatch"]
    ]
    alarm_ids = {arn["Fn::GetAtt"][0] for arn in alarm_rule["EventPattern"]["resources"]}
    return {monitoring["Resources"][alarm_id]["Properties"]["Namespace"] for alarm_id in alarm_ids}


def test_retraining_is_driven_by_violations_and_documented_metrics(
    model_monitor_templates: dict[str, dict[str, Any]],
) -> None:
    """On Model Monitor: every monitor that can report violations (it has baseline constraints) is reconciled on
    the API by the trigger, and no alarm that starts retraining watches the data-quality metrics, whose namespace
    and dimensions AWS documents inconsistently (so a wrong guess would stay silent)."""
    templates = model_monitor_templates
    monitoring, retraining = templates["SageMakerMonitoring"], templates["SageMakerRetraining"]
    by_id = monitoring["Resources"]
    with_constraints = []
    for schedule in resources(monitoring, "AWS::SageMaker::MonitoringSchedule"):
        config = schedule["Properties"]["MonitoringScheduleConfig"]
        definition = by_id[config["MonitoringJobDefinitionName"]["Fn::GetAtt"][0]]["Properties"]
        baseline = next((v for k, v in definition.items() if k.endswith("BaselineConfig")), None) or {}
        if "ConstraintsResource" in baseline:
            with_constraints.append(schedule["Properties"]["MonitoringScheduleName"])
    assert len(with_constraints) >= 4  # data and model quality, on the endpoint and on the batch transform
    (function,) = resources(retraining, "AWS::Lambda::Function")
    variables = function["Properties"]["Environment"]["Variables"]
    assert sorted(json.loads(variables["MONITORING_SCHEDULES"])) == sorted(with_constraints)
    assert "OPEN_MONITORS" not in variables
    assert _alarm_namespaces(monitoring) == {
        "aws/sagemaker/Endpoints/model-metrics",
        "aws/sagemaker/ModelMonitoring/model-metrics",
    }


def test_retraining_is_driven_by_the_open_monitors_violations(
    templates: dict[str, dict[str, Any]], routes, sample_event
) -> None:
    """The default app: all six open monitors (each stages its baseline constraints) are wired to the trigger,
    which confirms their summaries under their report prefixes; the alarms that start retraining watch the
    open backend's model-quality metrics."""
    monitoring, retraining = templates["SageMakerMonitoring"], templates["SageMakerRetraining"]
    world = World.from_templates(templates)
    with_constraints = {}
    for _stack, _logical, machine in world.resources("AWS::StepFunctions::StateMachine"):
        states = json.loads(machine["DefinitionString"])["States"]
        staged = [s["Arguments"]["Key"] for s in states.values() if "CopySource" in s.get("Arguments", {})]
        if any("constraints.json" in key or "analysis.json" in key for key in staged):
            monitor = states["Plan"]["Arguments"]["Payload"]["monitor"]
            with_constraints[monitor["monitoringScheduleName"]] = monitor["output"]["prefix"]
    assert len(with_constraints) == 6
    (function,) = resources(retraining, "AWS::Lambda::Function")
    variables = function["Properties"]["Environment"]["Variables"]
    wired = {m["name"]: m["prefix"] for m in json.loads(variables["OPEN_MONITORS"])}
    assert wired == with_constraints
    assert json.loads(variables["MONITORING_SCHEDULES"]) == []
    # The trigger's fast path: the workflows' events of exactly these schedules.
    (violations,) = [
        r["Properties"]["EventPattern"] for r in resources(monitoring, "AWS::Events::Rule")
        if r["Properties"].get("EventPattern", {}).get("source") == ["sagemaker-constructs.monitoring"]
    ]  # fmt: skip
    assert sorted(violations["detail"]["monitoringScheduleName"]) == sorted(with_constraints)
    # A workflow's event of a wired schedule reaches the trigger; one without violations does not.
    event = sample_event("open_monitor_execution_violations")
    event["detail"]["monitoringScheduleName"] = next(iter(with_constraints))
    assert routes(violations, event)
    event["detail"]["monitoringExecutionStatus"] = "Completed"
    assert not routes(violations, event)
    assert _alarm_namespaces(monitoring) == {
        "SageMakerConstructs/Endpoints/model-metrics",
        "SageMakerConstructs/ModelMonitoring/model-metrics",
    }


def test_operations_dashboard_is_a_leaf(templates: dict[str, dict[str, Any]], reference_app) -> None:
    # The dashboard reads every other stack; none of them reads it, so it can be removed or redeployed alone.
    manifest = json.loads((reference_app.outdir / "manifest.json").read_text())
    for name in STACKS:
        if name != "SageMakerOperations":
            assert "SageMakerOperations" not in manifest["artifacts"][name].get("dependencies", []), name
    dashboards = resources(templates["SageMakerOperations"], "AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1
    assert set(templates["SageMakerOperations"]["Resources"]) == {
        k
        for k, r in templates["SageMakerOperations"]["Resources"].items()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    }
    body = json.dumps(dashboards[0]["Properties"]["DashboardBody"])
    for section in (
        "Real-time endpoint (champion / challenger)",
        "Nightly batch scoring",
        "Retraining",
        "Endpoint data quality",
        "Endpoint model quality",
        "Endpoint bias (age 40+)",
        "Endpoint feature attribution",
        "Batch data quality",
        "Batch model quality",
    ):
        assert f"## {section}" in body, section


def test_the_app_without_model_monitor(tmp_path: Path, lint_template) -> None:
    # Accounts without Model Monitor: hosting, batch scoring, retraining and the dashboard deploy without it.
    context = {**cdk_context(), MODEL_MONITOR_CONTEXT: "false"}
    app = build_app(App(context=context, outdir=str(tmp_path)))
    app.synth()  # cdk-nag AwsSolutions: an unacknowledged finding raises
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    stacks = sorted(k for k, v in manifest["artifacts"].items() if v["type"] == "aws:cloudformation:stack")
    assert stacks == sorted(s for s in STACKS if s != "SageMakerMonitoring")
    dashboard = json.loads((tmp_path / "SageMakerOperations.template.json").read_text())
    assert lint_template(dashboard) == []
    body = json.dumps(dashboard)
    assert "## Retraining" in body
    assert "SageMakerMonitoring" not in body
    assert "aws/sagemaker/Endpoints/data-metrics" not in body


@pytest.mark.parametrize("value", ["no", 0, "yes"])
def test_model_monitor_context_must_be_a_boolean(value: Any) -> None:
    with pytest.raises(ValueError, match=f"context '{MODEL_MONITOR_CONTEXT}' must be true or false"):
        build_app(App(context={**cdk_context(), MODEL_MONITOR_CONTEXT: value}))


def test_the_model_monitor_variant_is_clean(model_monitor_app: Any, lint_template) -> None:
    """Accounts that still have Model Monitor: ``-c sagemaker-constructs:monitoring-backend=model-monitor`` puts
    the six monitors on Model Monitor's schedules, cfn-lint and cdk-nag clean (AwsSolutions raises at synth;
    NIST 800-53 rev 5 is judged with the default app's not-applicable list in test_security_scanners.py)."""
    template = model_monitor_app.templates["SageMakerMonitoring"]
    for name in STACKS:
        assert lint_template(model_monitor_app.templates[name]) == [], name
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::SageMaker::MonitoringSchedule") == 6
    assert types.count("AWS::Scheduler::Schedule") == 0
    assert types.count("AWS::StepFunctions::StateMachine") == 0
    assert "Model Monitor" in template["Description"]
    dashboard = json.dumps(model_monitor_app.templates["SageMakerOperations"])
    assert "aws/sagemaker/Endpoints/data-metrics" in dashboard


def test_the_default_app_is_on_the_open_backend(templates: dict[str, dict[str, Any]]) -> None:
    assert DEFAULT_MONITORING_BACKEND == "processing"
    template = templates["SageMakerMonitoring"]
    assert "open backend" in template["Description"]
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::Scheduler::Schedule") == 6
    assert types.count("AWS::StepFunctions::StateMachine") == 6
    dashboard = json.dumps(templates["SageMakerOperations"])
    assert "SageMakerConstructs/Endpoints/data-metrics" in dashboard
    assert "aws/sagemaker/Endpoints/data-metrics" not in dashboard


@pytest.mark.parametrize("value", ["Processing", "modelmonitor", True])
def test_monitoring_backend_context_is_one_of_two(value: Any) -> None:
    with pytest.raises(ValueError, match=f"context '{MONITORING_BACKEND_CONTEXT}' must be"):
        build_app(App(context={**cdk_context(), MONITORING_BACKEND_CONTEXT: value}))
