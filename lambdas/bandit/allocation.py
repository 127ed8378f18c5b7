"""Bandit traffic allocation between an endpoint's variants: pure decisions, no AWS calls.

The allocator function (``handler.py``) reads each variant's reward over a sliding window from CloudWatch and the
endpoint's current weights, calls ``decide`` and applies the result with ``UpdateEndpointWeightsAndCapacities``;
``benchmarks/bandit_regret.py`` replays a synthetic reward stream through the same ``decide``. Only the standard
library is used, so the module runs on the bare Lambda runtime.

The policy is stateless: the window's totals are the whole posterior, so a variant whose reward changes is
re-learned within one window, and a retried invocation with the same seed makes the same decision.

- **Thompson sampling** (``thompson-beta`` for conversion-style rewards, ``thompson-gaussian`` for continuous
  ones): each variant's share is the posterior probability that it is the best, estimated by Monte Carlo.
  Beta posteriors start from a uniform ``Beta(1, 1)`` prior; Gaussian posteriors use the window mean with
  variance ``variance / trials`` (Chapelle and Li, "An Empirical Evaluation of Thompson Sampling", NIPS 2011;
  Russo et al., "A Tutorial on Thompson Sampling", 2018, sections 3 and 7.2).
- **Epsilon-greedy**: ``1 - epsilon`` on the best posterior mean (split on ties), ``epsilon`` spread evenly.

The guardrails then bound the policy's target: every variant keeps at least ``min_weight`` (exploration), and no
share moves more than ``max_step`` in one decision. The floor wins when the two conflict (a current allocation
below the floor is lifted to it at once).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

POLICY_THOMPSON_BETA = "thompson-beta"
POLICY_THOMPSON_GAUSSIAN = "thompson-gaussian"
POLICY_EPSILON_GREEDY = "epsilon-greedy"
POLICIES = (POLICY_THOMPSON_BETA, POLICY_THOMPSON_GAUSSIAN, POLICY_EPSILON_GREEDY)

REASON_ALLOCATED = "allocated"
"""The policy's target, bounded by the guardrails."""
REASON_INSUFFICIENT_DATA = "insufficient-data"
"""A variant had fewer than ``min_trials`` in the window: the current shares are kept (floors still apply)."""

DEFAULT_DRAWS = 4000
"""Monte Carlo draws per decision for the probability that each variant is best (standard error under 0.008)."""


@dataclass(frozen=True)
class ArmObservation:
    """One variant's reward over the window.

    :param variant: the variant name.
    :param trials: requests (Beta: invocations; Gaussian: reward samples) in the window.
    :param reward_sum: successes (Beta: conversions, at most ``trials``) or the sum of rewards (Gaussian).
    :param variance: Gaussian only: the per-sample reward variance; ``None`` uses the policy's prior variance.
    """

    variant: str
    trials: float
    reward_sum: float
    variance: float | None = None

    @property
    def mean(self) -> float:
        """The window's mean reward per trial (0 without trials)."""
        return self.reward_sum / self.trials if self.trials > 0 else 0.0


@dataclass(frozen=True)
class Guardrails:
    """Bounds on every decision.

    :param min_weight: the smallest share any variant keeps, in ``[0, 1 / variants]``.
    :param max_step: the largest change of any variant's share in one decision, in ``(0, 1]``.
    :param min_trials: fewer trials than this on any variant holds the current shares. A variant on the floor
        gets ``min_weight`` of the window's requests, so once the allocation has converged the window needs
        ``min_trials / min_weight`` requests (2,000 by default) for decisions to go on (docs/benchmarks.md, "Less
        traffic").
    """

    min_weight: float = 0.05
    max_step: float = 0.2
    min_trials: float = 100.0


@dataclass(frozen=True)
class Allocation:
    """A decision: the shares to apply and the inputs that produced them (all keyed by variant name)."""

    weights: dict[str, float]
    """The shares to apply, summing to 1."""
    target: dict[str, float]
    """The policy's shares before the guardrails."""
    probability_best: dict[str, float]
    """Thompson: the posterior probability that each variant is best; epsilon-greedy: its greedy share."""
    posterior_mean: dict[str, float]
    reason: str
    details: dict[str, float] = field(default_factory=dict)


def normalize(weights: Mapping[str, float]) -> dict[str, float]:
    """Relative weights (SageMaker's ``DesiredWeight``) as shares summing to 1; all-zero weights become equal."""
    total = sum(max(0.0, w) for w in weights.values())
    if total <= 0:
        return {name: 1.0 / len(weights) for name in weights}
    return {name: max(0.0, w) / total for name, w in weights.items()}


def _samplers(
    arms: Sequence[ArmObservation], policy: str, prior_variance: float, rng: random.Random
) -> tuple[Callable[[float, float], float], list[tuple[float, float]]]:
    """The posterior sampler and each arm's two parameters: Beta's ``(alpha, beta)`` or Gaussian's ``(mu, sigma)``."""
    if policy == POLICY_THOMPSON_BETA:
        params = []
        for arm in arms:
            trials = max(arm.trials, 0.0)
            successes = min(max(arm.reward_sum, 0.0), trials)
            params.append((1.0 + successes, 1.0 + trials - successes))
        return rng.betavariate, params
    gaussian = []
    for arm in arms:
        variance = arm.variance if arm.variance is not None and arm.variance > 0 else prior_variance
        if arm.trials <= 0:
            gaussian.append((0.0, math.sqrt(prior_variance)))
        else:
            gaussian.append((arm.mean, math.sqrt(variance / arm.trials)))
    return rng.gauss, gaussian


def probability_best(
    arms: Sequence[ArmObservation],
    *,
    policy: str,
    rng: random.Random,
    draws: int = DEFAULT_DRAWS,
    prior_variance: float = 1.0,
) -> dict[str, float]:
    """Thompson sampling's shares: the fraction of ``draws`` joint posterior draws in which each arm is best.

    Each draw samples every arm once, in the order given, and a tie goes to the first arm: the same ``rng`` state
    gives the same shares.
    """
    sample, params = _samplers(arms, policy, prior_variance, rng)
    wins = [0] * len(arms)
    for _ in range(draws):
        best = 0
        top = -math.inf
        for index, (first, second) in enumerate(params):
            value = sample(first, second)
            if value > top:
                best, top = index, value
        wins[best] += 1
    shares = dict.fromkeys((a.variant for a in arms), 0.0)
    for arm, count in zip(arms, wins, strict=True):
        shares[arm.variant] += count / draws
    return shares


def posterior_mean(arm: ArmObservation, policy: str) -> float:
    """The posterior mean reward: ``(1 + s) / (2 + n)`` under Beta(1, 1), else the window mean."""
    if policy == POLICY_THOMPSON_BETA:
        successes = min(max(arm.reward_sum, 0.0), max(arm.trials, 0.0))
        return (1.0 + successes) / (2.0 + max(arm.trials, 0.0))
    return arm.mean


def epsilon_greedy(
    arms: Sequence[ArmObservation], *, epsilon: float, policy_for_mean: str
) -> dict[str, float]:
    """``1 - epsilon`` on the best posterior mean (split evenly on ties), ``epsilon / K`` on every arm."""
    means = {a.variant: posterior_mean(a, policy_for_mean) for a in arms}
    top = max(means.values())
    leaders = [name for name, m in means.items() if math.isclose(m, top, rel_tol=1e-12, abs_tol=1e-15)]
    share = epsilon / len(arms)
    return {name: share + ((1.0 - epsilon) / len(leaders) if name in leaders else 0.0) for name in means}


def apply_guardrails(
    current: Mapping[str, float], target: Mapping[str, float], guardrails: Guardrails
) -> dict[str, float]:
    """Move from ``current`` toward ``target`` (both shares) within the guardrails.

    The target is first mixed with the uniform floor (``min_weight + (1 - K * min_weight) * target``), then the
    whole move is scaled down so that no share changes by more than ``max_step``: a convex combination of two
    allocations that sum to 1 and respect the floor does too. A current share below the floor is then lifted to
    it, taking the difference from the others in proportion to their room above the floor.
    """
    names = list(target)
    k = len(names)
    floor = guardrails.min_weight
    floored = {n: floor + (1.0 - k * floor) * target[n] for n in names}
    now = normalize({n: current.get(n, 0.0) for n in names})
    largest = max(abs(floored[n] - now[n]) for n in names)
    scale = 1.0 if largest <= guardrails.max_step else guardrails.max_step / largest
    return lift_to_floor({n: now[n] + scale * (floored[n] - now[n]) for n in names}, floor)


def lift_to_floor(shares: Mapping[str, float], floor: float) -> dict[str, float]:
    """``shares`` (summing to 1) with every share below ``floor`` raised to it, the difference taken from the
    others in proportion to their room above the floor; shares already at or above the floor everywhere are
    returned unchanged."""
    deficit = sum(max(0.0, floor - w) for w in shares.values())
    if deficit <= 1e-12:
        return normalize(shares)
    room = {n: max(0.0, w - floor) for n, w in shares.items()}
    spare = sum(room.values())
    return normalize({n: floor if w < floor else w - deficit * room[n] / spare for n, w in shares.items()})


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _input_problems(
    arms: Sequence[ArmObservation],
    current: Mapping[str, float],
    policy: str,
    guardrails: Guardrails,
    epsilon: float,
    draws: int,
    prior_variance: float,
) -> list[str]:
    """Every reason ``decide`` cannot decide on these inputs, each naming the input, what is allowed and the value."""
    problems = []
    if len(arms) < 2:
        problems.append(f"'arms' needs at least two variants, got {len(arms)}")
    seen: set[str] = set()
    for index, arm in enumerate(arms):
        if arm.variant in seen:
            problems.append(f"'arms[{index}].variant' must be unique, got {arm.variant!r} twice")
        seen.add(arm.variant)
        for name in ("trials", "reward_sum", "variance"):
            value = getattr(arm, name)
            if name == "variance" and value is None:
                continue
            if not _finite(value) or (name != "reward_sum" and value < 0):
                allowed = "a finite number" if name == "reward_sum" else "a finite number at least 0"
                problems.append(f"'arms[{index}].{name}' must be {allowed}, got {value!r}")
    for variant, weight in current.items():
        if not _finite(weight) or weight < 0:
            problems.append(f"'current[{variant!r}]' must be a finite weight at least 0, got {weight!r}")
    if policy not in POLICIES:
        problems.append(f"'policy' must be one of {', '.join(POLICIES)}, got {policy!r}")
    if not _finite(epsilon) or not 0 <= epsilon <= 1:
        problems.append(f"'epsilon' must be between 0 and 1, got {epsilon!r}")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        problems.append(f"'draws' must be an integer at least 1, got {draws!r}")
    if not _finite(prior_variance) or prior_variance <= 0:
        problems.append(f"'prior_variance' must be a finite number above 0, got {prior_variance!r}")
    k = max(len(arms), 1)
    if not _finite(guardrails.min_weight) or not 0 <= guardrails.min_weight * k <= 1:
        problems.append(f"'min_weight' must be between 0 and 1/{k}, got {guardrails.min_weight!r}")
    if not _finite(guardrails.max_step) or not 0 < guardrails.max_step <= 1:
        problems.append(f"'max_step' must be above 0 and at most 1, got {guardrails.max_step!r}")
    if not _finite(guardrails.min_trials) or guardrails.min_trials < 0:
        problems.append(f"'min_trials' must be a finite number at least 0, got {guardrails.min_trials!r}")
    return problems


def decide(
    arms: Sequence[ArmObservation],
    current: Mapping[str, float],
    *,
    policy: str,
    guardrails: Guardrails,
    rng: random.Random,
    epsilon: float = 0.1,
    draws: int = DEFAULT_DRAWS,
    prior_variance: float = 1.0,
) -> Allocation:
    """The next allocation for ``arms`` given the ``current`` relative weights (any positive scale).

    Conversions above the trials (a conversion counted in the window whose request fell just before it) and
    negative sums are clamped into ``[0, trials]`` for the Beta posterior; a variant missing from ``current``
    has weight 0.

    :raises ValueError: naming every bad input: fewer than two arms, a variant named twice, a count, sum,
        variance or current weight that is negative or not finite, an unknown policy, ``epsilon`` outside
        ``[0, 1]``, ``draws`` below 1, a ``prior_variance`` that is not positive, or guardrails no allocation
        can meet.
    """
    problems = _input_problems(arms, current, policy, guardrails, epsilon, draws, prior_variance)
    if problems:
        raise ValueError("; ".join(problems))
    mean_policy = POLICY_THOMPSON_BETA if policy == POLICY_THOMPSON_BETA else POLICY_THOMPSON_GAUSSIAN
    means = {a.variant: posterior_mean(a, mean_policy) for a in arms}
    now = normalize({a.variant: current.get(a.variant, 0.0) for a in arms})
    if any(a.trials < guardrails.min_trials for a in arms):
        # Held as they are: the floor mix of apply_guardrails would pull the shares toward an equal split on
        # every tick without data.
        held = lift_to_floor(now, guardrails.min_weight)
        return Allocation(
            weights=held,
            target=dict(now),
            probability_best={},
            posterior_mean=means,
            reason=REASON_INSUFFICIENT_DATA,
            details={"min_trials_seen": min(a.trials for a in arms)},
        )
    if policy == POLICY_EPSILON_GREEDY:
        # Epsilon-greedy judges the posterior mean of the reward model the arms' shape implies: conversion
        # counts (reward_sum <= trials and no variance) read as Beta, anything else as Gaussian.
        binary = all(a.variance is None and 0 <= a.reward_sum <= a.trials for a in arms)
        target = epsilon_greedy(
            arms,
            epsilon=epsilon,
            policy_for_mean=POLICY_THOMPSON_BETA if binary else POLICY_THOMPSON_GAUSSIAN,
        )
        best = dict(target)
    else:
        best = probability_best(arms, policy=policy, rng=rng, draws=draws, prior_variance=prior_variance)
        target = best
    return Allocation(
        weights=apply_guardrails(now, target, guardrails),
        target=target,
        probability_best=best,
        posterior_mean=means,
        reason=REASON_ALLOCATED,
    )
