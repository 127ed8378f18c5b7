"""RetrainingTrigger with open-backend monitors in another stack whose reports bucket and key were created there:
no cross-stack cycle (the monitoring stack depends on the retraining stack, never the other way), the bucket and
key policies of the monitoring stack grant the function's role exactly the monitor's prefix, and a reconciliation
rule there lists the stack's open monitors in the reconcile event's detail.

The monitor is the fake processing-backend DataQualityMonitor of test_retraining_trigger_open_backend.py (the real
backend is merged in parallel); the trigger uses only the monitor's public attributes.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import App, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from support.cdk_flags import app_context
from support.cfn_lint import cfn_lint
from support.cfn_resolve import ACCOUNT, REGION, World
from support.iam_eval import Request
from test_retraining_trigger import trigger
from test_retraining_trigger_open_backend import function_of, open_monitor

from sagemaker_constructs._handlers.retraining_trigger import contract
from sagemaker_constructs._handlers.retraining_trigger.decisions import Settings
from sagemaker_constructs._handlers.retraining_trigger.incidents import ReconcileRequest, to_incident
from sagemaker_constructs._handlers.retraining_trigger.open_violations import accept_reported


def two_stacks(monitors: int = 2) -> tuple[App, Stack, Stack, list[Any]]:
    """A retraining stack with the trigger and a monitoring stack whose monitors use its own reports bucket and
    key (the stack's shared, encrypted reports bucket)."""
    app = App(context=app_context())
    retraining = Stack(app, "Retraining")
    monitoring = Stack(app, "Monitoring")
    t = trigger(retraining)
    wired = []
    for number in range(monitors):
        monitor = open_monitor(monitoring, f"Drift{number}")
        t.add_monitor(monitor)
        wired.append(monitor)
    return app, retraining, monitoring, wired


def templates(*stacks: Stack) -> dict[str, dict[str, Any]]:
    return {stack.stack_name: Template.from_stack(stack).to_json() for stack in stacks}


def reports_bucket(world: World, monitoring: Stack, wired: list[Any]) -> str:
    """The resolved name of the monitors' (shared) reports bucket."""
    [name] = {world.resolve("Monitoring", monitoring.resolve(m.output_bucket.bucket_name)) for m in wired}
    return str(name)


def test_two_stacks_synthesize_without_a_cycle_monitoring_depending_on_retraining():
    app, retraining, monitoring, wired = two_stacks()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))

    assembly = app.synth()  # a dependency cycle, or an unacknowledged cdk-nag finding, would raise here

    assert retraining in monitoring.dependencies
    assert monitoring not in retraining.dependencies
    assert {s.stack_name for s in assembly.stacks} == {"Retraining", "Monitoring"}
    retraining_json = json.dumps(Template.from_stack(retraining).to_json())
    assert "Fn::ImportValue" not in retraining_json
    # The function's environment names each monitor and its prefix, no bucket.
    variables = function_of(Template.from_stack(retraining))["Environment"]["Variables"]
    assert json.loads(variables[contract.ENV_OPEN_MONITORS]) == [
        {"name": m.monitoring_schedule_name, "prefix": m.output_prefix} for m in wired
    ]
    for name, template in templates(retraining, monitoring).items():
        assert cfn_lint(template) == [], name


def test_the_monitoring_stack_policies_grant_the_function_role_exactly_the_prefixes():
    _, retraining, monitoring, wired = two_stacks()
    world = World.from_templates(templates(retraining, monitoring))
    [(_, _, function)] = [
        f
        for f in world.resources("AWS::Lambda::Function")
        if f[2].get("Handler") == "retraining_trigger.handler.lambda_handler"
    ]
    role = function["Role"]
    bucket_name = reports_bucket(world, monitoring, wired)
    key_arn = world.bucket_keys[bucket_name]
    assert key_arn is not None

    def allowed(action: str, resource: str, **context: Any) -> bool:
        return world.evaluate(Request(role, action, resource, context)).allowed

    for monitor in wired:
        summary = f"{monitor.output_prefix}/2026/11/22/03/summary.json"
        assert allowed("s3:GetObject", f"arn:aws:s3:::{bucket_name}/{summary}")
        assert allowed(
            "s3:ListBucket",
            f"arn:aws:s3:::{bucket_name}",
            **{"s3:prefix": f"{monitor.output_prefix}/2026/11/22/"},
        )
        assert not allowed(
            "s3:ListBucket", f"arn:aws:s3:::{bucket_name}", **{"s3:prefix": f"{monitor.output_prefix}-other/"}
        )
        assert not allowed("s3:GetObject", f"arn:aws:s3:::{bucket_name}/{monitor.output_prefix}-other/x.json")
    assert not allowed("s3:GetObject", f"arn:aws:s3:::{bucket_name}/model-monitor/elsewhere/summary.json")
    assert not allowed("s3:ListBucket", f"arn:aws:s3:::{bucket_name}", **{"s3:prefix": ""})
    assert not allowed("s3:PutObject", f"arn:aws:s3:::{bucket_name}/{wired[0].output_prefix}/x.json")
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    assert allowed("kms:Decrypt", key_arn, **via_s3)
    assert not allowed("kms:Decrypt", key_arn, **{"kms:ViaService": f"sqs.{REGION}.amazonaws.com"})
    assert not allowed("kms:Encrypt", key_arn, **via_s3)
    # The grants are resource policies of the monitoring stack: the role's own policies name no such bucket.
    role_policies = json.dumps(world.roles[role].policies)
    assert bucket_name not in role_policies


def test_one_reconciliation_rule_per_monitoring_stack_lists_its_monitors_for_the_handler():
    _, retraining, monitoring, wired = two_stacks()
    world = World.from_templates(templates(retraining, monitoring))
    schedules = [
        (stack, props)
        for stack, _, props in world.resources("AWS::Events::Rule")
        if "ScheduleExpression" in props
    ]
    assert sorted(stack for stack, _ in schedules) == ["Monitoring", "Retraining"]
    [(_, rule)] = [(s, p) for s, p in schedules if s == "Monitoring"]
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    [target] = rule["Targets"]
    assert "DeadLetterConfig" in target
    # What EventBridge sends: the template's paths filled from a scheduled event (a string value replaces an
    # unquoted placeholder as a JSON string, as in test_retraining_trigger's reconciliation test).
    transformer = target["InputTransformer"]
    scheduled = {"id": "53dc4d37", "account": ACCOUNT, "time": "2026-11-22T03:21:40Z", "region": REGION}
    rendered = transformer["InputTemplate"]
    for name, path in transformer["InputPathsMap"].items():
        rendered = rendered.replace(f"<{name}>", json.dumps(scheduled[path.removeprefix("$.")]))
    event = json.loads(rendered)
    bucket_name = reports_bucket(world, monitoring, wired)
    assert event["detail"] == {
        contract.RECONCILE_OPEN_MONITORS_KEY: [
            {"name": m.monitoring_schedule_name, "bucket": bucket_name, "prefix": m.output_prefix}
            for m in wired
        ]
    }
    # The handler takes the event and believes each listed monitor: its name is wired with that prefix.
    request = to_incident(event)
    assert isinstance(request, ReconcileRequest)
    function = next(
        p
        for _, _, p in world.resources("AWS::Lambda::Function")
        if p.get("Handler", "").startswith("retraining")
    )
    settings = Settings.from_env(function["Environment"]["Variables"])
    accepted, refused = accept_reported(settings.open_monitors, request.open_monitors)
    assert refused == []
    assert [(m.name, m.bucket, m.prefix) for m in accepted] == [
        (m.monitoring_schedule_name, bucket_name, m.output_prefix) for m in wired
    ]


def test_a_bucket_and_key_imported_from_a_third_stack_are_granted_on_the_role():
    """No policy to edit: the identity-policy path, the trigger's stack depending on the third stack only."""
    app = App(context=app_context())
    retraining = Stack(app, "Retraining")
    shared = Stack(app, "Shared")
    monitoring = Stack(app, "Monitoring")
    origin_key = kms.Key(shared, "Key", enable_key_rotation=True)
    origin = s3.Bucket(shared, "Reports", encryption_key=origin_key, enforce_ssl=True)
    bucket = s3.Bucket.from_bucket_name(monitoring, "Imported", origin.bucket_name)
    key = kms.Key.from_key_arn(monitoring, "ImportedKey", origin_key.key_arn)
    monitor = open_monitor(monitoring, "Drift", bucket=bucket, kms_key=key, prefix="reports/drift")
    trigger(retraining).add_monitor(monitor)

    app.synth()
    assert shared in retraining.dependencies
    assert monitoring not in retraining.dependencies
    assert retraining in monitoring.dependencies
    variables = function_of(Template.from_stack(retraining))["Environment"]["Variables"]
    rendered = json.dumps(variables[contract.ENV_OPEN_MONITORS])
    assert '\\"bucket\\"' in rendered  # the bucket is named, by a reference to the third stack
    assert "Shared" in rendered
    shared_json = json.dumps(Template.from_stack(shared).to_json())
    assert "FunctionRole" not in shared_json  # nothing granted through the third stack's policies
    # No reconciliation rule in the monitoring stack: the trigger's own reads a bucket it can name.
    rules = Template.from_stack(monitoring).find_resources("AWS::Events::Rule")
    assert not any("ScheduleExpression" in r["Properties"] for r in rules.values())


def test_a_monitor_of_the_trigger_stack_with_a_bucket_of_another_stack_is_granted_on_the_role():
    """The monitor's stack already depends on the bucket's: a bucket policy naming the function would cycle."""
    app = App(context=app_context())
    retraining = Stack(app, "Retraining")
    storage = Stack(app, "Storage")
    key = kms.Key(storage, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(storage, "Reports", encryption_key=key, enforce_ssl=True)
    monitor = open_monitor(retraining, "Drift", bucket=bucket, kms_key=key, prefix="reports/drift")
    trigger(retraining).add_monitor(monitor)

    app.synth()
    assert storage in retraining.dependencies
    assert retraining not in storage.dependencies
    assert "FunctionRole" not in json.dumps(Template.from_stack(storage).to_json())


def test_a_literal_bucket_with_a_key_of_the_monitoring_stack_keeps_the_bucket_in_the_environment():
    app = App(context=app_context())
    retraining = Stack(app, "Retraining")
    monitoring = Stack(app, "Monitoring")
    key = kms.Key(monitoring, "ReportsKey", enable_key_rotation=True)
    bucket = s3.Bucket.from_bucket_name(monitoring, "Imported", "literal-reports")
    monitor = open_monitor(monitoring, "Drift", bucket=bucket, kms_key=key, prefix="reports/drift")
    trigger(retraining).add_monitor(monitor)

    app.synth()
    assert retraining in monitoring.dependencies
    assert monitoring not in retraining.dependencies
    variables = function_of(Template.from_stack(retraining))["Environment"]["Variables"]
    assert json.loads(variables[contract.ENV_OPEN_MONITORS]) == [
        {"name": monitor.monitoring_schedule_name, "prefix": "reports/drift", "bucket": "literal-reports"}
    ]
    key_policy = json.dumps(Template.from_stack(monitoring).find_resources("AWS::KMS::Key"))
    assert "kms:ViaService" in key_policy
    # No reconciliation rule in the monitoring stack: the trigger's own lists a bucket it can name.
    rules = Template.from_stack(monitoring).find_resources("AWS::Events::Rule")
    assert not any("ScheduleExpression" in r["Properties"] for r in rules.values())
