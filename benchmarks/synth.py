"""Synth-time benchmark: the reference stack built with sagemaker-constructs against the same stack in raw L1.

In one Python process (one jsii/Node.js kernel) every round builds, for each variant, a fresh ``App`` with the
feature flags of ``cdk.json`` and an output directory in a temporary folder, adds the stack and calls
``app.synth()``; the time of construction plus synthesis is measured with ``time.perf_counter()``:

* ``library``: ``RealtimeInferenceStack`` (the reference app's real-time stack) without cdk-nag;
* ``raw L1``: ``benchmarks.raw_cfn_stack.RawCfnRealtimeStack``, the same resources written with ``Cfn*`` only;
* ``library + cdk-nag``: the same with the AwsSolutions checks, as ``cdk synth`` runs them.

Round 0 is a warm-up (first use of each jsii type in the kernel) and is reported separately, not in the
statistics. The order of the variants rotates from round to round. Run from the repository root:
``python benchmarks/synth.py --rounds 5`` (or ``make bench``). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
# jsii starts the first `node` on PATH when aws_cdk is imported: prefer the project's pinned Node 22.
_NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
if _NODE_BIN.is_dir() and str(_NODE_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

_IMPORT_START = time.perf_counter()
from aws_cdk import App, Validations  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from benchmarks.raw_cfn_stack import (  # noqa: E402
    RawCfnRealtimeStack,
    resource_set,
    resource_type_counts,
    template_differences,
)
from infra.app import cdk_context  # noqa: E402
from infra.realtime_stack import RealtimeInferenceStack  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _IMPORT_START

STACK_ID = "SageMakerRealtime"
DESCRIPTION = "sagemaker-constructs reference: real-time inference"
LIBRARY, RAW, NAG = "library", "raw L1", "library + cdk-nag"


@dataclass
class Variant:
    """One way of building the stack, and what it measured."""

    name: str
    key: str
    """Command-line name (``--single``)."""
    build: Callable[[App], object]
    warmup: float = 0.0
    seconds: list[float] = field(default_factory=list)
    template: dict[str, Any] = field(default_factory=dict)
    template_bytes: int = 0
    constructs: int = 0


class TwinDriftError(RuntimeError):
    """The raw L1 twin no longer builds the resources of the library's stack: its timing compares unlike stacks."""


@dataclass(frozen=True)
class ResourceComparison:
    """The resources of the library's template against the raw twin's: per type, and per (type, logical ID).

    Logical IDs are compared without the 8-character hash suffix CDK appends to nested constructs' IDs.
    """

    library_counts: dict[str, int]
    raw_counts: dict[str, int]
    only_in_library: list[tuple[str, str]]
    """(type, logical ID) pairs the library's template has and the twin's lacks."""
    only_in_raw: list[tuple[str, str]]

    @property
    def like_for_like(self) -> bool:
        """Whether both templates hold the same resources: same types, counts and logical IDs."""
        return self.library_counts == self.raw_counts and not self.only_in_library and not self.only_in_raw

    def describe(self) -> str:
        """What differs, one line each (empty when like for like)."""
        lines = []
        for t in sorted(set(self.library_counts) | set(self.raw_counts)):
            left, right = self.library_counts.get(t, 0), self.raw_counts.get(t, 0)
            if left != right:
                lines.append(f"{t}: {left} in {LIBRARY}, {right} in {RAW}")
        lines += [f"only in {LIBRARY}: {t} {i}" for t, i in self.only_in_library]
        lines += [f"only in {RAW}: {t} {i}" for t, i in self.only_in_raw]
        return "\n".join(lines)


def compare_resources(library: dict[str, Any], raw: dict[str, Any]) -> ResourceComparison:
    """Compare the resource sets of the library's template and the raw twin's."""
    library_set, raw_set = resource_set(library), resource_set(raw)
    return ResourceComparison(
        library_counts=resource_type_counts(library),
        raw_counts=resource_type_counts(raw),
        only_in_library=sorted((library_set - raw_set).elements()),
        only_in_raw=sorted((raw_set - library_set).elements()),
    )


def check_like_for_like(library: dict[str, Any], raw: dict[str, Any]) -> ResourceComparison:
    """The comparison of the two templates; raises ``TwinDriftError`` when their resource sets differ."""
    comparison = compare_resources(library, raw)
    if not comparison.like_for_like:
        raise TwinDriftError(
            f"benchmarks/raw_cfn_stack.py no longer builds the resources of the library's stack "
            f"({sum(comparison.library_counts.values())} resources in {LIBRARY}, "
            f"{sum(comparison.raw_counts.values())} in {RAW}); update the twin:\n{comparison.describe()}"
        )
    return comparison


def synthesize(build: Callable[[App], object], context: dict[str, Any], outdir: str) -> tuple[App, Path]:
    """Build a fresh ``App`` with ``build`` into ``outdir``, synthesize it; return it and the template's path."""
    app = App(context=dict(context), outdir=outdir)
    build(app)
    app.synth()
    return app, Path(outdir) / f"{STACK_ID}.template.json"


def build_raw(app: App) -> object:
    """Add the raw L1 twin of the real-time stack to ``app``."""
    return RawCfnRealtimeStack(app, STACK_ID, description=DESCRIPTION)


def run_once(variant: Variant, context: dict[str, Any]) -> float:
    """Build a fresh app with ``variant`` into a temporary outdir and synthesize it; return the seconds taken.

    The template, its size and the construct count are recorded outside the timed section.
    """
    outdir = tempfile.mkdtemp(prefix="sagemaker-bench-")
    try:
        gc.collect()
        start = time.perf_counter()
        app, template_path = synthesize(variant.build, context, outdir)
        elapsed = time.perf_counter() - start
        variant.template_bytes = template_path.stat().st_size
        variant.template = json.loads(template_path.read_text())
        variant.constructs = len(app.node.find_all())
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    return elapsed


def _node_version() -> str:
    try:
        done = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(variants: Sequence[Variant], rounds: int, load_before: str) -> None:
    """Print the timing table, the resource counts per type and the template comparison."""
    by_name = {v.name: v for v in variants}
    library, raw = by_name[LIBRARY], by_name[RAW]
    print(
        f"machine: {_cpus()} CPUs, {platform.system()} {platform.machine()} | Python "
        f"{platform.python_version()} | Node {_node_version()} | aws-cdk-lib {_version('aws-cdk-lib')} | "
        f"cdk-nag {_version('cdk-nag')}"
    )
    print(f"load average (1/5/15 min) before: {load_before}, after: {_load()} (other work skews timings)")
    print(f"import aws_cdk, infra and benchmarks (starts the jsii kernel): {IMPORT_SECONDS:.3f} s")
    print("warm-up round (excluded): " + " | ".join(f"{v.name} {v.warmup:.3f} s" for v in variants))
    print(f"{rounds} measured rounds; each: fresh App + stack + app.synth(), variant order rotated per round")
    print()
    print(
        f"{'variant':<20}{'median s':>10}{'min s':>9}{'max s':>9}{'template bytes':>16}{'resources':>11}"
        f"{'constructs':>12}"
    )
    for v in variants:
        print(
            f"{v.name:<20}{statistics.median(v.seconds):>10.3f}{min(v.seconds):>9.3f}{max(v.seconds):>9.3f}"
            f"{v.template_bytes:>16}{sum(resource_type_counts(v.template).values()):>11}{v.constructs:>12}"
        )
    print()
    raw_median = statistics.median(raw.seconds)
    for v in variants:
        if v is not raw:
            print(f"ratio {v.name} / {raw.name} (median): {statistics.median(v.seconds) / raw_median:.2f}x")
    print()

    library_counts = resource_type_counts(library.template)
    raw_counts = resource_type_counts(raw.template)
    types = sorted(set(library_counts) | set(raw_counts))
    width = max(len(t) for t in [*types, "resource type"])
    print(f"{'resource type':<{width}}{library.name:>10}{raw.name:>10}")
    for t in types:
        print(f"{t:<{width}}{library_counts.get(t, 0):>10}{raw_counts.get(t, 0):>10}")
    print(f"{'total':<{width}}{sum(library_counts.values()):>10}{sum(raw_counts.values()):>10}")
    # run_once's callers have checked the resource sets (check_like_for_like) before any timing is reported.
    print("resource sets (types, counts, logical IDs without hash suffix): identical")

    differences = template_differences(library.template, raw.template)
    print(f"template differences (library logical-ID hashes removed): {len(differences)}")
    for line in differences[:20]:
        print(f"  {line}")
    if len(differences) > 20:
        print(f"  ... and {len(differences) - 20} more")


def build_library(app: App, *, nag: bool = False) -> None:
    """Add the library's real-time stack (the reference app's) to ``app``, with the cdk-nag checks if ``nag``."""
    # Only the real-time stack, without the bandit: the reference app has more, the raw L1 stack mirrors this one.
    RealtimeInferenceStack(app, STACK_ID, description=DESCRIPTION, bandit=False)
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def _variants() -> list[Variant]:
    return [
        Variant(LIBRARY, "library", lambda app: build_library(app, nag=False)),
        Variant(RAW, "raw", build_raw),
        Variant(NAG, "nag", lambda app: build_library(app, nag=True)),
    ]


def _rotated(variants: Sequence[Variant], index: int) -> list[Variant]:
    shift = index % len(variants)
    return [*variants[shift:], *variants[:shift]]


def cold_processes(variants: Sequence[Variant], runs: int) -> None:
    """Time ``runs`` fresh processes per variant (what each ``cdk synth`` pays) and print a table.

    Each process starts Python, imports aws_cdk and the stacks (which starts the jsii kernel) and synthesizes
    its variant once.
    """
    results: dict[str, list[tuple[float, float, float]]] = {v.key: [] for v in variants}
    for index in range(runs):
        for variant in _rotated(variants, index):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--single", variant.key],
                capture_output=True,
                text=True,
                cwd=REPO_ROOT,
                check=False,
            )
            wall = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"--single {variant.key} failed:\n{done.stderr}")
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            results[variant.key].append((measured["import"], measured["synth"], wall))
    print()
    print(f"fresh processes: {runs} per variant (Python start + imports + one synth), medians in seconds")
    print(f"{'variant':<20}{'import':>10}{'1st synth':>11}{'min':>8}{'max':>8}{'process':>10}")
    for variant in variants:
        imports, synths, walls = zip(*results[variant.key], strict=True)
        print(
            f"{variant.name:<20}{statistics.median(imports):>10.3f}{statistics.median(synths):>11.3f}"
            f"{min(synths):>8.3f}{max(synths):>8.3f}{statistics.median(walls):>10.3f}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--rounds", type=int, default=5, help="measured rounds after the warm-up round (default: 5)"
    )
    parser.add_argument(
        "--cold",
        type=int,
        default=0,
        metavar="N",
        help="also time N fresh processes per variant: imports + first synth (default: 0, off)",
    )
    parser.add_argument("--single", choices=["library", "raw", "nag"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    if args.cold < 0:
        parser.error(f"--cold must be at least 0, got {args.cold}")

    variants = _variants()
    context = cdk_context()
    if args.single:
        # One synth in this fresh process, for --cold: report the import and synth times to the parent.
        variant = next(v for v in variants if v.key == args.single)
        print(json.dumps({"import": IMPORT_SECONDS, "synth": run_once(variant, context)}))
        return

    load_before = _load()
    for round_index in range(args.rounds + 1):
        for variant in _rotated(variants, round_index):
            elapsed = run_once(variant, context)
            if round_index == 0:
                variant.warmup = elapsed
            else:
                variant.seconds.append(elapsed)
        if round_index == 0:
            # Like for like or no numbers: a twin that drifted from the library's stack times another stack.
            by_name = {v.name: v for v in variants}
            check_like_for_like(by_name[LIBRARY].template, by_name[RAW].template)
    report(variants, args.rounds, load_before)
    if args.cold:
        cold_processes(variants, args.cold)


if __name__ == "__main__":
    main()
