"""The actor table: for each runtime actor the templates create, the AWS calls it makes, derived from the
synthesized resources themselves (job definitions, state machine definitions, pipeline definitions).

Every function takes the resolved ``World`` and yields ``(actor, calls)``, each call with the source that says the
actor makes it. To add an actor, write a function here and a test in ``test_rehearsal.py`` that runs it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from support.aws_calls import (
    PROCESSING_ROLE,
    Call,
    arn,
    call,
    read_objects,
    read_prefix,
    split_s3_uri,
    write_object,
)
from support.cfn_resolve import World

RUN = "2026/12/01/19"
"""The hour a rehearsed run looks at (captured data and ground truth are stored per hour)."""

CAPTURE_ENDPOINT = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html"
"""Endpoint capture lands in s3://<DestinationS3Uri>/<endpoint-name>/<variant-name>/yyyy/mm/dd/hh/<file>.jsonl."""
CAPTURE_BATCH = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-batch.html"
"""Batch capture writes manifests under DestinationS3Uri listing the S3 locations of the transform's input and
output objects; the monitoring job reads the manifests, then those objects."""
GROUND_TRUTH = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html"
"""Ground truth labels are read from <GroundTruthS3Input>/yyyy/mm/dd/hh/<file>.jsonl; a merge job joins them with
the captured predictions before the analysis."""
MERGE = "aws-facts.md 'Runtime facts found by acting as each AWS actor': merge under <monitor output>/merge/ (observed in a SageMaker-generated monitoring request)"
OUTPUTS = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-results.html"
METRICS = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-cloudwatch.html"
SFN_SAGEMAKER = "aws-cdk-lib SageMakerCreateTransformJob task policy (RUN_JOB), synthesized by the test; https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html"
SFN_SDK = "https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html (an aws-sdk task calls the API with the state machine role)"
SNS_SSE = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse"
TRANSFORM_ROLE = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createtransformjob-perms"
TRAINING_ROLE = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createtrainingjob-perms"
PIPELINES = "https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-access.html"
"""Pipelines runs each step with the pipeline's role: it creates the jobs, passes the step's role, reads a
step's property files from S3 and creates the model package of a RegisterModel step."""

MONITOR_KINDS = {
    "AWS::SageMaker::DataQualityJobDefinition": ("DataQuality", "data-metrics"),
    "AWS::SageMaker::ModelQualityJobDefinition": ("ModelQuality", "model-metrics"),
    "AWS::SageMaker::ModelBiasJobDefinition": ("ModelBias", "bias-metrics"),
    "AWS::SageMaker::ModelExplainabilityJobDefinition": ("ModelExplainability", "explainability-metrics"),
}


def _only(props: Mapping[str, Any], suffix: str) -> Any:
    found = [v for k, v in props.items() if k.endswith(suffix)]
    return found[0] if found else None


def _endpoint_capture(world: World, endpoint_name: str) -> tuple[str, str, str | None]:
    """(capture URI of the hour, variant, capture key) of the endpoint named ``endpoint_name``."""
    for stack, logical, endpoint in world.resources("AWS::SageMaker::Endpoint"):
        if world.stacks[stack].get_att(logical, "EndpointName") != endpoint_name:
            continue
        for s, lid, config in world.resources("AWS::SageMaker::EndpointConfig"):
            if world.stacks[s].get_att(lid, "EndpointConfigName") == endpoint["EndpointConfigName"]:
                capture = config["DataCaptureConfig"]
                variant = config["ProductionVariants"][0]["VariantName"]
                uri = f"{capture['DestinationS3Uri']}/{endpoint_name}/{variant}/{RUN}/"
                return uri, variant, capture.get("KmsKeyId")
    raise LookupError(f"no template defines endpoint {endpoint_name!r} with data capture")


def _transform_tasks(world: World) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(state machine role ARN, states, CreateTransformJob parameters) of each transform workflow."""
    for _stack, _logical, machine in world.resources("AWS::StepFunctions::StateMachine"):
        states = json.loads(machine["DefinitionString"])["States"]
        for state in states.values():
            if state.get("Resource", "").startswith("arn:aws:states:::sagemaker:createTransformJob"):
                yield machine["RoleArn"], states, state.get("Arguments") or state["Parameters"]


def _literal_prefix(expression: str, variable: str) -> str:
    """The literal part of a JSONata string expression before ``variable`` (``'input/' & ...``)."""
    head = expression.split(variable, 1)[0]
    return "".join(re.findall(r"'([^']*)'", head))


def _run_values(states: Mapping[str, Any]) -> tuple[str, str]:
    """(input prefix, job name) of a rehearsed scheduled run, from the PlanRun and NameJob assignments: the dated
    default prefix (the last branch of ``inputPrefix``) and a job named ``<runId>-01``. The workflow before
    named its jobs ``<prefix>-<date>-<random>`` in NameJob; that shape is still read, so the rehearsal can be run
    on older library code (as it was on b941ee5)."""
    plan = states["PlanRun"]["Assign"]
    if "runId" not in plan:
        input_prefix = _literal_prefix(plan["inputPrefix"].split(":", 1)[1], "$fromMillis") + "2026-11-30/"
        name = _literal_prefix(states["NameJob"]["Assign"]["jobName"], "$fromMillis")
        return input_prefix, name + "20261201-020000-abcd1234"
    default_prefix = plan["inputPrefix"].rsplit(": (", 1)[1]
    input_prefix = _literal_prefix(default_prefix, "$fromMillis") + "2026-11-30/"
    run_id = _literal_prefix(plan["runId"], "$substring") + "0123456789abcdef01234"
    assert "$runId & '-'" in states["NameJob"]["Assign"]["jobName"], (
        "job names are no longer <runId>-<attempt>"
    )
    return input_prefix, f"{run_id}-01"


def _transform_paths(params: Mapping[str, Any], states: Mapping[str, Any]) -> dict[str, Any]:
    input_prefix, job_name = _run_values(states)
    # The S3Prefix branch of the data source (a scheduled or manual run; arrived objects go through a manifest).
    uri = params["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    if "? (" in uri:
        source_uri = _literal_prefix(uri.split("? (", 1)[1], "$inputPrefix")
    else:  # the workflow before manifests: 's3://' & '<bucket>' & '/' & $inputPrefix
        source_uri = _literal_prefix(uri, "$inputPrefix")
    output_path = _literal_prefix(params["TransformOutput"]["S3OutputPath"], "$jobName") + job_name
    return {
        "input_uri": source_uri + input_prefix,
        "output_uri": output_path,
        "output_key": params["TransformOutput"].get("KmsKeyId"),
        "capture": params.get("DataCaptureConfig"),
        "job_name": job_name,
        "model_name": params["ModelName"],
    }


# ------------------------------------------------------------------------------------------------ monitors


def monitor_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """Each Model Monitor schedule's execution: read captured data (and, for a batch transform, the objects its
    manifests point at), ground truth, baselines, the Clarify analysis config; merge ground truth under its own
    output and read it back; write reports, logs and metrics."""
    schedules = {props["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]: props["MonitoringScheduleName"]
                 for _s, _l, props in world.resources("AWS::SageMaker::MonitoringSchedule")}  # fmt: skip
    for kind, (monitoring_type, metrics) in MONITOR_KINDS.items():
        for stack, logical, job in world.resources(kind):
            name = schedules.get(
                job.get("JobDefinitionName", world.stacks[stack].get_att(logical, "JobDefinitionName"))
            )
            actor = f"{monitoring_type} monitor {name}"
            role = job["RoleArn"]
            calls: list[Call] = []
            job_input = _only(job, "JobInput")
            outputs = _only(job, "JobOutputConfig")
            out_uri = outputs["MonitoringOutputs"][0]["S3Output"]["S3Uri"]
            out_key = outputs.get("KmsKeyId")
            namespace_scope = "Endpoints"
            if "EndpointInput" in job_input:
                endpoint = job_input["EndpointInput"]["EndpointName"]
                capture_uri, _variant, _key = _endpoint_capture(world, endpoint)
                calls += read_prefix(world, actor, role, capture_uri, ["00-00-000-capture.jsonl"],
                                     why="captured endpoint traffic", source=f"{CAPTURE_ENDPOINT}; {PROCESSING_ROLE}")  # fmt: skip
            else:
                namespace_scope = "ModelMonitoring"
                capture_uri = job_input["BatchTransformInput"]["DataCapturedDestinationS3Uri"]
                calls += read_prefix(world, actor, role, f"{capture_uri}/input/{RUN}/", ["manifest.json"],
                                     why="batch capture manifests", source=f"{CAPTURE_BATCH}; {PROCESSING_ROLE}")  # fmt: skip
                for _sm_role, states, params in _transform_tasks(world):
                    paths = _transform_paths(params, states)
                    if paths["capture"] and paths["capture"]["DestinationS3Uri"] == capture_uri:
                        calls += read_prefix(world, actor, role, paths["input_uri"], ["batch.csv"],
                                             why="transform input a manifest points at", source=CAPTURE_BATCH)  # fmt: skip
                        calls += read_prefix(world, actor, role, f"{paths['output_uri']}/", ["batch.csv.out"],
                                             why="transform output a manifest points at", source=CAPTURE_BATCH,
                                             kms_key=paths["output_key"])  # fmt: skip
            if "GroundTruthS3Input" in job_input:
                gt = job_input["GroundTruthS3Input"]["S3Uri"]
                calls += read_prefix(world, actor, role, f"{gt}/{RUN}/", ["labels.jsonl"],
                                     why="ground truth labels", source=f"{GROUND_TRUTH}; {PROCESSING_ROLE}")  # fmt: skip
                merged = f"{out_uri}/merge/{RUN}/"
                calls += write_object(world, actor, role, f"{merged}part-00000.jsonl", why="merged ground truth",
                                      source=MERGE, kms_key=out_key)  # fmt: skip
                calls += read_prefix(world, actor, role, merged, ["part-00000.jsonl"], why="its own merge",
                                     source=f"{MERGE}; {PROCESSING_ROLE}", kms_key=out_key)  # fmt: skip
            baseline = _only(job, "BaselineConfig") or {}
            for resource in ("ConstraintsResource", "StatisticsResource"):
                if resource in baseline:
                    calls += read_prefix(world, actor, role, baseline[resource]["S3Uri"], [""],
                                         why=f"baseline {resource}", source=PROCESSING_ROLE)  # fmt: skip
            app = _only(job, "AppSpecification")
            if "ConfigUri" in app:
                calls += read_prefix(world, actor, role, app["ConfigUri"], [""], why="Clarify analysis config",
                                     source=PROCESSING_ROLE)  # fmt: skip
            for source_uri in (
                app.get("RecordPreprocessorSourceUri"),
                app.get("PostAnalyticsProcessorSourceUri"),
            ):
                if source_uri:
                    calls += read_prefix(world, actor, role, source_uri, [""], why="monitor script",
                                         source=PROCESSING_ROLE)  # fmt: skip
            calls += write_object(world, actor, role, f"{out_uri}/{RUN}/constraint_violations.json",
                                  why="monitoring reports", source=f"{OUTPUTS}; {PROCESSING_ROLE}", kms_key=out_key)  # fmt: skip
            calls += _processing_logs(actor, role, "ProcessingJobs", PROCESSING_ROLE)
            if app.get("Environment", {}).get("publish_cloudwatch_metrics", "Enabled") == "Enabled":
                calls.append(call(actor, role, "cloudwatch:PutMetricData", "*", why="publish monitoring metrics",
                                  source=f"{METRICS}; {PROCESSING_ROLE}",
                                  **{"cloudwatch:namespace": f"aws/sagemaker/{namespace_scope}/{metrics}"}))  # fmt: skip
            volume_key = job["JobResources"]["ClusterConfig"].get("VolumeKmsKeyId")
            if volume_key:
                calls.append(call(actor, role, "kms:CreateGrant", volume_key, why="encrypt the ML storage volume",
                                  source=PROCESSING_ROLE, **{"kms:GrantIsForAWSResource": "true"}))  # fmt: skip
            yield actor, calls


def _processing_logs(actor: str, role: str, kind: str, source: str) -> list[Call]:
    group = arn("logs", f"log-group:/aws/sagemaker/{kind}")
    return [
        call(actor, role, "logs:CreateLogGroup", group, why="job log group", source=source),
        call(
            actor,
            role,
            "logs:CreateLogStream",
            f"{group}:log-stream:job-1/algo-1-1764615600",
            why="job log stream",
            source=source,
        ),
        call(
            actor,
            role,
            "logs:PutLogEvents",
            f"{group}:log-stream:job-1/algo-1-1764615600",
            why="job logs",
            source=source,
        ),
    ]


# ----------------------------------------------------------------------------------------- batch transform


def transform_calls(world: World, task_actions: list[str]) -> Iterator[tuple[str, list[Call]]]:
    """Each transform workflow: the state machine's own calls (input check, the ``.sync`` task, stopping a timed
    out job, failure notification), and the transform job's calls with the model's role."""
    for sm_role, states, params in _transform_tasks(world):
        paths = _transform_paths(params, states)
        actor = f"transform workflow {paths['job_name'].rsplit('-', 3)[0]}"
        calls: list[Call] = []
        bucket, input_prefix = split_s3_uri(paths["input_uri"])
        calls.append(call(actor, sm_role, "s3:ListBucket", f"arn:aws:s3:::{bucket}", why="CheckInput lists the input prefix",
                          source=SFN_SDK, **{"s3:prefix": input_prefix}))  # fmt: skip
        job = arn("sagemaker", f"transform-job/{paths['job_name']}")
        rule = arn("events", "rule/StepFunctionsGetEventsForSageMakerTransformJobsRule")
        for action in task_actions:
            resource = rule if action.startswith("events:") else job
            calls.append(
                call(actor, sm_role, action, resource, why="createTransformJob.sync", source=SFN_SAGEMAKER)
            )
        calls.append(
            call(actor, sm_role, "sagemaker:StopTransformJob", job, why="StopTimedOutJob", source=SFN_SDK)
        )
        for state in states.values():
            if state.get("Resource") == "arn:aws:states:::sns:publish":
                topic = (state.get("Arguments") or state["Parameters"])["TopicArn"]
                calls.append(call(actor, sm_role, "sns:Publish", topic, why="NotifyFailure", source=SFN_SDK))
                key = world.topic_keys.get(topic)
                if key:
                    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                        calls.append(call(actor, sm_role, action, key, why="publish to an encrypted topic", source=SNS_SSE,
                                          **{"kms:ViaService": "sns.eu-west-1.amazonaws.com"}))  # fmt: skip
        # A run of one arrived object first writes a manifest naming it (the ManifestFile branch).
        manifest_uri = None
        for state in states.values():
            if state.get("Resource") == "arn:aws:states:::aws-sdk:s3:putObject":
                args = state.get("Arguments") or state["Parameters"]
                key_prefix = _literal_prefix(args["Key"], "$runId")
                manifest_uri = (
                    f"s3://{args['Bucket']}/{key_prefix}{paths['job_name'].rsplit('-', 1)[0]}.manifest"
                )
                calls += write_object(world, actor, sm_role, manifest_uri, why="WriteManifest", source=SFN_SDK,
                                      kms_key=paths["output_key"])  # fmt: skip
        yield actor, calls

        # The transform job runs with the model's execution role.
        job_actor = f"transform job of {actor}"
        model = next(
            p for s, lid, p in world.resources("AWS::SageMaker::Model")
            if world.stacks[s].get_att(lid, "ModelName") == paths["model_name"]
        )  # fmt: skip
        role = model["ExecutionRoleArn"]
        job_calls = read_prefix(world, job_actor, role, paths["input_uri"], ["batch.csv"], why="transform input",
                                source=TRANSFORM_ROLE)  # fmt: skip
        if manifest_uri is not None:
            job_calls += read_objects(world, job_actor, role, [manifest_uri], why="the run's manifest (ManifestFile input)",
                                      source=TRANSFORM_ROLE)  # fmt: skip
        job_calls += write_object(world, job_actor, role, f"{paths['output_uri']}/batch.csv.out", why="transform output",
                                  source=TRANSFORM_ROLE, kms_key=paths["output_key"])  # fmt: skip
        capture = paths["capture"]
        if capture:
            job_calls += write_object(world, job_actor, role, f"{capture['DestinationS3Uri']}/input/{RUN}/{paths['job_name']}/manifest.json",
                                      why="batch data capture", source=f"{CAPTURE_BATCH}; {TRANSFORM_ROLE}",
                                      kms_key=capture.get("KmsKeyId"))  # fmt: skip
        containers = model.get("Containers") or [model["PrimaryContainer"]]
        for container in containers:
            if "ModelDataUrl" in container:
                job_calls += read_objects(world, job_actor, role, [container["ModelDataUrl"]], why="model artifact",
                                          source=TRANSFORM_ROLE)  # fmt: skip
        job_calls += _processing_logs(job_actor, role, "TransformJobs", TRANSFORM_ROLE)
        yield job_actor, job_calls


# ------------------------------------------------------------------------------------------------- pipeline


def _parameter_defaults(definition: Mapping[str, Any]) -> dict[str, Any]:
    return {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])}


def _value(value: Any, parameters: Mapping[str, Any], properties: Mapping[str, str]) -> Any:
    """A pipeline value: a literal, {"Get": "Parameters.X"}, {"Get": "Steps.S.P"} or {"Std:Join": ...}."""
    if isinstance(value, dict) and "Get" in value:
        path = value["Get"]
        if path.startswith("Parameters."):
            return parameters[path.split(".", 1)[1]]
        if path.startswith("Execution."):
            return "execution-0123456789ab"
        if path in properties:
            return properties[path]
        raise LookupError(f"pipeline property {path} is not modelled")
    if isinstance(value, dict) and "Std:Join" in value:
        join = value["Std:Join"]
        return join["On"].join(str(_value(v, parameters, properties)) for v in join["Values"])
    return value


def pipeline_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """Each SageMaker pipeline: the pipeline role creating each step's job, each training and processing job
    reading its S3Prefix inputs and writing its outputs, property files, and the RegisterModel step."""
    for _stack, _logical, props in world.resources("AWS::SageMaker::Pipeline"):
        definition = json.loads(props["PipelineDefinition"]["PipelineDefinitionBody"])
        pipeline_role = props["RoleArn"]
        name = props["PipelineName"]
        parameters = _parameter_defaults(definition)
        properties: dict[str, str] = {}
        for step in definition["Steps"]:
            actor = f"pipeline {name} step {step['Name']}"
            args = step["Arguments"]
            calls: list[Call] = []
            job_name = f"pipelines-0123456789ab-{step['Name']}-abcdef0123".lower()
            v = functools.partial(_value, parameters=parameters, properties=properties)
            if step["Type"] == "Training":
                role = args["RoleArn"]
                job = arn("sagemaker", f"training-job/{job_name}")
                calls += [call(actor, pipeline_role, a, job, why="start and follow the training job", source=PIPELINES)
                          for a in ("sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:AddTags")]  # fmt: skip
                calls.append(call(actor, pipeline_role, "iam:PassRole", role, why="pass the job role", source=PIPELINES,
                                  **{"iam:PassedToService": "sagemaker.amazonaws.com"}))  # fmt: skip
                for channel in args["InputDataConfig"]:
                    uri = v(channel["DataSource"]["S3DataSource"]["S3Uri"])
                    calls += read_prefix(world, f"{actor} (training job)", role, uri.rstrip("/") + "/", ["part-0.csv"],
                                         why=f"channel {channel['ChannelName']}", source=TRAINING_ROLE)  # fmt: skip
                model_uri = f"{v(args['OutputDataConfig']['S3OutputPath'])}/{job_name}/output/model.tar.gz"
                properties[f"Steps.{step['Name']}.ModelArtifacts.S3ModelArtifacts"] = model_uri
                calls += write_object(world, f"{actor} (training job)", role, model_uri, why="model artifact",
                                      source=TRAINING_ROLE, kms_key=args["OutputDataConfig"].get("KmsKeyId"))  # fmt: skip
                calls += _processing_logs(f"{actor} (training job)", role, "TrainingJobs", TRAINING_ROLE)
            elif step["Type"] == "Processing":
                role = args["RoleArn"]
                job = arn("sagemaker", f"processing-job/{job_name}")
                calls += [call(actor, pipeline_role, a, job, why="start and follow the processing job", source=PIPELINES)
                          for a in ("sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:AddTags")]  # fmt: skip
                calls.append(call(actor, pipeline_role, "iam:PassRole", role, why="pass the job role", source=PIPELINES,
                                  **{"iam:PassedToService": "sagemaker.amazonaws.com"}))  # fmt: skip
                for processing_input in args["ProcessingInputs"]:
                    s3_input = processing_input["S3Input"]
                    uri = v(s3_input["S3Uri"])
                    _bucket, key = split_s3_uri(uri)
                    is_object = "." in key.rsplit("/", 1)[-1]
                    calls += read_prefix(world, f"{actor} (processing job)", role, uri if is_object else uri.rstrip("/") + "/",
                                         [""] if is_object else ["part-0.csv"],
                                         why=f"input {processing_input['InputName']} ({s3_input['S3DataType']})",
                                         source=PROCESSING_ROLE)  # fmt: skip
                for output in args["ProcessingOutputConfig"]["Outputs"]:
                    uri = v(output["S3Output"]["S3Uri"])
                    properties[
                        f"Steps.{step['Name']}.ProcessingOutputConfig.Outputs['{output['OutputName']}'].S3Output.S3Uri"
                    ] = uri
                    calls += write_object(world, f"{actor} (processing job)", role, f"{uri}/evaluation.json",
                                          why=f"output {output['OutputName']}", source=PROCESSING_ROLE,
                                          kms_key=args["ProcessingOutputConfig"].get("KmsKeyId"))  # fmt: skip
                    for property_file in step.get("PropertyFiles", []):
                        if property_file["OutputName"] == output["OutputName"]:
                            calls += read_objects(world, actor, pipeline_role, [f"{uri}/{property_file['FilePath']}"],
                                                  why="the step's property file", source=PIPELINES)  # fmt: skip
                calls += _processing_logs(
                    f"{actor} (processing job)", role, "ProcessingJobs", PROCESSING_ROLE
                )
            elif step["Type"] == "RegisterModel":
                group = args["ModelPackageGroupName"]
                calls.append(call(actor, pipeline_role, "sagemaker:CreateModelPackage",
                                  arn("sagemaker", f"model-package/{group}/1"), why="register the model version",
                                  source=PIPELINES))  # fmt: skip
            yield actor, calls


# ---------------------------------------------------------------------------------------------- hosting

GUARDRAILS = "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html"
MODEL_ROLE = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms"
)
"""CreateModel execution role: s3:GetObject on the model artifacts (kms:Decrypt on their key), ECR pulls from
your own registry, logs:CreateLogStream/PutLogEvents under /aws/sagemaker/Endpoints/."""


def hosting_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """Each endpoint variant's model role: load the model artifact, write captured traffic, write logs."""
    configs = {world.stacks[s].get_att(lid, "EndpointConfigName"): c
               for s, lid, c in world.resources("AWS::SageMaker::EndpointConfig")}  # fmt: skip
    models = {
        world.stacks[s].get_att(lid, "ModelName"): m for s, lid, m in world.resources("AWS::SageMaker::Model")
    }
    for stack, logical, endpoint in world.resources("AWS::SageMaker::Endpoint"):
        name = world.stacks[stack].get_att(logical, "EndpointName")
        config = configs[endpoint["EndpointConfigName"]]
        capture = config.get("DataCaptureConfig")
        for variant in config["ProductionVariants"]:
            model = models[variant["ModelName"]]
            role = model["ExecutionRoleArn"]
            actor = f"endpoint {name} variant {variant['VariantName']} (model role)"
            calls: list[Call] = []
            for container in model.get("Containers") or [model["PrimaryContainer"]]:
                if "ModelDataUrl" in container:
                    calls += read_objects(world, actor, role, [container["ModelDataUrl"]], why="model artifact",
                                          source=MODEL_ROLE)  # fmt: skip
            if capture and capture.get("EnableCapture", True):
                uri = f"{capture['DestinationS3Uri']}/{name}/{variant['VariantName']}/{RUN}/00-00-000-capture.jsonl"
                calls += write_object(world, actor, role, uri, why="captured traffic",
                                      source=f"{CAPTURE_ENDPOINT}; {MODEL_ROLE}", kms_key=capture.get("KmsKeyId"))  # fmt: skip
            group = arn("logs", f"log-group:/aws/sagemaker/Endpoints/{name}")
            stream = f"{group}:log-stream:{variant['VariantName']}/i-0123456789abcdef0"
            calls += [call(actor, role, a, stream, why="container logs", source=MODEL_ROLE)
                      for a in ("logs:CreateLogStream", "logs:PutLogEvents")]  # fmt: skip
            # A guarded deployment watches its rollback alarms; AWS: "Ensure that your IAM execution role has
            # permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms".
            rollback = (endpoint.get("DeploymentConfig") or {}).get("AutoRollbackConfiguration") or {}
            for alarm in rollback.get("Alarms", []):
                calls.append(call(actor, role, "cloudwatch:DescribeAlarms", arn("cloudwatch", f"alarm:{alarm['AlarmName']}"),
                                  why="deployment guardrails read the rollback alarm", source=GUARDRAILS))  # fmt: skip
            yield actor, calls


# ------------------------------------------------------------------------------------------ event delivery

EVENTBRIDGE_TARGETS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html"
"""EventBridge delivers to SNS, SQS and Lambda targets as events.amazonaws.com (the target's resource policy must
allow it, with aws:SourceArn of the rule), and to other targets (Step Functions) with the target's role."""
EVENTBRIDGE_DLQ = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html"
SCHEDULER_ROLE = (
    "https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role"
)
SCHEDULER_DLQ = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html"
ALARM_SNS_KMS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#Encrypted_SNS_Topic"
EVENTS = "service:events.amazonaws.com"


def _service_keys(source_arn: str) -> dict[str, str]:
    return {"aws:SourceArn": source_arn, "aws:SourceAccount": source_arn.split(":")[4]}


def _deliver(
    world: World, actor: str, principal: str, target: str, *, why: str, source: str, keys: dict[str, str]
) -> list[Call]:
    service = target.split(":")[2]
    calls: list[Call] = []
    if service == "sns":
        calls.append(call(actor, principal, "sns:Publish", target, why=why, source=source, **keys))
        key = world.topic_keys.get(target)
        if key:
            calls += [call(actor, principal, a, key, why=f"{why} (encrypted topic)", source=SNS_SSE, **keys)
                      for a in ("kms:GenerateDataKey", "kms:Decrypt")]  # fmt: skip
    elif service == "sqs":
        calls.append(call(actor, principal, "sqs:SendMessage", target, why=why, source=source, **keys))
        key = world.queue_keys.get(target)
        if key:
            calls += [call(actor, principal, a, key, why=f"{why} (encrypted queue)", source=source, **keys)
                      for a in ("kms:GenerateDataKey", "kms:Decrypt")]  # fmt: skip
    elif service == "lambda":
        calls.append(call(actor, principal, "lambda:InvokeFunction", target, why=why, source=source, **keys))
    elif service == "states":
        calls.append(call(actor, principal, "states:StartExecution", target, why=why, source=source, **keys))
    else:
        raise AssertionError(f"{actor}: no call list for a {service} target: add one")
    return calls


def delivery_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """EventBridge rules, EventBridge Scheduler schedules and CloudWatch alarm actions delivering to their
    targets (and dead-letter queues)."""
    for stack, logical, rule in world.resources("AWS::Events::Rule"):
        rule_arn = world.stacks[stack].get_att(logical, "Arn")
        actor = f"EventBridge rule {logical}"
        calls: list[Call] = []
        for target in rule.get("Targets", []):
            principal = target.get("RoleArn", EVENTS)
            keys = _service_keys(rule_arn) if principal == EVENTS else {}
            calls += _deliver(world, actor, principal, target["Arn"], why="deliver the event",
                              source=EVENTBRIDGE_TARGETS, keys=keys)  # fmt: skip
            dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
            if dead_letter:
                calls += _deliver(world, actor, EVENTS, dead_letter, why="park an undeliverable event",
                                  source=EVENTBRIDGE_DLQ, keys=_service_keys(rule_arn))  # fmt: skip
        yield actor, calls
    for _stack, logical, schedule in world.resources("AWS::Scheduler::Schedule"):
        target = schedule["Target"]
        actor = f"EventBridge Scheduler schedule {logical}"
        calls = _deliver(world, actor, target["RoleArn"], target["Arn"], why="start the target",
                         source=SCHEDULER_ROLE, keys={})  # fmt: skip
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        if dead_letter:
            calls += _deliver(world, actor, target["RoleArn"], dead_letter, why="park a failed start",
                              source=SCHEDULER_DLQ, keys={})  # fmt: skip
        yield actor, calls
    for stack, logical, alarm in world.resources("AWS::CloudWatch::Alarm"):
        alarm_arn = world.stacks[stack].get_att(logical, "Arn")
        calls = []
        for action in [*alarm.get("AlarmActions", []), *alarm.get("OKActions", [])]:
            key = world.topic_keys.get(action) if action.startswith("arn:aws:sns:") else None
            if key:
                # Only the key policy is documented for alarm actions on encrypted topics.
                calls += [call(f"CloudWatch alarm {logical}", "service:cloudwatch.amazonaws.com", a, key,
                               why="notify an encrypted topic", source=ALARM_SNS_KMS, **_service_keys(alarm_arn))
                          for a in ("kms:GenerateDataKey", "kms:Decrypt")]  # fmt: skip
        if calls:
            yield f"CloudWatch alarm {logical}", calls


ActorFn = Callable[[World], Iterator[tuple[str, list[Call]]]]


# ------------------------------------------------------------------------------- Clarify's shadow endpoint

CLARIFY_ANALYSIS = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html"
)
"""A predictor given as ``model_name`` (with instance type and count) makes Clarify create a temporary ("shadow")
endpoint from that model, named with ``endpoint_name_prefix``, send it the SHAP requests, and delete it."""
SAGEMAKER_ACTIONS = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html"
)
"""Resource types of each action: CreateEndpointConfig needs endpoint-config and (per model) model; CreateEndpoint
needs endpoint and endpoint-config."""


def clarify_shadow_calls(world: World, outdir: Path) -> Iterator[tuple[str, list[Call]]]:
    """Each explainability monitor's Clarify job: create an endpoint config and endpoint from the named model,
    wait for it, invoke it with the SHAP samples, delete both. The model and prefix come from the rendered
    ``analysis_config.json`` asset itself."""
    for _stack, _logical, job in world.resources("AWS::SageMaker::ModelExplainabilityJobDefinition"):
        role = job["RoleArn"]
        config_uri = job["ModelExplainabilityAppSpecification"]["ConfigUri"]
        asset = outdir / f"asset.{config_uri.rsplit('/', 1)[1]}"
        predictor = json.loads(asset.read_text())["predictor"]
        assert "endpoint_name" not in predictor, (
            "Clarify must not send SHAP traffic to the production endpoint"
        )
        name = f"{predictor['endpoint_name_prefix']}-1764615600-abcd"
        actor = f"Clarify shadow endpoint of {job['RoleArn'].rsplit('/', 1)[1]}"
        endpoint, endpoint_config = (
            arn("sagemaker", f"endpoint/{name}"),
            arn("sagemaker", f"endpoint-config/{name}"),
        )
        model = arn("sagemaker", f"model/{predictor['model_name']}")
        source = f"{CLARIFY_ANALYSIS}; {SAGEMAKER_ACTIONS}"
        calls = [
            call(actor, role, "sagemaker:DescribeModel", model, why="look up the model", source=source),
            call(
                actor,
                role,
                "sagemaker:CreateEndpointConfig",
                endpoint_config,
                why="shadow config",
                source=source,
            ),
            call(
                actor,
                role,
                "sagemaker:CreateEndpointConfig",
                model,
                why="shadow config's model",
                source=source,
            ),
            call(actor, role, "sagemaker:CreateEndpoint", endpoint, why="shadow endpoint", source=source),
            call(
                actor,
                role,
                "sagemaker:CreateEndpoint",
                endpoint_config,
                why="shadow endpoint's config",
                source=source,
            ),
            call(
                actor, role, "sagemaker:DescribeEndpoint", endpoint, why="wait for InService", source=source
            ),
            call(actor, role, "sagemaker:InvokeEndpoint", endpoint, why="SHAP samples", source=source),
            call(actor, role, "sagemaker:DeleteEndpoint", endpoint, why="clean up", source=source),
            call(
                actor, role, "sagemaker:DeleteEndpointConfig", endpoint_config, why="clean up", source=source
            ),
        ]
        yield actor, calls


# ------------------------------------------------------------------------- the scaling pause (AwsCustomResource)

AAS_SAGEMAKER = (
    "https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html"
)
"""Registering a SageMaker variant as a scalable target: the caller needs application-autoscaling's action and
the SageMaker permissions Application Auto Scaling uses on its behalf (DescribeEndpoint, DescribeEndpointConfig,
UpdateEndpointWeightsAndCapacities)."""
CDK_CUSTOM_RESOURCE = (
    "aws-cdk-lib custom_resources.AwsCustomResource: its function calls <service>.<action> with its own role"
)


def custom_resource_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """Each ``Custom::AWS`` resource (the endpoint's scaling pause and resume around instance type changes): the
    SDK call it makes on create and update, with the role of the function behind its service token."""
    roles = {
        world.stacks[s].get_att(lid, "Arn"): props["Role"]
        for s, lid, props in world.resources("AWS::Lambda::Function")
    }
    for _stack, logical, props in world.resources("Custom::AWS"):
        role = roles[props["ServiceToken"]]
        actor = f"custom resource {logical}"
        calls: list[Call] = []
        for phase in ("Create", "Update"):
            if phase not in props:
                continue
            sdk = json.loads(props[phase])
            assert sdk["service"] == "ApplicationAutoScaling", f"{actor}: rehearse {sdk['service']} too"
            calls.append(call(actor, role, f"application-autoscaling:{sdk['action']}", "*", why=phase.lower(),
                              source=CDK_CUSTOM_RESOURCE))  # fmt: skip
            if sdk["action"] == "RegisterScalableTarget":
                endpoint_name = sdk["parameters"]["ResourceId"].split("/")[1].lower()
                endpoint = arn("sagemaker", f"endpoint/{endpoint_name}")
                calls += [
                    call(
                        actor,
                        role,
                        "sagemaker:DescribeEndpoint",
                        endpoint,
                        why="register",
                        source=AAS_SAGEMAKER,
                    ),
                    call(
                        actor,
                        role,
                        "sagemaker:DescribeEndpointConfig",
                        arn("sagemaker", "endpoint-config/x-1"),
                        why="register",
                        source=AAS_SAGEMAKER,
                    ),
                    call(
                        actor,
                        role,
                        "sagemaker:UpdateEndpointWeightsAndCapacities",
                        endpoint,
                        why="register",
                        source=AAS_SAGEMAKER,
                    ),
                ]
        yield actor, calls


# ------------------------------------------------------------------------------------ asynchronous inference

ASYNC_PREREQUISITES = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-create-endpoint-prerequisites.html"
)
"""The execution role writes responses and failures to S3 (s3:PutObject, s3:AbortMultipartUpload) and publishes
to the success and error topics."""
S3_MULTIPART_KMS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions"
"""A multipart upload with SSE-KMS needs kms:GenerateDataKey and kms:Decrypt (the parts are decrypted to be
assembled)."""


def async_calls(world: World) -> Iterator[tuple[str, list[Call]]]:
    """Each asynchronous endpoint variant's model role: upload a large response in parts (and abort a failed
    upload) under the output and failure paths with their key, and publish the notifications."""
    models = {
        world.stacks[s].get_att(lid, "ModelName"): m for s, lid, m in world.resources("AWS::SageMaker::Model")
    }
    for _stack, _logical, config in world.resources("AWS::SageMaker::EndpointConfig"):
        settings = config.get("AsyncInferenceConfig")
        if not settings:
            continue
        output = settings["OutputConfig"]
        key = output.get("KmsKeyId")
        for variant in config["ProductionVariants"]:
            role = models[variant["ModelName"]]["ExecutionRoleArn"]
            actor = f"async variant {variant['VariantName']} (model role)"
            calls: list[Call] = []
            for path in (output["S3OutputPath"], output.get("S3FailurePath")):
                if not path:
                    continue
                uri = f"{path.rstrip('/')}/0123-abcd.out"
                calls += write_object(world, actor, role, uri, why="a response, in parts", source=ASYNC_PREREQUISITES,
                                      kms_key=key)  # fmt: skip
                bucket, object_key = split_s3_uri(uri)
                calls.append(call(actor, role, "s3:AbortMultipartUpload", f"arn:aws:s3:::{bucket}/{object_key}",
                                  why="abort a failed upload", source=ASYNC_PREREQUISITES))  # fmt: skip
                kms_key = key or world.bucket_keys.get(bucket)
                if kms_key:
                    calls.append(call(actor, role, "kms:Decrypt", kms_key, why="assemble the uploaded parts",
                                      source=S3_MULTIPART_KMS, **{"kms:ViaService": "s3.eu-west-1.amazonaws.com"}))  # fmt: skip
            for topic in (output.get("NotificationConfig") or {}).values():
                if isinstance(topic, str) and topic.startswith("arn:"):
                    calls.append(
                        call(actor, role, "sns:Publish", topic, why="notify", source=ASYNC_PREREQUISITES)
                    )
            yield actor, calls
