"""What the open backend's workflow (the construct side) and its planner agree on: the planner's handler, the
payload's keys, the processing inputs' channels and container paths. Both import this module; nothing here
imports AWS SDKs."""

from __future__ import annotations

HANDLER = "open_monitor.planner.handler"
"""The planner's Lambda handler, relative to the handler asset root (``sagemaker_constructs._handlers``)."""

# --- The payload (built by the state machine) ------------------------------------------------------------------
PAYLOAD_SCHEDULED_TIME = "scheduledTime"
PAYLOAD_EXECUTION_NAME = "executionName"
PAYLOAD_MONITOR = "monitor"
SOURCE_ENDPOINT = "endpoint"
SOURCE_BATCH_TRANSFORM = "batch_transform"
"""Values of the monitor's ``source``."""
BATCH_MANIFESTS = ("output", "input")
"""``batchCapture.manifests``: which capture manifests of a batch transform name the data. Default ``output``: a
transform that joins its input (``JoinSource.INPUT``) writes each input record followed by the prediction, the
layout the monitors' attributes index (``transform_output_column``); ``input`` for the input records alone."""
DEFAULT_START_OFFSET = "-PT1H"
DEFAULT_END_OFFSET = "-PT0H"
PLANNER_KEYS = frozenset(
    {
        "capture",
        "variants",
        "batchCapture",
        "groundTruth",
        "windowStartOffset",
        "windowEndOffset",
        "groundTruthStartOffset",
        "groundTruthEndOffset",
        "output",
        "instanceCount",
    }
)
"""Keys of the payload's ``monitor`` that only the planner reads; the others go to monitor.json as they are."""

# --- The processing job's inputs -------------------------------------------------------------------------------
CONFIG_PATH = "/opt/ml/processing/input/config"
DATA_PATH = "/opt/ml/processing/input/data"
GROUND_TRUTH_PATH = "/opt/ml/processing/input/ground_truth"
"""Where the monitoring script reads its inputs in the container (the script package's paths.py)."""
CONFIG_FILE = "monitor.json"
CHANNEL_CONFIG = "config"
CHANNEL_DATA = "data"
CHANNEL_GROUND_TRUTH = "ground_truth"
RUN_INPUT_FOLDER = "input"
"""The planner writes under ``<output prefix>/yyyy/mm/dd/hh/input/``."""
SUMMARY_FILE = "summary.json"
