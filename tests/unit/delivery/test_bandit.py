"""BanditTrafficAllocation: resources, the handler's environment, permissions, retained weights, the dashboard
section, and validation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Annotations, Match, Template
from support.cdk_flags import app_context

from sagemaker_constructs import (
    BanditPolicy,
    BanditReward,
    BanditTrafficAllocation,
    ContainerImage,
    Endpoint,
    Model,
    ModelData,
    NotificationTopic,
    OperationsDashboard,
    ProductionVariant,
    ValidationError,
)
from sagemaker_constructs._handlers.bandit import contract
from sagemaker_constructs._handlers.bandit.allocation import POLICIES

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"
VARIANTS = ("champion", "challenger")


def _stack() -> Stack:
    return Stack(App(context=app_context()), "Stack", env={"account": "123456789012", "region": "us-east-1"})


def _endpoint(stack: Stack, *, scaled: bool = False) -> Endpoint:
    model = Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[
            ProductionVariant("champion", model=model, instance_type="ml.m5.large", weight=90),
            ProductionVariant("challenger", model=model, instance_type="ml.m5.large", weight=10),
        ],
        endpoint_name="churn",
    )
    if scaled:
        endpoint.variant("champion").auto_scale(min_capacity=1, max_capacity=2).on_cpu_utilization(70)
    return endpoint


def _accepted(variant: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="ChurnApp",
        metric_name="RetentionOfferAccepted",
        dimensions_map={"EndpointName": "churn", "VariantName": variant},
    )


def _conversions() -> BanditReward:
    return BanditReward.conversions({v: _accepted(v) for v in VARIANTS})


def _env(template: Template) -> dict[str, Any]:
    functions = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": contract.HANDLER}}
    )
    assert len(functions) == 1
    return next(iter(functions.values()))["Properties"]["Environment"]["Variables"]


def test_a_schedule_invokes_the_allocator_with_the_tick() -> None:
    stack = _stack()
    endpoint = _endpoint(stack)
    endpoint.add_operational_alarms()
    bandit = BanditTrafficAllocation(stack, "Bandit", endpoint=endpoint, reward=_conversions())
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "rate(15 minutes)",
            "State": "ENABLED",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": Match.object_like(
                {
                    "Input": json.dumps(
                        {
                            "scheduledTime": "<aws.scheduler.scheduled-time>",
                            "executionId": "<aws.scheduler.execution-id>",
                        },
                        separators=(",", ":"),
                    ),
                    "DeadLetterConfig": Match.object_like({"Arn": Match.any_value()}),
                }
            ),
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": contract.HANDLER, "Runtime": "python3.13"},
    )
    # No reservation: one fails deployment in accounts at the minimum unreserved concurrency (new accounts: 10).
    functions = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": contract.HANDLER}}
    )
    assert [f for f in functions.values() if "ReservedConcurrentExecutions" in f["Properties"]] == []
    template.has_resource_properties(
        "AWS::SSM::Parameter", {"Type": "String", "Value": "enabled", "AllowedPattern": "^(enabled|paused)$"}
    )
    env = _env(template)
    assert env[contract.ENV_POLICY] == "thompson-beta"
    assert env[contract.ENV_REWARD_KIND] == contract.REWARD_CONVERSIONS
    assert json.loads(env[contract.ENV_VARIANTS]) == list(VARIANTS)
    assert env[contract.ENV_WINDOW_SECONDS] == "21600"
    assert (env[contract.ENV_MIN_WEIGHT], env[contract.ENV_MAX_STEP], env[contract.ENV_MIN_TRIALS]) == (
        "0.05",
        "0.2",
        "100",
    )
    queries = json.loads(env[contract.ENV_QUERIES])
    assert queries["challenger"]["reward"]["Metric"] == {
        "Namespace": "ChurnApp",
        "MetricName": "RetentionOfferAccepted",
        "Dimensions": [
            {"Name": "EndpointName", "Value": "churn"},
            {"Name": "VariantName", "Value": "challenger"},
        ],
    }
    # Default trials: the variant's Invocations, in the short form the handler expands (4 KB of environment).
    assert queries["challenger"]["trials"] == contract.TRIALS_INVOCATIONS
    # The endpoint's operational alarms freeze the bandit by default.
    assert len(bandit.freeze_alarms) == len(endpoint.alarms) == 3
    assert env[contract.ENV_POLICY] in POLICIES


def test_the_role_reaches_only_its_endpoint_parameter_and_alarms() -> None:
    stack = _stack()
    endpoint = _endpoint(stack)
    endpoint.add_operational_alarms()
    BanditTrafficAllocation(stack, "Bandit", endpoint=endpoint, reward=_conversions())
    template = Template.from_stack(stack)
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [
        s
        for p in policies.values()
        if "BanditFunctionRole" in json.dumps(p["Properties"]["Roles"])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in statements}
    endpoint_arn = by_action[
        json.dumps(["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"])
    ]
    assert endpoint_arn["Fn::GetAtt"][1] == "EndpointArn"
    star = [s for s in statements if s["Resource"] == "*"]
    assert {a for s in star for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])} == {
        "cloudwatch:GetMetricData",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    assert "KillSwitch" in json.dumps(by_action[json.dumps("ssm:GetParameter")])
    assert len(by_action[json.dumps("cloudwatch:DescribeAlarms")]) == 3


@pytest.mark.parametrize("scaled", [False, True], ids=["fixed", "scaled"])
def test_the_endpoint_retains_the_bandits_weights(scaled: bool) -> None:
    stack = _stack()
    endpoint = _endpoint(stack, scaled=scaled)
    before = Template.from_stack(_scaled_reference(scaled)).find_resources("AWS::SageMaker::Endpoint")
    BanditTrafficAllocation(stack, "Bandit", endpoint=endpoint, reward=_conversions())
    props = next(iter(Template.from_stack(stack).find_resources("AWS::SageMaker::Endpoint").values()))[
        "Properties"
    ]
    assert props["RetainAllVariantProperties"] is True
    excluded = [p["VariantPropertyType"] for p in props.get("ExcludeRetainedVariantProperties", [])]
    # Weights are never excluded; instance counts are kept only when a variant scales.
    assert excluded == ([] if scaled else ["DesiredInstanceCount"])
    # Without the bandit, the endpoint's template is what it was (scaled: weights excluded; fixed: nothing).
    old = next(iter(before.values()))["Properties"]
    if scaled:
        assert old["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]
    else:
        assert "RetainAllVariantProperties" not in old


def _scaled_reference(scaled: bool) -> Stack:
    stack = _stack()
    _endpoint(stack, scaled=scaled)
    return stack


def test_an_imported_endpoint_warns_that_its_stack_must_retain_weights() -> None:
    stack = _stack()
    endpoint = Endpoint.from_endpoint_name(stack, "Imported", "churn")
    BanditTrafficAllocation(stack, "Bandit", endpoint=endpoint, reward=_conversions())
    Annotations.from_stack(stack).has_warning(
        "/Stack/Bandit", Match.string_like_regexp("retain_variant_weights")
    )


def test_policies_rewards_and_options() -> None:
    stack = _stack()
    endpoint = _endpoint(stack)
    topic = NotificationTopic(stack, "Topic", description="bandit")
    alarm = endpoint.metric_invocations("champion").create_alarm(
        stack, "Extra", threshold=1, evaluation_periods=1
    )
    bandit = BanditTrafficAllocation(
        stack,
        "Bandit",
        endpoint=endpoint,
        reward=BanditReward.continuous({v: _accepted(v) for v in VARIANTS}),
        policy=BanditPolicy.epsilon_greedy(0.2),
        every=Duration.minutes(5),
        window=Duration.hours(1),
        freeze_on=[],
        enabled=False,
        notifications=topic,
    )
    bandit.add_freeze_alarm(alarm)
    template = Template.from_stack(stack)
    env = _env(template)
    assert (env[contract.ENV_POLICY], env[contract.ENV_EPSILON]) == ("epsilon-greedy", "0.2")
    assert env[contract.ENV_REWARD_KIND] == contract.REWARD_CONTINUOUS
    assert "trials" not in json.loads(env[contract.ENV_QUERIES])["champion"]
    assert "Extra" in json.dumps(env[contract.ENV_FREEZE_ALARMS])
    template.has_resource_properties(
        "AWS::Scheduler::Schedule", {"ScheduleExpression": "rate(5 minutes)", "State": "DISABLED"}
    )
    template.resource_count_is("AWS::CloudWatch::Alarm", 2)  # the extra alarm and the dead-letter alarm
    assert bandit.dead_letter_alarm is not None


def test_thompson_sampling_of_a_continuous_reward_is_gaussian() -> None:
    stack = _stack()
    BanditTrafficAllocation(
        stack,
        "Bandit",
        endpoint=_endpoint(stack),
        reward=BanditReward.continuous({v: _accepted(v) for v in VARIANTS}),
    )
    assert _env(Template.from_stack(stack))[contract.ENV_POLICY] == "thompson-gaussian"


def test_the_dashboard_section_graphs_weights_reward_and_decisions() -> None:
    stack = _stack()
    endpoint = _endpoint(stack)
    bandit = BanditTrafficAllocation(stack, "Bandit", endpoint=endpoint, reward=_conversions())
    OperationsDashboard(stack, "Dashboard").add_bandit(bandit)
    body = json.dumps(Template.from_stack(stack).find_resources("AWS::CloudWatch::Dashboard"))
    for text in (
        "Traffic share per variant",
        "Probability best",
        "Decisions (ticks per hour)",
        "Reward and trials",
    ):
        assert text in body
    for metric in (
        contract.METRIC_WEIGHT,
        contract.METRIC_DECISIONS,
        "RetentionOfferAccepted",
        "Invocations",
    ):
        assert metric in body
    assert bandit.metric_weight("champion").dimensions == {
        "service": contract.SERVICE_NAME,
        "EndpointName": "churn",
        "VariantName": "champion",
    }


def _raises(match: str, **props: Any) -> None:
    stack = _stack()
    endpoint = _endpoint(stack)
    with pytest.raises(ValidationError, match=match):
        BanditTrafficAllocation(stack, "Bandit", endpoint=endpoint, **{"reward": _conversions(), **props})


def test_validation_names_the_prop_what_is_allowed_and_what_was_received() -> None:
    _raises(r"'reward' must name exactly the endpoint's production variants .*got \['champion', 'other'\]",
            reward=BanditReward.conversions({"champion": _accepted("a"), "other": _accepted("b")}))  # fmt: skip
    _raises(
        r"'reward' must name 2-10 variants, got 1", reward=BanditReward.conversions({"a": _accepted("a")})
    )
    _raises(r"'min_weight' must be between 0 and 1/2 \(variants\), got 0.6", min_weight=0.6)
    _raises(r"'max_step' must be greater than 0 and at most 1, got 0", max_step=0)
    _raises(r"'min_change' must be at least 0 and less than 1, got 1", min_change=1)
    _raises(r"'window' must be at least 'every'", every=Duration.hours(1), window=Duration.minutes(30))
    _raises(r"'every' must be whole minutes, got 90 seconds", every=Duration.seconds(90))
    _raises(r"'every' must be between 60 and", every=Duration.seconds(30))
    with pytest.raises(ValidationError, match=r"'trials' must have the same variants as 'successes'"):
        BanditReward.conversions({v: _accepted(v) for v in VARIANTS}, {"champion": _accepted("champion")})
    with pytest.raises(ValidationError, match=r"'values\['a'\]' must be a single metric"):
        BanditReward.continuous({"a": cloudwatch.MathExpression(expression="1", using_metrics={})})
    with pytest.raises(ValidationError, match=r"'epsilon' must be a number in \(0, 1\), got float 1.5"):
        BanditPolicy.epsilon_greedy(1.5)


def test_a_function_environment_over_4_kb_is_refused_at_synth() -> None:
    stack = _stack()
    model = Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )
    names = [f"a-long-variant-name-number-{i:02d}" for i in range(10)]
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant(n, model=model, instance_type="ml.m5.large") for n in names],
    )
    long_metric = {
        n: cloudwatch.Metric(
            namespace="AnApplicationWithAVeryLongNamespace",
            metric_name="RetentionOfferAcceptedByTheCustomer",
            dimensions_map={"EndpointName": "churn", "VariantName": n},
        )
        for n in names
    }
    BanditTrafficAllocation(
        stack, "Bandit", endpoint=endpoint, reward=BanditReward.conversions(long_metric, long_metric)
    )
    with pytest.raises(RuntimeError, match=r"environment needs about \d+ bytes, Lambda allows 4096"):
        Template.from_stack(stack)


def test_event_ages_stay_within_what_lambda_and_scheduler_allow() -> None:
    stack = _stack()
    BanditTrafficAllocation(
        stack,
        "Bandit",
        endpoint=_endpoint(stack),
        reward=_conversions(),
        every=Duration.hours(12),
        window=Duration.hours(12),
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumEventAgeInSeconds": 21600})
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "Target": Match.object_like(
                {"RetryPolicy": Match.object_like({"MaximumEventAgeInSeconds": 43200})}
            )
        },
    )


def test_metrics_refuse_unknown_variants_and_decisions() -> None:
    stack = _stack()
    bandit = BanditTrafficAllocation(stack, "Bandit", endpoint=_endpoint(stack), reward=_conversions())
    with pytest.raises(
        ValidationError, match=r"'variant' must be one of the bandit's variants .*got 'other'"
    ):
        bandit.metric_weight("other")
    with pytest.raises(ValidationError, match=r"'decision' must be one of .*got 'skipped'"):
        bandit.metric_decisions("skipped")
    assert bandit.metric_decisions("applied").statistic == "Sum"


def test_retaining_weights_before_scaling_keeps_both() -> None:
    stack = _stack()
    endpoint = _endpoint(stack)
    assert endpoint.retain_variant_weights() is True
    endpoint.variant("challenger").auto_scale(min_capacity=1, max_capacity=2).on_cpu_utilization(70)
    props = next(iter(Template.from_stack(stack).find_resources("AWS::SageMaker::Endpoint").values()))[
        "Properties"
    ]
    assert props["RetainAllVariantProperties"] is True
    assert "ExcludeRetainedVariantProperties" not in props
    assert Endpoint.from_endpoint_name(stack, "Imported", "other").retain_variant_weights() is False
