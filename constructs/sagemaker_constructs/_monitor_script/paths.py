"""Container paths of the open backend's processing job (design14 §1); every one can be overridden on the CLI."""

from __future__ import annotations

PROCESSING = "/opt/ml/processing"
CONFIG_FILE = PROCESSING + "/input/config/monitor.json"
DATA_DIR = PROCESSING + "/input/data"
GROUND_TRUTH_DIR = PROCESSING + "/input/ground_truth"
BASELINE_DIR = PROCESSING + "/input/baseline"
CLARIFY_DIR = PROCESSING + "/input/clarify"
PARTIALS_DIR = PROCESSING + "/input/partials"
OUTPUT_DIR = PROCESSING + "/output"
RESOURCE_CONFIG = "/opt/ml/config/resourceconfig.json"
"""SageMaker writes the instance's ``current_host`` here in a multi-instance processing job."""

STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
VIOLATIONS_FILE = "constraint_violations.json"
SUMMARY_FILE = "summary.json"
DRIFT_REPORT_FILE = "drift_report.html"
PARTIALS_SUBDIR = "partials"
