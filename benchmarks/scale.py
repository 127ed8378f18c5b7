"""Scale benchmark: synth time, template size and resource count for N fully monitored endpoints.

A *fully monitored endpoint* is what the reference app builds for its real-time endpoint, built with the
reference app's own building blocks (nothing is retyped here):

* ``infra.realtime_stack.ChurnEndpoint``: the champion and challenger ``Model`` s (the sample
  ``model_artifacts/churn/model.tar.gz``, XGBoost 3.0-5, network isolation, one execution role for both) and
  the ``Endpoint`` with two weighted variants (90/10), 100% data capture, canary
  ``DeploymentGuardrails`` with the default rollback alarms, autoscaling on both variants and the operational
  alarms;
* ``infra.monitoring_stack.EndpointMonitors``: the four monitors (data quality hourly, model quality, bias and
  explainability daily), on Model Monitor (the reference app's monitors with
  ``-c sagemaker-constructs:monitoring-backend=model-monitor``; its default is the open backend), with the baselines of ``model_artifacts/churn/baselines/``, failure notifications and
  the reference's alarms (drift of each feature, AUC, DPPL of ``age``, the ``support_calls`` attribution).

Shared by all endpoints of a stack, as in ``infra.monitoring_stack.MonitoringStack``: the monitoring
``NotificationTopic``, the ground-truth ``SecureBucket``, one ``MonitoringJob`` (with the jobs' volume KMS key),
the model-quality baseline and the Model Monitor reports bucket that the monitors create once per stack. The topic
and the key also serve each ``ChurnEndpoint`` (its operational alarms and its instances' volumes) instead of a
topic and a key of its own.

For each N of ``--sizes`` one ``App`` (feature flags of ``cdk.json``, output directory in a temporary folder,
no cdk-nag) gets one stack with the N endpoints; construction and ``app.synth()`` are timed separately with
``time.perf_counter()``. CDK refuses to synthesize a stack with more than 500 resources, so the single-stack
layout is synthesized with ``@aws-cdk/core:stackResourceLimit`` set to 0 (off), only to measure it. Whenever
the single stack breaks CloudFormation's 500-resource or 1 MB template limit, the split layout is measured too:
K endpoints per stack in ceil(N / K) stacks, with K derived from the per-endpoint resource count and template
bytes (measured in the warm-up with 1 and 2 endpoints) and ``--headroom`` left free below both limits, or given
with ``--per-stack``; that layout synthesizes with CDK's default resource limit in place. Every round measures
each size in one stack and then, right away, its split layout, so both see the same background load.

Run from the repository root: ``python benchmarks/scale.py`` (default ``--sizes 1,5,20,50``).
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
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

from aws_cdk import App, Stack  # noqa: E402
from constructs import Construct  # noqa: E402

from infra.app import cdk_context  # noqa: E402
from infra.monitoring_stack import (  # noqa: E402
    EndpointMonitors,
    SharedMonitoring,
    baseline_auc_threshold,
    features_and_label,
)
from infra.realtime_stack import ChurnEndpoint, model_name_suffix  # noqa: E402

MAX_RESOURCES = 500
"""CloudFormation: resources per stack (CDK's ``@aws-cdk/core:stackResourceLimit`` default too)."""
MAX_TEMPLATE_BYTES = 1_000_000
"""CloudFormation: template body uploaded to S3 (what ``cdk deploy`` does for templates over 50 KiB)."""
MAX_DIRECT_TEMPLATE_BYTES = 51_200
"""CloudFormation: template body passed directly in the API call."""
RESOURCE_LIMIT_CONTEXT = "@aws-cdk/core:stackResourceLimit"
DEFAULT_RULES_CONTEXT = "@aws-cdk/core:validateAgainstDefaultRules"


@dataclass
class Measurement:
    """One layout of N endpoints: timings of each repeat and what the synthesized templates hold."""

    layout: str
    endpoints: int
    per_stack: int
    construct_seconds: list[float] = field(default_factory=list)
    synth_seconds: list[float] = field(default_factory=list)
    stack_resources: list[int] = field(default_factory=list)
    stack_bytes: list[int] = field(default_factory=list)
    minified_bytes: int = 0
    """All templates without indentation (``@aws-cdk/core:suppressTemplateIndentation``)."""
    types: Counter[str] = field(default_factory=Counter)
    constructs: int = 0

    @property
    def stacks(self) -> int:
        return len(self.stack_resources)

    @property
    def construct(self) -> float:
        return statistics.median(self.construct_seconds)

    @property
    def synth(self) -> float:
        return statistics.median(self.synth_seconds)

    @property
    def total(self) -> float:
        return statistics.median(
            c + s for c, s in zip(self.construct_seconds, self.synth_seconds, strict=True)
        )

    @property
    def resources(self) -> int:
        return sum(self.stack_resources)

    @property
    def template_bytes(self) -> int:
        return sum(self.stack_bytes)

    @property
    def over_resources(self) -> bool:
        return max(self.stack_resources) > MAX_RESOURCES

    @property
    def over_bytes(self) -> bool:
        return max(self.stack_bytes) > MAX_TEMPLATE_BYTES


class MonitoredEndpointsStack(Stack):
    """``count`` fully monitored endpoints, numbered from ``first``, each in its own construct (``Ep000``, ...),
    sharing what the reference's monitoring stack shares."""

    def __init__(self, scope: Construct, construct_id: str, *, first: int, count: int, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The shared part of infra/monitoring_stack.py's MonitoringStack.
        shared = SharedMonitoring(self)
        features, label = features_and_label()
        auc_threshold = baseline_auc_threshold()
        suffix = model_name_suffix()
        for index in range(first, first + count):
            scope_i = Construct(self, f"Ep{index:03d}")
            # Model names are fixed (the Clarify shadow endpoint serves the named model): one per endpoint.
            # The stack's alerts topic and volume key serve every endpoint too.
            built = ChurnEndpoint(
                scope_i,
                champion_model_name=f"churn-{index:03d}-{suffix}",
                alerts=shared.alerts,
                volume_key=shared.volume_key,
            )
            EndpointMonitors(
                scope_i,
                endpoint=built.endpoint,
                topic=shared.alerts.topic,
                ground_truth=shared.ground_truth.bucket,
                ground_truth_prefix=f"endpoint-{index:03d}",
                job=shared.job,
                quality_baseline=shared.quality_baseline,
                features=features,
                label=label,
                auc_threshold=auc_threshold,
            )


def measure(
    measurement: Measurement,
    context: dict[str, Any],
    *,
    lift_resource_limit: bool,
) -> None:
    """Build and synthesize ``measurement``'s layout once; append the timings and record the templates."""
    n, per_stack = measurement.endpoints, measurement.per_stack
    stacks = math.ceil(n / per_stack)
    context = dict(context)
    if lift_resource_limit:
        context[RESOURCE_LIMIT_CONTEXT] = 0
        # cdk.json turns on CDK's default template rules, which fail synthesis over 500 resources as well.
        context[DEFAULT_RULES_CONTEXT] = False
    outdir = tempfile.mkdtemp(prefix="sagemaker-scale-")
    try:
        gc.collect()
        start = time.perf_counter()
        app = App(context=context, outdir=outdir)
        stack_ids = []
        for s in range(stacks):
            first = s * per_stack
            stack_id = "MonitoredEndpoints" if stacks == 1 else f"MonitoredEndpoints{s + 1:02d}"
            MonitoredEndpointsStack(
                app,
                stack_id,
                first=first,
                count=min(per_stack, n - first),
                description=f"sagemaker-constructs scale benchmark: endpoints {first}-{min(n, first + per_stack) - 1}",
            )
            stack_ids.append(stack_id)
        built = time.perf_counter()
        app.synth()
        done = time.perf_counter()
        measurement.construct_seconds.append(built - start)
        measurement.synth_seconds.append(done - built)

        measurement.stack_resources, measurement.stack_bytes = [], []
        measurement.types = Counter()
        measurement.minified_bytes = 0
        for stack_id in stack_ids:
            path = Path(outdir) / f"{stack_id}.template.json"
            template = json.loads(path.read_text())
            resources = template.get("Resources", {})
            measurement.stack_resources.append(len(resources))
            measurement.stack_bytes.append(path.stat().st_size)
            measurement.minified_bytes += len(json.dumps(template, separators=(",", ":")).encode())
            measurement.types.update(r["Type"] for r in resources.values())
        measurement.constructs = len(app.node.find_all())
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ reporting


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


def _last(m: Measurement) -> float:
    return m.construct_seconds[-1] + m.synth_seconds[-1]


def _yes(flag: bool) -> str:
    return "YES" if flag else "no"


def _table(rows: Sequence[Measurement]) -> None:
    print(
        f"{'N':>4}{'stacks':>7}{'construct s':>13}{'synth s':>9}{'total s':>9}{'s/endpoint':>12}"
        f"{'resources':>11}{'max/stack':>11}{'bytes':>11}{'max bytes/stack':>17}{'>500 res':>10}{'>1 MB':>7}"
    )
    for m in rows:
        print(
            f"{m.endpoints:>4}{m.stacks:>7}{m.construct:>13.3f}{m.synth:>9.3f}{m.total:>9.3f}"
            f"{m.total / m.endpoints:>12.3f}{m.resources:>11}{max(m.stack_resources):>11}{m.template_bytes:>11}"
            f"{max(m.stack_bytes):>17}{_yes(m.over_resources):>10}{_yes(m.over_bytes):>7}"
        )


def _per_endpoint(single: Sequence[Measurement]) -> tuple[float, float, float, float]:
    """Marginal resources and bytes per endpoint, and the per-stack fixed part, from the single-stack runs."""
    first, last = single[0], single[-1]
    if last.endpoints == first.endpoints:
        # One size only: count everything as per-endpoint (an upper bound).
        return float(first.resources), float(first.template_bytes), 0.0, 0.0
    span = last.endpoints - first.endpoints
    resources = (last.resources - first.resources) / span
    size = (last.template_bytes - first.template_bytes) / span
    return (
        resources,
        size,
        first.resources - resources * first.endpoints,
        first.template_bytes - size * first.endpoints,
    )


def endpoints_per_stack(single: Sequence[Measurement], headroom: float) -> int:
    """The most endpoints per stack that keep ``headroom`` of both CloudFormation limits free."""
    resources, size, fixed_resources, fixed_bytes = _per_endpoint(single)
    by_resources = (MAX_RESOURCES * (1 - headroom) - fixed_resources) / resources
    by_bytes = (MAX_TEMPLATE_BYTES * (1 - headroom) - fixed_bytes) / size
    return max(1, math.floor(min(by_resources, by_bytes)))


def _linearity(single: Sequence[Measurement]) -> None:
    sizes = [m.endpoints for m in single]
    totals = [m.total for m in single]
    print()
    print("growth (single stack, construct + synth):")
    if len(single) >= 3:
        try:
            import numpy as np
        except ImportError:
            print("  numpy is not installed: polynomial fits skipped")
        else:
            slope, intercept = np.polyfit(sizes, totals, 1)
            residual = max(abs(t - (slope * n + intercept)) for n, t in zip(sizes, totals, strict=True))
            print(
                f"  linear fit:    total = {slope:.4f} s * N + {intercept:.3f} s "
                f"(largest residual {residual:.3f} s)"
            )
            quadratic, linear, constant = np.polyfit(sizes, totals, 2)
            share = quadratic * max(sizes) ** 2 / max(totals)
            print(
                f"  quadratic fit: total = {quadratic:.6f} s * N^2 + {linear:.4f} s * N + {constant:.3f} s "
                f"(N^2 term at N={max(sizes)}: {share:.0%} of the total)"
            )
    base = next((m for m in single if m.endpoints >= 5), None)
    top = single[-1]
    if base is None or base is top:
        print("  need a size >= 5 and a larger one to compare time per endpoint")
        return
    ratio = (top.total / top.endpoints) / (base.total / base.endpoints)
    print(
        f"  time per endpoint: {base.total / base.endpoints:.3f} s at N={base.endpoints}, "
        f"{top.total / top.endpoints:.3f} s at N={top.endpoints} (ratio {ratio:.2f}x)"
    )
    first = single[0]
    if first.endpoints < base.endpoints:
        low = (base.total - first.total) / (base.endpoints - first.endpoints)
        high = (top.total - base.total) / (top.endpoints - base.endpoints)
        print(
            f"  marginal time per endpoint: {low:.3f} s between N={first.endpoints} and {base.endpoints}, "
            f"{high:.3f} s between N={base.endpoints} and {top.endpoints} (ratio {high / low:.2f}x)"
        )
    verdict = "linear" if ratio <= 1.5 else "NOT linear"
    print(f"  growth is {verdict}: time per endpoint at N={top.endpoints} within 1.5x of N={base.endpoints}: "
          f"{_yes(ratio <= 1.5).lower()}")  # fmt: skip


def report(
    single: Sequence[Measurement],
    split: Sequence[Measurement],
    per_stack: int | None,
    headroom: float,
    args: argparse.Namespace,
    load_before: str,
) -> None:
    """Print the tables and the derived numbers."""
    print(
        f"machine: {_cpus()} CPUs, {platform.system()} {platform.machine()} | Python "
        f"{platform.python_version()} | Node {_node_version()} | aws-cdk-lib {_version('aws-cdk-lib')}"
    )
    print(f"load average (1/5/15 min) before: {load_before}, after: {_load()} (other work skews timings)")
    print(
        "fully monitored endpoint (infra.realtime_stack.ChurnEndpoint + infra.monitoring_stack.EndpointMonitors): "
        "2 models, 2 variants, data capture, canary "
        f"guardrails, autoscaling, operational alarms, 4 monitors with alarms; no cdk-nag; "
        f"median of {args.repeat} run(s) per row after one warm-up"
    )
    print()
    print("one stack holding all N endpoints (synthesized with the 500-resource check off):")
    _table(single)

    resources, size, fixed_resources, fixed_bytes = _per_endpoint(single)
    first = single[0]
    print()
    print(
        f"per endpoint: {first.resources / first.endpoints:.1f} resources and "
        f"{first.template_bytes / first.endpoints:.0f} bytes absolute at N={first.endpoints} (stack's shared "
        f"resources included); marginal {resources:.1f} resources and {size:.0f} bytes"
    )
    print(f"per stack, shared by its endpoints: {fixed_resources:.1f} resources, {fixed_bytes:.0f} bytes")
    if len(single) >= 2 and single[-1].endpoints > first.endpoints:
        span = single[-1].endpoints - first.endpoints
        minified = (single[-1].minified_bytes - first.minified_bytes) / span
        print(
            f"without indentation (@aws-cdk/core:suppressTemplateIndentation): {first.minified_bytes} bytes "
            f"at N={first.endpoints}, marginal {minified:.0f} bytes per endpoint"
        )
    if resources > 0:
        most = math.floor((MAX_RESOURCES - fixed_resources) / resources)
        most_bytes = math.floor((MAX_TEMPLATE_BYTES - fixed_bytes) / size)
        print(
            f"limits: at most {most} endpoints fit under {MAX_RESOURCES} resources, {most_bytes} under "
            f"{MAX_TEMPLATE_BYTES} template bytes; even 1 endpoint exceeds the {MAX_DIRECT_TEMPLATE_BYTES}-byte "
            f"direct-upload limit: {_yes(first.template_bytes > MAX_DIRECT_TEMPLATE_BYTES).lower()}"
        )
    if len(single) >= 2 and single[-1].endpoints > first.endpoints:
        last = single[-1]
        span = last.endpoints - first.endpoints
        types = sorted(set(last.types) | set(first.types))
        width = max(len(t) for t in [*types, "resource type"])
        print()
        print(f"resources by type: N={first.endpoints}, N={last.endpoints}, marginal per endpoint")
        for t in types:
            marginal = (last.types.get(t, 0) - first.types.get(t, 0)) / span
            print(f"  {t:<{width}}{first.types.get(t, 0):>6}{last.types.get(t, 0):>7}{marginal:>8.1f}")

    _linearity(single)

    if per_stack is not None:
        print()
        how = "--per-stack" if args.per_stack else f"{headroom:.0%} headroom below both limits"
        print(f"split layout for the sizes one stack cannot hold: {per_stack} endpoints per stack ({how})")
        if split:
            _table(split)
            for m in split:
                single_m = next(s for s in single if s.endpoints == m.endpoints)
                print(
                    f"  N={m.endpoints}: {m.stacks} stacks, max {max(m.stack_resources)} resources and "
                    f"{max(m.stack_bytes)} bytes per stack; construct + synth {m.total:.3f} s against "
                    f"{single_m.total:.3f} s in one stack ({m.total / single_m.total:.2f}x)"
                )
        else:
            print("  (no size exceeds a limit in one stack)")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the scale benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", default="1,5,20,50", help="comma-separated endpoint counts (default: 1,5,20,50)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per size, median reported (default: 1)")
    parser.add_argument(
        "--headroom",
        type=float,
        default=0.2,
        help="share of the 500-resource and 1 MB limits left free when sizing the split layout (default: 0.2)",
    )
    parser.add_argument(
        "--per-stack", type=int, default=None, metavar="K", help="endpoints per stack of the split layout"
    )
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if not sizes or sizes[0] < 1:
        parser.error(f"--sizes must be positive, got {args.sizes!r}")
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    if not 0 <= args.headroom < 1:
        parser.error(f"--headroom must be in [0, 1), got {args.headroom}")
    if args.per_stack is not None and args.per_stack < 1:
        parser.error(f"--per-stack must be at least 1, got {args.per_stack}")

    context = cdk_context()
    load_before = _load()
    # Warm-up, not counted: the first use of every jsii type in the kernel. Its two sizes also give the
    # per-endpoint resource count and template bytes (both grow exactly linearly) that size the split layout.
    warm_up = [Measurement("warm-up", n, n) for n in (1, 2)]
    for m in warm_up:
        measure(m, context, lift_resource_limit=True)
    per_stack = args.per_stack or endpoints_per_stack(warm_up, args.headroom)

    # Each round measures every size in one stack and, right after it, the split layout of the same N when
    # one stack breaks a limit, so both layouts see the same background load.
    single = [Measurement("one stack", n, n) for n in sizes]
    split_by_size: dict[int, Measurement] = {}
    for _ in range(args.repeat):
        for m in single:
            measure(m, context, lift_resource_limit=True)
            print(f"  measured N={m.endpoints} in one stack: {_last(m):.1f} s", file=sys.stderr, flush=True)
            if (m.over_resources or m.over_bytes) and m.endpoints > per_stack:
                spread = split_by_size.setdefault(m.endpoints, Measurement("split", m.endpoints, per_stack))
                # CDK's own 500-resource check stays on: the split layout synthesizes as `cdk synth` would.
                measure(spread, context, lift_resource_limit=False)
                print(f"  measured N={m.endpoints} split: {_last(spread):.1f} s", file=sys.stderr, flush=True)
    split = [split_by_size[n] for n in sorted(split_by_size)]
    report(single, split, per_stack, args.headroom, args, load_before)


if __name__ == "__main__":
    main()
