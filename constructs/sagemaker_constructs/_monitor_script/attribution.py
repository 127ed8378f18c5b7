"""The ModelExplainability monitor type: the dataset Clarify explains, and the comparison of Clarify's global SHAP
values with the baseline's (feature attribution drift).

The open backend's explainability run has three steps: this module's extract step writes the window's features as
a headerless CSV, a Clarify processing job computes global SHAP values on it (its ``analysis.json``), and
:func:`compare` checks them against the baseline. Through ``run.py``'s monitor-type interface (:func:`new_partial`,
:class:`Partial`, :func:`finish`) the analyze mode is the extract step (the CSV is the extra output file
:data:`DATASET_FILE`), and the same mode with ``--clarify <analysis.json>`` is the compare step;
:func:`extract_dataset` does the extract step alone.

Sampling: KernelSHAP's cost grows with the records explained, so the dataset is a sample of at most ``maxRecords``
(default :data:`DEFAULT_MAX_RECORDS`) records. Each record gets a priority from a seeded hash of its id (or of its
values when it has none) and the sample keeps the lowest priorities (bottom-k sampling): a uniform sample without
replacement, deterministic for a seed, bounded in memory, and mergeable across shards (:class:`Sample`): the merge
of shard samples is the single-pass sample.

Drift (SageMaker Developer Guide, "Monitor feature attribution drift",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-feature-attribution-drift.html): with the
features ``F`` ranked by their baseline attribution ``a(f)`` and ``F'`` ranked by the current attribution,
``nDCG = DCG / iDCG``, ``DCG = sum_i a(F'_i) / log2(i + 1)``, ``iDCG = sum_i a(F_i) / log2(i + 1)``; "if the
NDCG value is below 0.90" an alert is raised. This is scikit-learn's ``ndcg_score`` with the baseline values as
relevance and the current values as scores (the page links it); as there, features tied in the current ranking
share their gains equally. A feature absent from the current results ranks last. The threshold can be changed with
the config key ``attributionDriftThreshold``.

Violations ("Model feature attribution drift violations",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-model-attribution-drift-violations.html):
one per label below the threshold, ``{"label", "metric_name": "shap", "constraint_check_type":
"feature_attribution_drift_check", "description"}``. Metric data (aws-facts §4.1): ``feature_<name>`` with
``ExplainabilityMethod=KernelShap``, ``Label``, ``ValueType=GlobalShapValues``, and ``ExpectedValue`` with
``ValueType=ExpectedValue``, plus the config's dimensions.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import json
import math
import os
from collections.abc import Iterable
from typing import Any

from ._metrics_math import Result, config_dimensions, metric_datum, verdict

DEFAULT_MAX_RECORDS = 1000
DEFAULT_THRESHOLD = 0.9
DEFAULT_SEED = 0


def _priority(record: Any, seed: int) -> int:
    key = getattr(record, "inference_id", None) or getattr(record, "event_id", None)
    text = "id:" + str(key) if key else "row:" + json.dumps(list(record.features), default=str)
    digest = hashlib.blake2b(f"{seed}\x00{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


class Sample:
    """A bottom-k sample of feature rows: the ``max_records`` rows of lowest seeded-hash priority."""

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS, seed: int = DEFAULT_SEED) -> None:
        if max_records < 1:
            raise ValueError(f"'maxRecords' must be at least 1, got {max_records}")
        self.max_records = max_records
        self.seed = seed
        self.seen = 0
        self._heap: list[tuple[int, list[str]]] = []  # (-priority, row): the largest kept priority on top

    def add(self, record: Any) -> None:
        """Offer one record's features (ordered as the model input)."""
        self.seen += 1
        self._offer(_priority(record, self.seed), [_cell(v) for v in record.features])

    def _offer(self, priority: int, row: list[str]) -> None:
        entry = (-priority, row)
        if len(self._heap) < self.max_records:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def rows(self) -> list[list[str]]:
        """The sampled rows, lowest priority first (a deterministic order)."""
        return [row for _, row in sorted(self._heap, reverse=True)]

    def to_json(self) -> dict[str, Any]:
        """The sample as JSON."""
        return {
            "maxRecords": self.max_records,
            "seed": self.seed,
            "seen": self.seen,
            "rows": [[-p, r] for p, r in self._heap],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sample:
        """A sample from :meth:`to_json`."""
        sample = cls(int(data["maxRecords"]), int(data["seed"]))
        sample.seen = int(data["seen"])
        for priority, row in data["rows"]:
            sample._offer(int(priority), [str(c) for c in row])
        return sample

    def merge(self, other: Sample) -> None:
        """Keep the lowest priorities of both samples."""
        self.seen += other.seen
        for negated, row in other._heap:
            self._offer(-negated, row)

    def csv_text(self) -> str:
        """The sampled rows as headerless CSV text."""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(self.rows())
        return buffer.getvalue()

    def write(self, out_path: str) -> int:
        """Write the sampled rows as a headerless CSV; returns the number of rows."""
        folder = os.path.dirname(out_path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(out_path, "w", encoding="utf-8", newline="") as stream:
            stream.write(self.csv_text())
        return len(self._heap)


def extract_dataset(
    records: Iterable[Any], out_path: str, max_records: int = DEFAULT_MAX_RECORDS, seed: int = DEFAULT_SEED
) -> int:
    """Write at most ``max_records`` of ``records``' feature rows to ``out_path`` (headerless CSV, the dataset of
    the Clarify job); returns the number of rows written. The sample is deterministic for a ``seed``."""
    sample = Sample(max_records, seed)
    for record in records:
        sample.add(record)
    return sample.write(out_path)


def ndcg(baseline: dict[str, float], current: dict[str, float]) -> float:
    """nDCG of the current attribution ranking against the baseline attributions (see the module docstring)."""
    names = sorted(baseline)
    ideal_gains = sorted((baseline[n] for n in names), reverse=True)
    discounts = [1.0 / math.log2(i + 2) for i in range(len(names))]
    ideal = math.fsum(g * d for g, d in zip(ideal_gains, discounts))
    if ideal == 0:
        return 1.0
    scores = {n: current.get(n, -math.inf) for n in names}
    order = sorted(names, key=lambda n: -scores[n])
    dcg = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        tied = order[start : end + 1]
        mean_gain = math.fsum(baseline[n] for n in tied) / len(tied)
        dcg += mean_gain * math.fsum(discounts[start : end + 1])
        start = end + 1
    return dcg / ideal


def _explanations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    section = (document.get("explanations") or {}).get("kernel_shap") or {}
    return {str(label): value for label, value in section.items() if isinstance(value, dict)}


def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as stream:
        document = json.load(stream)
    if not isinstance(document, dict):
        raise ValueError(f"{path}: a Clarify analysis.json must be a JSON object")
    return document


def compare(
    config: dict[str, Any], clarify_analysis: str, baseline_dir: str | None, records: int | None = None
) -> Result:
    """Compare the Clarify job's ``analysis.json`` (path ``clarify_analysis``) with the baseline's.

    ``records``: how many records Clarify explained (the extract step's count), for the ``minSamples`` rule;
    ``None`` skips that rule. Without a baseline analysis.json nothing is checked.
    """
    current = _explanations(_load(clarify_analysis))
    threshold = float(config.get("attributionDriftThreshold", DEFAULT_THRESHOLD))
    baseline_path = os.path.join(baseline_dir, "analysis.json") if baseline_dir else None
    baseline = _explanations(_load(baseline_path)) if baseline_path and os.path.isfile(baseline_path) else {}
    scores: dict[str, float] = {}
    violations = []
    for label, explanation in sorted(current.items()):
        base = (baseline.get(label) or {}).get("global_shap_values")
        now = explanation.get("global_shap_values") or {}
        if not isinstance(base, dict) or not base:
            continue
        score = ndcg({str(k): float(v) for k, v in base.items()}, {str(k): float(v) for k, v in now.items()})
        scores[label] = score
        if score < threshold:
            violations.append(
                {
                    "label": label,
                    "metric_name": "shap",
                    "constraint_check_type": "feature_attribution_drift_check",
                    "description": f"nDCG {score} of the feature attribution ranking is below the threshold "
                    f"{threshold}",
                }
            )
    used = records if records is not None else (1 if current else 0)
    min_samples = int(config.get("minSamples") or 0) if records is not None else 0
    outcome = verdict(used, min_samples, len(violations))
    if outcome != "violations":
        violations = []
    metric_data = []
    if outcome in ("violations", "no-violations"):
        dimensions = config_dimensions(config)
        for label, explanation in sorted(current.items()):
            base_dims = [*dimensions, {"Name": "ExplainabilityMethod", "Value": "KernelShap"}]
            base_dims.append({"Name": "Label", "Value": label})
            shap_dims = [*base_dims, {"Name": "ValueType", "Value": "GlobalShapValues"}]
            for feature, value in sorted((explanation.get("global_shap_values") or {}).items()):
                metric_data.append(metric_datum("feature_" + str(feature), float(value), shap_dims))
            if explanation.get("expected_value") is not None:
                expected_dims = [*base_dims, {"Name": "ValueType", "Value": "ExpectedValue"}]
                metric_data.append(
                    metric_datum("ExpectedValue", float(explanation["expected_value"]), expected_dims)
                )
    statistics = {
        "version": "1.0",
        "explanations": {"kernel_shap": current},
        "open_backend": {"ndcg": scores, "threshold": threshold, "records": records},
    }
    return Result(statistics, violations, metric_data, outcome, used)


# ------------------------------------------------------------------------- the run.py monitor-type interface

DATASET_FILE = "clarify_dataset.csv"
"""The extract step's output file (in the output folder): the dataset of the Clarify job."""


class Partial:
    """The ModelExplainability partial: the window's sample (``maxRecords``, ``sampleSeed`` in monitor.json)."""

    def __init__(self, sample: Sample) -> None:
        self.sample = sample

    def add(self, record: Any) -> None:
        """Offer one record to the sample."""
        self.sample.add(record)

    def to_json(self) -> dict[str, Any]:
        """The sample as JSON."""
        return self.sample.to_json()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Partial:
        """A partial from :meth:`to_json`."""
        return cls(Sample.from_json(data))

    def merge(self, other: Partial) -> None:
        """Merge another shard's sample."""
        self.sample.merge(other.sample)


def new_partial(config: dict[str, Any], baseline_dir: str | None = None) -> Partial:
    """An empty sample of at most ``maxRecords`` records (default 1000), seeded by ``sampleSeed`` (default 0)."""
    del baseline_dir
    return Partial(
        Sample(int(config.get("maxRecords") or DEFAULT_MAX_RECORDS), int(config.get("sampleSeed") or 0))
    )


def finish(config: dict[str, Any], partial: Partial, baseline_dir: str | None = None) -> Result:
    """The extract step, or the compare step when ``config["_paths"]["clarify"]`` names the Clarify job's
    ``analysis.json`` (``run.py`` sets it from ``--clarify``).

    Extract: the sample goes to :data:`DATASET_FILE`; the verdict is ``no-data`` without records,
    ``insufficient-data`` under ``minSamples`` (the workflow need not run Clarify then), else ``no-violations``.
    Compare: see :func:`compare`; the records read by the compare job (give it the extracted dataset as its data)
    count for the ``minSamples`` rule.
    """
    clarify = (config.get("_paths") or {}).get("clarify")
    seen = partial.sample.seen
    if clarify:
        return compare(config, str(clarify), baseline_dir, seen or None)
    statistics = {
        "version": "1.0",
        "dataset": {"item_count": len(partial.sample.rows()), "records": seen},
        "open_backend": {"maxRecords": partial.sample.max_records, "sampleSeed": partial.sample.seed},
    }
    outcome = verdict(seen, int(config.get("minSamples") or 0), 0)
    files = {DATASET_FILE: partial.sample.csv_text()} if seen else {}
    return Result(statistics, [], [], outcome, seen, files=files)
