"""The actors of the open monitoring backend (MonitorBackend.processing()), derived from the synthesized state
machine definitions: the state machine's role makes one set of calls per Task ``Resource`` of its definition
(an unknown Resource fails the rehearsal, so a new integration cannot go unrehearsed), each processing job's
role reads every input the definition passes it and writes its output, and the shared planner lists and reads
the capture and ground truth and writes the run's manifests and ``monitor.json``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from actors import (
    CAPTURE_BATCH,
    CAPTURE_ENDPOINT,
    CLARIFY_ANALYSIS,
    GROUND_TRUTH,
    RUN,
    SAGEMAKER_ACTIONS,
    SFN_SDK,
    SNS_SSE,
    _transform_paths,
    _transform_tasks,
)
from actors import _processing_logs as processing_logs
from support.aws_calls import PROCESSING_ROLE, Call, arn, call, read_objects, read_prefix, write_object
from support.cfn_resolve import World

from sagemaker_constructs.monitoring._open_job_states import DESCRIBE_PROCESSING, PROCESSING_SYNC
from sagemaker_constructs.monitoring._open_workflow import (
    LAMBDA_INVOKE,
    PUT_EVENTS,
    PUT_METRIC_DATA,
    S3_COPY_OBJECT,
    S3_GET_OBJECT,
    S3_PUT_OBJECT,
    SNS_PUBLISH,
)

SFN_PROCESSING = (
    "https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html (CreateProcessingJob, .sync: "
    "sagemaker:CreateProcessingJob, DescribeProcessingJob, StopProcessingJob, AddTags, ListTags, events:PutTargets, "
    "PutRule, DescribeRule on StepFunctionsGetEventsForSageMakerProcessingJobsRule, iam:PassRole); aws-cdk-lib has "
    "no processing-job task to compare with"
)
SFN_LAMBDA = (
    "https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html (lambda:InvokeFunction)"
)
SFN_EVENTS = (
    "https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html (events:PutEvents)"
)
SFN_SNS = "https://docs.aws.amazon.com/step-functions/latest/dg/connect-sns.html (sns:Publish)"
METRICS_NAMESPACE = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html"
)
PLANNER = (
    "design14 §3: the planner lists the window's capture and ground truth, writes manifests and monitor.json"
)
MANIFEST = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3DataSource.html (ManifestFile)"
HASH = "0123456789abcdef"


def _states(definition: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every state, with the states of Map item processors."""
    for name, state in definition["States"].items():
        yield name, state
        if state["Type"] == "Map":
            yield from _states(state["ItemProcessor"])


def open_workflows(world: World) -> Iterator[tuple[str, dict[str, Any]]]:
    """(state machine role ARN, definition) of each open monitoring workflow."""
    for _stack, _logical, machine in world.resources("AWS::StepFunctions::StateMachine"):
        definition = json.loads(machine["DefinitionString"])
        if any(s.get("Resource") == PROCESSING_SYNC for _n, s in _states(definition)):
            yield machine["RoleArn"], definition


def _run(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The rehearsed run's values: the monitor's static config, its report URI, job base and static inputs."""
    states = definition["States"]
    monitor = states["Plan"]["Arguments"]["Payload"]["monitor"]
    output = monitor["output"]
    report = f"s3://{output['bucket']}/{output['prefix']}/{RUN}/"
    base = re.findall(r"'([^']*)'", states["NameJobs"]["Assign"]["jobBase"])[0]
    init = states["Init"]["Assign"]
    return {
        "monitor": monitor,
        "report": report,
        "key": output.get("kmsKeyArn"),
        "job_base": f"{base}{HASH}",
        "static": list(init.get("codeInputs", [])),
        "clarify": json.loads(init["clarifyConfig"]) if "clarifyConfig" in init else None,
    }


def _uri(value: str, report: str) -> str:
    """A JSONata S3 URI of the definition (``$plan.reportUri & 'x/'``) for the rehearsed run."""
    if not value.startswith("{%"):
        return value
    return report + "".join(re.findall(r"'([^']*)'", value))


def state_machine_calls(world: World, role: str, definition: Mapping[str, Any]) -> list[Call]:
    run = _run(definition)
    actor = f"open monitoring workflow {run['monitor']['monitoringScheduleName']}"
    calls: list[Call] = []
    summary = f"{run['report']}summary.json"
    for name, state in _states(definition):
        resource = state.get("Resource")
        if resource is None:
            continue
        args = state.get("Arguments", {})
        if resource == LAMBDA_INVOKE:
            calls.append(
                call(actor, role, "lambda:InvokeFunction", args["FunctionName"], why=name, source=SFN_LAMBDA)
            )
        elif resource in (PROCESSING_SYNC, DESCRIBE_PROCESSING):
            letter = re.findall(r"'-(\w)'", args["ProcessingJobName"])[0]
            job = arn("sagemaker", f"processing-job/{run['job_base'].lower()}-{letter}")
            actions = ["DescribeProcessingJob"]
            if resource == PROCESSING_SYNC:
                actions = [
                    "CreateProcessingJob",
                    "DescribeProcessingJob",
                    "StopProcessingJob",
                    "AddTags",
                    "ListTags",
                ]
                rule = arn("events", "rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule")
                for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
                    calls.append(
                        call(actor, role, action, rule, why=f"{name} (.sync)", source=SFN_PROCESSING)
                    )
                calls.append(call(actor, role, "iam:PassRole", args["RoleArn"], why=f"{name} passes the job role",
                                  source=SFN_PROCESSING, **{"iam:PassedToService": "sagemaker.amazonaws.com"}))  # fmt: skip
                volume_key = args["ProcessingResources"]["ClusterConfig"].get("VolumeKmsKeyId")
                if volume_key:
                    calls.append(call(actor, role, "kms:CreateGrant", volume_key, why=f"{name} volume key",
                                      source=SFN_PROCESSING, **{"kms:GrantIsForAWSResource": "true"}))  # fmt: skip
            for action in actions:
                calls.append(call(actor, role, f"sagemaker:{action}", job, why=name, source=SFN_PROCESSING))
        elif resource == S3_GET_OBJECT:
            calls += read_objects(world, actor, role, [summary], why=name, source=SFN_SDK, kms_key=run["key"])
        elif resource == S3_PUT_OBJECT:
            key = "clarify-config/analysis_config.json" if "clarify" in args["Key"] else "summary.json"
            calls += write_object(world, actor, role, f"{run['report']}{key}", why=name, source=SFN_SDK,
                                  kms_key=args.get("SSEKMSKeyId"))  # fmt: skip
        elif resource == S3_COPY_OBJECT:
            source_bucket, _, source_key = args["CopySource"].partition("/")
            calls += read_objects(world, actor, role, [f"s3://{source_bucket}/{source_key}"], why=name,
                                  source=SFN_SDK) if source_bucket in world.bucket_keys else [
                call(actor, role, "s3:GetObject", f"arn:aws:s3:::{source_bucket}/{source_key}", why=name,
                     source=SFN_SDK)]  # fmt: skip
            file_name = re.findall(r"'/baseline/([^']*)'", args["Key"])[0]
            calls += write_object(world, actor, role, f"{run['report']}baseline/{file_name}", why=name,
                                  source=SFN_SDK, kms_key=args.get("SSEKMSKeyId"))  # fmt: skip
        elif resource == PUT_METRIC_DATA:
            calls.append(call(actor, role, "cloudwatch:PutMetricData", "*", why=name, source=METRICS_NAMESPACE,
                              **{"cloudwatch:namespace": args["Namespace"]}))  # fmt: skip
        elif resource == PUT_EVENTS:
            bus = arn("events", f"event-bus/{args['Entries'][0]['EventBusName']}")
            calls.append(call(actor, role, "events:PutEvents", bus, why=name, source=SFN_EVENTS))
        elif resource == SNS_PUBLISH:
            topic = args["TopicArn"]
            calls.append(call(actor, role, "sns:Publish", topic, why=name, source=SFN_SNS))
            key = world.topic_keys.get(topic)
            if key:
                calls += [call(actor, role, a, key, why=f"{name} (encrypted topic)", source=SNS_SSE,
                               **{"kms:ViaService": "sns.eu-west-1.amazonaws.com"})
                          for a in ("kms:GenerateDataKey", "kms:Decrypt")]  # fmt: skip
        else:
            raise AssertionError(
                f"{actor}: state {name} calls {resource}, which the rehearsal has no call list for"
            )
    return calls


def _data_objects(world: World, monitor: Mapping[str, Any]) -> list[str]:
    """What the data manifest of a run lists: captured endpoint files, or the transform objects batch capture
    points at."""
    if "capture" in monitor:
        capture = monitor["capture"]
        return [
            f"s3://{capture['bucket']}/{capture['prefix']}/{monitor['endpointName']}/v/{RUN}/00-00-000-capture.jsonl"
        ]
    batch = monitor["batchCapture"]
    objects = []
    for _role, states, params in _transform_tasks(world):
        paths = _transform_paths(params, states)
        if (
            paths["capture"]
            and paths["capture"]["DestinationS3Uri"] == f"s3://{batch['bucket']}/{batch['prefix']}"
        ):
            objects += [f"{paths['input_uri']}batch.csv", f"{paths['output_uri']}/batch.csv.out"]
    assert objects, "the batch transform of a batch monitor has no workflow in the templates"
    return objects


def job_calls(world: World, definition: Mapping[str, Any]) -> Iterator[tuple[str, list[Call]]]:
    """Each processing job of the workflow, with the role its request names."""
    run = _run(definition)
    monitor = run["monitor"]
    report = run["report"]
    for name, state in _states(definition):
        if state.get("Resource") != PROCESSING_SYNC:
            continue
        args = state["Arguments"]
        role = args["RoleArn"]
        actor = f"{name} job of {monitor['monitoringScheduleName']}"
        calls: list[Call] = []
        inputs = args["ProcessingInputs"]
        if isinstance(inputs, str):  # the planner's inputs and the static ones, joined by JSONata
            if "$plan.processingInputs" in inputs:
                calls += read_prefix(world, actor, role, f"{report}config/", ["monitor.json"], why="monitor.json",
                                     source=f"{PLANNER}; {PROCESSING_ROLE}")  # fmt: skip
            if "$plan.processingInputs," in inputs:  # all of them: the data and ground truth manifests
                calls += read_objects(world, actor, role, [f"{report}manifests/data.manifest"], why="data manifest",
                                      source=f"{MANIFEST}; {PROCESSING_ROLE}")  # fmt: skip
                calls += read_objects(world, actor, role, _data_objects(world, monitor), why="captured data",
                                      source=f"{CAPTURE_ENDPOINT}; {CAPTURE_BATCH}; {MANIFEST}")  # fmt: skip
                if monitor.get("groundTruth"):
                    gt = monitor["groundTruth"]
                    calls += read_objects(world, actor, role, [f"{report}manifests/ground_truth.manifest",
                                          f"s3://{gt['bucket']}/{gt['prefix']}/{RUN}/labels.jsonl"],
                                          why="ground truth", source=f"{GROUND_TRUTH}; {MANIFEST}")  # fmt: skip
            static = [i for i in run["static"] if "$codeInputs" in inputs]
            if "'InputName': 'data'" in inputs:  # the compare step's data: the extracted dataset
                calls += read_prefix(world, actor, role, f"{report}extract/clarify_dataset.csv", [""],
                                     why="the extracted dataset", source=PROCESSING_ROLE)  # fmt: skip
            for extra in ("partials", "clarify", "baseline"):
                if f"'InputName': '{extra}'" in inputs:
                    calls += read_prefix(world, actor, role, f"{report}{extra}/", ["part.json"], why=extra,
                                         source=PROCESSING_ROLE)  # fmt: skip
        else:
            static = inputs
        for item in static:
            uri = _uri(item["S3Input"]["S3Uri"], report)
            calls += read_prefix(world, actor, role, uri, [""] if not uri.endswith("/") else ["x.csv"],
                                 why=f"input {item['InputName']}", source=PROCESSING_ROLE)  # fmt: skip
        output = args["ProcessingOutputConfig"]
        out_uri = _uri(output["Outputs"][0]["S3Output"]["S3Uri"], report)
        calls += write_object(world, actor, role, f"{out_uri}summary.json", why="reports", source=PROCESSING_ROLE,
                              kms_key=output.get("KmsKeyId"))  # fmt: skip
        calls += processing_logs(actor, role, "ProcessingJobs", PROCESSING_ROLE)
        volume_key = args["ProcessingResources"]["ClusterConfig"].get("VolumeKmsKeyId")
        if volume_key:
            calls.append(call(actor, role, "kms:CreateGrant", volume_key, why="encrypt the ML storage volume",
                              source=PROCESSING_ROLE, **{"kms:GrantIsForAWSResource": "true"}))  # fmt: skip
        if name == "RunClarify" and run["clarify"] is not None:
            calls += _shadow_endpoint(actor, role, run["clarify"]["predictor"])
        yield actor, calls


def _shadow_endpoint(actor: str, role: str, predictor: Mapping[str, Any]) -> list[Call]:
    """Clarify's temporary endpoint of ``predictor.model_name`` (actors.clarify_shadow_calls' list)."""
    assert "endpoint_name" not in predictor, "Clarify must not send SHAP traffic to the production endpoint"
    name = f"{predictor['endpoint_name_prefix']}-1764615600-abcd"
    endpoint, config = arn("sagemaker", f"endpoint/{name}"), arn("sagemaker", f"endpoint-config/{name}")
    model = arn("sagemaker", f"model/{predictor['model_name']}")
    source = f"{CLARIFY_ANALYSIS}; {SAGEMAKER_ACTIONS}"
    wanted = [
        ("sagemaker:DescribeModel", model), ("sagemaker:CreateEndpointConfig", config),
        ("sagemaker:CreateEndpointConfig", model), ("sagemaker:CreateEndpoint", endpoint),
        ("sagemaker:CreateEndpoint", config), ("sagemaker:DescribeEndpoint", endpoint),
        ("sagemaker:InvokeEndpoint", endpoint), ("sagemaker:DeleteEndpoint", endpoint),
        ("sagemaker:DeleteEndpointConfig", config),
    ]  # fmt: skip
    return [
        call(actor, role, action, resource, why="Clarify shadow endpoint", source=source)
        for action, resource in wanted
    ]


def planner_calls(world: World, definition: Mapping[str, Any]) -> list[Call]:
    """The planner's calls for one monitor's run, with the role of the function the workflow invokes."""
    run = _run(definition)
    monitor = run["monitor"]
    function = definition["States"]["Plan"]["Arguments"]["FunctionName"]
    [role] = [props["Role"] for stack, logical, props in world.resources("AWS::Lambda::Function")
              if world.stacks[stack].get_att(logical, "Arn") == function]  # fmt: skip
    actor = f"planner of {monitor['monitoringScheduleName']}"
    calls: list[Call] = []
    if "capture" in monitor:
        capture = monitor["capture"]
        calls += read_prefix(world, actor, role, f"s3://{capture['bucket']}/{capture['prefix']}/{monitor['endpointName']}/",
                             ["v/2026/12/01/19/00-00-000-capture.jsonl"], why="captured files of the window",
                             source=f"{PLANNER}; {CAPTURE_ENDPOINT}")  # fmt: skip
    else:
        batch = monitor["batchCapture"]
        calls += read_prefix(world, actor, role, f"s3://{batch['bucket']}/{batch['prefix']}/input/{RUN}/", ["manifest.json"],
                             why="batch capture manifests", source=f"{PLANNER}; {CAPTURE_BATCH}")  # fmt: skip
    if monitor.get("groundTruth"):
        gt = monitor["groundTruth"]
        calls += read_prefix(world, actor, role, f"s3://{gt['bucket']}/{gt['prefix']}/{RUN}/", ["labels.jsonl"],
                             why="ground truth of the window", source=f"{PLANNER}; {GROUND_TRUTH}")  # fmt: skip
    for key in ("config/monitor.json", "manifests/data.manifest"):
        calls += write_object(
            world, actor, role, f"{run['report']}{key}", why=key, source=PLANNER, kms_key=run["key"]
        )
    return calls


def open_monitor_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """Every actor of every open monitoring workflow in ``world``."""
    for role, definition in open_workflows(world):
        name = definition["States"]["Plan"]["Arguments"]["Payload"]["monitor"]["monitoringScheduleName"]
        yield f"workflow {name}", state_machine_calls(world, role, definition)
        yield from job_calls(world, definition)
        yield f"planner of {name}", planner_calls(world, definition)
