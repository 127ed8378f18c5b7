"""The command line: ``open_monitor analyze [--partial]`` and ``open_monitor merge`` (design14 §1).

Every path defaults to the processing container's (:mod:`.paths`); flags override them for local runs. A missing
data, ground-truth or baseline folder is an empty channel, not an error. Exit status 0 when the analysis ran
(violations included), 2 for a bad command line or an unsupported ``monitoringType``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import paths, run
from .capture import list_files


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="open_monitor", description="The open monitoring backend's analysis."
    )
    modes = parser.add_subparsers(dest="mode", metavar="MODE")
    analyze = modes.add_parser("analyze", help="read the window's data and analyze it")
    analyze.add_argument("--partial", action="store_true", help="write only this instance's partial")
    analyze.add_argument("--data", default=paths.DATA_DIR, help="capture or dataset files (folder or file)")
    analyze.add_argument("--ground-truth", default=paths.GROUND_TRUTH_DIR, help="ground truth files")
    analyze.add_argument("--host", default=None, help="instance name in the partial's file name")
    merge = modes.add_parser("merge", help="merge the instances' partials and finish")
    merge.add_argument("--partials", default=paths.PARTIALS_DIR, help="folder of partial-<host>.json files")
    merge.add_argument("--ground-truth", default=paths.GROUND_TRUTH_DIR, help="ground truth files")
    for sub in (analyze, merge):
        sub.add_argument("--config", default=paths.CONFIG_FILE, help="monitor.json")
        sub.add_argument("--baseline", default=paths.BASELINE_DIR, help="baseline folder")
        sub.add_argument(
            "--clarify", default=paths.CLARIFY_DIR + "/analysis.json", help="Clarify analysis.json"
        )
        sub.add_argument("--output", default=paths.OUTPUT_DIR, help="output folder")
    return parser


def _existing(path: str) -> list[str]:
    return [path] if os.path.exists(path) else []


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.mode is None:
        parser.print_usage(sys.stderr)
        return 2
    with open(args.config, encoding="utf-8") as stream:
        config = json.load(stream)
    baseline = args.baseline if os.path.isdir(args.baseline) else None
    clarify = args.clarify if os.path.isfile(args.clarify) else None
    truth = _existing(args.ground_truth)
    try:
        if args.mode == "merge":
            documents = []
            for path in list_files(args.partials) if os.path.isdir(args.partials) else []:
                if path.endswith(".json"):
                    with open(path, encoding="utf-8") as stream:
                        documents.append(json.load(stream))
            summary = run.merge(
                config,
                documents,
                baseline_dir=baseline,
                out_dir=args.output,
                ground_truth_files=truth,
                clarify_analysis=clarify,
            )
        elif args.partial:
            document = run.analyze_partial(
                config,
                _existing(args.data),
                ground_truth_files=truth,
                baseline_dir=baseline,
                out_dir=args.output,
                clarify_analysis=clarify,
                host=args.host,
            )
            print(json.dumps({"partial": document["host"], "counts": document["counts"]}))
            return 0
        else:
            summary = run.analyze(
                config,
                _existing(args.data),
                ground_truth_files=truth,
                baseline_dir=baseline,
                out_dir=args.output,
                clarify_analysis=clarify,
            )
    except run.UnsupportedMonitoringType as err:
        print(f"open_monitor: {err}", file=sys.stderr)
        return 2
    brief = {k: summary[k] for k in ("status", "verdict", "violations", "violatedChecks", "records")}
    print(json.dumps(brief))
    return 0
