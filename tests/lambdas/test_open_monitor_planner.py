"""The open backend's planner: windows, listings, manifests and the processing inputs it returns, against moto's S3.

Manifests are checked against the format the SageMaker API Reference gives for ``S3DataSource.S3Uri``: a JSON array
whose first element is ``{"prefix": <non-empty S3 URI>}``, followed by suffixes appended to it, all in one bucket
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3DataSource.html). The returned processing inputs
are checked against botocore's model of CreateProcessingJob.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from lambdas.open_monitor import planner
from lambdas.open_monitor.listing import CaptureManifestError
from lambdas.open_monitor.payload import PayloadError
from lambdas.open_monitor.window import parse_offset

REGION = "us-east-1"
CAPTURE = "capture-bucket"
REPORTS = "reports-bucket"
INPUTS = "transform-input"
OUTPUTS = "transform-output"
LABELS = "labels-bucket"
ENDPOINT = "churn-endpoint"
OUTPUT_PREFIX = "model-monitor/data-quality/churn-open"
SCHEDULED = "2026-11-22T03:00:00Z"
RUN_PREFIX = f"{OUTPUT_PREFIX}/2026/11/22/03"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's S3 with the buckets, and the planner's client pointed at it."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        for bucket in (CAPTURE, REPORTS, INPUTS, OUTPUTS, LABELS):
            client.create_bucket(Bucket=bucket)
        monkeypatch.setattr(planner, "s3", client)
        yield client


def payload(**monitor: Any) -> dict[str, Any]:
    """The state machine's payload for an endpoint data-quality monitor; ``monitor`` keys override."""
    config: dict[str, Any] = {
        "schemaVersion": "1",
        "monitoringType": "DataQuality",
        "monitoringScheduleName": "churn-open",
        "endpointName": ENDPOINT,
        "source": "endpoint",
        "datasetFormat": None,
        "features": ["age", "tenure"],
        "metrics": {
            "namespace": "SageMakerConstructs/Endpoints/data-metrics",
            "dimensions": {"Endpoint": ENDPOINT, "MonitoringSchedule": "churn-open"},
        },
        "minSamples": 100,
        "significance": 0.05,
        "capture": {"bucket": CAPTURE, "prefix": "data-capture"},
        "variants": None,
        "batchCapture": None,
        "groundTruth": None,
        "windowStartOffset": "-PT1H",
        "windowEndOffset": "-PT0H",
        "output": {"bucket": REPORTS, "prefix": OUTPUT_PREFIX, "kmsKeyArn": None},
    }
    config.update(monitor)
    return {"scheduledTime": SCHEDULED, "executionName": "churn-open-20261122T0300", "monitor": config}


def put(s3: Any, bucket: str, *keys: str, body: bytes = b"{}") -> None:
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=body)


def put_many(bucket: str, keys: list[str], body: bytes = b"{}") -> None:
    """Store ``keys`` in moto's in-memory S3 backend directly, without a PutObject round trip each, for the tests
    that need more than a page of keys (ListObjectsV2 returns at most 1,000 a page). The planner still lists them
    through boto3 against moto, page by page."""
    backend = s3_backends[DEFAULT_ACCOUNT_ID][get_partition(REGION)]
    for key in keys:
        backend.put_object(bucket, key, body)


def capture_key(hour: str, name: str, variant: str = "AllTraffic") -> str:
    return f"data-capture/{ENDPOINT}/{variant}/{hour}/{name}.jsonl"


def read_json(s3: Any, uri: str) -> Any:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def channel(result: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [i for i in result["processingInputs"] if i["InputName"] == name]
    return dict(found["S3Input"])


def manifest_uris(s3: Any, result: dict[str, Any], name: str) -> list[str]:
    """The object URIs a channel's manifest names, checked against the API Reference's manifest format."""
    manifest = read_json(s3, channel(result, name)["S3Uri"])
    assert isinstance(manifest, list)
    head, *suffixes = manifest
    assert set(head) == {"prefix"}
    assert head["prefix"].startswith("s3://")
    assert head["prefix"].endswith("/")
    assert len(head["prefix"]) > len("s3://") + 1
    assert suffixes
    assert all(isinstance(suffix, str) and suffix for suffix in suffixes)
    return [head["prefix"] + suffix for suffix in suffixes]


def plan(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    return planner.handler(event, lambda_context)


# --- Endpoint capture ------------------------------------------------------------------------------------------
def test_hourly_window_lists_the_previous_hour_of_every_variant(s3, lambda_context, service_model):
    put(s3, CAPTURE, capture_key("2026/11/22/01", "early"), capture_key("2026/11/22/03", "late"))
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"), capture_key("2026/11/22/02", "b"))
    put(s3, CAPTURE, capture_key("2026/11/22/02", "c", variant="Shadow"))
    put(s3, CAPTURE, "data-capture/other-endpoint/AllTraffic/2026/11/22/02/x.jsonl")

    result = plan(payload(), lambda_context)

    assert result["runPrefix"] == RUN_PREFIX
    assert result["reportUri"] == f"s3://{REPORTS}/{RUN_PREFIX}/"
    assert result["summaryKey"] == f"{RUN_PREFIX}/summary.json"
    assert result["window"] == {"start": "2026-11-22T02:00:00Z", "end": "2026-11-22T03:00:00Z"}
    assert result["empty"] is False
    assert result["files"] == {"data": 3, "groundTruth": 0}
    assert manifest_uris(s3, result, "data") == [
        f"s3://{CAPTURE}/{capture_key('2026/11/22/02', 'a')}",
        f"s3://{CAPTURE}/{capture_key('2026/11/22/02', 'b')}",
        f"s3://{CAPTURE}/{capture_key('2026/11/22/02', 'c', variant='Shadow')}",
    ]
    assert channel(result, "data") == {
        "S3Uri": f"s3://{REPORTS}/{RUN_PREFIX}/input/data.manifest",
        "LocalPath": "/opt/ml/processing/input/data",
        "S3DataType": "ManifestFile",
        "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
        "S3CompressionType": "None",
    }
    assert channel(result, "config") == {
        "S3Uri": f"s3://{REPORTS}/{RUN_PREFIX}/input/monitor.json",
        "LocalPath": "/opt/ml/processing/input/config",
        "S3DataType": "S3Prefix",
        "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
        "S3CompressionType": "None",
    }
    assert [i["InputName"] for i in result["processingInputs"]] == ["config", "data"]
    request = {
        "ProcessingJobName": "churn-open-20261122T0300",
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        "AppSpecification": {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1.2-1"},
        "RoleArn": "arn:aws:iam::123456789012:role/monitor",
        "ProcessingInputs": result["processingInputs"],
    }
    assert service_model("sagemaker", "CreateProcessingJob", request) == []


def test_monitor_json_is_the_monitor_config_with_its_window(s3, lambda_context):
    event = payload()

    result = plan(event, lambda_context)

    config = read_json(s3, channel(result, "config")["S3Uri"])
    expected = {
        key: value
        for key, value in event["monitor"].items()
        if key
        not in {
            "capture",
            "variants",
            "batchCapture",
            "groundTruth",
            "windowStartOffset",
            "windowEndOffset",
            "output",
        }
    }
    assert config == {**expected, "window": {"start": "2026-11-22T02:00:00Z", "end": "2026-11-22T03:00:00Z"}}


def test_named_variants_only(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"), capture_key("2026/11/22/02", "c", variant="Shadow"))

    result = plan(payload(variants=["Shadow"]), lambda_context)

    assert manifest_uris(s3, result, "data") == [
        f"s3://{CAPTURE}/{capture_key('2026/11/22/02', 'c', 'Shadow')}"
    ]


def test_window_across_midnight(s3, lambda_context):
    hours = ["2026/11/21/21", "2026/11/21/22", "2026/11/21/23", "2026/11/22/00", "2026/11/22/01"]
    put(s3, CAPTURE, *(capture_key(hour, "f") for hour in hours))
    event = payload(windowStartOffset="-PT3H", windowEndOffset="-PT0H")
    event["scheduledTime"] = "2026-11-22T01:00:00Z"

    result = plan(event, lambda_context)

    assert result["window"] == {"start": "2026-11-21T22:00:00Z", "end": "2026-11-22T01:00:00Z"}
    assert [uri.split("/AllTraffic/")[1][:13] for uri in manifest_uris(s3, result, "data")] == [
        "2026/11/21/22",
        "2026/11/21/23",
        "2026/11/22/00",
    ]
    assert result["runPrefix"] == f"{OUTPUT_PREFIX}/2026/11/22/01"


def test_day_offsets(s3, lambda_context):
    put(s3, CAPTURE, *(capture_key(f"2026/11/21/{hour:02d}", "f") for hour in range(24)))
    put(s3, CAPTURE, capture_key("2026/11/20/23", "f"), capture_key("2026/11/22/00", "f"))
    event = payload(windowStartOffset="-P1D", windowEndOffset="-PT0H")
    event["scheduledTime"] = "2026-11-22T00:00:00Z"

    result = plan(event, lambda_context)

    assert result["window"] == {"start": "2026-11-21T00:00:00Z", "end": "2026-11-22T00:00:00Z"}
    assert result["files"]["data"] == 24
    assert all("/2026/11/21/" in uri for uri in manifest_uris(s3, result, "data"))


def test_late_scheduled_time_is_taken_to_its_hour(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"))
    event = payload()
    event["scheduledTime"] = "2026-11-22T03:17:45.123+00:00"

    result = plan(event, lambda_context)

    assert result["runPrefix"] == RUN_PREFIX
    assert result["window"]["start"] == "2026-11-22T02:00:00Z"
    assert result["files"]["data"] == 1


def test_more_than_a_page_of_objects(s3, lambda_context):
    keys = [capture_key("2026/11/22/02", f"part-{n:04d}") for n in range(1001)]
    put_many(CAPTURE, keys)

    result = plan(payload(variants=["AllTraffic"]), lambda_context)

    assert result["files"]["data"] == 1001
    assert manifest_uris(s3, result, "data") == [f"s3://{CAPTURE}/{key}" for key in sorted(keys)]


def test_more_than_a_page_of_variant_folders(s3, lambda_context):
    variants = [f"v{n:04d}" for n in range(1001)]
    put_many(CAPTURE, [capture_key("2026/11/22/02", "f", variant=v) for v in variants])

    result = plan(payload(), lambda_context)

    assert result["files"]["data"] == 1001


def test_empty_window(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/00", "old"))

    result = plan(payload(), lambda_context)

    assert result["empty"] is True
    assert result["files"] == {"data": 0, "groundTruth": 0}
    assert [i["InputName"] for i in result["processingInputs"]] == ["config"]
    listed = s3.list_objects_v2(Bucket=REPORTS, Prefix=f"{RUN_PREFIX}/input/")["Contents"]
    assert [o["Key"] for o in listed] == [f"{RUN_PREFIX}/input/monitor.json"]


def test_several_instances_shard_the_data_only(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"))
    put(s3, LABELS, "labels/2026/11/22/02/l.jsonl")

    result = plan(
        payload(instanceCount=4, groundTruth={"bucket": LABELS, "prefix": "labels"}), lambda_context
    )

    assert channel(result, "data")["S3DataDistributionType"] == "ShardedByS3Key"
    assert channel(result, "ground_truth")["S3DataDistributionType"] == "FullyReplicated"
    assert channel(result, "config")["S3DataDistributionType"] == "FullyReplicated"


# --- Ground truth ------------------------------------------------------------------------------------------------
def test_ground_truth_window_defaults_to_the_capture_window(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"))
    put(s3, LABELS, "labels/2026/11/22/01/early.jsonl", "labels/2026/11/22/02/l.jsonl")

    result = plan(payload(groundTruth={"bucket": LABELS, "prefix": "labels/"}), lambda_context)

    assert result["files"] == {"data": 1, "groundTruth": 1}
    assert manifest_uris(s3, result, "ground_truth") == [f"s3://{LABELS}/labels/2026/11/22/02/l.jsonl"]
    assert channel(result, "ground_truth")["LocalPath"] == "/opt/ml/processing/input/ground_truth"


def test_ground_truth_window_of_its_own(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"))
    put(s3, LABELS, "labels/2026/11/14/03/too-old.jsonl", "labels/2026/11/14/04/l1.jsonl")
    put(s3, LABELS, "labels/2026/11/21/12/l2.jsonl", "labels/2026/11/22/03/too-new.jsonl")
    event = payload(
        groundTruth={"bucket": LABELS, "prefix": "labels"},
        groundTruthStartOffset="-P7DT23H",
        groundTruthEndOffset="-PT0H",
    )

    result = plan(event, lambda_context)

    assert [uri.rsplit("/", 1)[1] for uri in manifest_uris(s3, result, "ground_truth")] == [
        "l1.jsonl",
        "l2.jsonl",
    ]
    assert result["window"] == {"start": "2026-11-22T02:00:00Z", "end": "2026-11-22T03:00:00Z"}


def test_no_ground_truth_in_the_window_leaves_the_channel_out(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"))

    result = plan(payload(groundTruth={"bucket": LABELS, "prefix": "labels"}), lambda_context)

    assert [i["InputName"] for i in result["processingInputs"]] == ["config", "data"]


# --- Batch transform capture --------------------------------------------------------------------------------------
def batch_payload(**extra: Any) -> dict[str, Any]:
    return payload(
        source="batch_transform",
        endpointName=None,
        capture=None,
        datasetFormat={"csv": {"header": False}},
        batchCapture={"bucket": CAPTURE, "prefix": "batch-capture", **extra},
    )


def capture_manifest(prefix: str, *suffixes: str) -> bytes:
    return json.dumps([{"prefix": prefix}, *suffixes]).encode()


def test_batch_reads_the_objects_the_output_manifests_name(s3, lambda_context):
    put(s3, OUTPUTS, "scored/part-0.csv.out", "scored/part-1.csv.out")
    body = capture_manifest(f"s3://{OUTPUTS}/scored/", "part-0.csv.out", "part-1.csv.out")
    put(s3, CAPTURE, "batch-capture/output/2026/11/22/02/job-1.manifest", body=body)
    other = capture_manifest(f"s3://{INPUTS}/in/", "part-0.csv")
    put(s3, CAPTURE, "batch-capture/input/2026/11/22/02/job-1.manifest", body=other)
    put(s3, CAPTURE, "batch-capture/output/2026/11/22/01/job-0.manifest", body=other)  # before the window

    result = plan(batch_payload(), lambda_context)

    assert manifest_uris(s3, result, "data") == [
        f"s3://{OUTPUTS}/scored/part-0.csv.out",
        f"s3://{OUTPUTS}/scored/part-1.csv.out",
    ]
    assert result["files"]["data"] == 2


def test_batch_input_manifests_on_request(s3, lambda_context):
    put(s3, CAPTURE, "batch-capture/input/2026/11/22/02/job-1.manifest",
        body=capture_manifest(f"s3://{INPUTS}/in/", "a.csv"))  # fmt: skip

    result = plan(batch_payload(manifests="input"), lambda_context)

    assert manifest_uris(s3, result, "data") == [f"s3://{INPUTS}/in/a.csv"]


def test_objects_of_two_buckets_get_one_manifest_each(s3, lambda_context):
    put(s3, CAPTURE, "batch-capture/output/2026/11/22/02/job-1.manifest",
        body=capture_manifest(f"s3://{OUTPUTS}/scored/", "b.out"))  # fmt: skip
    put(s3, CAPTURE, "batch-capture/output/2026/11/22/02/job-2.manifest",
        body=capture_manifest(f"s3://{INPUTS}/other/", "a.out"))  # fmt: skip

    result = plan(batch_payload(), lambda_context)

    assert [i["InputName"] for i in result["processingInputs"]] == ["config", "data", "data-2"]
    assert manifest_uris(s3, result, "data") == [f"s3://{INPUTS}/other/a.out"]
    assert manifest_uris(s3, result, "data-2") == [f"s3://{OUTPUTS}/scored/b.out"]
    assert channel(result, "data")["LocalPath"] == "/opt/ml/processing/input/data/1"
    assert channel(result, "data-2")["LocalPath"] == "/opt/ml/processing/input/data/2"


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"prefix": "s3://b/"}', b'[{"prefix": "b/"}, "k"]', b'[{"prefix": "s3://b/"}, 3]'],
)
def test_bad_capture_manifest_is_named(s3, lambda_context, body):
    key = "batch-capture/output/2026/11/22/02/job-1.manifest"
    put(s3, CAPTURE, key, body=body)

    with pytest.raises(CaptureManifestError, match=f"s3://{CAPTURE}/{key}"):
        plan(batch_payload(), lambda_context)


# --- Encryption and idempotency ---------------------------------------------------------------------------------
def test_inputs_are_encrypted_with_the_output_key(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"))
    event = payload(output={"bucket": REPORTS, "prefix": OUTPUT_PREFIX, "kmsKeyArn": KMS_KEY})
    sent: list[dict[str, Any]] = []
    s3.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: sent.append(dict(params))
    )

    plan(event, lambda_context)

    assert len(sent) == 2
    assert all(p["ServerSideEncryption"] == "aws:kms" and p["SSEKMSKeyId"] == KMS_KEY for p in sent)


def test_without_a_key_no_kms_parameters(s3, lambda_context):
    put(s3, CAPTURE, capture_key("2026/11/22/02", "a"))
    sent: list[dict[str, Any]] = []
    s3.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: sent.append(dict(params))
    )

    plan(payload(), lambda_context)

    assert len(sent) == 2
    assert not any("SSEKMSKeyId" in p or "ServerSideEncryption" in p for p in sent)


def test_same_scheduled_time_same_keys_and_content(s3, lambda_context):
    put(s3, CAPTURE, *(capture_key("2026/11/22/02", f"f{n}") for n in range(5)))

    first = plan(payload(), lambda_context)
    bodies = {
        o["Key"]: s3.get_object(Bucket=REPORTS, Key=o["Key"])["Body"].read()
        for o in s3.list_objects_v2(Bucket=REPORTS)["Contents"]
    }
    second = plan(payload(), lambda_context)

    assert first == second
    again = {
        o["Key"]: s3.get_object(Bucket=REPORTS, Key=o["Key"])["Body"].read()
        for o in s3.list_objects_v2(Bucket=REPORTS)["Contents"]
    }
    assert again == bodies


# --- Malformed payloads and offsets ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "problems"),
    [
        ({"scheduledTime": None}, ["scheduledTime must be an ISO-8601 timestamp string"]),
        ({"scheduledTime": "tomorrow"}, ["scheduledTime must be an ISO-8601 timestamp, got 'tomorrow'"]),
        ({"monitor.source": "lake"}, ["monitor.source must be 'endpoint' or 'batch_transform', got 'lake'"]),
        ({"monitor.capture": None}, ["monitor.capture must be"]),
        ({"monitor.output": {"prefix": "x"}}, ["monitor.output.bucket must be a bucket name"]),
        (
            {"monitor.windowStartOffset": "PT1H"},
            ["must be an ISO-8601 offset -PT#H, -P#D or -P#DT#H", "'PT1H'"],
        ),
        ({"monitor.windowStartOffset": "-PT30M"}, ["'-PT30M'"]),
        ({"monitor.windowEndOffset": "-PT2H"}, ["the window must end after it starts"]),
        ({"monitor.variants": []}, ["monitor.variants must be null"]),
        ({"monitor.instanceCount": 0}, ["monitor.instanceCount must be a whole number from 1 to 100, got 0"]),
        (
            {
                "monitor.batchCapture": {"bucket": CAPTURE},
                "monitor.source": "batch_transform",
                "monitor.batchCapture.manifests": "both",
            },
            ["monitor.batchCapture.manifests must be one of"],
        ),
        (
            {"scheduledTime": None, "monitor.source": "lake", "monitor.output": None},
            ["scheduledTime", "monitor.source", "monitor.output"],
        ),
    ],
)
def test_malformed_payload_names_every_problem(s3, lambda_context, change, problems):
    event = copy.deepcopy(payload())
    for path, value in change.items():
        *parents, last = path.split(".")
        target = event
        for part in parents:
            target = target[part]
        target[last] = value
    if "scheduledTime" in change and change["scheduledTime"] is None:
        del event["scheduledTime"]

    with pytest.raises(PayloadError) as raised:
        plan(event, lambda_context)

    for problem in problems:
        assert problem in str(raised.value)
    assert "Contents" not in s3.list_objects_v2(Bucket=REPORTS)  # nothing written


def test_payload_that_is_no_object(s3, lambda_context):
    with pytest.raises(PayloadError, match="the payload must be a JSON object, got list"):
        plan([], lambda_context)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        ("-PT24H", "-PT0H", True),
        ("-P1D", "-PT0H", True),
        ("-PT25H", "-PT1H", True),
        ("-PT25H", "-PT0H", False),
        ("-P2D", "-P1D", True),
        ("-P2D", "-PT0H", False),
    ],
)
def test_capture_window_spans_at_most_24_hours(s3, lambda_context, start, end, ok):
    event = payload(windowStartOffset=start, windowEndOffset=end)
    if ok:
        assert plan(event, lambda_context)["empty"] is True
    else:
        with pytest.raises(PayloadError, match="the window may span at most 24 hours"):
            plan(event, lambda_context)


@pytest.mark.parametrize(
    ("text", "hours"),
    [("-PT1H", 1), ("-PT0H", 0), ("-P1D", 24), ("-P8D", 192), ("-P1DT6H", 30), ("-PT36H", 36)],
)
def test_offsets(text, hours):
    assert parse_offset(text).total_seconds() == -hours * 3600


@pytest.mark.parametrize(
    "text", ["PT1H", "-PT1M", "-P1W", "-P1M", "-PT1.5H", "-P", "-PT", "+PT1H", "-pt1h", ""]
)
def test_offsets_refused(text):
    with pytest.raises(ValueError, match="must be an ISO-8601 offset"):
        parse_offset(text)


def test_the_contract_names_the_handler():
    import importlib

    from sagemaker_constructs._internal.handlers import HANDLERS_PACKAGE, open_monitor_contract

    module, _, function = open_monitor_contract.HANDLER.rpartition(".")
    assert getattr(importlib.import_module(f"{HANDLERS_PACKAGE}.{module}"), function).__name__ == "handler"
