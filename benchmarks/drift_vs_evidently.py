"""Drift computation of the open monitoring backend against Evidently's ``DataDriftPreset``, on the same data.

Not a test: a measurement, printed as Markdown tables (and saved as JSON) for docs/benchmarks.md. Run from the
repository root after ``make bench-venv`` (Evidently lives in ``.venv-bench`` only, never in the project's venvs)::

    python benchmarks/drift_vs_evidently.py                     # the run in docs/benchmarks.md
    python benchmarks/drift_vs_evidently.py --records 100000 --flat 100000 --windows 10   # a quick look

**Data.** The churn sample (``model_artifacts/churn``: the 3,000 rows of train, validation and test features)
is resampled with replacement (``numpy.random.default_rng(SEED)``) to N records, and the drift of
:data:`DRIFTS` is applied to half of the features: in the 7-feature variant to ``tenure_months`` (halved),
``monthly_charges`` (x 1.4) and ``contract_monthly`` (80 % of term contracts become monthly); in the 20-feature
variant (column ``i`` is churn feature ``i mod 7`` of an independently resampled row, named ``<feature>_<i // 7>``)
to the 10 even-numbered columns. The reference is the baseline sample: the 2,100 training rows (the 20-feature
variant builds its baseline from them the way ``model_artifacts/build_baselines.py`` does, with that module's
functions). The records are written, untimed, to a temporary folder twice: as endpoint capture files in Model
Monitor's JSONL format (100,000 records a file, CSV payloads) for our script, and as one CSV file with a header
for Evidently; both are deleted afterwards.

**What is timed, each in its own subprocess** (``--worker``), with the peak resident set size the subprocess
reports for itself (``VmHWM`` of ``/proc/self/status``, which includes the interpreter and imports):

- ``ours (capture files)``: ``run.analyze`` (the container's code, the project's venv) from the capture files to
  ``statistics.json``, ``constraint_violations.json`` and ``summary.json``;
- ``ours (arrays)``: the same computation from in-memory arrays, when the script exposes a way to feed them;
- ``Evidently``: ``pandas.read_csv`` of the CSV (reported apart as "load") then ``Report([DataDriftPreset()])
  .run(current_data, reference_data)`` with Evidently's defaults (``.venv-bench``).

**Memory flatness**: ours at 100k, 1M and 10M records (``--flat``). **Verdict agreement**: the features each
flags on the injected drift, and on ``--windows`` undrifted 40-record windows (resampled from the test features),
the share of windows in which each flags at least one feature.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "model_artifacts" / "churn"
BASELINE_DIR = ARTIFACTS / "baselines" / "data_quality"
BENCH_PYTHON = REPO_ROOT / ".venv-bench" / "bin" / "python"
RESULTS = REPO_ROOT / "build" / "bench" / "drift_vs_evidently.json"
SEED = 20261203
RECORDS_PER_FILE = 100_000
CHUNK = 100_000
FEATURES = (
    "age", "tenure_months", "monthly_charges", "support_calls", "contract_monthly", "has_fiber", "num_products"
)  # fmt: skip
DRIFTED_7 = ("tenure_months", "monthly_charges", "contract_monthly")
DRIFTS = {
    "age": "+ 10 years",
    "tenure_months": "halved (rounded down)",
    "monthly_charges": "x 1.4",
    "support_calls": "+ 1",
    "contract_monthly": "80 % of 0 -> 1",
    "has_fiber": "50 % of 0 -> 1",
    "num_products": "+ 1, at most 5",
}
"""The drift of each churn feature, applied to the drifted half of the columns (see the module docstring)."""
CONFIG = {
    "schemaVersion": "1",
    "monitoringType": "DataQuality",
    "monitoringScheduleName": "bench-data-quality",
    "endpointName": "bench-endpoint",
    "source": "endpoint",
    "metrics": {
        "namespace": "SageMakerConstructs/Endpoints/data-metrics",
        "dimensions": {"Endpoint": "bench-endpoint", "MonitoringSchedule": "bench-data-quality"},
    },
    "minSamples": 100,
    "significance": 0.01,
    "window": {"start": "2026-12-02T00:00:00Z", "end": "2026-12-02T01:00:00Z"},
}
"""monitor.json of the runs (design14 §1); the features come from the baseline's statistics."""


# --- data ---------------------------------------------------------------------------------------------------


def _np() -> Any:
    import numpy as np

    return np


def pool() -> Any:
    """The churn features of train, validation and test (3,000 x 7)."""
    np = _np()
    train = np.loadtxt(ARTIFACTS / "train.csv", delimiter=",", ndmin=2)[:, 1:]
    validation = np.loadtxt(ARTIFACTS / "validation.csv", delimiter=",", ndmin=2)[:, 1:]
    test = np.loadtxt(ARTIFACTS / "test_features.csv", delimiter=",", ndmin=2)
    return np.vstack([train, validation, test])


def columns(width: int) -> list[tuple[str, str, bool]]:
    """(column name, churn feature, drifted) per column of a ``width``-feature variant."""
    if width == len(FEATURES):
        return [(f, f, f in DRIFTED_7) for f in FEATURES]
    return [(f"{FEATURES[i % 7]}_{i // 7}", FEATURES[i % 7], i % 2 == 0) for i in range(width)]


def draw(rows: Any, width: int, n: int, rng: Any, *, drift: bool) -> Any:
    """``n`` records of the ``width``-feature variant resampled from ``rows``, drifted or not."""
    np = _np()
    out = np.empty((n, width))
    picks = rng.integers(0, len(rows), n)  # the 7-feature variant keeps each record one churn row
    for index, (_, feature, drifted) in enumerate(columns(width)):
        chosen = picks if width == len(FEATURES) else rng.integers(0, len(rows), n)
        values = rows[chosen, FEATURES.index(feature)]
        out[:, index] = _drift(feature, values, rng) if drift and drifted else values
    return out


def _drift(feature: str, values: Any, rng: Any) -> Any:
    np = _np()
    if feature == "age":
        return values + 10
    if feature == "tenure_months":
        return np.floor(values / 2)
    if feature == "monthly_charges":
        return np.round(values * 1.4, 2)
    if feature == "support_calls":
        return values + 1
    if feature in ("contract_monthly", "has_fiber"):
        share = 0.8 if feature == "contract_monthly" else 0.5
        return np.where((values == 0) & (rng.random(len(values)) < share), 1.0, values)
    return np.minimum(values + 1, 5)


def _csv_lines(block: Any, names: list[tuple[str, str, bool]]) -> list[str]:
    np = _np()
    parts = [
        np.char.mod("%.2f", block[:, i])
        if feature == "monthly_charges"
        else block[:, i].astype(np.int64).astype(str)
        for i, (_, feature, _) in enumerate(names)
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = np.char.add(np.char.add(joined, ","), part)
    return [str(s) for s in joined]


def write_data(folder: Path, width: int, n: int, *, drift: bool, evidently: bool) -> dict[str, Any]:
    """Write ``n`` records as capture files (and a CSV for Evidently); returns where and how long it took."""
    np = _np()
    rng = np.random.default_rng(SEED + width)
    rows = pool()
    names = columns(width)
    capture = folder / "capture"
    capture.mkdir(parents=True)
    csv_path = folder / "current.csv"
    started = time.perf_counter()
    csv_file = csv_path.open("w") if evidently else None
    if csv_file:
        csv_file.write(",".join(name for name, _, _ in names) + "\n")
    written = 0
    handle = None
    while written < n:
        size = min(CHUNK, n - written)
        block = draw(rows, width, size, rng, drift=drift)
        lines = _csv_lines(block, names)
        if csv_file:
            csv_file.write("\n".join(lines) + "\n")
        for offset, payload in enumerate(lines):
            index = written + offset
            if index % RECORDS_PER_FILE == 0:
                if handle:
                    handle.close()
                handle = (capture / f"{index // RECORDS_PER_FILE:05d}.jsonl").open("w")
            assert handle is not None
            handle.write(
                '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"'
                + payload
                + '","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8",'
                '"mode":"OUTPUT","data":"0.5","encoding":"CSV"}},"eventMetadata":{"eventId":'
                f'"00000000-0000-4000-8000-{index:012d}","inferenceTime":"2026-12-02T00:{(index // 60000) % 60:02d}'
                f':{(index // 1000) % 60:02d}Z"}},"eventVersion":"0"}}\n'
            )
        written += size
    if handle:
        handle.close()
    if csv_file:
        csv_file.close()
    size_bytes = sum(p.stat().st_size for p in capture.iterdir())
    return {"capture": str(capture), "csv": str(csv_path), "seconds": time.perf_counter() - started,
            "capture_bytes": size_bytes}  # fmt: skip


def reference(width: int, folder: Path) -> tuple[Path, Path]:
    """The baseline folder (statistics.json, constraints.json) and the reference CSV of a variant."""
    np = _np()
    train = np.loadtxt(ARTIFACTS / "train.csv", delimiter=",", ndmin=2)[:, 1:]
    names = columns(width)
    if width == 7:
        table, baseline_dir = train, BASELINE_DIR
    else:
        rng = np.random.default_rng(SEED)
        table = np.column_stack(
            [train[rng.permutation(len(train)), FEATURES.index(feature)] for _, feature, _ in names]
        )
        baseline_dir = folder / "baseline"
        baseline_dir.mkdir(parents=True, exist_ok=True)
        builder = _build_baselines()
        features = [
            builder.feature_statistics(name, "Fractional" if feature == "monthly_charges" else "Integral",
                                       table[:, i])
            for i, (name, feature, _) in enumerate(names)
        ]  # fmt: skip
        statistics = {"version": 0, "dataset": {"item_count": len(table)}, "features": features}
        (baseline_dir / "statistics.json").write_text(json.dumps(statistics))
        (baseline_dir / "constraints.json").write_text(
            json.dumps(builder.data_quality_constraints(statistics))
        )
    csv_path = folder / f"reference-{width}.csv"
    with csv_path.open("w") as out:
        out.write(",".join(name for name, _, _ in names) + "\n")
        out.write("\n".join(_csv_lines(table, names)) + "\n")
    return baseline_dir, csv_path


def _build_baselines() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_baselines", REPO_ROOT / "model_artifacts" / "build_baselines.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --- workers (each in its own process) ------------------------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak resident set size. ``VmHWM`` of /proc/self/status is this process image's own high-water
    mark; ``getrusage``'s ``ru_maxrss`` is kept across ``execve`` on Linux, so a subprocess would report its parent's
    peak (the data generator's) when that is higher. ``ru_maxrss`` only where /proc is missing."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_ours(capture: str, baseline: str) -> dict[str, Any]:
    """``run.analyze`` on every capture file (the project's venv)."""
    sys.path.insert(0, str(REPO_ROOT / "constructs"))
    from sagemaker_constructs._monitor_script import run

    files = sorted(str(p) for p in Path(capture).rglob("*.jsonl"))
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        summary = run.analyze(dict(CONFIG), files, baseline_dir=baseline, out_dir=out)
        seconds = time.perf_counter() - started
        violations = json.loads((Path(out) / "constraint_violations.json").read_text())["violations"]
    return {
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "verdict": summary["verdict"],
        "used": summary["records"]["used"],
        "flagged": sorted(
            {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
        ),
    }


def worker_arrays(width: str, records: str, baseline: str, mode: str = "bulk") -> dict[str, Any]:
    """The same computation from in-memory arrays (the project's venv): the records :func:`write_data` writes,
    drawn again in memory (untimed), then fed block by block (100,000 rows each) to the DataQuality monitor type
    through the script's monitor-type interface (``new_partial``, ``Partial.add_array``, ``finish``), without files
    or parsing. Before ``add_array`` existed the rows went one by one through ``Partial.add`` (``--row-by-row``
    times that way again: each block's ``tolist`` and one ``Record`` per row)."""
    sys.path.insert(0, str(REPO_ROOT / "constructs"))
    from sagemaker_constructs._monitor_script import data_quality
    from sagemaker_constructs._monitor_script.capture import Record

    np = _np()
    row_by_row = mode == "row-by-row"
    n, features = int(records), int(width)
    rng = np.random.default_rng(SEED + features)
    rows = pool()
    blocks = [draw(rows, features, min(CHUNK, n - start), rng, drift=True) for start in range(0, n, CHUNK)]
    config = dict(CONFIG)
    config["_paths"] = {"baseline": baseline, "groundTruth": [], "clarify": None}
    started = time.perf_counter()
    partial = data_quality.new_partial(config, baseline)
    for block in blocks:
        if row_by_row:
            for values in block.tolist():
                partial.add(Record(values))
        else:
            partial.add_array(block)
    result = data_quality.finish(config, partial, baseline)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "array_mb": sum(b.nbytes for b in blocks) / 2**20,
        "verdict": result.verdict,
        "flagged": sorted(
            {
                v["feature_name"]
                for v in result.violations
                if v["constraint_check_type"] == "baseline_drift_check"
            }
        ),
    }


def worker_evidently(current_csv: str, reference_csv: str) -> dict[str, Any]:
    """Evidently's DataDriftPreset with its defaults (.venv-bench)."""
    started = time.perf_counter()
    import pandas as pd  # type: ignore[import-untyped]
    from evidently import Report  # type: ignore[import-not-found]
    from evidently.presets import DataDriftPreset  # type: ignore[import-not-found]

    imported = time.perf_counter()
    reference_df = pd.read_csv(reference_csv)
    current_df = pd.read_csv(current_csv)
    loaded = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(current_data=current_df, reference_data=reference_df)
    finished = time.perf_counter()
    return {
        "import_seconds": imported - started,
        "load_seconds": loaded - imported,
        "seconds": finished - loaded,
        "peak_rss_mb": _peak_rss_mb(),
        "flagged": evidently_flagged(snapshot.dict()),
    }


def evidently_flagged(result: dict[str, Any]) -> list[str]:
    """Columns whose ``ValueDrift`` says drift: a p-value below its threshold, or a distance at or above it
    (Evidently's stattests: ``p_value`` methods reject below the threshold, distances flag from it)."""
    flagged = []
    for metric in result["metrics"]:
        config = metric.get("config", {})
        if not str(config.get("type", "")).endswith("ValueDrift"):
            continue
        value, threshold = float(metric["value"]), float(config["threshold"])
        is_p_value = "p_value" in str(config.get("method", ""))
        if (value < threshold) if is_p_value else (value >= threshold):
            flagged.append(str(config["column"]))
    return sorted(flagged)


def worker_windows(tool: str, folder: str, reference_csv: str, baseline: str) -> dict[str, Any]:
    """Run one tool on every undrifted window of ``folder`` (``window-<k>/capture`` and ``.csv``)."""
    results = []
    for window in sorted(Path(folder).glob("window-*")):
        if tool == "ours":
            outcome = worker_ours(str(window / "capture"), baseline)
        else:
            outcome = worker_evidently(str(window / "current.csv"), reference_csv)
        results.append({"flagged": outcome["flagged"], "verdict": outcome.get("verdict")})
    return {"windows": results, "peak_rss_mb": _peak_rss_mb()}


# --- the run --------------------------------------------------------------------------------------------


def _spawn(python: Path | str, *args: str) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "constructs")}
        if str(python) == sys.executable
        else None,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--records", type=int, default=1_000_000, help="records of the timed comparison")
    parser.add_argument("--flat", type=int, nargs="*", default=[100_000, 1_000_000, 10_000_000],
                        help="record counts of the memory-flatness runs (ours only)")  # fmt: skip
    parser.add_argument("--windows", type=int, default=50, help="undrifted 40-record windows per tool")
    parser.add_argument(
        "--tmp", type=Path, default=Path(tempfile.gettempdir()), help="where data is generated"
    )
    args = parser.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        workers: dict[str, Callable[..., dict[str, Any]]] = {
            "ours": worker_ours,
            "arrays": worker_arrays,
            "evidently": worker_evidently,
            "windows": worker_windows,
        }
        print(json.dumps(workers[kind](*rest)))
        return 0
    if not BENCH_PYTHON.exists():
        parser.error(f"{BENCH_PYTHON} is missing: run `make bench-venv` first")

    np = _np()
    machine = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "evidently": subprocess.run([str(BENCH_PYTHON), "-c", "import evidently; print(evidently.__version__)"],
                                    capture_output=True, text=True, check=True).stdout.strip(),
        "load_before": os.getloadavg(),
    }  # fmt: skip
    print(f"machine: {machine}", flush=True)
    results: dict[str, Any] = {"machine": machine, "timed": [], "flat": [], "windows": {}}
    root = Path(tempfile.mkdtemp(prefix="drift-bench-", dir=args.tmp))
    try:
        for width in (7, 20):
            baseline_dir, reference_csv = reference(width, root)
            folder = root / f"timed-{width}"
            data = write_data(folder, width, args.records, drift=True, evidently=True)
            print(
                f"{width} features, {args.records:,} records written in {data['seconds']:.0f} s", flush=True
            )
            ours = _spawn(sys.executable, "ours", data["capture"], str(baseline_dir))
            print(f"  ours: {ours}", flush=True)
            arrays = _spawn(sys.executable, "arrays", str(width), str(args.records), str(baseline_dir))
            print(f"  ours from arrays: {arrays}", flush=True)
            rows = _spawn(
                sys.executable, "arrays", str(width), str(args.records), str(baseline_dir), "row-by-row"
            )
            arrays["row_by_row_seconds"] = rows["seconds"]
            print(f"  ours from arrays, row by row: {rows}", flush=True)
            theirs = _spawn(BENCH_PYTHON, "evidently", data["csv"], str(reference_csv))
            print(f"  evidently: {theirs}", flush=True)
            expected = sorted(name for name, _, drifted in columns(width) if drifted)
            results["timed"].append({"features": width, "records": args.records, "capture_bytes": data["capture_bytes"],
                                     "ours": ours, "arrays": arrays, "evidently": theirs, "injected": expected})  # fmt: skip
            shutil.rmtree(folder)
        baseline_dir, _ = reference(7, root)
        for n in args.flat:
            folder = root / f"flat-{n}"
            data = write_data(folder, 7, n, drift=True, evidently=False)
            print(
                f"flat: {n:,} records written in {data['seconds']:.0f} s ({data['capture_bytes'] / 1e9:.2f} GB)",
                flush=True,
            )
            ours = _spawn(sys.executable, "ours", data["capture"], str(baseline_dir))
            print(f"  ours: {ours}", flush=True)
            results["flat"].append({"records": n, "capture_bytes": data["capture_bytes"], "ours": ours})
            shutil.rmtree(folder)
        # Undrifted 40-record windows resampled from the test features.
        windows = root / "windows"
        rng = np.random.default_rng(SEED)
        test = np.loadtxt(ARTIFACTS / "test_features.csv", delimiter=",", ndmin=2)
        for k in range(args.windows):
            window = windows / f"window-{k:03d}"
            picked = test[rng.integers(0, len(test), 40)]
            _write_window(window, picked)
        _, reference_csv = reference(7, root)
        for tool, python in (("ours", sys.executable), ("evidently", BENCH_PYTHON)):
            outcome = _spawn(python, "windows", tool, str(windows), str(reference_csv), str(BASELINE_DIR))
            results["windows"][tool] = outcome["windows"]
            print(f"windows, {tool}: done", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    machine["load_after"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print(f"\nresults: {RESULTS}")
    return 0


def _write_window(window: Path, rows: Any) -> None:
    names = columns(7)
    capture = window / "capture"
    capture.mkdir(parents=True)
    lines = _csv_lines(rows, names)
    with (capture / "window.jsonl").open("w") as out:
        for index, payload in enumerate(lines):
            out.write(json.dumps({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": payload, "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5", "encoding": "CSV"},
                },
                "eventMetadata": {"eventId": f"00000000-0000-4000-8000-{index:012d}", "inferenceTime": "2026-12-02T00:00:00Z"},
                "eventVersion": "0",
            }) + "\n")  # fmt: skip
    (window / "current.csv").write_text(",".join(n for n, _, _ in names) + "\n" + "\n".join(lines) + "\n")


def markdown(results: dict[str, Any]) -> str:
    """The results as the Markdown tables of docs/benchmarks.md."""
    lines = [
        "| Features x records | Ours: capture files -> run.analyze | Ours: arrays -> add_array (row by row) | "
        "Evidently: read_csv | Evidently: DataDriftPreset | Evidently / ours (files) | Evidently / ours (arrays) | "
        "Peak RSS: ours (files) | ours (arrays) | Evidently |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["timed"]:
        ours, arrays, theirs = row["ours"], row["arrays"], row["evidently"]
        lines.append(
            f"| {row['features']} x {row['records']:,} | {ours['seconds']:.2f} s | {arrays['seconds']:.2f} s "
            f"({arrays.get('row_by_row_seconds', float('nan')):.2f} s) | "
            f"{theirs['load_seconds']:.1f} s | {theirs['seconds']:.1f} s | "
            f"{theirs['seconds'] / ours['seconds']:.2f}x "
            f"({(theirs['seconds'] + theirs['load_seconds']) / ours['seconds']:.2f}x with read_csv) | "
            f"{theirs['seconds'] / arrays['seconds']:.1f}x | "
            f"{ours['peak_rss_mb']:.0f} MB | {arrays['peak_rss_mb']:.0f} MB (arrays {arrays['array_mb']:.0f} MB) | "
            f"{theirs['peak_rss_mb']:.0f} MB |"
        )
    lines += [
        "",
        "| Records (7 features) | Capture files | Ours: time | Ours: peak RSS |",
        "|---|---|---|---|",
    ]
    for row in results["flat"]:
        lines.append(
            f"| {row['records']:,} | {row['capture_bytes'] / 1e6:,.0f} MB | {row['ours']['seconds']:.1f} s | "
            f"{row['ours']['peak_rss_mb']:.0f} MB |"
        )
    lines += [
        "",
        "| Features x records | Drift injected in | Ours flags | Evidently flags |",
        "|---|---|---|---|",
    ]
    for row in results["timed"]:
        lines.append(
            f"| {row['features']} x {row['records']:,} | {', '.join(row['injected'])} | "
            f"{', '.join(row['ours']['flagged']) or 'none'} | {', '.join(row['evidently']['flagged']) or 'none'} |"
        )
    windows = results["windows"]
    if windows:
        lines += ["", "| Undrifted 40-record windows | Windows with a drift flag | Features flagged per window (mean) | "
                  "Windows flagging each feature | Verdicts |", "|---|---|---|---|---|"]  # fmt: skip
        for tool, outcomes in windows.items():
            flagged = [len(o["flagged"]) for o in outcomes]
            per_feature: dict[str, int] = {}
            for outcome in outcomes:
                for name in outcome["flagged"]:
                    per_feature[name] = per_feature.get(name, 0) + 1
            ranked = ", ".join(
                f"{k} {v}" for k, v in sorted(per_feature.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            verdicts = sorted({str(o.get("verdict")) for o in outcomes if o.get("verdict")})
            lines.append(
                f"| {tool} | {sum(1 for f in flagged if f)} of {len(flagged)} | "
                f"{sum(flagged) / max(len(flagged), 1):.2f} | {ranked or '-'} | {', '.join(verdicts) or '-'} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
