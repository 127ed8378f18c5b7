"""The whole drift -> retrain loop of the open monitoring backend, run locally: ``make simulate``.

What it does, step by step (design14.md; issue 14 "The whole loop, locally"), all in one process, on moto:

1. **Capture.** The sample test set (``model_artifacts/churn/test_features.csv``, 450 rows) is replayed as an
   endpoint's captured traffic twice: once as it is, in the hour before the previous scheduled run, and once with
   the injected drift below, in the hour before the last scheduled run. The model's outputs are the real model's
   probabilities (``model.tar.gz``, XGBoost 3.0.5, the dev requirements' pin) on the rows as sent. Each request is
   one JSONL line in Model Monitor's capture format (aws-facts §8.2: ``captureData.endpointInput/endpointOutput``,
   ``eventMetadata``, ``eventVersion``), 150 requests a file, under the documented key layout
   ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mss-uuid>.jsonl`` in a moto S3 bucket.
2. **Drift.** :data:`DRIFT` documents it: ``monthly_charges`` x 1.4 (a price rise) and 80 % of the term contracts
   turned month-to-month (``contract_monthly`` 0 -> 1), drawn with ``numpy.random.default_rng(SEED)``. The other
   five features are left alone, so the expected verdict names exactly those two features.
3. **Plan.** The open backend's planner Lambda (``sagemaker_constructs._handlers.open_monitor.planner``, design14
   §3) runs against moto S3 for each scheduled time: it picks the window's capture objects and writes the manifest
   and ``monitor.json``. Its processing inputs are then downloaded to a local folder laid out as the container's
   ``/opt/ml/processing/input/`` (what SageMaker Processing does with a ManifestFile input).
4. **Analyze.** ``sagemaker_constructs._monitor_script.run.analyze`` (the code the processing container runs)
   reads those files against the committed baseline ``model_artifacts/churn/baselines/data_quality/``; its outputs
   go back to the run's report prefix in S3, and its metric batches to moto CloudWatch (``PutMetricData``), as the
   workflow does.
5. **Event.** :func:`build_workflow_event` turns the run's ``summary.json`` into the workflow's EventBridge event
   (design14 §4).
6. **Retrain.** RetrainingTrigger's handler (``sagemaker_constructs._handlers.retraining_trigger.handler``) runs
   against moto (DynamoDB state table, SNS topic, SageMaker pipeline, as ``tests/lambdas/conftest.py`` sets them
   up): the drifted run's event is delivered twice (EventBridge delivers at least once), then a reconciliation
   runs; the pipeline must have exactly one execution (moto's ``ListPipelineExecutions``). The undrifted run's
   event starts none.
7. **Report.** The drifted run's drift report (``_monitor_script/drift_report.py``) is written to
   ``build/simulate/drift_report.html`` (and the undrifted run's beside it), with the runs' outputs.

Run from the repository root: ``python scripts/simulate_loop.py [--out-dir DIR] [--scheduled-time ISO]``.
``tests/loop/test_simulate_loop.py`` calls :func:`main` and checks every claim the story prints.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import sys
import tarfile
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import boto3
import numpy as np
import numpy.typing as npt
from moto import mock_aws

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT, REPO_ROOT / "constructs"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

ARTIFACTS = REPO_ROOT / "model_artifacts" / "churn"
BASELINE_DIR = ARTIFACTS / "baselines" / "data_quality"
DEFAULT_OUT_DIR = REPO_ROOT / "build" / "simulate"
SEED = 20261202
REGION = "us-east-1"
ACCOUNT = "123456789012"

ENDPOINT = "churn-endpoint"
VARIANT = "AllTraffic"
SCHEDULE = "churn-data-quality"
STATE_MACHINE = "churn-data-quality-open-monitor"
CAPTURE_BUCKET = "simulated-data-capture"
CAPTURE_PREFIX = "datacapture"
REPORTS_BUCKET = "simulated-monitoring-reports"
REPORTS_PREFIX = f"monitoring/{SCHEDULE}"
RECORDS_PER_FILE = 150
MIN_SAMPLES = 100
SIGNIFICANCE = 0.01
METRICS_NAMESPACE = "SageMakerConstructs/Endpoints/data-metrics"
"""design14 §2: the open backend's namespace for an endpoint's data-quality metrics."""

PIPELINE_NAME = "churn-retraining"
TABLE_NAME = "retraining-trigger-state"
TOPIC_NAME = "retraining-decisions"
PIPELINE_PARAMETERS = {
    "TriggerType": "trigger_type",
    "MonitoringSchedule": "monitoring_schedule",
    "IncidentId": "incident_id",
    "TriggerReason": "reason",
}

PLANNER_MODULE = "sagemaker_constructs._handlers.open_monitor.planner"
TRIGGER_PACKAGE = "sagemaker_constructs._handlers.retraining_trigger"
CONTAINER_INPUT = "/opt/ml/processing/input"

EVENT_SOURCE = "sagemaker-constructs.monitoring"
EVENT_DETAIL_TYPE = "Monitoring Execution Status Change"


@dataclass(frozen=True)
class Drift:
    """The drift the simulation injects, applied to the features as the endpoint would receive them."""

    charges_factor: float = 1.4
    monthly_share_of_term_contracts: float = 0.8
    description: str = (
        "monthly_charges x 1.4 (a price rise); 80 % of term contracts become month-to-month "
        "(contract_monthly 0 -> 1); the other features unchanged"
    )
    expected_features: tuple[str, ...] = ("contract_monthly", "monthly_charges")

    def apply(
        self, rows: npt.NDArray[np.float64], columns: Sequence[str], rng: np.random.Generator
    ) -> npt.NDArray[np.float64]:
        """A drifted copy of ``rows`` (one row per request, ``columns`` in order)."""
        drifted = rows.copy()
        charges, contract = columns.index("monthly_charges"), columns.index("contract_monthly")
        drifted[:, charges] = np.round(drifted[:, charges] * self.charges_factor, 2)
        flip = (drifted[:, contract] == 0) & (rng.random(len(drifted)) < self.monthly_share_of_term_contracts)
        drifted[flip, contract] = 1
        return drifted


DRIFT = Drift()


@dataclass
class WindowRun:
    """One scheduled run of the open monitor, from plan to retraining decisions."""

    label: str
    scheduled_time: datetime
    summary: dict[str, Any]
    statistics: dict[str, Any]
    violations: dict[str, Any]
    config: dict[str, Any]
    event: dict[str, Any]
    data_files: int
    decisions: list[dict[str, Any]] = field(default_factory=list)
    pipeline_executions: int = 0

    @property
    def violated_features(self) -> list[str]:
        """Features with a ``baseline_drift_check`` violation, sorted."""
        return sorted(
            {
                v["feature_name"]
                for v in self.violations.get("violations", [])
                if v.get("constraint_check_type") == "baseline_drift_check"
            }
        )


@dataclass
class SimulationResult:
    """What :func:`main` did: both runs, the pipeline's executions at the end, and the report's path."""

    undrifted: WindowRun
    drifted: WindowRun
    pipeline_executions: list[dict[str, Any]]
    report_path: Path
    out_dir: Path


# --- the sample and the model ---------------------------------------------------------------------------


def load_sample() -> tuple[npt.NDArray[np.float64], list[str]]:
    """The sample test set's features (450 x 7) and their column names."""
    schema = json.loads((ARTIFACTS / "dataset_schema.json").read_text())
    columns = list(schema["files"]["test_features.csv"]["columns"])
    rows = np.loadtxt(ARTIFACTS / "test_features.csv", delimiter=",", ndmin=2)
    return rows, columns


def predict(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The sample model's churn probabilities for ``rows``, as the hosted XGBoost container computes them."""
    import xgboost as xgb

    booster = xgb.Booster()
    with tempfile.TemporaryDirectory() as folder, tarfile.open(ARTIFACTS / "model.tar.gz") as archive:
        archive.extract("xgboost-model", folder, filter="data")
        booster.load_model(str(Path(folder) / "xgboost-model"))
    result: npt.NDArray[np.float64] = booster.predict(xgb.DMatrix(rows)).astype(np.float64)
    return result


def _csv_row(row: npt.NDArray[np.float64], columns: Sequence[str]) -> str:
    return ",".join(
        f"{v:.2f}" if c == "monthly_charges" else str(int(v)) for v, c in zip(row, columns, strict=True)
    )


# --- 1. capture -----------------------------------------------------------------------------------------


def capture_lines(
    rows: npt.NDArray[np.float64],
    probabilities: npt.NDArray[np.float64],
    columns: Sequence[str],
    hour: datetime,
    rng: np.random.Generator,
) -> list[tuple[datetime, str]]:
    """One capture record per request (aws-facts §8.2), spread over ``hour``: (inference time, JSONL line)."""
    seconds = np.sort(rng.integers(0, 3600, len(rows)))
    lines = []
    for row, probability, second in zip(rows, probabilities, seconds, strict=True):
        at = hour + timedelta(seconds=int(second))
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": _csv_row(row, columns),
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv; charset=utf-8",
                    "mode": "OUTPUT",
                    "data": f"{probability:.10f}",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": str(uuid.UUID(bytes=rng.bytes(16), version=4)),
                "inferenceTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "eventVersion": "0",
        }
        lines.append((at, json.dumps(record, separators=(",", ":"))))
    return lines


def write_capture(s3: Any, lines: list[tuple[datetime, str]], rng: np.random.Generator) -> list[str]:
    """Upload the lines as capture files, RECORDS_PER_FILE a file, under the documented hour-folder layout."""
    keys: list[str] = []
    for start in range(0, len(lines), RECORDS_PER_FILE):
        chunk = lines[start : start + RECORDS_PER_FILE]
        first = chunk[0][0]
        name = f"{first:%M-%S}-{int(rng.integers(0, 1000)):03d}-{uuid.UUID(bytes=rng.bytes(16), version=4)}.jsonl"
        key = f"{CAPTURE_PREFIX}/{ENDPOINT}/{VARIANT}/{first:%Y/%m/%d/%H}/{name}"
        s3.put_object(Bucket=CAPTURE_BUCKET, Key=key, Body="".join(line + "\n" for _, line in chunk).encode())
        keys.append(key)
    return keys


# --- 3. plan ----------------------------------------------------------------------------------------------


def monitor_payload(scheduled_time: datetime) -> dict[str, Any]:
    """The planner's input as the state machine builds it (design14 §3)."""
    return {
        "scheduledTime": _iso(scheduled_time),
        "executionName": f"{SCHEDULE}-{scheduled_time:%Y%m%dT%H%M%SZ}",
        "monitor": {
            "schemaVersion": "1",
            "monitoringType": "DataQuality",
            "monitoringScheduleName": SCHEDULE,
            "endpointName": ENDPOINT,
            "source": "endpoint",
            "metrics": {
                "namespace": METRICS_NAMESPACE,
                "dimensions": {"Endpoint": ENDPOINT, "MonitoringSchedule": SCHEDULE},
            },
            "minSamples": MIN_SAMPLES,
            "significance": SIGNIFICANCE,
            "capture": {"bucket": CAPTURE_BUCKET, "prefix": CAPTURE_PREFIX},
            "variants": None,
            "groundTruth": None,
            "windowStartOffset": "-PT1H",
            "windowEndOffset": "-PT0H",
            "output": {"bucket": REPORTS_BUCKET, "prefix": REPORTS_PREFIX, "kmsKeyArn": None},
        },
    }


@dataclass
class FakeLambdaContext:
    """What Powertools reads from a LambdaContext."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    log_group_name: str = "/aws/lambda/simulated"
    log_stream_name: str = "simulated"

    @property
    def invoked_function_arn(self) -> str:
        """The function's ARN."""
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Lambda's remaining time: plenty."""
        return 60_000


def plan(s3: Any, scheduled_time: datetime, log: io.StringIO) -> dict[str, Any]:
    """The planner Lambda's result for ``scheduled_time`` (design14 §3), its logs kept in ``log``."""
    payload = monitor_payload(scheduled_time)
    # The planner binds its S3 client at import, as Lambda does once per container: import it afresh here, inside
    # moto and this environment, and leave any copy the caller imported as it was.
    with _fresh_modules(PLANNER_MODULE.rsplit(".", 1)[0]), contextlib.redirect_stdout(log):
        planner = importlib.import_module(PLANNER_MODULE)
        planner.logger.registered_handler.setStream(log)  # Powertools' Logger keeps the stdout of its import
        result: dict[str, Any] = planner.handler(payload, FakeLambdaContext("open-monitor-planner"))
    return result


def download_inputs(s3: Any, processing_inputs: Sequence[Mapping[str, Any]], root: Path) -> None:
    """Lay the processing inputs out under ``root`` as SageMaker Processing does under the container's local
    paths: an S3Prefix input's objects by their key below the prefix, a ManifestFile input's listed objects by
    their key below the manifest's prefix."""
    for processing_input in processing_inputs:
        spec = processing_input["S3Input"]
        local = root / Path(spec["LocalPath"]).relative_to(CONTAINER_INPUT)
        bucket, key = _split_uri(spec["S3Uri"])
        if spec["S3DataType"] == "ManifestFile":
            manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            base_bucket, base_key = _split_uri(manifest[0]["prefix"])
            objects = [(base_bucket, base_key + relative, relative) for relative in manifest[1:]]
        else:
            listed = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
            cut = key.rsplit("/", 1)[0] + "/" if key.endswith(".json") else key
            objects = [(bucket, o["Key"], o["Key"][len(cut) :].lstrip("/")) for o in listed]
        for source_bucket, source_key, relative in objects:
            target = local / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=source_bucket, Key=source_key)["Body"].read())


# --- 4. analyze -------------------------------------------------------------------------------------------


def analyze(root: Path, out_dir: Path) -> tuple[dict[str, Any], list[Path]]:
    """``run.analyze`` on the downloaded inputs, as the container runs it: (summary, data files)."""
    from sagemaker_constructs._monitor_script import run

    config = json.loads((root / "config" / "monitor.json").read_text())
    data_files = sorted(p for p in (root / "data").rglob("*") if p.is_file())
    summary: dict[str, Any] = run.analyze(
        config, [str(p) for p in data_files], baseline_dir=str(BASELINE_DIR), out_dir=str(out_dir)
    )
    return summary, data_files


def publish_outputs(s3: Any, cloudwatch: Any, out_dir: Path, planned: Mapping[str, Any], summary: Any) -> int:
    """Upload the run's outputs to its report prefix, then publish its metric batches (the workflow's steps);
    returns the number of PutMetricData calls."""
    for path in sorted(out_dir.iterdir()):
        s3.put_object(
            Bucket=REPORTS_BUCKET, Key=f"{planned['runPrefix']}/{path.name}", Body=path.read_bytes()
        )
    batches = summary.get("metricData") or []
    for batch in batches:
        cloudwatch.put_metric_data(Namespace=summary.get("namespace", METRICS_NAMESPACE), MetricData=batch)
    return len(batches)


# --- 5. the workflow's event --------------------------------------------------------------------------------


def build_workflow_event(
    summary: Mapping[str, Any],
    *,
    scheduled_time: datetime,
    execution_arn: str,
    report_uri: str,
    summary_uri: str,
    endpoint_name: str | None,
    event_time: datetime,
) -> dict[str, Any]:
    """The EventBridge event the open backend's workflow puts once per execution, from the run's summary.

    Exactly design14.md §4: source ``sagemaker-constructs.monitoring``, detail-type ``Monitoring Execution Status
    Change``, and a detail of ``schemaVersion``, ``monitoringScheduleName``, ``monitoringType``,
    ``monitoringExecutionStatus`` (the summary's ``status``), ``verdict``, ``scheduledTime`` (ISO UTC, whole
    seconds, ``Z``), ``executionArn``, ``endpointName`` (or ``""``), ``violations``, ``violatedChecks``,
    ``reportUri`` and ``summaryUri``. The envelope is the one EventBridge wraps around a PutEvents entry.
    """
    detail = {
        "schemaVersion": "1",
        "monitoringScheduleName": summary["monitoringScheduleName"],
        "monitoringType": summary["monitoringType"],
        "monitoringExecutionStatus": summary["status"],
        "verdict": summary["verdict"],
        "scheduledTime": _iso(scheduled_time),
        "executionArn": execution_arn,
        "endpointName": endpoint_name or "",
        "violations": int(summary["violations"]),
        "violatedChecks": list(summary.get("violatedChecks", [])),
        "reportUri": report_uri,
        "summaryUri": summary_uri,
    }
    return {
        "version": "0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, execution_arn)),
        "detail-type": EVENT_DETAIL_TYPE,
        "source": EVENT_SOURCE,
        "account": ACCOUNT,
        "time": _iso(event_time),
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


# --- 6. the retraining trigger ------------------------------------------------------------------------------


class RetrainingTrigger:
    """RetrainingTrigger's handler in moto, with its table, topic and pipeline, and the environment the construct
    gives it (one open monitor wired: this simulation's schedule and report prefix)."""

    def __init__(self, log: io.StringIO) -> None:
        contract = importlib.import_module(f"{TRIGGER_PACKAGE}.contract")
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE_NAME,
            AttributeDefinitions=[{"AttributeName": contract.TABLE_PARTITION_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": contract.TABLE_PARTITION_KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name=TOPIC_NAME)["TopicArn"]
        definition = {
            "Version": "2020-12-01",
            "Metadata": {},
            "Parameters": [
                {"Name": name, "Type": "String", "DefaultValue": ""} for name in PIPELINE_PARAMETERS
            ],
            "Steps": [
                {"Name": "Train", "Type": "Fail", "Arguments": {"ErrorMessage": "stands in for training"}}
            ],
        }
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.sagemaker.create_pipeline(
            PipelineName=PIPELINE_NAME,
            PipelineDefinition=json.dumps(definition),
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/churn-retraining-pipeline",
        )
        self.environment = {
            contract.ENV_PIPELINE_NAME: PIPELINE_NAME,
            contract.ENV_TABLE_NAME: TABLE_NAME,
            contract.ENV_TOPIC_ARN: topic_arn,
            contract.ENV_COOLDOWN_SECONDS: "3600",
            contract.ENV_STATIC_PARAMETERS: "{}",
            contract.ENV_EVENT_PARAMETERS: json.dumps(PIPELINE_PARAMETERS),
            contract.ENV_IDEMPOTENCY_TTL_SECONDS: "86400",
            contract.ENV_MONITORING_SCHEDULES: "[]",
            contract.ENV_VIOLATION_LOOKBACK_SECONDS: "86400",
            contract.ENV_OPEN_MONITORS: json.dumps(
                [{"name": SCHEDULE, "bucket": REPORTS_BUCKET, "prefix": REPORTS_PREFIX}]
            ),
            contract.POWERTOOLS_SERVICE_NAME: "retraining-trigger",
            contract.POWERTOOLS_METRICS_NAMESPACE: "SageMakerConstructs/Simulation",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        self.reconcile_source = contract.RECONCILE_SOURCE
        self.reconcile_detail_type = contract.RECONCILE_DETAIL_TYPE
        self.log = log
        with _environment(self.environment):
            # The handler binds its clients and persistence layer at import, from the environment: a fresh import.
            # The modules it replaces are put back by close(), so a caller's own imports of them are untouched.
            self._replaced = {
                m: sys.modules.pop(m) for m in list(sys.modules) if m.startswith(TRIGGER_PACKAGE)
            }
            self.module: ModuleType = importlib.import_module(f"{TRIGGER_PACKAGE}.handler")
        self.module.logger.registered_handler.setStream(log)

    def close(self) -> None:
        """Forget this simulation's handler modules and restore the ones it replaced."""
        for name in [m for m in sys.modules if m.startswith(TRIGGER_PACKAGE)]:
            del sys.modules[name]
        sys.modules.update(self._replaced)

    def deliver(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """One invocation, as EventBridge's asynchronous delivery makes it (a new request id each time)."""
        with _environment(self.environment), contextlib.redirect_stdout(self.log):
            decision: dict[str, Any] = self.module.lambda_handler(
                dict(event), FakeLambdaContext("retraining-trigger")
            )
        return decision

    def reconcile(self, now: datetime) -> dict[str, Any]:
        """The construct's scheduled reconciliation event."""
        return self.deliver(
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": self.reconcile_detail_type,
                "source": self.reconcile_source,
                "account": ACCOUNT,
                "time": _iso(now),
                "region": REGION,
                "resources": [],
                "detail": {},
            }
        )

    def executions(self) -> list[dict[str, Any]]:
        """The pipeline's executions (moto's ListPipelineExecutions), each with its ``Parameters``."""
        summaries: list[dict[str, Any]] = self.sagemaker.list_pipeline_executions(PipelineName=PIPELINE_NAME)[
            "PipelineExecutionSummaries"
        ]
        for summary in summaries:
            listed = self.sagemaker.list_pipeline_parameters_for_execution(
                PipelineExecutionArn=summary["PipelineExecutionArn"]
            )["PipelineParameters"]
            summary["Parameters"] = {p["Name"]: p["Value"] for p in listed}
        return summaries


# --- the story --------------------------------------------------------------------------------------------


class Story:
    """Numbered steps, printed plainly."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = 0

    def __call__(self, title: str, *lines: str) -> None:
        self.step += 1
        print(f"\n[{self.step}] {title}", file=self.out)
        for line in lines:
            print(f"    {line}", file=self.out)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> SimulationResult:
    """Run the loop and print its story; returns what happened (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="where the outputs and reports go"
    )
    parser.add_argument(
        "--scheduled-time",
        help="the drifted run's scheduled time, ISO-8601 UTC on the hour (default: the current hour)",
    )
    args = parser.parse_args(argv)
    story = Story(out or sys.stdout)
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    scheduled = (
        datetime.fromisoformat(args.scheduled_time).astimezone(UTC)
        if args.scheduled_time
        else now.replace(minute=0, second=0)
    )
    log = io.StringIO()
    rng = np.random.default_rng(SEED)
    rows, columns = load_sample()
    drifted_rows = DRIFT.apply(rows, columns, rng)
    clean_p, drifted_p = predict(rows), predict(drifted_rows)
    runs: dict[str, WindowRun] = {}
    with mock_aws(), _environment({"AWS_DEFAULT_REGION": REGION}):
        s3 = boto3.client("s3", region_name=REGION)
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        for bucket in (CAPTURE_BUCKET, REPORTS_BUCKET):
            s3.create_bucket(Bucket=bucket)
        windows = [
            ("undrifted", scheduled - timedelta(hours=1), rows, clean_p),
            ("drifted", scheduled, drifted_rows, drifted_p),
        ]
        for label, at, window_rows, probabilities in windows:
            keys = write_capture(
                s3, capture_lines(window_rows, probabilities, columns, at - timedelta(hours=1), rng), rng
            )
            story(
                f"Capture ({label}): {len(window_rows)} requests replayed into s3://{CAPTURE_BUCKET}/",
                f"{len(keys)} JSONL files in the capture format, e.g. {keys[0]}",
                f"mean churn probability the model returned: {probabilities.mean():.3f}",
                *([f"injected drift: {DRIFT.description} (seed {SEED})"] if label == "drifted" else []),
            )
        for label, at, _, _ in windows:
            planned = plan(s3, at, log)
            story(
                f"Plan ({label} run scheduled at {_iso(at)}): the open backend's planner Lambda",
                f"window {planned['window']['start']} to {planned['window']['end']}: "
                f"{planned['files']['data']} capture files; report prefix {planned['reportUri']}",
            )
            with tempfile.TemporaryDirectory() as work:
                root, outputs = Path(work) / "input", Path(work) / "output"
                outputs.mkdir()
                download_inputs(s3, planned["processingInputs"], root)
                summary, data_files = analyze(root, outputs)
                calls = publish_outputs(s3, cloudwatch, outputs, planned, summary)
                statistics = json.loads((outputs / "statistics.json").read_text())
                violations = json.loads((outputs / "constraint_violations.json").read_text())
                config = json.loads((root / "config" / "monitor.json").read_text())
            run_dir = out_dir / label
            run_dir.mkdir(exist_ok=True)
            for name, document in (
                ("summary.json", summary),
                ("statistics.json", statistics),
                ("constraint_violations.json", violations),
            ):
                (run_dir / name).write_text(json.dumps(document, indent=2) + "\n")
            execution_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{STATE_MACHINE}:{monitor_payload(at)['executionName']}"
            event = build_workflow_event(
                summary,
                scheduled_time=at,
                execution_arn=execution_arn,
                report_uri=planned["reportUri"],
                summary_uri=f"s3://{REPORTS_BUCKET}/{planned['summaryKey']}",
                endpoint_name=ENDPOINT,
                event_time=now,
            )
            (run_dir / "event.json").write_text(json.dumps(event, indent=2) + "\n")
            run = WindowRun(label, at, summary, statistics, violations, config, event, len(data_files))
            runs[label] = run
            records = summary.get("records", {})
            story(
                f"Analyze ({label}): run.analyze, the container's code, against the committed baseline",
                f"records read {records.get('read')}, used {records.get('used')}, "
                f"malformed {records.get('malformed')}, from {len(data_files)} files",
                f"status {summary['status']}, verdict {summary['verdict']}, {summary['violations']} violation(s)",
                f"features drifted: {', '.join(run.violated_features) or 'none'}",
                f"outputs uploaded to {planned['reportUri']}; {calls} PutMetricData call(s) published",
            )
            story(
                f"Event ({label}): {event['source']} / {event['detail-type']}",
                json.dumps(event["detail"]),
            )

        trigger = RetrainingTrigger(log)
        try:
            undrifted, drifted = runs["undrifted"], runs["drifted"]
            undrifted.decisions.append(trigger.deliver(undrifted.event))
            undrifted.pipeline_executions = len(trigger.executions())
            story(
                "Retrain? The undrifted run's event goes to RetrainingTrigger's handler",
                f"decision: {_decision_text(undrifted.decisions[0])}",
                f"pipeline executions: {undrifted.pipeline_executions}",
            )
            for delivery in (1, 2):
                drifted.decisions.append(trigger.deliver(drifted.event))
                story(
                    f"Retrain? The drifted run's event, delivery {delivery} of 2 (EventBridge delivers at least once)",
                    f"decision: {_decision_text(drifted.decisions[-1])}",
                    f"pipeline executions: {len(trigger.executions())}",
                )
            drifted.decisions.append(trigger.reconcile(now))
            executions = trigger.executions()
            drifted.pipeline_executions = len(executions)
            story(
                "Retrain? The scheduled reconciliation lists the open monitor's summaries",
                f"decision: {_decision_text(drifted.decisions[-1])}",
                f"pipeline executions (ListPipelineExecutions): {len(executions)}",
            )
        finally:
            trigger.close()
    (out_dir / "trigger_logs.jsonl").write_text(log.getvalue())

    from sagemaker_constructs._monitor_script.drift_report import render_drift_report

    baseline = json.loads((BASELINE_DIR / "statistics.json").read_text())
    constraints = json.loads((BASELINE_DIR / "constraints.json").read_text())
    report_path = out_dir / "drift_report.html"
    for run, path in ((drifted, report_path), (undrifted, out_dir / "undrifted_report.html")):
        page = render_drift_report(
            baseline,
            run.statistics,
            run.violations,
            run.summary,
            constraints=constraints,
            window=run.config.get("window"),
            title=f"Drift report: {SCHEDULE}, run scheduled at {_iso(run.scheduled_time)} ({run.label})",
        )
        path.write_text(page)
    story(
        "Report",
        f"drift report (drifted run): {report_path}",
        f"the undrifted run's report: {out_dir / 'undrifted_report.html'}",
        f"each run's statistics.json, constraint_violations.json, summary.json and event.json: {out_dir}/<run>/",
    )
    return SimulationResult(undrifted, drifted, executions, report_path, out_dir)


def _decision_text(decision: Mapping[str, Any]) -> str:
    keys = ("decision", "reason", "incident_id", "execution_arn")
    text = ", ".join(f"{k}={decision[k]}" for k in keys if decision.get(k))
    outcomes = decision.get("outcomes")
    if isinstance(outcomes, list):
        found = "; ".join(f"{o.get('incident_id')}: {o.get('decision')}" for o in outcomes) or "none"
        text += f", violating runs found: {len(outcomes)} ({found})"
    return text or json.dumps(decision, default=str)[:300]


@contextlib.contextmanager
def _fresh_modules(package: str) -> Iterator[None]:
    """Import ``package`` and its submodules afresh in the block; afterwards restore the modules it replaced."""
    replaced = {
        m: sys.modules.pop(m) for m in list(sys.modules) if m == package or m.startswith(package + ".")
    }
    try:
        yield
    finally:
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]
        sys.modules.update(replaced)


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then restore the previous values."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


if __name__ == "__main__":
    main()
