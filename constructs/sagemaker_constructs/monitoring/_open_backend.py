"""The open monitoring backend of one monitor (design14 §3-§4): the script's code asset, the shared planner, the
Step Functions workflow of processing jobs, the EventBridge Scheduler schedule that starts it, and the grants.

The script runs in SageMaker's scikit-learn framework container (``sklearn`` in the image registry). The SDK's
``SKLearnProcessor`` retrieves that container's ``training`` scope; the registry records it under
``inference`` because both scopes name the same image (``scripts/generate_image_registry.py``).

The code reaches the container as one zip file (a processing input downloads objects, it unpacks nothing):
``/opt/ml/processing/input/code/open_monitor/<key>.zip``, holding ``open_monitor/``; ``PYTHONPATH`` names the zip
and Python imports the package from it (zipimport), so ``python3 -m open_monitor <mode>`` runs it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Fn, Stack, TimeZone, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_constructs._internal import dead_letter as _dead_letter
from sagemaker_constructs._internal import image_registry as _images
from sagemaker_constructs._internal.dependencies import depend_on_role_policy_only
from sagemaker_constructs._internal.s3_access import grant_read_prefix
from sagemaker_constructs._internal.validation import ValidationError

from ._open_grants import grant_planner, grant_state_machine
from ._open_job_states import JobStep
from ._open_monitor import OpenMonitor
from ._open_planner import planner_of
from ._open_workflow import EVENT_DETAIL_TYPE, EVENT_SOURCE, OpenWorkflowSpec, definition
from .monitoring_options import GroundTruth

SCRIPT_PACKAGE = "sagemaker_constructs._monitor_script"
CODE_DIR = "/opt/ml/processing/input/code"
CODE_LOCAL_PATH = f"{CODE_DIR}/open_monitor"
BASELINE_DIR = "/opt/ml/processing/input/baseline"
PARTIALS_LOCAL_PATH = "/opt/ml/processing/input/partials"
CLARIFY_RESULT_LOCAL_PATH = "/opt/ml/processing/input/clarify"
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
DATA_LOCAL_PATH = "/opt/ml/processing/input/data"
EXTRACTED_DATASET = "'extract/clarify_dataset.csv'"
"""The extract step's dataset (the script's ``attribution.DATASET_FILE`` under the extract output), a JSONata
literal."""
# The Clarify job's channels: inputs "analysis_config" (analysis_config.json) and "dataset" (FullyReplicated), no
# ContainerEntrypoint ("Configure a SageMaker Clarify Processing Job",
# https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-parameters.html); the paths are
# SageMakerClarifyProcessor's (sagemaker-python-sdk src/sagemaker/clarify.py: _CLARIFY_DATA_INPUT,
# _CLARIFY_CONFIG_INPUT, _CLARIFY_OUTPUT, output "analysis_result").
CLARIFY_DATA_LOCAL_PATH = "/opt/ml/processing/input/data"
CLARIFY_CONFIG_LOCAL_PATH = "/opt/ml/processing/input/config"
JOB_TIMEOUT_MARGIN_SECONDS = 1800
"""How much longer than the job's own MaxRuntimeInSeconds a job step may take (start-up, upload)."""
OPEN_ENDPOINT_NAMESPACE = "SageMakerConstructs/Endpoints/{kind}-metrics"
OPEN_BATCH_NAMESPACE = "SageMakerConstructs/ModelMonitoring/{kind}-metrics"


@dataclass
class OpenBackend:
    """What ``build`` made for a monitor."""

    state_machine: sfn.StateMachine
    schedule: scheduler.Schedule


def _s3_input(name: str, uri: str, local_path: str, *, data_type: str = "S3Prefix") -> dict[str, Any]:
    return {
        "InputName": name,
        "AppManaged": False,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local_path,
            "S3DataType": data_type,
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
            "S3CompressionType": "None",
        },
    }


def code_zip() -> str:
    """The script package as a deterministic zip (``open_monitor/...``, no caches), content-addressed on disk."""
    spec = importlib.util.find_spec(SCRIPT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModuleNotFoundError(
            f"{SCRIPT_PACKAGE} is not installed with sagemaker_constructs", name=SCRIPT_PACKAGE
        )
    root = os.path.realpath(locations[0])
    files: list[tuple[str, bytes]] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as handle:
                files.append((f"open_monitor/{relative}", handle.read()))
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    directory = os.path.join(
        tempfile.gettempdir(), "sagemaker-constructs-open-monitor", digest.hexdigest()[:16]
    )
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "open_monitor.zip")
    if not os.path.exists(path):
        partial = f"{path}.{os.getpid()}.tmp"
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        os.replace(partial, path)
    return path


def open_namespace(monitor: OpenMonitor) -> str:
    """design14 §2: ``SageMakerConstructs/{Endpoints|ModelMonitoring}/<kind>-metrics``."""
    template = OPEN_ENDPOINT_NAMESPACE if monitor.endpoint is not None else OPEN_BATCH_NAMESPACE
    return template.format(kind=monitor.metric_kind)


def open_event_pattern(schedule_name: str, status: str) -> events.EventPattern:
    """The workflow's events of one schedule with ``monitoringExecutionStatus`` ``status`` (design14 §4)."""
    return events.EventPattern(
        source=[EVENT_SOURCE],
        detail_type=[EVENT_DETAIL_TYPE],
        detail={"monitoringExecutionStatus": [status], "monitoringScheduleName": [schedule_name]},
    )


def refuse(monitor: OpenMonitor, prop: str, value: object, why: str) -> None:
    """A ValidationError for a prop the open backend cannot honour, unless ``value`` is None."""
    if value is not None:
        raise ValidationError(
            f"{type(monitor).__name__} '{monitor.node.path}': '{prop}' is not supported by "
            f"MonitorBackend.processing() ({why}), got {type(value).__name__}"
        )


def ground_truth_config(role: iam.IRole, ground_truth: GroundTruth) -> dict[str, Any]:
    """The ``groundTruth`` key of the planner's payload; ``role`` (the job role) may read the labels."""
    ground_truth.bind(role)
    return {"groundTruth": {"bucket": ground_truth.bucket.bucket_name, "prefix": ground_truth.prefix}}


def check_supported(monitor: OpenMonitor) -> None:
    """What the open backend cannot run, as a ValidationError naming the prop."""
    prefix = f"{type(monitor).__name__} '{monitor.node.path}'"
    if monitor.schedule.expression == "NOW":
        raise ValidationError(
            f"{prefix}: 'schedule' MonitoringSchedule.now() is not supported by MonitorBackend.processing() (its "
            "runs are started by an EventBridge Scheduler cron schedule): use hourly(), daily() or every_n_hours(), "
            "or start the state machine by hand with {\"scheduledTime\": ...}, got 'NOW'"
        )
    endpoint = monitor.endpoint
    if endpoint is not None and endpoint.capture_destination is None:
        raise ValidationError(
            f"{prefix}: 'source' endpoint's capture destination is unknown; MonitorBackend.processing() lists the "
            "captured files itself, so import the endpoint with its capture destination (bucket and prefix), got "
            "an endpoint without one"
        )


def build(
    scope: Construct, monitor: OpenMonitor, type_config: dict[str, Any], topic: sns.ITopic | None
) -> OpenBackend:
    """Create the open backend of ``monitor`` (in ``scope``, the monitor itself) and grant every actor what it
    needs."""
    check_supported(monitor)
    stack = Stack.of(scope)
    role = monitor.role
    bucket = monitor.output_bucket
    key = monitor.output_kms_key
    planner = planner_of(scope)

    # The job role reads what the planner wrote (manifests, monitor.json) and the partials under the prefix.
    grant_read_prefix(role, bucket, f"{monitor.output_prefix}/", "manifests, config and partials of each run")
    if key is not None:
        key.grant_decrypt(role)

    # Code.
    asset = s3_assets.Asset(scope, "MonitorScript", path=code_zip())
    asset_object = stack.format_arn(
        service="s3", region="", account="", resource=asset.s3_bucket_name, resource_name=asset.s3_object_key
    )
    iam.Grant.add_to_principal(grantee=role, actions=["s3:GetObject"], resource_arns=[asset_object])
    iam.Grant.add_to_principal(
        grantee=role,
        actions=["s3:ListBucket"],
        resource_arns=[stack.format_arn(service="s3", region="", account="", resource=asset.s3_bucket_name)],
        conditions={"StringEquals": {"s3:prefix": [asset.s3_object_key]}},
    )
    code_inputs = [_s3_input("code", asset.s3_object_url, CODE_LOCAL_PATH)]
    environment = {"PYTHONPATH": f"{CODE_LOCAL_PATH}/{asset.s3_object_key}", **monitor._environment}

    # The baseline files are copied under the run prefix with the names the script reads (copies below).
    constraints, statistics = monitor._baseline_uris
    clarify_baseline = monitor.monitoring_type in ("ModelBias", "ModelExplainability")
    copies = [
        (_copy_source(uri), name)
        for uri, name in (
            (constraints, "analysis.json" if clarify_baseline else "constraints.json"),
            (statistics, "statistics.json"),
        )
        if uri is not None
    ]
    baseline_inputs = (
        "[" + _s3_input_expression("baseline", "$plan.reportUri & 'baseline/'", BASELINE_DIR) + "]"
        if copies
        else "[]"
    )

    image = (
        monitor._image.bind(scope, role)
        if monitor._image is not None
        else _registry_image(
            scope, monitor, "sklearn", monitor.backend.framework_version, "backend.framework_version"
        )
    )
    cluster: dict[str, Any] = {
        "InstanceCount": monitor._instance_count,
        "InstanceType": monitor._instance_type,
        "VolumeSizeInGB": int(monitor._volume_size.to_gibibytes()),
    }
    if monitor._volume_kms_key is not None:
        cluster["VolumeKmsKeyId"] = monitor._volume_kms_key.key_arn
    single = {**cluster, "InstanceCount": 1}
    max_runtime = int(monitor.max_runtime.to_seconds())

    def network(isolated: bool) -> dict[str, Any]:
        config: dict[str, Any] = {
            "EnableInterContainerTrafficEncryption": bool(monitor._inter_container_encryption),
            "EnableNetworkIsolation": isolated,
        }
        if monitor._vpc_config is not None:
            config["VpcConfig"] = {
                "SecurityGroupIds": monitor._vpc_config["securityGroupIds"],
                "Subnets": monitor._vpc_config["subnets"],
            }
        return config

    def output(uri: str) -> dict[str, Any]:
        config: dict[str, Any] = {
            "Outputs": [
                {
                    "OutputName": "report",
                    "AppManaged": False,
                    "S3Output": {"S3Uri": uri, "LocalPath": OUTPUT_LOCAL_PATH, "S3UploadMode": "EndOfJob"},
                }
            ]
        }
        if key is not None:
            config["KmsKeyId"] = key.key_arn
        return config

    def script_job(
        name: str, letter: str, mode: list[str], inputs: str, out: str, resources: dict[str, Any]
    ) -> JobStep:
        return JobStep(
            name=name,
            letter=letter,
            timeout_seconds=max_runtime + JOB_TIMEOUT_MARGIN_SECONDS,
            request={
                "ProcessingInputs": "{% " + inputs + " %}",
                "ProcessingOutputConfig": output("{% " + out + " %}"),
                "ProcessingResources": {"ClusterConfig": resources},
                "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
                "AppSpecification": {
                    "ImageUri": image,
                    "ContainerEntrypoint": ["python3", "-m", "open_monitor", *mode],
                },
                "Environment": environment,
                # The script reads and writes only its channels: no network at all.
                "NetworkConfig": network(True),
                "RoleArn": role.role_arn,
            },
        )

    config_input = "[$plan.processingInputs[InputName = 'config']]"
    steps: list[JobStep] = []
    sharded = monitor._instance_count > 1
    explainability = monitor.monitoring_type == "ModelExplainability"
    if explainability:
        # Extract the analysed records as Clarify's dataset, Clarify computes SHAP on its shadow endpoint, the
        # script compares the result with the baseline.
        # The script's analyze mode is the extract step without a Clarify result, the compare step with one.
        steps.append(script_job("Extract", "x", ["analyze"], "$append($plan.processingInputs, $codeInputs)",
                                "$plan.reportUri & 'extract/'", single))  # fmt: skip
        clarify_image = _registry_image(
            scope, monitor, "clarify", "1.0", "backend", "(its explainability step runs SageMaker Clarify)"
        )
        clarify_inputs = [
            _s3_input(
                "dataset", "{% $plan.reportUri & " + EXTRACTED_DATASET + " %}", CLARIFY_DATA_LOCAL_PATH
            ),
            _s3_input(
                "analysis_config", "{% $plan.reportUri & 'clarify-config/' %}", CLARIFY_CONFIG_LOCAL_PATH
            ),
        ]
        steps.append(
            JobStep(
                name="Clarify",
                letter="c",
                timeout_seconds=max_runtime + JOB_TIMEOUT_MARGIN_SECONDS,
                request={
                    "ProcessingInputs": clarify_inputs,
                    "ProcessingOutputConfig": {
                        **output("{% $plan.reportUri & 'clarify/' %}"),
                        "Outputs": [
                            {
                                "OutputName": "analysis_result",
                                "AppManaged": False,
                                "S3Output": {
                                    "S3Uri": "{% $plan.reportUri & 'clarify/' %}",
                                    "LocalPath": OUTPUT_LOCAL_PATH,
                                    "S3UploadMode": "EndOfJob",
                                },
                            }
                        ],
                    },
                    "ProcessingResources": {"ClusterConfig": cluster},
                    "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
                    "AppSpecification": {"ImageUri": clarify_image},
                    # Clarify calls SageMaker to create, invoke and delete its shadow endpoint: network needed.
                    "NetworkConfig": network(False),
                    "RoleArn": role.role_arn,
                },
            )
        )
        # The compare step reads the extracted dataset as its data (its records count for the minSamples rule).
        extracted = _s3_input_expression("data", f"$plan.reportUri & {EXTRACTED_DATASET}", DATA_LOCAL_PATH)
        result = _s3_input_expression("clarify", "$plan.reportUri & 'clarify/'", CLARIFY_RESULT_LOCAL_PATH)
        steps.append(script_job("Compare", "q", ["analyze"], f"$append($append({config_input}, $codeInputs), $append("
                                f"{baseline_inputs}, [{result}, {extracted}]))", "$plan.reportUri", single))  # fmt: skip
    else:
        mode = ["analyze", "--partial"] if sharded else ["analyze"]
        steps.append(script_job("Analyze", "a", mode, "$append($append($plan.processingInputs, $codeInputs), "
                                f"{baseline_inputs})", "$plan.reportUri", cluster))  # fmt: skip
        if sharded:
            partials = _s3_input_expression("partials", "$plan.reportUri & 'partials/'", PARTIALS_LOCAL_PATH)
            steps.append(script_job("Merge", "m", ["merge"], f"$append($append({config_input}, $codeInputs), "
                                    f"$append({baseline_inputs}, [{partials}]))", "$plan.reportUri", single))  # fmt: skip

    namespace = monitor.metric_namespace if monitor._publish else None
    static_config = monitor_config(monitor, type_config)
    spec = OpenWorkflowSpec(
        planner_function_arn=planner.function.function_arn,
        monitor_config=static_config,
        schedule_name=monitor.monitoring_schedule_name,
        monitoring_type=monitor.monitoring_type,
        endpoint_name=monitor.endpoint.endpoint_name if monitor.endpoint is not None else "",
        output_bucket_name=bucket.bucket_name,
        output_kms_key_arn=key.key_arn if key is not None else None,
        steps=steps,
        metric_namespace=namespace,
        topic_arn=topic.topic_arn if topic is not None else None,
        min_samples=monitor.backend.min_samples,
        static_inputs={"codeInputs": code_inputs},
        baseline_copies=copies,
        clarify_config=type_config.get("analysisConfig") if explainability else None,
    )
    log_group = logs.LogGroup(scope, "ExecutionLogs", retention=logs.RetentionDays.ONE_YEAR)
    total = sum(step.timeout_seconds for step in steps) + 3600
    state_machine = sfn.StateMachine(
        scope,
        "StateMachine",
        definition_body=sfn.DefinitionBody.from_string(stack.to_json_string(definition(spec))),
        timeout=Duration.seconds(total),
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
    )
    grant_state_machine(monitor, state_machine, planner, namespace, topic)
    # The workflow copies the baseline files (StageBaseline): it reads exactly those objects.
    baseline = monitor._baseline
    if baseline is not None:
        for name, source in (("Constraints", baseline.constraints), ("Statistics", baseline.statistics)):
            if source is not None:
                source.bind(scope, f"WorkflowBaseline{name}", state_machine)
    grant_planner(monitor, planner)
    depend_on_role_policy_only(state_machine, state_machine.role)
    queue = _dead_letter.dead_letter_queue(
        scope, nag_reason="This queue is itself the dead-letter queue of the monitoring schedule."
    )
    schedule = scheduler.Schedule(
        scope,
        "Schedule",
        schedule=scheduler.ScheduleExpression.expression(monitor.schedule.expression, TimeZone.ETC_UTC),
        time_window=scheduler.TimeWindow.off(),
        description=f"Runs monitoring schedule {monitor.monitoring_schedule_name} (open backend)",
        target=scheduler_targets.StepFunctionsStartExecution(
            state_machine,
            input=scheduler.ScheduleTargetInput.from_object(
                {
                    "scheduledTime": scheduler.ContextAttribute.scheduled_time,
                    "executionId": scheduler.ContextAttribute.execution_id,
                }
            ),
            retry_attempts=10,
            max_event_age=Duration.hours(6),
            dead_letter_queue=queue,
        ),
    )
    if topic is not None:
        _dead_letter.dead_letter_alarm(
            scope,
            queue,
            description=f"A run of monitoring schedule {monitor.monitoring_schedule_name} could not be started",
            topic=topic,
        )
    return OpenBackend(state_machine=state_machine, schedule=schedule)


def _copy_source(uri: str) -> str:
    """``bucket/key`` of ``s3://bucket/key`` (CopyObject's CopySource; split in CloudFormation for a token URI, an
    asset's). The key is not URL-encoded: a key with characters that need it fails the copy."""
    if not Token.is_unresolved(uri):
        return uri.removeprefix("s3://")
    return Fn.select(1, Fn.split("s3://", uri))


def _s3_input_expression(name: str, uri_expression: str, local_path: str) -> str:
    """A ProcessingInput as a JSONata object constructor whose S3Uri is ``uri_expression``."""
    return (
        f"{{'InputName': '{name}', 'AppManaged': false, 'S3Input': {{'S3Uri': {uri_expression}, "
        f"'LocalPath': '{local_path}', 'S3DataType': 'S3Prefix', 'S3InputMode': 'File', "
        "'S3DataDistributionType': 'FullyReplicated', 'S3CompressionType': 'None'}}"
    )


def _registry_image(
    scope: Construct, monitor: OpenMonitor, framework: str, version: str, prop: str, why: str = ""
) -> str:
    try:
        return _images.image_uri(scope, _images.lookup(framework, version, None))
    except ValidationError as error:
        raise ValidationError(
            f"{type(monitor).__name__} '{monitor.node.path}': '{prop}' {why}: {error}".replace(" :", ":")
        ) from error


def monitor_config(monitor: OpenMonitor, type_config: dict[str, Any]) -> dict[str, Any]:
    """The planner's static ``monitor`` payload (design14 §1 and §3, without the window)."""
    schedule = monitor.schedule
    attributes: dict[str, Any] = getattr(monitor, "_attributes", {}) or {}
    start = schedule.data_analysis_start or attributes.get("startTimeOffset") or "-PT1H"
    end = schedule.data_analysis_end or attributes.get("endTimeOffset") or "-PT0H"
    output: dict[str, Any] = {"bucket": monitor.output_bucket.bucket_name, "prefix": monitor.output_prefix}
    if monitor.output_kms_key is not None:
        output["kmsKeyArn"] = monitor.output_kms_key.key_arn
    config: dict[str, Any] = {
        "schemaVersion": "1",
        "monitoringType": monitor.monitoring_type,
        "monitoringScheduleName": monitor.monitoring_schedule_name,
        "source": "endpoint" if monitor.endpoint is not None else "batch_transform",
        "metrics": {"namespace": monitor.metric_namespace, "dimensions": monitor._schedule_dimensions()},
        "minSamples": monitor.backend.min_samples,
        "significance": monitor.backend.significance,
        "instanceCount": monitor._instance_count,
        "windowStartOffset": start,
        "windowEndOffset": end,
        "output": output,
        **{k: v for k, v in type_config.items() if v is not None},
    }
    if monitor.endpoint is not None:
        destination = monitor.endpoint.capture_destination
        assert destination is not None  # check_supported
        config["endpointName"] = monitor.endpoint.endpoint_name
        config["capture"] = {"bucket": destination.bucket.bucket_name, "prefix": destination.prefix}
    else:
        transform = monitor.batch_transform
        assert transform is not None
        assert transform.data_capture is not None
        assert monitor.dataset_format is not None
        capture_bucket = transform.data_capture_bucket or transform.output_bucket
        config["batchCapture"] = {
            "bucket": capture_bucket.bucket_name,
            "prefix": transform.data_capture.prefix,
        }
        config["datasetFormat"] = monitor.dataset_format.render()
    return config
