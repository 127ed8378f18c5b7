"""False-alarm benchmark of the open backend's data-quality drift rule.

Draws many *undrifted* windows, resampled with replacement from the churn sample's own rows (the training features
of ``model_artifacts/churn/train.csv``, from which the data-quality baseline was built, and ``test_features.csv``),
runs the monitoring script's DataQuality analysis on each against
``model_artifacts/churn/baselines/data_quality``, and prints, per window size, the share of windows with at least
drift alarm, for each ``comparison_method`` (``Robust``, the baseline's, and ``Simple``):

- ``rule/<method>``: the script's rule (no check below ``minSamples`` records; the method's distance above
  ``comparison_threshold`` and the two-sample Kolmogorov-Smirnov test rejecting at ``significance``);
- ``threshold/<method>``: the method's distance above ``comparison_threshold`` alone, as Model Monitor decides.

``--min-samples 0`` shows what the Kolmogorov-Smirnov gate does on its own.

Every window is undrifted, so every alarm is false. Run from the repository root::

    python benchmarks/false_alarms.py --windows 500 --seed 7
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "constructs"))

from sagemaker_constructs._monitor_script import data_quality, dq_checks  # noqa: E402
from sagemaker_constructs._monitor_script.capture import Record  # noqa: E402

DATA = ROOT / "model_artifacts" / "churn"
BASELINE = DATA / "baselines" / "data_quality"
SIZES = (40, 100, 500, 2000)
MIN_SAMPLES = 100
SIGNIFICANCE = 0.01
METHODS = ("Robust", "Simple")
RULES = tuple(f"{kind}/{method}" for kind in ("rule", "threshold") for method in METHODS)


def pool() -> list[list[str]]:
    """The rows windows are drawn from: training features (label column dropped) and the test features."""
    with (DATA / "train.csv").open() as stream:
        rows = [row[1:] for row in csv.reader(stream) if row]
    with (DATA / "test_features.csv").open() as stream:
        rows.extend(row for row in csv.reader(stream) if row)
    return rows


def baselines(folder: Path) -> dict[str, str]:
    """The churn baseline once per ``comparison_method``, written under ``folder``."""
    statistics = (BASELINE / "statistics.json").read_text()
    constraints = json.loads((BASELINE / "constraints.json").read_text())
    out = {}
    for method in METHODS:
        target = folder / method
        target.mkdir(parents=True, exist_ok=True)
        (target / "statistics.json").write_text(statistics)
        constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = method
        (target / "constraints.json").write_text(json.dumps(constraints))
        out[method] = str(target)
    return out


def window_alarms(rows: list[list[str]], config: dict[str, Any], folders: dict[str, str]) -> dict[str, bool]:
    """Whether each rule raises a drift alarm on one window."""
    alarms = {}
    for method, folder in folders.items():
        partial = data_quality.new_partial(config, folder)
        for row in rows:
            partial.add(Record(list(row)))
        result = data_quality.finish(config, partial, folder)
        alarms["rule/" + method] = any(
            v["constraint_check_type"] == "baseline_drift_check" for v in result.violations
        )
        stats, constraints = data_quality.load_baseline(folder)
        assert stats is not None
        _, distribution = dq_checks._settings(constraints, None)
        baseline = {f["name"]: f for f in stats["features"]}
        alarms["threshold/" + method] = False
        for name, feature in zip(partial.names or [], partial.features, strict=True):
            drift = dq_checks._drift(feature, baseline[name], 0.0, distribution, SIGNIFICANCE)
            if drift is not None and drift[0] > float(distribution["comparison_threshold"]):
                alarms["threshold/" + method] = True
    return alarms


def false_alarm_rates(
    sizes: tuple[int, ...] = SIZES, windows: int = 200, seed: int = 20261202, min_samples: int = MIN_SAMPLES
) -> dict[int, dict[str, float]]:
    """Per window size, the share of undrifted windows each rule flags."""
    rng = np.random.default_rng(seed)
    rows = pool()
    config = {"monitoringType": "DataQuality", "minSamples": min_samples, "significance": SIGNIFICANCE}
    rates: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folders = baselines(Path(scratch))
        for size in sizes:
            counts = dict.fromkeys(RULES, 0)
            for _ in range(windows):
                picks = rng.integers(0, len(rows), size=size)
                for rule, alarmed in window_alarms([rows[i] for i in picks], config, folders).items():
                    counts[rule] += int(alarmed)
            rates[size] = {rule: counts[rule] / windows for rule in RULES}
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=200, help="windows per size (default 200)")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--min-samples", type=int, default=MIN_SAMPLES, help="the rule's minSamples")
    args = parser.parse_args(argv)
    rates = false_alarm_rates(tuple(args.sizes), args.windows, args.seed, args.min_samples)
    print(
        f"false-alarm rate over {args.windows} undrifted windows per size (any of 7 features flagged; "
        f"minSamples {args.min_samples}, significance {SIGNIFICANCE})"
    )
    print("size  " + "".join(f"{rule:>18}" for rule in RULES))
    for size, by_rule in rates.items():
        print(f"{size:<6}" + "".join(f"{by_rule[rule]:>18.3f}" for rule in RULES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
