"""The planner of the open monitoring backend: the first step of a monitor's Step Functions workflow.

For one scheduled execution it works out the analysis window (the scheduled time's hour plus the monitor's ISO-8601
offsets), finds the captured data (an endpoint's capture files, or the objects a batch transform's capture
manifests name) and the ground truth of its window, writes SageMaker manifest files and the script's
``monitor.json`` under ``<output prefix>/yyyy/mm/dd/hh/input/`` (the hour of the scheduled time) and returns the
``ProcessingInputs`` of the processing job, so the state machine only has to add the code and the baseline.

The same scheduled time always gives the same keys and the same content (sorted), so a retried or redelivered
execution overwrites its own inputs. A payload that breaks the contract raises ``PayloadError`` naming every
problem; an AWS error is raised as it is, for the state machine's retry and failure paths.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from .contract import (
    CHANNEL_CONFIG,
    CHANNEL_DATA,
    CHANNEL_GROUND_TRUTH,
    CONFIG_FILE,
    CONFIG_PATH,
    DATA_PATH,
    GROUND_TRUTH_PATH,
    PLANNER_KEYS,
    SOURCE_ENDPOINT,
    SUMMARY_FILE,
)
from .listing import S3Object, batch_capture, endpoint_capture, hourly_objects
from .manifests import Writer, processing_input
from .payload import Plan, read_payload
from .window import hour_folder, iso

logger = Logger()
tracer = Tracer()
# Throttled S3 calls are retried with client-side rate limiting; Step Functions retries the whole step beyond that.
s3 = boto3.client("s3", config=Config(retries={"mode": "adaptive", "max_attempts": 10}))


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Plan one execution of an open-backend monitor (the payload and result of the workflow's Plan state)."""
    plan = read_payload(event)
    logger.append_keys(
        monitoring_schedule=plan.monitor.get("monitoringScheduleName"),
        scheduled_time=iso(plan.scheduled),
        execution=plan.execution_name,
    )
    result = build(s3, plan)
    logger.info(
        "Planned the monitoring execution",
        extra={"files": result["files"], "empty": result["empty"], "window": result["window"]},
    )
    return result


def build(client: Any, plan: Plan) -> dict[str, Any]:
    """List the window's objects, write the run's inputs and return the planner's result."""
    data = _data_objects(client, plan)
    ground_truth: list[S3Object] = []
    if plan.ground_truth is not None:
        ground_truth = hourly_objects(client, plan.ground_truth, plan.ground_truth_window)
    run_prefix = plan.output.key(hour_folder(plan.scheduled))
    writer = Writer(client, plan.output, run_prefix, plan.kms_key_arn)

    config = {key: value for key, value in plan.monitor.items() if key not in PLANNER_KEYS}
    config["window"] = plan.window.as_dict()
    inputs = [processing_input(CHANNEL_CONFIG, writer.put_json(CONFIG_FILE, config), CONFIG_PATH, "S3Prefix")]
    inputs += writer.manifests(CHANNEL_DATA, DATA_PATH, data, sharded=plan.instance_count > 1)
    inputs += writer.manifests(CHANNEL_GROUND_TRUTH, GROUND_TRUTH_PATH, ground_truth)
    return {
        "runPrefix": run_prefix,
        "reportUri": f"s3://{plan.output.bucket}/{run_prefix}/",
        "summaryKey": f"{run_prefix}/{SUMMARY_FILE}",
        "empty": not data,
        "files": {"data": len(set(data)), "groundTruth": len(set(ground_truth))},
        "processingInputs": inputs,
        "window": plan.window.as_dict(),
    }


def _data_objects(client: Any, plan: Plan) -> list[S3Object]:
    if plan.source == SOURCE_ENDPOINT:
        assert plan.capture is not None
        assert plan.endpoint_name is not None
        return endpoint_capture(client, plan.capture, plan.endpoint_name, plan.variants, plan.window)
    assert plan.batch_capture is not None
    return batch_capture(client, plan.batch_capture, plan.batch_manifests, plan.window)
