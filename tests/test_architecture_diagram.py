"""docs/architecture.md shows the reference app as it is: its generated block is what
scripts/architecture_diagram.py renders from the app synthesized now, the diagram is valid Mermaid, and the
stacks, resources and paths the templates hold are in it. The expected resources and edges are read from the
templates here, independently of the script, never typed in as logical IDs."""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.mermaid import Flowchart, MermaidSyntaxError, mermaid_blocks, parse_flowchart
from support.reference_app import REFERENCE_STACKS, SynthesizedApp

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
SCRIPT = ROOT / "scripts" / "architecture_diagram.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("architecture_diagram", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


diagram = _load_script()


@pytest.fixture(scope="module")
def assembly(reference_app: SynthesizedApp) -> Any:
    """The reference stacks of the session's assembly (the fixture adds a NagOffender stack: not drawn)."""
    return diagram.load_assembly(reference_app.outdir, REFERENCE_STACKS)


@pytest.fixture(scope="module")
def page_chart() -> Flowchart:
    """The committed page's diagram, parsed and checked."""
    (block,) = mermaid_blocks(diagram.generated_block(PAGE.read_text()))
    return parse_flowchart(block)


def _node_id(stack: str, logical_id: str) -> str:
    # The page documents node IDs as <stack>_<logical ID>.
    return f"{stack}_{logical_id}"


def _refs(value: Any) -> Iterator[str]:
    """Logical IDs that ``value`` names with ``Ref`` or ``Fn::GetAtt`` (same stack)."""
    if isinstance(value, list):
        for item in value:
            yield from _refs(item)
    elif isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
            yield value["Ref"]
        elif "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        else:
            for item in value.values():
                yield from _refs(item)


def _resolve(templates: dict[str, dict[str, Any]], stack: str, value: Any) -> Iterator[tuple[str, str]]:
    """``(stack, logical ID)`` of the resources ``value`` names, through ``Fn::GetStackOutput`` and
    ``Fn::ImportValue`` too."""
    if isinstance(value, dict) and "Fn::GetStackOutput" in value:
        producer = value["Fn::GetStackOutput"]["StackName"]
        output = templates[producer]["Outputs"][value["Fn::GetStackOutput"]["OutputName"]]
        yield from _resolve(templates, producer, output["Value"])
    elif isinstance(value, dict) and "Fn::ImportValue" in value:
        for producer, template in templates.items():
            for output in template.get("Outputs", {}).values():
                if output.get("Export", {}).get("Name") == value["Fn::ImportValue"]:
                    yield from _resolve(templates, producer, output["Value"])
    else:
        for logical_id in _refs(value):
            yield stack, logical_id


def _resources(
    templates: dict[str, dict[str, Any]], type_name: str
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack, template in sorted(templates.items()):
        for logical_id, resource in sorted(template["Resources"].items()):
            if resource["Type"] == type_name:
                yield stack, logical_id, resource.get("Properties", {})


def _edges(chart: Flowchart) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edge in chart.edges}


# (a) the page matches the app


def test_the_page_shows_the_diagram_of_the_app_as_synthesized_now(assembly: Any) -> None:
    rendered = diagram.render_block(diagram.build_diagram(assembly))
    committed = diagram.generated_block(PAGE.read_text())
    assert committed == rendered, "docs/architecture.md does not match the reference app: run `make diagram`"


def test_a_resource_added_to_a_stack_changes_the_rendered_block(assembly: Any) -> None:
    before = diagram.render_block(diagram.build_diagram(assembly))
    grown = copy.deepcopy(assembly)
    grown.templates["SageMakerBatch"]["Resources"]["ExtraTopic0A1B2C3D"] = {"Type": "AWS::SNS::Topic"}
    after = diagram.render_block(diagram.build_diagram(grown))
    assert after != before
    assert "SageMakerBatch_ExtraTopic0A1B2C3D" in after


def test_the_output_does_not_depend_on_the_order_of_the_templates(assembly: Any) -> None:
    shuffled = copy.deepcopy(assembly)
    shuffled.templates = dict(reversed(list(shuffled.templates.items())))
    for template in shuffled.templates.values():
        template["Resources"] = dict(reversed(list(template["Resources"].items())))
    assert diagram.render_block(diagram.build_diagram(shuffled)) == diagram.render_block(
        diagram.build_diagram(assembly)
    )


def test_check_mode_fails_on_a_stale_page(reference_app: SynthesizedApp, tmp_path: Path) -> None:
    stale = tmp_path / "architecture.md"
    stale.write_text(f"# A page\n\n{diagram.BEGIN_MARKER}\nold\n{diagram.END_MARKER}\n")
    args = ["--assembly", str(reference_app.outdir)] + [f"--stack={s}" for s in REFERENCE_STACKS]
    assert diagram.main([*args, "--check", str(stale)]) == 1
    assert diagram.main([*args, "--write", str(stale)]) == 0
    assert diagram.main([*args, "--check", str(stale)]) == 0
    assert stale.read_text().startswith("# A page\n\n")


# (b) every stack and main resource is in it


def test_every_stack_is_a_subgraph(page_chart: Flowchart, reference_app: SynthesizedApp) -> None:
    assert sorted(page_chart.subgraphs.values()) == sorted(reference_app.templates)


@pytest.mark.parametrize(
    "type_name",
    [
        "AWS::SageMaker::Endpoint",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Model",
        "AWS::SageMaker::Pipeline",
        "AWS::SageMaker::ModelPackageGroup",
        "AWS::Events::Rule",
        "AWS::Scheduler::Schedule",
        "AWS::StepFunctions::StateMachine",
    ],
)
def test_every_main_resource_is_a_node_in_its_stack(
    page_chart: Flowchart, reference_templates: dict[str, dict[str, Any]], type_name: str
) -> None:
    found = list(_resources(reference_templates, type_name))
    if type_name != "AWS::SageMaker::EndpointConfig":
        assert found, f"the reference app has no {type_name}: update this test"
    for stack, logical_id, _ in found:
        node = _node_id(stack, logical_id)
        assert node in page_chart.nodes, f"{type_name} {stack}/{logical_id} is not in the diagram"
        assert page_chart.subgraphs[page_chart.members[node]] == stack


def test_each_stack_has_one_node_counting_its_alarms(
    page_chart: Flowchart, reference_templates: dict[str, dict[str, Any]]
) -> None:
    for stack, template in reference_templates.items():
        count = sum(1 for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm")
        labels = [label for node, label in page_chart.nodes.items() if node == _node_id(stack, "Alarms")]
        if count:
            assert labels == [f"CloudWatch<br/>{count} alarm{'s' if count > 1 else ''}"], stack
        else:
            assert labels == []


def test_the_diagram_stays_readable(page_chart: Flowchart) -> None:
    assert len(page_chart.nodes) <= 60


# (c) edges: between nodes, and the paths the templates hold


def test_every_edge_joins_two_nodes_and_cross_stack_edges_are_highlighted(page_chart: Flowchart) -> None:
    assert page_chart.edges
    for index, edge in enumerate(page_chart.edges):
        assert edge.source in page_chart.nodes, edge
        assert edge.target in page_chart.nodes, edge
        crosses = page_chart.members[edge.source] != page_chart.members[edge.target]
        assert (index in page_chart.styled_links) == crosses, edge


def test_each_endpoint_has_an_edge_to_its_data_capture_bucket(
    page_chart: Flowchart, reference_templates: dict[str, dict[str, Any]]
) -> None:
    endpoints = list(_resources(reference_templates, "AWS::SageMaker::Endpoint"))
    assert endpoints
    for stack, logical_id, properties in endpoints:
        (config_id,) = _refs(properties["EndpointConfigName"])
        config = reference_templates[stack]["Resources"][config_id]["Properties"]
        buckets = list(_refs(config["DataCaptureConfig"]["DestinationS3Uri"]))
        assert buckets
        for bucket in buckets:
            assert (_node_id(stack, logical_id), _node_id(stack, bucket)) in _edges(page_chart)
        for variant in config["ProductionVariants"]:
            (model,) = _refs(variant["ModelName"])
            edge = (_node_id(stack, config_id), _node_id(stack, model))
            assert edge in _edges(page_chart), variant["VariantName"]


def test_alarm_and_violation_rules_lead_to_the_retraining_trigger_function(
    page_chart: Flowchart, reference_templates: dict[str, dict[str, Any]]
) -> None:
    retraining_rules = 0
    for stack, logical_id, properties in _resources(reference_templates, "AWS::Events::Rule"):
        pattern = properties.get("EventPattern", {})
        on_alarms = "CloudWatch Alarm State Change" in pattern.get("detail-type", [])
        on_violations = "CompletedWithViolations" in pattern.get("detail", {}).get(
            "monitoringExecutionStatus", []
        )
        if not (on_alarms or on_violations):
            continue
        rule = _node_id(stack, logical_id)
        for target in properties["Targets"]:
            for target_stack, target_id in _resolve(reference_templates, stack, target["Arn"]):
                resource = reference_templates[target_stack]["Resources"][target_id]
                assert resource["Type"] == "AWS::Lambda::Function"
                assert (rule, _node_id(target_stack, target_id)) in _edges(page_chart)
                retraining_rules += 1
        if on_alarms:
            alarm_stacks = {
                alarm_stack for alarm_stack, _ in _resolve(reference_templates, stack, pattern["resources"])
            }
            assert alarm_stacks
            for alarm_stack in alarm_stacks:
                assert (_node_id(alarm_stack, "Alarms"), rule) in _edges(page_chart)
        if on_violations:
            senders = [e.source for e in page_chart.edges if e.target == rule and e.arrow == "-->"]
            assert senders
            assert all("State machine" in page_chart.nodes[s] for s in senders)
    assert retraining_rules >= 2, "the reference app has an alarm rule and a violation rule for retraining"


def test_rule_and_schedule_targets_and_queue_sources_are_edges(
    page_chart: Flowchart, reference_templates: dict[str, dict[str, Any]]
) -> None:
    expected: set[tuple[str, str]] = set()
    for stack, logical_id, properties in _resources(reference_templates, "AWS::Scheduler::Schedule"):
        for target_stack, target_id in _resolve(reference_templates, stack, properties["Target"]["Arn"]):
            expected.add((_node_id(stack, logical_id), _node_id(target_stack, target_id)))
    for stack, logical_id, properties in _resources(reference_templates, "AWS::Events::Rule"):
        for target in properties.get("Targets", []):
            for target_stack, target_id in _resolve(reference_templates, stack, target["Arn"]):
                expected.add((_node_id(stack, logical_id), _node_id(target_stack, target_id)))
    for stack, _, properties in _resources(reference_templates, "AWS::Lambda::EventSourceMapping"):
        (queue,) = _refs(properties["EventSourceArn"])
        (function,) = _refs(properties["FunctionName"])
        expected.add((_node_id(stack, queue), _node_id(stack, function)))
    assert expected
    assert expected <= _edges(page_chart)


def test_monitors_read_the_endpoints_captured_data_across_stacks(
    page_chart: Flowchart, reference_templates: dict[str, dict[str, Any]]
) -> None:
    capture_buckets = set()
    for stack, _, properties in _resources(reference_templates, "AWS::SageMaker::Endpoint"):
        (config_id,) = _refs(properties["EndpointConfigName"])
        config = reference_templates[stack]["Resources"][config_id]["Properties"]
        capture_buckets |= {
            _node_id(stack, b) for b in _refs(config["DataCaptureConfig"]["DestinationS3Uri"])
        }
    readers = {
        edge.source
        for edge in page_chart.edges
        if edge.target in capture_buckets and "reads" in edge.label.split(", ")
    }
    assert readers
    assert all(page_chart.subgraphs[page_chart.members[r]] == "SageMakerMonitoring" for r in readers)


# Mermaid syntax, as far as it can be checked without a browser


def test_the_page_has_one_generated_mermaid_block() -> None:
    text = PAGE.read_text()
    assert text.count(diagram.BEGIN_MARKER) == 1
    assert text.count(diagram.END_MARKER) == 1
    assert len(mermaid_blocks(diagram.generated_block(text))) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('flowchart LR\n  subgraph S["s"]\n    a["A"]\n', "not closed"),
        ('flowchart LR\n  subgraph S["s"]\n    a[A]\n  end\n', "labels are quoted"),
        ('flowchart LR\n  subgraph S["s"]\n    a-b["A"]\n  end\n', "labels are quoted"),
        ('flowchart LR\n  subgraph S["s"]\n    a["A"]\n  end\n  a -->|"x"| b\n', "undeclared node b"),
        ('flowchart LR\n  subgraph S["s"]\n    a["A"]\n  end\n  end\n', "without a subgraph"),
        ('flowchart LR\n  subgraph S["s"]\n    a["A"]\n  end\n  linkStyle 0 stroke:#000\n', "beyond"),
    ],
)
def test_the_syntax_check_rejects_what_mermaid_would_not_draw(text: str, message: str) -> None:
    with pytest.raises(MermaidSyntaxError, match=message):
        parse_flowchart(text)
