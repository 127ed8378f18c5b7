"""Regret of the bandit allocator against a fixed split, on a synthetic conversion stream that changes midway.

Not a test: a measurement, printed as a Markdown table and written with an SVG plot into ``build/bandit/`` for
docs/benchmarks.md ("Bandit traffic allocation: regret and adaptation"). Run from the repository root::

    make bandit-sim                                     # = python benchmarks/bandit_regret.py (the documented run)
    python benchmarks/bandit_regret.py --seeds 5        # a quick look
    python benchmarks/bandit_regret.py --sweep          # Thompson sampling under other windows and guardrails

**What is replayed.** Every decision goes through ``decide`` of ``lambdas/bandit/allocation.py``, the module the
allocator function runs, with what the function gives it: each variant's trials (invocations) and conversions
summed over the sliding window of the last ``window`` ticks, the current weights, the guardrails, and a generator
seeded per decision (as the function seeds one from the endpoint and the scheduled time). A new allocation is
applied only when some share moves by at least :data:`APPLY_THRESHOLD`, as the function does. One tick is one
decision period (the construct's default ``every``: 15 minutes); during a tick, ``traffic`` requests are routed
to the variants at random in proportion to the weights (SageMaker's weighted routing), and each request to
variant ``i`` converts with probability ``p_i``. The rates are known to the simulation, never to the policies.

**Policies.** ``thompson`` (``thompson-beta``, the construct's default), ``epsilon-greedy`` (epsilon 0.1), both
through the same guardrails, and ``fixed`` (the equal split an A/B test holds: 50/50, or a third each).

**Measures**, per run (one seed), the means and spreads over the seeds in the table:

- *regret*: the expected conversions lost against always routing every request to the variant that is best at
  that tick, ``sum over ticks of traffic * (max_i p_i - sum_i w_i p_i)`` (pseudo-regret: the routing and
  conversion noise is averaged out, the policy's own randomness is not);
- *final share*: the share of the best variant (after the change) at the last tick;
- *steps to adapt*: the number of decisions after the change until the new best variant holds more than
  :data:`ADAPTED_SHARE` of the traffic and keeps it at every later tick; a run that never gets there counts as
  never (infinite: it enters the median and p90 as such).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bandit_plot import render_svg  # noqa: E402
from lambdas.bandit.allocation import (  # noqa: E402
    POLICY_EPSILON_GREEDY,
    POLICY_THOMPSON_BETA,
    ArmObservation,
    Guardrails,
    decide,
)

OUT = ROOT / "build" / "bandit"
TICK_MINUTES = 15
"""One decision per tick: the construct's default ``every``."""
WINDOW_TICKS = 24
"""The sliding window in ticks: the construct's default ``window`` of 6 hours."""
TRAFFIC = 1000
"""Requests per tick (about 1.1 requests a second)."""
HORIZON = 192
"""Ticks per run: two days."""
SEEDS = 50
APPLY_THRESHOLD = 0.01
"""The allocator applies a decision only when some share moves by at least this much."""
ADAPTED_SHARE = 0.5
EPSILON = 0.1
GUARDRAILS = Guardrails(min_weight=0.05, max_step=0.2, min_trials=100)
"""The construct's default guardrails."""

FIXED = "fixed"
THOMPSON = "thompson"
EPSILON_GREEDY = "epsilon-greedy"
POLICIES = (THOMPSON, EPSILON_GREEDY, FIXED)


@dataclass(frozen=True)
class Scenario:
    """Known conversion rates per variant before and after the change, which happens at tick ``horizon // 2``."""

    name: str
    before: Mapping[str, float]
    after: Mapping[str, float]

    def rates(self, tick: int, change: int) -> Mapping[str, float]:
        """The conversion rates in force at ``tick``."""
        return self.before if tick < change else self.after

    @property
    def best_after(self) -> str:
        """The variant that is best after the change."""
        return max(self.after, key=lambda v: self.after[v])


SCENARIOS = (
    Scenario("2 variants", {"A": 0.10, "B": 0.12}, {"A": 0.10, "B": 0.08}),
    Scenario("3 variants", {"A": 0.10, "B": 0.12, "C": 0.11}, {"A": 0.10, "B": 0.12, "C": 0.15}),
)


@dataclass(frozen=True)
class Settings:
    """One simulation's parameters (defaults: the documented run)."""

    horizon: int = HORIZON
    traffic: int = TRAFFIC
    window: int = WINDOW_TICKS
    guardrails: Guardrails = GUARDRAILS
    epsilon: float = EPSILON

    @property
    def change(self) -> int:
        """The tick at which the rates change."""
        return self.horizon // 2


@dataclass
class Run:
    """One seed's trajectory under one policy."""

    regret: list[float] = field(default_factory=list)
    """Expected regret per tick."""
    best_share: list[float] = field(default_factory=list)
    """The share of the variant that is best at that tick."""
    adapted_after: float = math.inf
    final_share: float = 0.0

    @property
    def total_regret(self) -> float:
        """The cumulative regret over the run."""
        return sum(self.regret)


def binomial(rng: random.Random, n: int, p: float) -> int:
    """An exact Binomial(n, p) draw by geometric skips between successes (expected ``n * min(p, 1 - p)`` steps).

    The standard library's ``binomialvariate`` arrived in Python 3.12; the project supports 3.11.
    """
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    log_q = math.log1p(-p)
    count, position = 0, 0
    while True:
        position += int(math.log(1.0 - rng.random()) / log_q) + 1
        if position > n:
            return count
        count += 1


def route(rng: random.Random, traffic: int, weights: Sequence[float]) -> list[int]:
    """Requests per variant: a multinomial split of ``traffic`` by ``weights`` (shares summing to 1)."""
    counts, left, mass = [], traffic, 1.0
    for weight in weights[:-1]:
        share = min(1.0, max(0.0, weight / mass)) if mass > 0 else 0.0
        drawn = binomial(rng, left, share)
        counts.append(drawn)
        left -= drawn
        mass -= weight
    counts.append(left)
    return counts


def simulate(scenario: Scenario, policy: str, seed: int, settings: Settings) -> Run:
    """One seeded run: a decision, then a tick of traffic, ``settings.horizon`` times."""
    names = list(scenario.before)
    # The traffic and conversions are drawn from a generator of their own, so every policy meets the same
    # stream of uniforms; the decisions get a generator per tick, as the function seeds one per invocation.
    world = random.Random(f"world:{scenario.name}:{seed}")
    weights = {n: 1.0 / len(names) for n in names}
    history: list[tuple[list[int], list[int]]] = []
    run = Run()
    change = settings.change
    for tick in range(settings.horizon):
        if policy != FIXED:
            recent = history[-settings.window :]
            arms = [
                ArmObservation(n, float(sum(h[0][i] for h in recent)), float(sum(h[1][i] for h in recent)))
                for i, n in enumerate(names)
            ]
            allocation = decide(
                arms,
                weights,
                policy=POLICY_THOMPSON_BETA if policy == THOMPSON else POLICY_EPSILON_GREEDY,
                guardrails=settings.guardrails,
                rng=random.Random(f"decide:{scenario.name}:{policy}:{seed}:{tick}"),
                epsilon=settings.epsilon,
            )
            if max(abs(allocation.weights[n] - weights[n]) for n in names) >= APPLY_THRESHOLD:
                weights = allocation.weights
        rates = scenario.rates(tick, change)
        best = max(names, key=lambda n: rates[n])
        run.regret.append(settings.traffic * (rates[best] - sum(weights[n] * rates[n] for n in names)))
        run.best_share.append(weights[best])
        requests = route(world, settings.traffic, [weights[n] for n in names])
        conversions = [binomial(world, requests[i], rates[n]) for i, n in enumerate(names)]
        history.append((requests, conversions))
    after = run.best_share[change:]
    run.final_share = after[-1]
    for step in range(len(after)):
        if all(share > ADAPTED_SHARE for share in after[step:]):
            run.adapted_after = float(step)
            break
    return run


@dataclass(frozen=True)
class Summary:
    """One policy's runs in one scenario, summarized over the seeds."""

    scenario: str
    policy: str
    regret_mean: float
    regret_sd: float
    final_share_mean: float
    adapt_median: float
    adapt_p90: float
    adapt_max: float
    never_adapted: int
    seeds: int
    mean_cumulative_regret: list[float]
    mean_best_share: list[float]


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (``q`` in ``(0, 1]``): a value that occurs, infinity included."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarize(scenario: Scenario, policy: str, runs: Sequence[Run]) -> Summary:
    """The table's row and the plot's mean curves for one policy's runs."""
    totals = [r.total_regret for r in runs]
    adapted = [r.adapted_after for r in runs]
    horizon = len(runs[0].regret)
    cumulative = [0.0] * horizon
    shares = [0.0] * horizon
    for r in runs:
        running = 0.0
        for tick in range(horizon):
            running += r.regret[tick]
            cumulative[tick] += running / len(runs)
            shares[tick] += r.best_share[tick] / len(runs)
    return Summary(
        scenario=scenario.name,
        policy=policy,
        regret_mean=statistics.fmean(totals),
        regret_sd=statistics.stdev(totals) if len(totals) > 1 else 0.0,
        final_share_mean=statistics.fmean(r.final_share for r in runs),
        adapt_median=statistics.median(adapted),
        adapt_p90=percentile(adapted, 0.9),
        adapt_max=max(adapted),
        never_adapted=sum(1 for a in adapted if math.isinf(a)),
        seeds=len(runs),
        mean_cumulative_regret=cumulative,
        mean_best_share=shares,
    )


def benchmark(
    seeds: int,
    settings: Settings,
    policies: Sequence[str] = POLICIES,
    scenarios: Sequence[Scenario] = SCENARIOS,
) -> list[Summary]:
    """Every policy in every scenario over seeds ``0 .. seeds - 1``."""
    return [
        summarize(scenario, policy, [simulate(scenario, policy, seed, settings) for seed in range(seeds)])
        for scenario in scenarios
        for policy in policies
    ]


def _steps(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:g} ({value * TICK_MINUTES / 60:g} h)"


def table(summaries: Sequence[Summary]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| Scenario | Policy | Regret (conversions), mean ± sd | Final share of the best | "
        "Steps to adapt: median | p90 | max | Never adapted |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        lines.append(
            f"| {s.scenario} | {s.policy} | {s.regret_mean:.1f} ± {s.regret_sd:.1f} | {s.final_share_mean:.3f} | "
            f"{_steps(s.adapt_median)} | {_steps(s.adapt_p90)} | {_steps(s.adapt_max)} | {s.never_adapted}/{s.seeds} |"
        )
    return "\n".join(lines)


SWEEP = (
    ("default (window 24, max_step 0.2, min_weight 0.05)", {}),
    ("window 8 (2 h)", {"window": 8}),
    ("window 12 (3 h)", {"window": 12}),
    ("window 48 (12 h)", {"window": 48}),
    ("max_step 0.1", {"max_step": 0.1}),
    ("max_step 0.4", {"max_step": 0.4}),
    ("min_weight 0.02", {"min_weight": 0.02}),
    ("min_weight 0.1", {"min_weight": 0.1}),
)


def sweep(seeds: int, base: Settings) -> str:
    """Thompson sampling under other windows and guardrails, as a Markdown table."""
    lines = [
        "| Settings | Scenario | Regret, mean ± sd | Steps to adapt: median | p90 | max | Never adapted |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    for label, change in SWEEP:
        g = base.guardrails
        guardrails = Guardrails(
            min_weight=float(change.get("min_weight", g.min_weight)),
            max_step=float(change.get("max_step", g.max_step)),
            min_trials=g.min_trials,
        )
        settings = Settings(
            horizon=base.horizon,
            traffic=base.traffic,
            window=int(change.get("window", base.window)),
            guardrails=guardrails,
            epsilon=base.epsilon,
        )
        for s in benchmark(seeds, settings, policies=(THOMPSON,)):
            lines.append(
                f"| {label} | {s.scenario} | {s.regret_mean:.1f} ± {s.regret_sd:.1f} | {_steps(s.adapt_median)} | "
                f"{_steps(s.adapt_p90)} | {_steps(s.adapt_max)} | {s.never_adapted}/{s.seeds} |"
            )
            print(lines[-1], flush=True)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--horizon", type=int, default=HORIZON, help="ticks per run (the change is at half)")
    parser.add_argument("--traffic", type=int, default=TRAFFIC, help="requests per tick")
    parser.add_argument("--window", type=int, default=WINDOW_TICKS, help="sliding window, in ticks")
    parser.add_argument(
        "--sweep", action="store_true", help="also run Thompson sampling under other settings"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    settings = Settings(horizon=args.horizon, traffic=args.traffic, window=args.window)
    started = time.perf_counter()
    summaries = benchmark(args.seeds, settings)
    result = table(summaries)
    print(
        f"{args.seeds} seeds, {settings.horizon} ticks of {TICK_MINUTES} min, change at tick {settings.change}, "
        f"{settings.traffic} requests a tick, window {settings.window} ticks, {settings.guardrails}"
    )
    print(result)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bandit_regret.md").write_text(result + "\n")
    (args.out / "bandit_regret.svg").write_text(
        render_svg(summaries, SCENARIOS, settings.change, ADAPTED_SHARE)
    )
    (args.out / "bandit_regret.json").write_text(
        json.dumps(
            [
                {k: v for k, v in s.__dict__.items() if not k.startswith("mean_")}
                | {key: str(getattr(s, key)) for key in ("adapt_median", "adapt_p90", "adapt_max")}
                for s in summaries
            ],
            indent=2,
        )
    )
    if args.sweep:
        swept = sweep(args.seeds, settings)
        (args.out / "bandit_sweep.md").write_text(swept + "\n")
    print(f"{time.perf_counter() - started:.0f} s; wrote {args.out}/bandit_regret.{{md,svg,json}}")


if __name__ == "__main__":
    main()
