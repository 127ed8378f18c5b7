"""``DashboardSection``: what one capability shows on a dashboard, and the widget helpers sections share.

Each capability builds its own section from its constructs' public ``metric_*`` methods and alarms
(``hosting.dashboard``, ``batch.dashboard``, ``monitoring.dashboard``, ``retraining.dashboard``), as
cdk-monitoring-constructs' monitorings return their widgets; ``OperationsDashboard`` only lays sections out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Token
from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs._internal.validation import ValidationErrors

GRID_WIDTH = 24
"""CloudWatch dashboards are 24 grid units wide."""
GRAPH_HEIGHT = 6
"""Height of a section's graphs, in grid units."""
GRAPHS_PER_ROW = 4
"""Graphs side by side in one row of a section."""
ALARMS_PER_WIDGET = 100
"""Alarms one alarm status widget shows at most."""


@dataclass(frozen=True)
class DashboardSection:
    """One section of a dashboard: a title, graphs (four to a row) and the status of some alarms.

    :param title: the section's heading (rendered as ``## title``).
    :param graphs: the widgets under the heading, in order, laid out four to a row.
    :param alarms: the alarms whose status the section shows, one status widget per 100 alarms.
        Default: - none
    """

    title: str
    graphs: Sequence[cloudwatch.IWidget]
    alarms: Sequence[cloudwatch.IAlarm] = ()

    def __post_init__(self) -> None:
        # Frozen means frozen: a caller's list appended to later must not change the section.
        object.__setattr__(self, "graphs", tuple(self.graphs))
        object.__setattr__(self, "alarms", tuple(self.alarms))

    def rows(self) -> list[list[cloudwatch.IWidget]]:
        """The section's widgets, row by row: the heading, the graphs four to a row, then the alarm status
        widgets (one per 100 alarms)."""
        rows: list[list[cloudwatch.IWidget]] = [
            [cloudwatch.TextWidget(markdown=f"## {self.title}", width=GRID_WIDTH, height=1)]
        ]
        graphs = list(self.graphs)
        rows += [graphs[start : start + GRAPHS_PER_ROW] for start in range(0, len(graphs), GRAPHS_PER_ROW)]
        alarms = list(self.alarms)
        for start in range(0, len(alarms), ALARMS_PER_WIDGET):
            chunk = alarms[start : start + ALARMS_PER_WIDGET]
            rows.append(
                [
                    cloudwatch.AlarmStatusWidget(
                        alarms=chunk,
                        title=f"{self.title}: alarms",
                        width=GRID_WIDTH,
                        height=_alarm_rows(len(chunk)),
                    )
                ]
            )
        return rows

    @property
    def widget_count(self) -> int:
        """How many widgets ``rows()`` holds (CloudWatch limits a dashboard's widgets)."""
        return 1 + len(self.graphs) + -(-len(self.alarms) // ALARMS_PER_WIDGET)


def graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    """A graph of ``metrics`` on the left axis, a quarter of the dashboard wide."""
    return cloudwatch.GraphWidget(
        title=title, left=list(metrics), width=GRID_WIDTH // GRAPHS_PER_ROW, height=GRAPH_HEIGHT
    )


def label(metric: cloudwatch.Metric, text: str) -> cloudwatch.Metric:
    """``metric`` with the legend ``text``."""
    # Without a label CloudWatch names every line after the metric, which repeats across variants and features.
    return metric.with_(label=text)


def check_names(
    errors: ValidationErrors, prop: str, values: Sequence[str], *, allowed: Sequence[str] | None = None
) -> None:
    """Record a problem unless ``values`` is a non-empty list of distinct, non-blank names (among ``allowed``).

    Types (a list of strings, not one string) are checked on entry (``checked_arguments``).
    """
    if not values:
        errors.add(f"'{prop}' must hold at least one name, got none")
        return
    if len(set(values)) != len(values):
        errors.add(f"'{prop}' must not repeat a name, got {list(values)}")
    for value in values:
        if not Token.is_unresolved(value) and not value.strip():
            errors.add(f"'{prop}' must hold non-empty names, got {value!r}")
    if allowed is not None:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            errors.add(f"'{prop}' must be among {list(allowed)}, got {unknown}")


def _alarm_rows(count: int) -> int:
    # The alarm status widget lays alarms out in rows of four; two grid rows hold about one row of alarms.
    return min(2 + 2 * ((count - 1) // 4), 12)
