"""OperationsDashboard: sections built from the constructs' own metrics and alarms, and its validation."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_constructs import (
    AsyncInference,
    BatchDataCapture,
    BatchTransform,
    BiasAnalysisConfig,
    ContainerImage,
    DataCapture,
    DataQualityMonitor,
    DeploymentGuardrails,
    Endpoint,
    ExplainabilityAnalysisConfig,
    Facet,
    GroundTruth,
    Model,
    ModelBiasMonitor,
    ModelData,
    ModelExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorSource,
    OperationsDashboard,
    ProblemType,
    ProductionVariant,
    RetrainingTrigger,
    SageMakerPipeline,
    SecureBucket,
    ServerlessVariant,
    TransformInput,
    TransformSchedule,
)
from sagemaker_constructs.hosting.endpoint_metrics import EndpointKind, is_documented

SAMPLE_MODEL = "model_artifacts/churn/model.tar.gz"
FEATURES = ["age", "tenure_months"]
PIPELINE = {"Version": "2020-12-01", "Parameters": [], "Steps": []}


def model(stack: Stack) -> Model:
    return Model(
        stack,
        "Model",
        image=ContainerImage.for_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL),
    )


def endpoint(stack: Stack, m: Model, *, serverless: bool = False) -> Endpoint:
    variants: list[ProductionVariant | ServerlessVariant] = [
        ProductionVariant("champion", model=m, weight=9),
        ProductionVariant("challenger", model=m, weight=1),
    ]
    if serverless:
        variants = [ServerlessVariant("cheap", model=m)]
    capture = None if serverless else DataCapture()  # Serverless Inference does not capture data
    return Endpoint(stack, "Endpoint", variants=variants, data_capture=capture, endpoint_name="churn")


def transform(stack: Stack, m: Model) -> BatchTransform:
    return BatchTransform(
        stack,
        "Batch",
        model=m,
        input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
        data_capture=BatchDataCapture(),
    )


def trigger(stack: Stack) -> RetrainingTrigger:
    role = iam.Role(stack, "PipelineRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    pipeline = SageMakerPipeline(stack, "Pipeline", definition=PIPELINE, role=role, pipeline_name="retrain")
    return RetrainingTrigger(stack, "Trigger", pipeline=pipeline)


def body(template: Template) -> dict[str, Any]:
    """The dashboard body as JSON, with each CloudFormation token replaced by ``<Ref:id>``/``<Att:id>``."""
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    raw = dashboard["Properties"]["DashboardBody"]
    parts = raw["Fn::Join"][1] if isinstance(raw, dict) else [raw]
    text = "".join(
        part
        if isinstance(part, str)
        else f"<Ref:{part['Ref']}>"
        if "Ref" in part
        else f"<Att:{part['Fn::GetAtt'][0]}>"
        for part in parts
    )
    result: dict[str, Any] = json.loads(text)
    return result


def titles(dashboard: dict[str, Any]) -> list[str]:
    return [w["properties"]["markdown"] for w in dashboard["widgets"] if w["type"] == "text"]


def graphs(dashboard: dict[str, Any]) -> dict[str, list[list[Any]]]:
    found: dict[str, list[list[Any]]] = {}
    for widget in dashboard["widgets"]:
        props = widget["properties"]
        if widget["type"] == "metric" and "metrics" in props:
            found.setdefault(props["title"], []).extend(props["metrics"])
    return found


def alarm_widgets(dashboard: dict[str, Any]) -> dict[str, list[str]]:
    return {
        w["properties"]["title"]: w["properties"]["alarms"]
        for w in dashboard["widgets"]
        if w["type"] == "alarm"
    }


# --------------------------------------------------------------------------------------------------- hosting


def test_endpoint_section_graphs_every_variant_and_shows_its_alarms(synth):
    built: dict[str, Any] = {}

    def build(stack: Stack) -> None:
        e = endpoint(stack, model(stack))
        built["alarms"] = e.add_operational_alarms()
        dashboard = OperationsDashboard(stack, "Dashboard", dashboard_name="churn-ops")
        dashboard.add_endpoint(e)

    template = synth(build)
    template.has_resource_properties("AWS::CloudWatch::Dashboard", {"DashboardName": "churn-ops"})
    dashboard = body(template)
    assert dashboard["start"] == "-P1D"
    assert titles(dashboard) == ["## Endpoint churn"]
    charts = graphs(dashboard)
    invocations = charts["Invocations"]
    assert [m[:6] for m in invocations] == [
        ["AWS/SageMaker", "Invocations", "EndpointName", "churn", "VariantName", "champion"],
        ["AWS/SageMaker", "Invocations", "EndpointName", "churn", "VariantName", "challenger"],
    ]
    assert [m[6]["label"] for m in invocations] == ["champion", "challenger"]
    errors = {m[1] for m in charts["Errors"]}
    assert errors == {"Invocation4XXErrors", "Invocation5XXErrors", "InvocationModelErrors"}
    # AWS documents Average, Sum, Minimum, Maximum and SampleCount for the latencies, no percentiles.
    for title in ("Model latency (microseconds)", "Overhead latency (microseconds)"):
        assert {(m[5], m[6].get("stat", "Average")) for m in charts[title]} == {
            (v, s) for v in ("champion", "challenger") for s in ("Average", "Maximum")
        }
    for title in ("CPU utilization (%, summed over cores)", "Memory utilization (%)", "Disk utilization (%)"):
        assert {m[0] for m in charts[title]} == {"/aws/sagemaker/Endpoints"}, title
    (alarms,) = alarm_widgets(dashboard).values()
    # Every operational alarm (error rate, latency, disk, each over both variants) appears, by its ARN.
    assert len(alarms) == len(built["alarms"]) == 3
    assert all(a.startswith("<Att:") for a in alarms)


def test_serverless_variants_get_cold_starts_not_instance_metrics(synth):
    def build(stack: Stack) -> None:
        OperationsDashboard(stack, "Dashboard").add_endpoint(endpoint(stack, model(stack), serverless=True))

    charts = graphs(body(synth(build)))
    assert "Serverless cold starts (model setup, microseconds)" in charts
    assert [m[1] for m in charts["Serverless cold starts (model setup, microseconds)"]] == ["ModelSetupTime"]
    assert "CPU utilization (%, summed over cores)" not in charts
    assert "Disk utilization (%)" not in charts


def test_an_imported_endpoint_gets_the_invocation_graphs_of_its_named_variants(synth):
    def build(stack: Stack) -> None:
        imported = Endpoint.from_endpoint_name(stack, "Existing", "fraud-scoring")
        OperationsDashboard(stack, "Dashboard").add_endpoint(imported, variant_names=["blue", "green"])

    dashboard = body(synth(build))
    assert titles(dashboard) == ["## Endpoint fraud-scoring"]
    charts = graphs(dashboard)
    assert [m[3:6] for m in charts["Invocations"]] == [
        ["fraud-scoring", "VariantName", "blue"],
        ["fraud-scoring", "VariantName", "green"],
    ]
    # Whether its variants run on instances is unknown: no instance graphs, and no alarms of its own.
    assert "CPU utilization (%, summed over cores)" not in charts
    assert alarm_widgets(dashboard) == {}


def test_variant_names_are_required_for_imports_and_checked_for_created_endpoints(stack):
    dashboard = OperationsDashboard(stack, "Dashboard")
    imported = Endpoint.from_endpoint_name(stack, "Existing", "fraud-scoring")
    with pytest.raises(ValueError, match=re.escape("'variant_names' must hold at least one name, got none")):
        dashboard.add_endpoint(imported)
    e = endpoint(stack, model(stack))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "'variant_names' must be variants of the endpoint (['champion', 'challenger']), got ['blue']"
        ),
    ):
        dashboard.add_endpoint(e, variant_names=["champion", "blue"])
    # The rejected calls claimed nothing: both endpoints can still be added, once each.
    dashboard.add_endpoint(imported, variant_names=["blue"])
    dashboard.add_endpoint(e, variant_names=["challenger"])
    invocations = [
        w["properties"]["metrics"]
        for w in _widgets(dashboard)
        if w["type"] == "metric" and w["properties"]["title"] == "Invocations"
    ]
    assert [[m[5] for m in metrics] for metrics in invocations] == [["blue"], ["challenger"]]


def test_asynchronous_endpoints_show_their_queue_instead_of_invocations(synth):
    def build(stack: Stack) -> None:
        e = Endpoint(
            stack,
            "Endpoint",
            variants=[ProductionVariant("async", model=model(stack))],
            async_inference=AsyncInference(),
            endpoint_name="churn-async",
        )
        OperationsDashboard(stack, "Dashboard").add_endpoint(e)

    charts = graphs(body(synth(build)))
    assert "Invocations" not in charts  # not published for asynchronous endpoints
    assert "Overhead latency (microseconds)" not in charts
    queue = charts["Queue (requests)"]
    assert [m[1] for m in queue] == [
        "ApproximateBacklogSize",
        "ApproximateBacklogSizePerInstance",
        "HasBacklogWithoutCapacity",
    ]
    # Whole-endpoint metrics: EndpointName only, no VariantName.
    assert {tuple(m[2:4]) for m in queue} == {("EndpointName", "churn-async")}
    assert all(not isinstance(m[4], str) for m in queue)
    ((*_, options),) = charts["Oldest queued request (seconds)"]
    assert options["stat"] == "Maximum"


# ----------------------------------------------------------------------------------------- batch, retraining


def test_batch_and_retraining_sections(synth):
    def build(stack: Stack) -> None:
        m = model(stack)
        t = transform(stack, m)
        r = trigger(stack)
        dashboard = OperationsDashboard(stack, "Dashboard", time_range=Duration.days(7))
        dashboard.add_batch_transform(t)
        dashboard.add_retraining(r, title="Retraining")

    template = synth(build)
    dashboard = body(template)
    assert dashboard["start"] == "-P7D"
    assert titles(dashboard)[1] == "## Retraining"
    assert titles(dashboard)[0].startswith("## Batch transform ")
    charts = graphs(dashboard)
    runs = charts["Runs"]
    assert {m[1] for m in runs} == {
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
    }
    assert {m[0] for m in runs} == {"AWS/States"}
    assert {m[6]["label"] for m in charts["Triggers skipped"]} == {
        "duplicate",
        "running",
        "cooldown",
        "unconfirmed",
        "stale",
        "ignored",
    }
    assert {m[0] for m in charts["Trigger decisions"]} == {"SageMakerConstructs/Retraining"}
    assert {m[1] for m in charts["Pipeline executions"]} == {
        "ExecutionStarted",
        "ExecutionSucceeded",
        "ExecutionFailed",
    }
    assert charts["Pipeline executions"][0][2:4] == ["PipelineName", "retrain"]
    assert {m[1] for m in charts["Dead-letter queue (messages)"]} == {"ApproximateNumberOfMessagesVisible"}
    widgets = alarm_widgets(dashboard)
    # The transform has no trigger here: its failure alarm only; the trigger's dead-letter alarm.
    assert [len(a) for a in widgets.values()] == [1, 1]


def test_a_scheduled_transform_shows_its_dead_letter_alarm(synth):
    def build(stack: Stack) -> None:
        t = BatchTransform(
            stack,
            "Batch",
            model=model(stack),
            input=TransformInput(bucket=s3.Bucket.from_bucket_name(stack, "In", "input-bucket")),
            schedule=TransformSchedule.daily(hour=2),
        )
        assert t.dead_letter_alarm is not None
        OperationsDashboard(stack, "Dashboard").add_batch_transform(t, title="Nightly")

    template = synth(build)
    (alarms,) = alarm_widgets(body(template)).values()
    # The failure alarm and the dead-letter alarm, by their ARNs.
    alarm_ids = set(template.find_resources("AWS::CloudWatch::Alarm"))
    assert len(alarms) == 2
    assert {a.removeprefix("<Att:").removesuffix(">") for a in alarms} == alarm_ids


def test_an_imported_pipeline_has_no_execution_graph(synth):
    def build(stack: Stack) -> None:
        r = RetrainingTrigger(
            stack, "Trigger", pipeline=SageMakerPipeline.from_pipeline_name(stack, "P", "existing")
        )
        OperationsDashboard(stack, "Dashboard").add_retraining(r)

    charts = graphs(body(synth(build)))
    assert "Pipeline executions" in charts  # from_pipeline_name returns a PipelineBase: it has metrics
    assert charts["Pipeline executions"][0][2:4] == ["PipelineName", "existing"]


# -------------------------------------------------------------------------------------------------- monitors


def test_monitor_sections_use_the_monitors_metrics_and_alarms(synth):
    counts: dict[str, int] = {}

    def build(stack: Stack) -> None:
        m = model(stack)
        e = endpoint(stack, m)
        labels = SecureBucket(stack, "Labels", description="labels")
        ground_truth = GroundTruth(labels.bucket, "labels")
        dq = DataQualityMonitor(stack, "DataQuality", source=MonitorSource.endpoint(e))
        for feature in FEATURES:
            dq.alarm_on_drift(feature)
        mq = ModelQualityMonitor(
            stack, "Quality", source=MonitorSource.endpoint(e), problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=ground_truth, probability_attribute="0", probability_threshold_attribute=0.5,
        )  # fmt: skip
        mq.alarm_on_metric("auc", threshold=0.7)
        bias = ModelBiasMonitor(
            stack, "Bias", source=MonitorSource.endpoint(e), ground_truth=ground_truth, probability_attribute="0",
            probability_threshold_attribute=0.5,
            analysis_config=BiasAnalysisConfig(
                headers=["churned", *FEATURES], label="churned", label_values_or_threshold=[1],
                facets=[Facet(name="age", values_or_threshold=[40])],
            ),
        )  # fmt: skip
        shap = ModelExplainabilityMonitor(
            stack, "Shap", source=MonitorSource.endpoint(e), probability_attribute="0", shadow_model_name="churn-v1",
            analysis_config=ExplainabilityAnalysisConfig(headers=FEATURES, shap_baseline=[[40, 24]]),
        )  # fmt: skip
        extra = cloudwatch.Alarm(
            stack, "Extra", metric=shap.metric_feature_attribution("age"), threshold=1, evaluation_periods=1
        )
        dashboard = OperationsDashboard(stack, "Dashboard")
        dashboard.add_data_quality_monitor(dq, features=FEATURES)
        dashboard.add_model_quality_monitor(mq)
        dashboard.add_model_bias_monitor(
            bias, metrics=["DPPL", "DI"], facet="age", facet_value="40", label="churned", label_value="1"
        )
        dashboard.add_model_explainability_monitor(shap, features=FEATURES, alarms=[extra])
        counts.update(dq=len(dq.alarms), mq=len(mq.alarms))

    dashboard = body(synth(build))
    assert [t.split(" ")[1] for t in titles(dashboard)] == ["Data", "Model", "Model", "Feature"]
    charts = graphs(dashboard)
    drift = charts["Baseline drift"]
    assert [m[1] for m in drift] == [f"feature_baseline_drift_{f}" for f in FEATURES]
    assert drift[0][0] == "aws/sagemaker/Endpoints/data-metrics"
    # The default model-quality metrics of a binary classifier, one graph each, from monitor.metric(...)
    for name in ("auc", "f1", "accuracy", "precision", "recall"):
        ((namespace, metric_name, *_),) = charts[name]
        assert (namespace, metric_name) == ("aws/sagemaker/Endpoints/model-metrics", name)
    bias_graph = charts["Bias of age=40 for churned=1"]
    assert [m[1] for m in bias_graph] == ["bias_metric_DPPL", "bias_metric_DI"]
    assert [m[1] for m in charts["Global SHAP values (label0)"]] == [f"feature_{f}" for f in FEATURES]
    widgets = list(alarm_widgets(dashboard).values())
    # Sections without alarms get no alarm widget; the monitors' own alarms come first, then the extra ones.
    assert [len(w) for w in widgets] == [counts["dq"], counts["mq"], 1]
    assert counts == {"dq": 2, "mq": 1}


def test_more_than_100_alarms_are_split_across_widgets(synth):
    def build(stack: Stack) -> None:
        alarms = [
            cloudwatch.Alarm(
                stack,
                f"A{i}",
                metric=cloudwatch.Metric(namespace="Test", metric_name=f"m{i}"),
                threshold=1,
                evaluation_periods=1,
            )
            for i in range(101)
        ]
        OperationsDashboard(stack, "Dashboard").add_alarms("Everything", alarms)

    widgets = [w for w in body(synth(build, nag=False))["widgets"] if w["type"] == "alarm"]
    assert [len(w["properties"]["alarms"]) for w in widgets] == [100, 1]


# ------------------------------------------------------------------------------------------------ validation


def test_dashboard_props_are_validated(stack):
    with pytest.raises(ValueError, match="Invalid props for OperationsDashboard") as excinfo:
        OperationsDashboard(stack, "Dashboard", dashboard_name="churn ops!", time_range=Duration.seconds(90))
    message = str(excinfo.value)
    assert "'dashboard_name' must be 1-255 letters, digits, '-' and '_'" in message
    assert "got 'churn ops!'" in message
    assert "'time_range' must be between 300 and 39312000 seconds, got 90" in message
    assert "'time_range' must be a whole number of minutes, got 90 seconds" in message


def test_section_props_are_validated(stack):
    m = model(stack)
    e = endpoint(stack, m)
    dq = DataQualityMonitor(stack, "DataQuality", source=MonitorSource.endpoint(e))
    mq = ModelQualityMonitor(
        stack, "Quality", source=MonitorSource.endpoint(e), problem_type=ProblemType.REGRESSION, inference_attribute="0",
        ground_truth=GroundTruth(s3.Bucket.from_bucket_name(stack, "L", "labels"), "labels"),
    )  # fmt: skip
    dashboard = OperationsDashboard(stack, "Dashboard")
    with pytest.raises(ValueError, match=re.escape("'features' must hold at least one name, got none")):
        dashboard.add_data_quality_monitor(dq, features=[])
    with pytest.raises(ValueError, match=re.escape("'features' must be a list of strings, got str 'age'")):
        dashboard.add_data_quality_monitor(dq, features="age")
    with pytest.raises(ValueError, match=re.escape("'features' must not repeat a name, got ['age', 'age']")):
        dashboard.add_data_quality_monitor(dq, features=["age", "age"])
    with pytest.raises(
        ValueError, match=r"'metrics' must be among \['mse', 'rmse', 'r2', 'mae'\], got \['auc'\]"
    ):
        dashboard.add_model_quality_monitor(mq, metrics=["auc"])
    with pytest.raises(ValueError, match=re.escape("'alarms' must hold at least one alarm, got none")):
        dashboard.add_alarms("Nothing", [])
    # A rejected call adds nothing: the monitor can still get its section, once.
    dashboard.add_data_quality_monitor(dq, features=["age"])
    with pytest.raises(ValueError, match="already has a section on this dashboard"):
        dashboard.add_data_quality_monitor(dq, features=["tenure_months"])
    dashboard.add_model_quality_monitor(mq)  # regression defaults: rmse, mae, r2
    graph_titles = [w["properties"]["title"] for w in _widgets(dashboard) if w["type"] == "metric"]
    assert graph_titles[-3:] == ["rmse", "mae", "r2"]


def test_bias_metrics_must_be_post_training_metrics(stack):
    m = model(stack)
    e = endpoint(stack, m)
    bias = ModelBiasMonitor(
        stack, "Bias", source=MonitorSource.endpoint(e), probability_attribute="0", probability_threshold_attribute=0.5,
        ground_truth=GroundTruth(s3.Bucket.from_bucket_name(stack, "L", "labels"), "labels"),
        analysis_config=BiasAnalysisConfig(
            headers=["churned", "age"], label="churned", label_values_or_threshold=[1],
            facets=[Facet(name="age", values_or_threshold=[40])],
        ),
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"'metrics' must be among \[.*'DPPL'.*\], got \['CI'\]"):
        OperationsDashboard(stack, "Dashboard").add_model_bias_monitor(
            bias, metrics=["CI"], facet="age", facet_value="40", label="churned", label_value="1"
        )


def _widgets(dashboard: OperationsDashboard) -> list[dict[str, Any]]:
    """The widgets of a dashboard that is not synthesized (its stack also holds invalid constructs' leftovers)."""
    stack = Stack.of(dashboard)
    rendered = stack.resolve(dashboard.dashboard.node.default_child.dashboard_body)  # type: ignore[union-attr]
    text = "".join(p if isinstance(p, str) else "X" for p in rendered["Fn::Join"][1])
    widgets: list[dict[str, Any]] = json.loads(text)["widgets"]
    return widgets


def test_more_than_500_widgets_fail_at_synth(stack):
    # CloudWatch takes at most 500 widgets in one dashboard body; each alarm section is a title and a widget.
    alarm = cloudwatch.Alarm.from_alarm_name(stack, "Imported", "an-alarm")
    full = OperationsDashboard(stack, "Full")
    for i in range(250):
        full.add_alarms(f"Section {i}", [alarm])
    over = OperationsDashboard(stack, "Over")
    for i in range(251):
        over.add_alarms(f"Section {i}", [alarm])
    with pytest.raises(RuntimeError, match="holds at most 500 widgets, got 502") as excinfo:
        Template.from_stack(stack)
    assert "Test/Full" not in str(excinfo.value)  # exactly 500 is fine


# ------------------------------------------------------------------------- every metric is one AWS publishes


def _template_metrics(template: Template) -> list[tuple[str, str, str]]:
    """(namespace, metric name, statistic) of every metric in the dashboard body and in every alarm."""
    found: list[tuple[str, str, str]] = []
    if template.find_resources("AWS::CloudWatch::Dashboard"):
        for lines in graphs(body(template)).values():
            for line in lines:
                if isinstance(line[0], dict):  # a math expression: its inputs are listed on their own
                    continue
                options = line[-1] if isinstance(line[-1], dict) else {}
                # Dashboard lines repeat the previous line's namespace and name as "." in compact form.
                found.append((line[0], line[1], options.get("stat", "Average")))
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if "MetricName" in props:
            found.append(
                (
                    props["Namespace"],
                    props["MetricName"],
                    props.get("Statistic") or props["ExtendedStatistic"],
                )
            )
        for query in props.get("Metrics", []):
            if "MetricStat" in query:
                stat = query["MetricStat"]
                found.append((stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Stat"]))
    return found


@pytest.mark.parametrize("kind", list(EndpointKind))
def test_every_dashboard_and_alarm_metric_is_one_aws_documents_for_the_endpoint_kind(synth, kind):
    """A metric AWS does not publish for an endpoint kind draws an empty line, and an alarm on it never fires
    (notBreaching): each one the dashboard and the alarms use must be in AWS's list for that kind, with a
    statistic AWS lists for it (async-inference-monitor, serverless-endpoints-monitoring, monitoring-cloudwatch)."""

    def build(stack: Stack) -> None:
        m = model(stack)
        if kind is EndpointKind.ASYNCHRONOUS:
            e = Endpoint(
                stack,
                "Endpoint",
                variants=[ProductionVariant("v", model=m)],
                async_inference=AsyncInference(),
                deployment=DeploymentGuardrails.all_at_once(),
                endpoint_name="queue",
            )
            scaling = e.variant("v").auto_scale(min_capacity=0, max_capacity=2)
            scaling.on_backlog_size_per_instance(5)
            scaling.scale_out_from_zero()  # its step-scaling alarm watches HasBacklogWithoutCapacity
        elif kind is EndpointKind.SERVERLESS:
            e = endpoint(stack, m, serverless=True)
        else:
            e = Endpoint(
                stack,
                "Endpoint",
                variants=[ProductionVariant("champion", model=m), ProductionVariant("challenger", model=m)],
                deployment=DeploymentGuardrails.all_at_once(),
                endpoint_name="churn",
            )
        e.add_operational_alarms()
        OperationsDashboard(stack, "Dashboard").add_endpoint(e)

    used = _template_metrics(synth(build))
    assert used
    undocumented = sorted({u for u in used if not is_documented(kind, *u)})
    assert not undocumented, f"not documented by AWS for {kind.value} endpoints: {undocumented}"


def test_the_async_dashboard_graphs_failures_not_model_errors(synth):
    def build(stack: Stack) -> None:
        e = Endpoint(
            stack,
            "Endpoint",
            variants=[ProductionVariant("v", model=model(stack))],
            async_inference=AsyncInference(),
        )
        OperationsDashboard(stack, "Dashboard").add_endpoint(e)

    errors = {m[1] for m in graphs(body(synth(build)))["Errors"]}
    assert errors == {"Invocation4XXErrors", "Invocation5XXErrors", "InvocationFailures"}


def test_the_documented_metrics_table_matches_the_metrics_aws_lists_as_missing():
    # async-inference-monitor: "Any metric not listed below is not published ... Such metrics include (but are
    # not limited to): OverheadLatency, Invocations, InvocationsPerInstance".
    for name in ("OverheadLatency", "Invocations", "InvocationsPerInstance", "InvocationModelErrors"):
        assert not is_documented(EndpointKind.ASYNCHRONOUS, "AWS/SageMaker", name)
    # monitoring-cloudwatch: ModelLatency "Valid statistics: Average, Sum, Min, Max, Sample Count".
    for kind in EndpointKind:
        assert is_documented(kind, "AWS/SageMaker", "ModelLatency", "Maximum")
        assert not is_documented(kind, "AWS/SageMaker", "ModelLatency", "p99")
    assert is_documented(EndpointKind.SERVERLESS, "AWS/SageMaker", "ModelSetupTime", "p99")
