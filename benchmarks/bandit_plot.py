"""The bandit simulation's plot as a standalone SVG (no plotting library): for each scenario, the mean cumulative
regret and the mean share of the best variant over the ticks, one line per policy, the change marked."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.bandit_regret import Scenario, Summary

COLORS = {"thompson": "#1f77b4", "epsilon-greedy": "#e07b00", "fixed": "#7f7f7f"}
PANEL_W, PANEL_H = 440, 230
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 28, 34


def _nice_ceiling(peak: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``peak``."""
    if peak <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(peak))
    for factor in (1, 2, 5, 10):
        if factor * power >= peak:
            return float(factor * power)
    return float(10 * power)


def _panel(
    x0: float,
    y0: float,
    title: str,
    curves: Sequence[tuple[str, Sequence[float]]],
    top: float,
    change: int,
    guide: float | None,
    percent: bool,
) -> list[str]:
    plot_w, plot_h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM
    ticks = max(len(values) for _, values in curves)

    def x(tick: float) -> float:
        return x0 + LEFT + plot_w * tick / max(ticks - 1, 1)

    def y(value: float) -> float:
        return y0 + TOP + plot_h * (1 - value / top)

    def label(value: float) -> str:
        return f"{value:.0%}" if percent else f"{value:g}"

    out = [
        f'<text x="{x0 + LEFT}" y="{y0 + 16}" font-size="12" font-weight="bold">{html.escape(title)}</text>',
        f'<rect x="{x0 + LEFT}" y="{y0 + TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#bbb"/>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        value = top * fraction
        out.append(
            f'<text x="{x0 + LEFT - 4}" y="{y(value) + 4:.1f}" font-size="10" text-anchor="end">{label(value)}</text>'
        )
    for tick in (0, change, ticks - 1):
        out.append(
            f'<text x="{x(tick):.1f}" y="{y0 + TOP + plot_h + 14}" font-size="10" text-anchor="middle">{tick}</text>'
        )
    out.append(
        f'<text x="{x0 + LEFT + plot_w / 2}" y="{y0 + PANEL_H - 4}" font-size="10" text-anchor="middle">'
        "decision (tick of 15 min)</text>"
    )
    out.append(
        f'<line x1="{x(change):.1f}" y1="{y0 + TOP}" x2="{x(change):.1f}" y2="{y0 + TOP + plot_h}" stroke="#c00" '
        'stroke-dasharray="4 3"><title>the rates change</title></line>'
    )
    if guide is not None:
        out.append(
            f'<line x1="{x0 + LEFT}" y1="{y(guide):.1f}" x2="{x0 + LEFT + plot_w}" y2="{y(guide):.1f}" '
            'stroke="#999" stroke-dasharray="2 3"/>'
        )
    for policy, values in curves:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{COLORS.get(policy, "#000")}" stroke-width="1.6">'
            f"<title>{html.escape(policy)}</title></polyline>"
        )
    return out


def render_svg(
    summaries: Sequence[Summary], scenarios: Sequence[Scenario], change: int, adapted: float
) -> str:
    """One row per scenario: mean cumulative regret (left) and mean share of the best variant (right)."""
    legend_h = 26
    width, height = 2 * PANEL_W, legend_h + PANEL_H * len(scenarios)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" role="img">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for i, policy in enumerate(COLORS):
        lx = LEFT + i * 150
        out.append(
            f'<line x1="{lx}" y1="13" x2="{lx + 24}" y2="13" stroke="{COLORS[policy]}" stroke-width="3"/>'
        )
        out.append(f'<text x="{lx + 30}" y="17" font-size="12">{html.escape(policy)}</text>')
    for row, scenario in enumerate(scenarios):
        mine = [s for s in summaries if s.scenario == scenario.name]
        if not mine:
            continue
        y0 = legend_h + row * PANEL_H
        regret = [(s.policy, s.mean_cumulative_regret) for s in mine]
        peak = max(max(values) for _, values in regret)
        out += _panel(
            0,
            y0,
            f"{scenario.name}: mean cumulative regret (conversions)",
            regret,
            _nice_ceiling(peak),
            change,
            None,
            percent=False,
        )
        out += _panel(
            PANEL_W,
            y0,
            f"{scenario.name}: mean share of the best variant",
            [(s.policy, s.mean_best_share) for s in mine],
            1.0,
            change,
            adapted,
            percent=True,
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
