"""Deployment guardrails: blue/green all-at-once, canary, linear, rolling, and automatic rollback alarms."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Match

from sagemaker_constructs import (
    AutoRollback,
    CapacitySize,
    ContainerImage,
    DeploymentGuardrails,
    Endpoint,
    Model,
    ProductionVariant,
    ServerlessVariant,
)


def endpoint(stack: Stack, deployment: DeploymentGuardrails, counts: tuple[int, ...] = (4,)) -> Endpoint:
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    return Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant(f"v{i}", model=model, instance_count=c) for i, c in enumerate(counts)],
        deployment=deployment,
    )


def test_canary_with_default_rollback_alarms(synth):
    template = synth(
        lambda s: endpoint(
            s,
            DeploymentGuardrails.canary(
                size=CapacitySize.instances(1),
                wait=Duration.minutes(10),
                termination_wait=Duration.minutes(2),
                max_execution_timeout=Duration.hours(1),
            ),
            counts=(4, 2),
        )
    )
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "CANARY",
                        "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                        "WaitIntervalInSeconds": 600,
                    },
                    "TerminationWaitInSeconds": 120,
                    "MaximumExecutionTimeoutInSeconds": 3600,
                },
                "AutoRollbackConfiguration": {
                    "Alarms": [
                        {"AlarmName": {"Ref": Match.string_like_regexp("RollbackErrorRate")}},
                        {"AlarmName": {"Ref": Match.string_like_regexp("RollbackLatency")}},
                    ]
                },
            }
        },
    )
    # The error rate sums both production variants; latency takes the worst p99.
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Metrics": Match.array_with(
                [Match.object_like({"Expression": "100 * (e0 + e1) / (i0 + i1)", "Id": "expr_1"})]
            ),
            "Threshold": 1,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            "TreatMissingData": "notBreaching",
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Metrics": Match.array_with([Match.object_like({"Expression": "MAX([l0, l1])"})]),
            "Threshold": 1000000,
        },
    )


def test_rollback_alarms_watch_the_endpoint_by_its_synth_time_name(synth):
    template = synth(lambda s: endpoint(s, DeploymentGuardrails.all_at_once()))
    endpoint_resource = next(iter(template.find_resources("AWS::SageMaker::Endpoint").values()))
    name = endpoint_resource["Properties"]["EndpointName"]
    assert isinstance(name, str)
    latency = next(
        a
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if "MetricName" in a["Properties"]
    )
    assert {"Name": "EndpointName", "Value": name} in latency["Properties"]["Dimensions"]
    # Alarms are created before the endpoint that names them: no dependency cycle.
    assert "DependsOn" not in latency


def test_linear(synth):
    template = synth(
        lambda s: endpoint(
            s, DeploymentGuardrails.linear(step=CapacitySize.percent(20), wait=Duration.minutes(3))
        )
    )
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": Match.object_like(
                {
                    "BlueGreenUpdatePolicy": {
                        "TrafficRoutingConfiguration": {
                            "Type": "LINEAR",
                            "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 20},
                            "WaitIntervalInSeconds": 180,
                        }
                    }
                }
            )
        },
    )


def test_all_at_once_with_own_alarms(synth):
    def build(stack: Stack) -> None:
        alarm = cloudwatch.Alarm.from_alarm_name(stack, "Mine", "my-business-kpi")
        endpoint(stack, DeploymentGuardrails.all_at_once(auto_rollback=AutoRollback.on_alarms([alarm])))

    template = synth(build)
    template.resource_count_is("AWS::CloudWatch::Alarm", 0)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}
                },
                "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "my-business-kpi"}]},
            }
        },
    )


def test_rollback_can_be_disabled(synth):
    template = synth(
        lambda s: endpoint(s, DeploymentGuardrails.all_at_once(auto_rollback=AutoRollback.none()))
    )
    template.resource_count_is("AWS::CloudWatch::Alarm", 0)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint", {"DeploymentConfig": {"AutoRollbackConfiguration": Match.absent(),
                                                          "BlueGreenUpdatePolicy": Match.any_value()}}
    )  # fmt: skip


def test_rolling(synth):
    template = synth(
        lambda s: endpoint(
            s,
            DeploymentGuardrails.rolling(
                batch_size=CapacitySize.percent(25),
                wait=Duration.minutes(4),
                rollback_batch_size=CapacitySize.percent(100),
            ),
        )
    )
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                    "WaitIntervalInSeconds": 240,
                    "RollbackMaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 100},
                },
                "AutoRollbackConfiguration": Match.any_value(),
            }
        },
    )


@pytest.mark.parametrize(
    ("deployment", "counts", "message"),
    [
        (
            DeploymentGuardrails.canary(size=CapacitySize.percent(60)),
            (4,),
            "'deployment.size' must be between 1 and 50 percent, got 60",
        ),
        (
            DeploymentGuardrails.canary(size=CapacitySize.instances(3)),
            (4,),
            "'deployment.size' must be 1-50% of each variant's instances: for 4 instance(s) that is between 1 and 2, "
            "got 3 instance(s)",
        ),
        (
            DeploymentGuardrails.canary(size=CapacitySize.instances(1)),
            (1,),
            "for 1 instance(s) that is impossible (use more instances), got 1 instance(s)",
        ),
        (
            DeploymentGuardrails.linear(step=CapacitySize.percent(5)),
            (4,),
            "'deployment.step' must be between 10 and 50 percent, got 5",
        ),
        (
            DeploymentGuardrails.rolling(batch_size=CapacitySize.percent(60)),
            (4,),
            "'deployment.batch_size' must be between 5 and 50 percent, got 60",
        ),
        (
            DeploymentGuardrails.rolling(batch_size=CapacitySize.percent(20)),
            (4, 2),
            "'deployment' rolling updates need exactly one production variant, got 2",
        ),
        (
            DeploymentGuardrails.canary(size=CapacitySize.percent(10), wait=Duration.hours(2)),
            (4,),
            "'deployment.wait' must be between 0 and 3600 seconds, got 7200",
        ),
        (
            DeploymentGuardrails.all_at_once(max_execution_timeout=Duration.minutes(5)),
            (4,),
            "'deployment.max_execution_timeout' must be between 600 and 28800 seconds, got 300",
        ),
        (
            DeploymentGuardrails.all_at_once(
                wait=Duration.minutes(30),
                termination_wait=Duration.minutes(30),
                max_execution_timeout=Duration.hours(1),
            ),
            (4,),
            "'deployment.max_execution_timeout' must exceed 'wait' + 'termination_wait' (3600 seconds), got 3600",
        ),
        (
            DeploymentGuardrails.all_at_once(auto_rollback=AutoRollback.default(error_rate_percent=150)),
            (4,),
            "'deployment.auto_rollback.error_rate_percent' must be between 0 and 100 percent, got 150",
        ),
    ],
)
def test_invalid_guardrails(stack, deployment, counts, message):
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        endpoint(stack, deployment, counts)
    assert message in str(excinfo.value)


def test_rolling_rejected_for_serverless(stack):
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    with pytest.raises(ValueError, match="rolling updates are not supported for serverless variants"):
        Endpoint(
            stack,
            "E",
            variants=[ServerlessVariant("s", model=model)],
            deployment=DeploymentGuardrails.rolling(batch_size=CapacitySize.percent(20)),
        )


def test_too_many_rollback_alarms(stack):
    alarms = [cloudwatch.Alarm.from_alarm_name(stack, f"A{i}", f"a{i}") for i in range(11)]
    with pytest.raises(ValueError, match=r"'deployment.auto_rollback.alarms' must hold 1-10 alarms, got 11"):
        endpoint(stack, DeploymentGuardrails.all_at_once(auto_rollback=AutoRollback.on_alarms(alarms)))


def test_add_rollback_alarm_built_from_the_endpoints_own_metrics(synth):
    def build(stack: Stack) -> None:
        e = endpoint(stack, DeploymentGuardrails.canary(size=CapacitySize.percent(10)))
        errors = e.metric_invocation_model_errors("v0").create_alarm(
            stack, "ModelErrors", threshold=5, evaluation_periods=1
        )
        e.add_rollback_alarm(errors)
        with pytest.raises(ValueError, match="is already a rollback alarm of this endpoint"):
            e.add_rollback_alarm(errors)

    template = synth(build)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": Match.object_like(
                {
                    "AutoRollbackConfiguration": {
                        "Alarms": [
                            {"AlarmName": {"Ref": Match.string_like_regexp("RollbackErrorRate")}},
                            {"AlarmName": {"Ref": Match.string_like_regexp("RollbackLatency")}},
                            {"AlarmName": {"Ref": Match.string_like_regexp("^ModelErrors")}},
                        ]
                    }
                }
            )
        },
    )


def test_add_rollback_alarm_needs_guardrails(stack):
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    e = Endpoint(stack, "E", variants=[ProductionVariant("v", model=model)])
    alarm = cloudwatch.Alarm.from_alarm_name(stack, "A", "a")
    with pytest.raises(ValueError, match="'add_rollback_alarm' needs deployment guardrails"):
        e.add_rollback_alarm(alarm)


def test_more_than_ten_rollback_alarms_fail_at_synth(stack):
    from aws_cdk.assertions import Template

    e = endpoint(stack, DeploymentGuardrails.all_at_once())  # 2 default alarms
    for i in range(9):
        e.add_rollback_alarm(cloudwatch.Alarm.from_alarm_name(stack, f"A{i}", f"a{i}"))
    with pytest.raises(RuntimeError, match="an endpoint takes at most 10 rollback alarms, got 11"):
        Template.from_stack(stack)


# Regressions found by the property tests (tests/unit/test_properties.py).


def test_durations_that_are_not_whole_seconds_are_reported_with_a_timeout(stack):
    # The timeout check converted 'wait' with to_seconds() after it had been reported, and jsii raised.
    with pytest.raises(ValueError, match=r"'deployment\.wait' must be a whole number of seconds"):
        endpoint(
            stack,
            DeploymentGuardrails.canary(
                size=CapacitySize.percent(10),
                wait=Duration.millis(1500),
                max_execution_timeout=Duration.hours(1),
            ),
        )
    with pytest.raises(
        ValueError, match=r"'deployment\.max_execution_timeout' must be a whole number of seconds"
    ):
        endpoint(
            Stack(stack.node.root, "Other"),
            DeploymentGuardrails.all_at_once(max_execution_timeout=Duration.millis(600_001)),
        )


def test_nan_instance_count_with_an_instance_sized_canary(stack):
    # math.ceil(nan) raised a bare "cannot convert float NaN to integer" instead of the collected problems.
    model = Model(stack, "Model", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
    with pytest.raises(ValueError, match="Invalid props for") as excinfo:
        Endpoint(
            stack,
            "Endpoint",
            variants=[ProductionVariant("v", model=model, instance_count=float("nan"))],  # type: ignore[arg-type]
            deployment=DeploymentGuardrails.canary(size=CapacitySize.instances(1)),
        )
    assert "'variants[0].instance_count' must be a finite number, got nan" in str(excinfo.value)


# ------------------------------------------------------------ latency statistics AWS documents (ModelLatency)


def _latency_stats(template) -> list[str]:
    """The statistic of every ModelLatency metric in the template's alarms."""
    stats = []
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("MetricName") == "ModelLatency":
            stats.append(props.get("Statistic") or props["ExtendedStatistic"])
        for query in props.get("Metrics", []):
            if query.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "ModelLatency":
                stats.append(query["MetricStat"]["Stat"])
    return stats


def test_default_latency_alarms_use_a_statistic_aws_documents_for_model_latency(synth):
    """The metrics page lists Average, Sum, Min, Max and SampleCount for ModelLatency, no percentiles
    (monitoring-cloudwatch.html); AWS's own rollback-alarm example uses Average."""

    def build(stack: Stack) -> None:
        e = endpoint(stack, DeploymentGuardrails.all_at_once(), counts=(2, 2))
        e.add_operational_alarms()

    template = synth(build)
    stats = _latency_stats(template)
    assert len(stats) == 4  # the rollback alarm's two variants, an operational alarm per variant
    assert set(stats) == {"Average"}


def test_a_documented_latency_statistic_can_be_chosen(synth):
    def build(stack: Stack) -> None:
        e = endpoint(
            stack,
            DeploymentGuardrails.all_at_once(
                auto_rollback=AutoRollback.default(
                    model_latency=Duration.millis(300), latency_statistic="Maximum"
                )
            ),
        )
        e.add_operational_alarms(model_latency=Duration.millis(800), latency_statistic="Maximum")

    template = synth(build)
    assert set(_latency_stats(template)) == {"Maximum"}
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ModelLatency", "Threshold": 300000}
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ModelLatency", "Threshold": 800000}
    )


def test_a_percentile_is_an_explicit_choice_with_a_warning(stack):
    from aws_cdk.assertions import Annotations

    e = endpoint(
        stack, DeploymentGuardrails.all_at_once(auto_rollback=AutoRollback.default(latency_statistic="p99"))
    )
    e.add_operational_alarms(p99_model_latency=Duration.millis(250))  # the deprecated spelling means p99
    Annotations.from_stack(stack).has_warning(
        "*", Match.string_like_regexp("Latency alarms use 'p99': AWS documents only Average")
    )
    from aws_cdk.assertions import Template

    assert set(_latency_stats(Template.from_stack(stack))) == {"p99"}


def test_undocumented_latency_statistics_are_rejected(stack):
    with pytest.raises(ValueError, match=r"'deployment.auto_rollback.latency_statistic' must be one of \['Average', "
                       r"'Maximum', 'Minimum'\] \(documented for ModelLatency\) or a percentile such as 'p99', "
                       r"got 'Sum'"):  # fmt: skip
        endpoint(
            stack,
            DeploymentGuardrails.all_at_once(auto_rollback=AutoRollback.default(latency_statistic="Sum")),
        )
    e = endpoint(Stack(), DeploymentGuardrails.all_at_once())
    with pytest.raises(ValueError, match=r"'latency_statistic' must be one of .* got 'SampleCount'"):
        e.add_operational_alarms(latency_statistic="SampleCount")
    with pytest.raises(ValueError, match="'p99_model_latency' is the deprecated spelling of 'model_latency'"):
        e.add_operational_alarms(model_latency=Duration.seconds(1), p99_model_latency=Duration.seconds(1))


# --------------------------------------------------------------- who reads the rollback alarms: the model role


def _describe_alarms_resources(template) -> list[list[object]]:
    """Per IAM policy, the resources of its cloudwatch:DescribeAlarms statements."""
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for st in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if "cloudwatch:DescribeAlarms" in actions:
                assert st["Effect"] == "Allow"
                found.append(st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
    return found


def test_model_roles_may_describe_exactly_the_rollback_alarms(synth):
    """AWS: "Ensure that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action
    on the auto-rollback alarms you specify" (deployment-guardrails-configuration). The execution role is the
    model's; every variant's model role needs it, scoped to the alarms, before the endpoint deploys."""

    def build(stack: Stack) -> None:
        e = endpoint(stack, DeploymentGuardrails.all_at_once(), counts=(2, 2))
        e.add_rollback_alarm(e.metric_invocation_4xx_errors("v0").create_alarm(stack, "Mine", threshold=5,
                                                                                 evaluation_periods=1))  # fmt: skip

    template = synth(build)
    (resources,) = _describe_alarms_resources(template)  # one shared role: one statement
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 3
    assert sorted(r["Fn::GetAtt"][0] for r in resources) == sorted(alarms)  # type: ignore[index]
    assert all(r["Fn::GetAtt"][1] == "Arn" for r in resources)  # type: ignore[index]
    # The endpoint waits for the grant.
    (policy_id,) = [
        k for k, v in template.find_resources("AWS::IAM::Policy").items()
        if "cloudwatch:DescribeAlarms" in json.dumps(v)
    ]  # fmt: skip
    (resource,) = template.find_resources("AWS::SageMaker::Endpoint").values()
    assert policy_id in resource["DependsOn"]


def test_each_models_role_may_describe_user_alarms_and_none_without_guardrails(synth):
    def build(stack: Stack) -> None:
        first = Model(stack, "First", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        second = Model(stack, "Second", image=ContainerImage.for_algorithm("xgboost", "3.0-5"))
        mine = cloudwatch.Alarm.from_alarm_arn(
            stack, "Existing", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x"
        )
        Endpoint(
            stack,
            "Endpoint",
            variants=[ProductionVariant("a", model=first, instance_count=2)],
            shadow_variant=ProductionVariant("b", model=second, instance_count=2),
            deployment=DeploymentGuardrails.all_at_once(auto_rollback=AutoRollback.on_alarms([mine])),
        )
        Endpoint(stack, "Unguarded", variants=[ProductionVariant("c", model=first)])

    found = _describe_alarms_resources(synth(build))
    assert found == [["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x"]] * 2
