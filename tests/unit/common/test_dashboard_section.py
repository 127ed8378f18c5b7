"""DashboardSection: a heading, graphs four to a row, and alarm status widgets of at most 100 alarms."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_constructs.common.dashboard_section import DashboardSection, graph


def alarms(stack: Stack, count: int) -> list[cloudwatch.Alarm]:
    metric = cloudwatch.Metric(namespace="N", metric_name="M")
    return [metric.create_alarm(stack, f"A{i}", threshold=1, evaluation_periods=1) for i in range(count)]


def test_rows_lay_graphs_out_four_to_a_row_and_alarms_a_hundred_to_a_widget(stack: Stack) -> None:
    metric = cloudwatch.Metric(namespace="N", metric_name="M")
    graphs = [graph(f"g{i}", [metric]) for i in range(6)]
    section = DashboardSection(title="T", graphs=graphs, alarms=alarms(stack, 101))
    rows = [[stack.resolve(w.to_json())[0] for w in row] for row in section.rows()]
    assert [[w["type"] for w in row] for row in rows] == [
        ["text"],
        ["metric"] * 4,
        ["metric"] * 2,
        ["alarm"],
        ["alarm"],
    ]
    assert rows[0][0]["properties"]["markdown"] == "## T"
    assert [len(row[0]["properties"]["alarms"]) for row in rows[3:]] == [100, 1]
    assert [row[0]["height"] for row in rows[3:]] == [12, 2]
    assert [w["width"] for w in rows[1]] == [6] * 4
    assert section.widget_count == sum(len(row) for row in rows) == 1 + 6 + 2


def test_a_section_copies_what_it_is_given(stack: Stack) -> None:
    given = alarms(stack, 2)
    section = DashboardSection(title="T", graphs=[], alarms=given)
    given.append(alarms(Stack(), 1)[0])
    assert len(section.alarms) == 2
    assert [[type(w).__name__ for w in row] for row in section.rows()] == [
        ["TextWidget"],
        ["AlarmStatusWidget"],
    ]
