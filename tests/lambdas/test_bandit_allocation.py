"""The bandit allocator's pure decisions (``lambdas/bandit/allocation.py``): guardrails, policies, input errors.

Thompson sampling's Monte Carlo shares are checked against the exact probability that one Beta variable exceeds
another, for integer parameters (Evan Miller, "Formulas for Bayesian A/B Testing", 2015,
https://www.evanmiller.org/bayesian-ab-testing.html, the sum over ``i < alpha_B``), and for Gaussian posteriors
against ``Phi((mu_1 - mu_2) / sqrt(sigma_1^2 + sigma_2^2))``. The guardrails' invariants are also drawn with
Hypothesis.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.bandit.allocation import (
    POLICY_EPSILON_GREEDY,
    POLICY_THOMPSON_BETA,
    POLICY_THOMPSON_GAUSSIAN,
    REASON_ALLOCATED,
    REASON_INSUFFICIENT_DATA,
    ArmObservation,
    Guardrails,
    apply_guardrails,
    decide,
    epsilon_greedy,
    normalize,
    probability_best,
)

TOLERANCE = 1e-9


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def beta_exceeds(alpha_b: int, beta_b: int, alpha_a: int, beta_a: int) -> float:
    """P(X_B > X_A) for X_B ~ Beta(alpha_b, beta_b), X_A ~ Beta(alpha_a, beta_a), integer ``alpha_b`` (Miller)."""
    return sum(
        math.exp(
            _log_beta(alpha_a + i, beta_a + beta_b)
            - math.log(beta_b + i)
            - _log_beta(1 + i, beta_b)
            - _log_beta(alpha_a, beta_a)
        )
        for i in range(alpha_b)
    )


def _arms(*counts: tuple[float, float]) -> list[ArmObservation]:
    return [ArmObservation(f"v{i}", trials, successes) for i, (trials, successes) in enumerate(counts)]


def _decide(arms: list[ArmObservation], current: Mapping[str, float], **kwargs: object) -> object:
    options: dict[str, object] = {
        "policy": POLICY_THOMPSON_BETA,
        "guardrails": Guardrails(),
        "rng": random.Random(1),
    }
    options.update(kwargs)
    return decide(arms, current, **options)  # type: ignore[arg-type]


# --- Guardrails, on examples worked by hand -----------------------------------------------------------------


def test_a_move_toward_the_target_is_cut_to_max_step() -> None:
    weights = apply_guardrails({"a": 0.5, "b": 0.5}, {"a": 1.0, "b": 0.0}, Guardrails(0.05, 0.2, 0))
    # The floored target is 0.95 / 0.05: the 0.45 move is scaled to 0.2.
    assert weights == pytest.approx({"a": 0.7, "b": 0.3})


def test_the_target_is_mixed_with_the_floor_so_no_variant_starves() -> None:
    weights = apply_guardrails({"a": 0.5, "b": 0.5}, {"a": 1.0, "b": 0.0}, Guardrails(0.05, 1.0, 0))
    assert weights == pytest.approx({"a": 0.95, "b": 0.05})


def test_the_step_scales_the_whole_move_so_every_share_moves_toward_the_target() -> None:
    current = {"a": 0.6, "b": 0.3, "c": 0.1}
    target = {"a": 0.0, "b": 0.2, "c": 0.8}
    weights = apply_guardrails(current, target, Guardrails(0.0, 0.1, 0))
    # The largest change (c: +0.7) is cut to 0.1, the others by the same factor 1/7.
    assert weights == pytest.approx({"a": 0.6 - 0.6 / 7, "b": 0.3 - 0.1 / 7, "c": 0.2})


def test_the_floor_wins_over_max_step() -> None:
    # A variant at 0 (e.g. added by hand) is lifted to the floor at once, although that moves it more than
    # max_step allows.
    weights = apply_guardrails(
        {"a": 0.7, "b": 0.3, "c": 0.0}, {"a": 0.7, "b": 0.3, "c": 0.0}, Guardrails(0.1, 0.01, 0)
    )
    assert weights["c"] == pytest.approx(0.1)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_a_hold_lifts_a_share_below_the_floor_from_the_others_room() -> None:
    # Too few trials: the shares are held, but the floor still wins; the 0.1 comes from a and b in proportion
    # to their room above the floor (0.6 and 0.2).
    current = {"v0": 0.7, "v1": 0.3, "v2": 0.0}
    allocation = _decide(_arms((50, 5), (50, 5), (50, 5)), current, guardrails=Guardrails(0.1))
    assert allocation.reason == REASON_INSUFFICIENT_DATA  # type: ignore[attr-defined]
    assert allocation.weights == pytest.approx({"v0": 0.625, "v1": 0.275, "v2": 0.1})  # type: ignore[attr-defined]


def test_relative_weights_are_read_as_shares() -> None:
    assert normalize({"a": 3.0, "b": 1.0}) == {"a": 0.75, "b": 0.25}
    assert normalize({"a": 0.0, "b": 0.0}) == {"a": 0.5, "b": 0.5}
    # The target is mixed with the floor (0.05 + 0.9 * 0.75) even when it already respects it.
    assert apply_guardrails({"a": 3.0, "b": 1.0}, {"a": 0.75, "b": 0.25}, Guardrails()) == pytest.approx(
        {"a": 0.725, "b": 0.275}
    )


def test_too_few_trials_hold_the_current_shares() -> None:
    # Regression: the hold used to mix the current shares with the floor, which pulled them toward an equal
    # split on every tick without data (0.9 / 0.1 became 0.86 / 0.14), and the function applied that.
    allocation = _decide(_arms((5000, 900), (99, 5)), {"a": 1.0, "v0": 0.9, "v1": 0.1})
    assert allocation.reason == REASON_INSUFFICIENT_DATA  # type: ignore[attr-defined]
    assert allocation.weights == pytest.approx({"v0": 0.9, "v1": 0.1})  # type: ignore[attr-defined]
    assert allocation.details == {"min_trials_seen": 99}  # type: ignore[attr-defined]


# --- Thompson sampling against closed forms ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [((100, 10), (100, 14)), ((1000, 100), (1000, 120)), ((30, 3), (300, 30)), ((200, 20), (200, 20))],
)
def test_thompson_beta_shares_match_the_exact_probability_that_a_variant_is_best(
    first: tuple[int, int], second: tuple[int, int]
) -> None:
    (n0, s0), (n1, s1) = first, second
    exact = beta_exceeds(1 + s1, 1 + n1 - s1, 1 + s0, 1 + n0 - s0)
    draws = 20_000
    shares = probability_best(
        _arms(first, second), policy=POLICY_THOMPSON_BETA, rng=random.Random(7), draws=draws
    )
    standard_error = math.sqrt(exact * (1 - exact) / draws)
    assert shares["v1"] == pytest.approx(exact, abs=4 * standard_error + 1e-3)
    assert shares["v0"] + shares["v1"] == pytest.approx(1.0)


def test_the_closed_form_itself_is_right_on_a_case_worked_by_hand() -> None:
    # Beta(2, 1) has density 2x: P(X > U) for U uniform is E[X] = 2/3.
    assert beta_exceeds(2, 1, 1, 1) == pytest.approx(2 / 3)
    assert beta_exceeds(1, 1, 2, 1) == pytest.approx(1 / 3)


def test_thompson_gaussian_shares_match_the_normal_closed_form() -> None:
    arms = [
        ArmObservation("a", 100, 100 * 1.0, variance=4.0),
        ArmObservation("b", 400, 400 * 1.3, variance=4.0),
    ]
    sd = math.sqrt(4.0 / 100 + 4.0 / 400)
    exact = 0.5 * (1 + math.erf((1.3 - 1.0) / sd / math.sqrt(2)))
    shares = probability_best(arms, policy=POLICY_THOMPSON_GAUSSIAN, rng=random.Random(3), draws=20_000)
    assert shares["b"] == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 20_000) + 1e-3)


def test_the_same_seed_decides_the_same_and_another_seed_may_not() -> None:
    arms = _arms((1000, 100), (1000, 105), (1000, 103))
    first = _decide(arms, {"v0": 1, "v1": 1, "v2": 1}, rng=random.Random("ep:2026-12-02T10:00Z"))
    again = _decide(arms, {"v0": 1, "v1": 1, "v2": 1}, rng=random.Random("ep:2026-12-02T10:00Z"))
    other = _decide(arms, {"v0": 1, "v1": 1, "v2": 1}, rng=random.Random("ep:2026-12-02T10:15Z"))
    assert first == again
    assert first.probability_best != other.probability_best  # type: ignore[attr-defined]


def test_conversions_above_the_trials_are_clamped_for_the_beta_posterior() -> None:
    allocation = _decide(
        _arms((100, 150), (100, 10)), {"v0": 1, "v1": 1}, guardrails=Guardrails(min_trials=0)
    )
    assert allocation.posterior_mean["v0"] == pytest.approx(101 / 102)  # type: ignore[attr-defined]


# --- Epsilon-greedy ------------------------------------------------------------------------------------------


def test_epsilon_greedy_puts_one_minus_epsilon_on_the_best_mean() -> None:
    target = epsilon_greedy(_arms((100, 10), (100, 20)), epsilon=0.1, policy_for_mean=POLICY_THOMPSON_BETA)
    assert target == pytest.approx({"v0": 0.05, "v1": 0.95})


def test_epsilon_greedy_splits_a_tie_evenly_between_the_leaders() -> None:
    target = epsilon_greedy(
        _arms((100, 20), (100, 10), (100, 20)), epsilon=0.3, policy_for_mean=POLICY_THOMPSON_BETA
    )
    assert target == pytest.approx({"v0": 0.1 + 0.35, "v1": 0.1, "v2": 0.1 + 0.35})


def test_epsilon_greedy_through_decide_reads_counts_as_beta_and_the_rest_as_gaussian() -> None:
    # Same window means (0.2), but Beta(1, 1)'s prior pulls the variant with fewer trials toward 1/2.
    counts = decide(
        _arms((100, 20), (1000, 200)),
        {"v0": 1, "v1": 1},
        policy=POLICY_EPSILON_GREEDY,
        guardrails=Guardrails(0.0, 1.0, 0),
        rng=random.Random(0),
        epsilon=0.0,
    )
    assert counts.target == {"v0": 1.0, "v1": 0.0}
    assert counts.reason == REASON_ALLOCATED
    continuous = decide(
        [ArmObservation("v0", 100, 20, variance=1.0), ArmObservation("v1", 1000, 200, variance=1.0)],
        {"v0": 1, "v1": 1},
        policy=POLICY_EPSILON_GREEDY,
        guardrails=Guardrails(0.0, 1.0, 0),
        rng=random.Random(0),
        epsilon=0.0,
    )
    assert continuous.target == {"v0": 0.5, "v1": 0.5}


# --- Input errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arms", "current", "options", "message"),
    [
        (_arms((100, 1)), {}, {}, r"'arms' needs at least two variants, got 1"),
        (
            [ArmObservation("a", 1, 1), ArmObservation("a", 1, 1)],
            {},
            {},
            r"'arms\[1\].variant' must be unique",
        ),
        (
            _arms((math.nan, 1), (1, 1)),
            {},
            {},
            r"'arms\[0\].trials' must be a finite number at least 0, got nan",
        ),
        (_arms((-1, 0), (1, 1)), {}, {}, r"'arms\[0\].trials' must be a finite number at least 0, got -1"),
        (_arms((1, math.inf), (1, 1)), {}, {}, r"'arms\[0\].reward_sum' must be a finite number, got inf"),
        (
            [ArmObservation("a", 1, 1, variance=-1.0), ArmObservation("b", 1, 1)],
            {},
            {},
            r"'arms\[0\].variance' must be a finite number at least 0, got -1.0",
        ),
        (
            _arms((1, 1), (1, 1)),
            {"v0": math.inf},
            {},
            r"'current\['v0'\]' must be a finite weight at least 0",
        ),
        (
            _arms((1, 1), (1, 1)),
            {"v0": -0.5},
            {},
            r"'current\['v0'\]' must be a finite weight at least 0, got -0.5",
        ),
        (_arms((1, 1), (1, 1)), {}, {"policy": "ucb"}, r"'policy' must be one of thompson-beta, .*got 'ucb'"),
        (_arms((1, 1), (1, 1)), {}, {"epsilon": 1.5}, r"'epsilon' must be between 0 and 1, got 1.5"),
        (_arms((1, 1), (1, 1)), {}, {"draws": 0}, r"'draws' must be an integer at least 1, got 0"),
        (
            _arms((1, 1), (1, 1)),
            {},
            {"prior_variance": 0.0},
            r"'prior_variance' must be a finite number above 0",
        ),
        (
            _arms((1, 1), (1, 1), (1, 1)),
            {},
            {"guardrails": Guardrails(min_weight=0.4)},
            r"'min_weight' must be between 0 and 1/3, got 0.4",
        ),
        (_arms((1, 1), (1, 1)), {}, {"guardrails": Guardrails(max_step=0.0)}, r"'max_step' must be above 0"),
        (
            _arms((1, 1), (1, 1)),
            {},
            {"guardrails": Guardrails(max_step=math.nan)},
            r"'max_step' must be above 0",
        ),
        (
            _arms((1, 1), (1, 1)),
            {},
            {"guardrails": Guardrails(min_trials=-1)},
            r"'min_trials' must be a finite",
        ),
    ],
)
def test_bad_inputs_are_named_with_what_is_allowed_and_what_was_given(
    arms: list[ArmObservation], current: dict[str, float], options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _decide(arms, current, **options)


def test_every_bad_input_is_reported_at_once() -> None:
    with pytest.raises(ValueError, match=r"'epsilon' .*; 'draws' .*; 'max_step'") as raised:
        _decide(_arms((1, 1), (1, 1)), {}, epsilon=-1.0, draws=0, guardrails=Guardrails(max_step=2.0))
    assert str(raised.value).count("; ") == 2


# --- Invariants, drawn ---------------------------------------------------------------------------------------

_share = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)


@st.composite
def _guardrailed_move(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, float], Guardrails]:
    k = draw(st.integers(min_value=2, max_value=5))
    names = [f"v{i}" for i in range(k)]
    current = {n: draw(_share) for n in names}
    target = normalize({n: draw(_share) for n in names})
    floor = draw(st.floats(min_value=0.0, max_value=1.0 / k))
    step = draw(st.floats(min_value=1e-3, max_value=1.0))
    return current, target, Guardrails(min_weight=floor, max_step=step, min_trials=0)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(_guardrailed_move())
def test_guardrails_hold_for_any_current_and_target(
    move: tuple[dict[str, float], dict[str, float], Guardrails],
) -> None:
    current, target, guardrails = move
    now = normalize(current)
    weights = apply_guardrails(current, target, guardrails)
    assert set(weights) == set(target)
    assert sum(weights.values()) == pytest.approx(1.0, abs=TOLERANCE)
    assert all(w >= guardrails.min_weight - TOLERANCE for w in weights.values())
    lifted = sum(max(0.0, guardrails.min_weight - w) for w in now.values())
    if lifted == 0:
        # Nothing below the floor: every share moves at most max_step, toward the floored target.
        floored = {
            n: guardrails.min_weight + (1 - len(target) * guardrails.min_weight) * target[n] for n in target
        }
        for n in target:
            assert abs(weights[n] - now[n]) <= guardrails.max_step + TOLERANCE
            assert (weights[n] - now[n]) * (floored[n] - now[n]) >= -TOLERANCE
    else:
        # The floor wins: a lifted share reaches it; the others give up no more than the lift besides the step.
        for n in target:
            assert (
                abs(weights[n] - now[n]) <= guardrails.max_step + lifted + guardrails.min_weight + TOLERANCE
            )


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5000), st.floats(0.0, 1.0)), min_size=2, max_size=4),
    st.lists(_share, min_size=4, max_size=4),
    st.sampled_from([POLICY_THOMPSON_BETA, POLICY_EPSILON_GREEDY]),
    st.integers(0, 2**32),
)
def test_every_decision_is_a_valid_allocation_within_the_guardrails(
    counts: list[tuple[int, float]], raw_current: list[float], policy: str, seed: int
) -> None:
    arms = _arms(*[(float(n), float(round(n * rate))) for n, rate in counts])
    current = {a.variant: raw_current[i] for i, a in enumerate(arms)}
    guardrails = Guardrails(min_weight=0.05, max_step=0.2, min_trials=100)
    allocation = decide(
        arms, current, policy=policy, guardrails=guardrails, rng=random.Random(seed), draws=200
    )
    now = normalize(current)
    assert sum(allocation.weights.values()) == pytest.approx(1.0, abs=TOLERANCE)
    assert all(w >= 0.05 - TOLERANCE for w in allocation.weights.values())
    if all(w >= 0.05 for w in now.values()):
        assert all(abs(allocation.weights[n] - now[n]) <= 0.2 + TOLERANCE for n in now)
    if allocation.reason == REASON_INSUFFICIENT_DATA:
        assert any(a.trials < 100 for a in arms)
    else:
        assert sum(allocation.probability_best.values()) == pytest.approx(1.0)
