"""The library API of the monitoring script, and the registry of monitor types.

``analyze`` reads a window and finishes it in one pass; ``analyze_partial`` reads one instance's share and returns
(and writes) a partial; ``merge`` combines the partials of every instance and finishes. Finishing writes
``statistics.json``, ``constraint_violations.json``, ``summary.json`` (design14 §1) and any extra files of the type.

Monitor-type interface. ``REGISTRY`` maps ``config["monitoringType"]`` to a module of this package that defines:

- ``new_partial(config: dict, baseline_dir: str | None) -> Partial``: an empty accumulator for the window;
- ``Partial``: the accumulator class, with ``add(record: capture.Record) -> None`` (called once per record, in
  file order), ``to_json() -> dict`` (JSON-serialisable), ``Partial.from_json(d) -> Partial`` (classmethod) and
  ``merge(other: Partial) -> None`` (merging the partials of any split of the records must give what one pass
  gives); optionally ``add_ground_truth(paths: list[str], counts: capture.ReadCounts) -> None``, called before
  the first ``add`` with the ground-truth files of the window (the type reads and joins them itself); optionally
  ``array_width() -> int | None`` with ``add_array(rows: numpy.ndarray) -> None``: when ``array_width`` returns a
  width, endpoint capture is read with :func:`.capture.read_capture_arrays` and the lines of one CSV row of that
  many numbers reach the partial in bulk, as 2-D float arrays, instead of one ``add`` per record;
- ``finish(config: dict, partial: Partial, baseline_dir: str | None) -> report.Result``: statistics, violations,
  the flat list of ``MetricDatum`` dicts (``run`` batches them by 20), the verdict, the records used and any extra
  files (see :class:`.report.Result`).

``config["_paths"]`` is set for the types to a dict of local paths: ``baseline`` (folder or ``None``),
``groundTruth`` (list of files) and ``clarify`` (Clarify ``analysis.json`` path or ``None``).
"""

from __future__ import annotations

import importlib
import os
import socket
from types import ModuleType
from typing import Any, Iterable

from . import drift_report, paths, report
from .capture import ReadCounts, Record, list_files, read_capture_arrays, read_records

REGISTRY: dict[str, str] = {
    "DataQuality": "data_quality",
    "ModelQuality": "model_quality",
    "ModelBias": "bias",
    "ModelExplainability": "attribution",
}
"""``monitoringType`` -> module of this package implementing the monitor-type interface (see the module docstring)."""

PARTIAL_SCHEMA = "1"


class UnsupportedMonitoringType(ValueError):  # noqa: N818 - the name the design (issue 14) gives it
    """The config's ``monitoringType`` has no module in :data:`REGISTRY`."""


def monitor_type(config: dict[str, Any]) -> ModuleType:
    """The module implementing ``config["monitoringType"]``."""
    name = config.get("monitoringType")
    if name not in REGISTRY:
        raise UnsupportedMonitoringType(
            "monitoringType must be one of {}, got {!r}".format(", ".join(sorted(REGISTRY)), name)
        )
    package = __name__.rsplit(".", 1)[0]
    return importlib.import_module(f"{package}.{REGISTRY[str(name)]}")


def _files(items: Iterable[str]) -> list[str]:
    found: list[str] = []
    for item in items:
        found.extend(list_files(str(item)))
    return found


def _with_paths(
    config: dict[str, Any], baseline_dir: str | None, ground_truth: list[str], clarify: str | None
) -> dict[str, Any]:
    config = dict(config)
    config["_paths"] = {"baseline": baseline_dir, "groundTruth": ground_truth, "clarify": clarify}
    return config


def host_name() -> str:
    """This instance's name in a processing job (``current_host`` of SageMaker's resource config), else the host."""
    config = report.load_json(paths.RESOURCE_CONFIG)
    if isinstance(config, dict) and config.get("current_host"):
        return str(config["current_host"])
    return socket.gethostname()


def _read(
    config: dict[str, Any],
    data_files: Iterable[str],
    ground_truth_files: Iterable[str],
    baseline_dir: str | None,
    clarify: str | None,
) -> tuple[ModuleType, dict[str, Any], Any, ReadCounts]:
    module = monitor_type(config)
    truth = _files(ground_truth_files)
    config = _with_paths(config, baseline_dir, truth, clarify)
    counts = ReadCounts()
    partial = module.new_partial(config, baseline_dir)
    if truth and hasattr(partial, "add_ground_truth"):
        partial.add_ground_truth(truth, counts)
    width = partial.array_width() if hasattr(partial, "array_width") else None
    if width and config.get("source", "endpoint") != "batch_transform":
        for item in read_capture_arrays(_files(data_files), counts, width):
            if isinstance(item, Record):
                partial.add(item)
            else:
                partial.add_array(item)
    else:
        for record in read_records(config, _files(data_files), counts):
            partial.add(record)
    return module, config, partial, counts


def analyze(
    config: dict[str, Any],
    data_files: Iterable[str],
    *,
    ground_truth_files: Iterable[str] = (),
    baseline_dir: str | None = None,
    out_dir: str | None = None,
    clarify_analysis: str | None = None,
) -> dict[str, Any]:
    """Analyze a window in one pass and finish it; returns the summary (written with the reports to ``out_dir``).

    ``data_files`` and ``ground_truth_files`` may name files or folders (read recursively).
    """
    module, config, partial, counts = _read(
        config, data_files, ground_truth_files, baseline_dir, clarify_analysis
    )
    return _finish(module, config, partial, counts, baseline_dir, out_dir)


def analyze_partial(
    config: dict[str, Any],
    data_files: Iterable[str],
    *,
    ground_truth_files: Iterable[str] = (),
    baseline_dir: str | None = None,
    out_dir: str | None = None,
    clarify_analysis: str | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """Analyze this instance's share of a window; returns the partial document and, with ``out_dir``, writes it to
    ``<out_dir>/partials/partial-<host>.json``."""
    _, config, partial, counts = _read(config, data_files, ground_truth_files, baseline_dir, clarify_analysis)
    host = host or host_name()
    document = {
        "schemaVersion": PARTIAL_SCHEMA,
        "monitoringType": config.get("monitoringType"),
        "host": host,
        "counts": counts.to_json(),
        "partial": partial.to_json(),
    }
    if out_dir:
        report.write_json(
            os.path.join(out_dir, paths.PARTIALS_SUBDIR, f"partial-{host}.json"), document, compact=True
        )
    return document


def merge(
    config: dict[str, Any],
    partials: list[dict[str, Any]],
    *,
    baseline_dir: str | None = None,
    out_dir: str | None = None,
    ground_truth_files: Iterable[str] = (),
    clarify_analysis: str | None = None,
) -> dict[str, Any]:
    """Merge the partial documents of every instance (in host order) and finish; returns the summary."""
    module = monitor_type(config)
    config = _with_paths(config, baseline_dir, _files(ground_truth_files), clarify_analysis)
    counts = ReadCounts()
    merged: Any = None
    for document in sorted(partials, key=lambda d: str(d.get("host", ""))):
        if document.get("monitoringType") != config.get("monitoringType"):
            raise ValueError(
                "partial of host {!r} is a {!r} partial, the config is {!r}".format(
                    document.get("host"), document.get("monitoringType"), config.get("monitoringType")
                )
            )
        counts.merge(ReadCounts.from_json(document["counts"]))
        partial = module.Partial.from_json(document["partial"])
        if merged is None:
            merged = partial
        else:
            merged.merge(partial)
    if merged is None:
        merged = module.new_partial(config, baseline_dir)
    return _finish(module, config, merged, counts, baseline_dir, out_dir)


def _finish(
    module: ModuleType,
    config: dict[str, Any],
    partial: Any,
    counts: ReadCounts,
    baseline_dir: str | None,
    out_dir: str | None,
) -> dict[str, Any]:
    result: report.Result = module.finish(config, partial, baseline_dir)
    summary = report.summary(config, result, counts.to_json())
    if out_dir:
        report.write_json(os.path.join(out_dir, paths.STATISTICS_FILE), result.statistics)
        report.write_json(os.path.join(out_dir, paths.VIOLATIONS_FILE), {"violations": result.violations})
        for name, content in sorted(result.files.items()):
            target = os.path.join(out_dir, name)
            if isinstance(content, str):
                with open(target, "w", encoding="utf-8") as stream:
                    stream.write(content)
            else:
                report.write_json(target, content)
        report.write_json(os.path.join(out_dir, paths.SUMMARY_FILE), summary)
        _write_drift_report(config, result, summary, baseline_dir, out_dir)
    return summary


def _write_drift_report(
    config: dict[str, Any],
    result: report.Result,
    summary: dict[str, Any],
    baseline_dir: str | None,
    out_dir: str,
) -> None:
    """``drift_report.html`` beside ``statistics.json`` for a data-quality run with a baseline (design14 §1): the
    page for people, per feature the baseline against the window (see :mod:`.drift_report`)."""
    if config.get("monitoringType") != "DataQuality" or not baseline_dir:
        return
    target = os.path.join(out_dir, paths.DRIFT_REPORT_FILE)
    if os.path.exists(target):  # a type's own file of that name wins
        return
    baseline = report.load_json(os.path.join(baseline_dir, paths.STATISTICS_FILE))
    if not isinstance(baseline, dict):
        return
    constraints = report.load_json(os.path.join(baseline_dir, paths.CONSTRAINTS_FILE))
    window = config.get("window")
    page = drift_report.render_drift_report(
        baseline,
        result.statistics,
        {"violations": result.violations},
        summary,
        constraints=constraints if isinstance(constraints, dict) else None,
        window=window if isinstance(window, dict) else None,
        title="Drift report: {}".format(config.get("monitoringScheduleName") or "data quality"),
    )
    with open(target, "w", encoding="utf-8") as stream:
        stream.write(page)
