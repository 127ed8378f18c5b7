"""Mergeable accumulators: what one instance (or one chunk) computes, and how two of them combine.

Every accumulator here merges *exactly*: the merge of the accumulators of any split of the data (shards, chunks, in
any order) is the accumulator of the whole, so a multi-instance job reports what a single pass reports.

- :class:`ExactSum` keeps a floating-point sum with no rounding error at all, as a short list of non-overlapping
  float terms (Shewchuk's "exact partials", the idea behind :func:`math.fsum`), so sums, means and, through
  :func:`square_terms`, sums of squares do not depend on how the data was split.
- :class:`GridHistogram` counts values on a fixed grid of points (values equal to a point, and values strictly
  between two points): integer counts, so merging is addition.
- :class:`CategoryCounts` counts string values exactly up to ``CATEGORY_CAP`` distinct values; past the cap the
  rarest values are folded into one ``other`` count (then, and only then, a merge can differ from a single pass).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterable, Sequence

import numpy as np

CATEGORY_CAP = 1000
"""Distinct string values counted per feature; rarer values past this many are counted together as ``other``."""

_SPLITTER = 134217729.0  # 2**27 + 1, Veltkamp's constant for splitting a double into two 26-bit halves
_MAX_TERMS = 64
_EXTRACT_STEPS = 4


def _expansion(terms: list[float]) -> list[float]:
    """Non-overlapping float terms whose exact sum is the exact sum of ``terms`` (largest first)."""
    out: list[float] = []
    rest = list(terms)
    for _ in range(_MAX_TERMS):
        head = math.fsum(rest)  # the correctly rounded exact sum of what is left
        if head == 0.0:
            break
        out.append(head)
        rest.append(-head)
    return out


def _extract_sums(values: np.ndarray) -> list[float]:
    """A few floats whose exact sum is the exact sum of ``values`` (finite), computed with numpy, not per value.

    Rump, Ogita and Oishi's error-free extraction ("Accurate floating-point summation part I", SIAM J. Sci. Comput.
    31(1), 2008, algorithm ExtractVector): with ``sigma`` a power of two at least ``2 * n * max|x|``, each
    ``q = (sigma + x) - sigma`` is ``x`` rounded to a multiple of ``sigma * 2**-53`` and ``x - q`` is exact; every
    partial sum of the ``q`` is such a multiple below ``sigma`` in magnitude, so ``sum(q)`` is exact in any order.
    The remainders go through the same step again; what is left after a few steps (values spanning an unusually
    wide range of magnitudes) is handed over as it is, for :func:`_expansion` to sum exactly.
    """
    out: list[float] = []
    rest = values
    for _ in range(_EXTRACT_STEPS):
        if rest.size == 0:
            return out
        largest = float(np.max(np.abs(rest)))
        if largest == 0.0:
            return out
        exponent = math.frexp(largest)[1] + max(int(rest.size), 2).bit_length() + 1
        if exponent > 1000:  # sigma would overflow: leave these to the exact list path
            break
        sigma = math.ldexp(1.0, exponent)
        rounded = (sigma + rest) - sigma
        out.append(float(np.sum(rounded)))
        rest = rest - rounded
        rest = rest[rest != 0.0]
    out.extend(rest.tolist())
    return out


class ExactSum:
    """The exact sum of finite floats (no rounding until :meth:`value`)."""

    __slots__ = ("terms",)

    def __init__(self, terms: list[float] | None = None) -> None:
        self.terms: list[float] = list(terms or [])

    def add(self, values: Any) -> None:
        """Add an array (or list) of finite floats."""
        if isinstance(values, np.ndarray):
            items = _extract_sums(np.asarray(values, dtype=np.float64).ravel())
        else:
            items = list(values)
        if items:
            self.terms = _expansion(self.terms + items)

    def merge(self, other: ExactSum) -> None:
        self.terms = _expansion(self.terms + other.terms)

    def exact(self) -> Fraction:
        return sum((Fraction(t) for t in self.terms), Fraction(0))

    def value(self) -> float:
        return math.fsum(self.terms)


def square_terms(values: np.ndarray) -> np.ndarray:
    """Float terms whose exact sum is the exact sum of ``values**2`` (Dekker's error-free product, vectorised).

    Each square ``x*x`` is the rounded product ``p`` plus an error ``e`` that is itself a double; the result holds
    every ``p`` and every ``e``. Values whose square overflows make the caller's sum infinite (see ``finite``).
    """
    x = np.asarray(values, dtype=np.float64)
    p = x * x
    scaled = x * _SPLITTER
    hi = scaled - (scaled - x)
    lo = x - hi
    e = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    return np.concatenate([p, e])


class GridHistogram:
    """Counts of values on a sorted grid of distinct points: ``equal[k]`` values equal to ``points[k]`` and
    ``between[k]`` values strictly between ``points[k-1]`` and ``points[k]`` (``between[0]`` below the first point,
    ``between[P]`` above the last)."""

    __slots__ = ("between", "equal", "points")

    def __init__(self, points: Sequence[float]) -> None:
        self.points = np.unique(np.asarray(points, dtype=np.float64))
        if self.points.size == 0:
            raise ValueError("a grid needs at least one point")
        self.between = np.zeros(self.points.size + 1, dtype=np.int64)
        self.equal = np.zeros(self.points.size, dtype=np.int64)

    def add(self, values: np.ndarray) -> None:
        size = self.points.size
        index = np.searchsorted(self.points, values, side="left")
        hit = index < size
        hit[hit] = self.points[index[hit]] == values[hit]
        self.equal += np.bincount(index[hit], minlength=size)
        self.between += np.bincount(index[~hit], minlength=size + 1)

    def merge(self, other: GridHistogram) -> None:
        if not np.array_equal(self.points, other.points):
            raise ValueError("cannot merge histograms on different grids")
        self.between += other.between
        self.equal += other.equal

    def total(self) -> int:
        return int(self.between.sum() + self.equal.sum())

    def to_json(self) -> dict[str, Any]:
        return {
            "points": self.points.tolist(),
            "between": self.between.tolist(),
            "equal": self.equal.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GridHistogram:
        hist = cls(data["points"])
        hist.between = np.asarray(data["between"], dtype=np.int64)
        hist.equal = np.asarray(data["equal"], dtype=np.int64)
        return hist

    def ks_distance(self, baseline_cdf: np.ndarray) -> float:
        """The L-infinity distance between a baseline CDF and this window's empirical CDF.

        ``baseline_cdf[k]`` is the baseline's share of values at or below ``points[k]``; the baseline CDF is taken
        as a step function that only jumps at grid points (true of a sketch whose items are all grid points). The
        window's CDF is exact, so the supremum over every real ``x`` is found at the grid points and just below
        them: this is the two-sample Kolmogorov-Smirnov statistic of the baseline sketch against the window.
        """
        m = float(self.total())
        if m == 0:
            return 0.0
        at_or_below = np.cumsum(self.between[:-1] + self.equal) / m  # share <= points[k]
        strictly_below = at_or_below - self.equal / m  # share < points[k]
        gaps = [
            float(strictly_below[0]),  # below the first point the baseline CDF is 0
            float(np.max(np.abs(baseline_cdf - at_or_below))),
            # just below points[k+1] the baseline CDF is still baseline_cdf[k]
            float(np.max(np.abs(baseline_cdf[:-1] - strictly_below[1:]), initial=0.0)),
            abs(1.0 - float(baseline_cdf[-1])),  # past the last point the window's CDF reaches 1
        ]
        return max(gaps)

    def positions(self, lowest: float, highest: float) -> tuple[np.ndarray, np.ndarray]:
        """Representative values and their counts: equal counts at their point, between counts at the midpoint
        of their interval (clamped to ``[lowest, highest]``, the observed min and max)."""
        pts = self.points
        edges_lo = np.concatenate([[lowest], pts])
        edges_hi = np.concatenate([pts, [highest]])
        mids = np.clip((edges_lo + edges_hi) / 2.0, lowest, highest)
        values = np.concatenate([pts, mids])
        counts = np.concatenate([self.equal, self.between]).astype(np.float64)
        keep = counts > 0
        order = np.argsort(values[keep], kind="stable")
        return values[keep][order], counts[keep][order]


class CategoryCounts:
    """Exact value counts up to ``cap`` distinct values, the rest in ``other`` (see the module docstring)."""

    __slots__ = ("cap", "counts", "other")

    def __init__(self, cap: int = CATEGORY_CAP) -> None:
        self.cap = cap
        self.counts: dict[str, int] = {}
        self.other = 0

    def add(self, values: Iterable[str]) -> None:
        counts = self.counts
        for value in values:
            counts[value] = counts.get(value, 0) + 1
        self._trim()

    def merge(self, other: CategoryCounts) -> None:
        for value, n in other.counts.items():
            self.counts[value] = self.counts.get(value, 0) + n
        self.other += other.other
        self._trim()

    def _trim(self) -> None:
        if len(self.counts) <= self.cap:
            return
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        self.counts = dict(ranked[: self.cap])
        self.other += sum(n for _, n in ranked[self.cap :])

    def total(self) -> int:
        return sum(self.counts.values()) + self.other

    def to_json(self) -> dict[str, Any]:
        return {"counts": dict(sorted(self.counts.items())), "other": self.other}

    @classmethod
    def from_json(cls, data: dict[str, Any], cap: int = CATEGORY_CAP) -> CategoryCounts:
        counts = cls(cap)
        counts.counts = {str(k): int(v) for k, v in dict(data.get("counts", {})).items()}
        counts.other = int(data.get("other", 0))
        return counts


def categorical_distance(baseline: dict[str, float], window: dict[str, int]) -> float:
    """L-infinity distance between two categorical frequency tables (as Deequ's ``Distance.categoricalDistance``)."""
    n = float(sum(baseline.values()))
    m = float(sum(window.values()))
    if n <= 0 or m <= 0:
        return 0.0
    keys = set(baseline) | set(window)
    return max(abs(baseline.get(k, 0.0) / n - window.get(k, 0) / m) for k in keys)
