#!/usr/bin/env python3
"""Render the reference app's architecture as a Mermaid flowchart, read from a synthesized cloud assembly.

Everything comes from the assembly (``manifest.json``, each stack's template and its metadata file): a subgraph
per stack, a node per main resource (named by its construct path), one node per stack for its CloudWatch alarms,
and edges found in the templates by logical ID (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``) and across
stacks (``Fn::ImportValue``, ``Fn::GetStackOutput``):

- event paths: an EventBridge rule to its targets (``Targets[].Arn``), a Scheduler schedule to its target
  (``Target.Arn``), and into a rule whatever its event pattern names (alarms, buckets, model package groups) or a
  state machine whose ``events:putEvents`` step sends what the pattern matches;
- data paths: an endpoint to the bucket its config captures into (``DataCaptureConfig.DestinationS3Uri``), a
  state machine to the buckets its steps read or write, a queue to the function it feeds (event source mapping);
- references: an endpoint to its config, a config to the model of each variant, and any other property of a
  main resource that names another (a function's environment, the dashboard's widgets).

Roles, policies, log groups, keys, dead-letter queues, access-log buckets and the like are counted in a table
under the diagram instead of drawn. The output is sorted and the node IDs are ``<stack>_<logical ID>``, so the
same app renders the same text.

Usage::

    python scripts/architecture_diagram.py                            # print the generated block
    python scripts/architecture_diagram.py --write docs/architecture.md
    python scripts/architecture_diagram.py --check docs/architecture.md   # exit 1 if the page is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _assembly import Assembly, AssemblyError, GeneratedBlock, load_assembly

BEGIN_MARKER = "<!-- BEGIN GENERATED: make diagram -->"
END_MARKER = "<!-- END GENERATED -->"
PAGE_BLOCK = GeneratedBlock(BEGIN_MARKER, END_MARKER)

NODE_TYPES: dict[str, tuple[str, str]] = {
    # CloudFormation type: (what the node says it is, Mermaid shape)
    "AWS::SageMaker::Endpoint": ("SageMaker endpoint", "subroutine"),
    "AWS::SageMaker::EndpointConfig": ("Endpoint config", "rect"),
    "AWS::SageMaker::Model": ("SageMaker model", "rect"),
    "AWS::SageMaker::Pipeline": ("SageMaker pipeline", "subroutine"),
    "AWS::SageMaker::ModelPackageGroup": ("Model package group", "rect"),
    "AWS::SageMaker::MonitoringSchedule": ("Monitoring schedule", "stadium"),
    "AWS::StepFunctions::StateMachine": ("State machine", "subroutine"),
    "AWS::Scheduler::Schedule": ("Scheduler schedule", "stadium"),
    "AWS::Events::Rule": ("EventBridge rule", "stadium"),
    "AWS::Lambda::Function": ("Lambda function", "hexagon"),
    "AWS::SQS::Queue": ("SQS queue", "flag"),
    "AWS::SNS::Topic": ("SNS topic", "flag"),
    "AWS::S3::Bucket": ("S3 bucket", "cylinder"),
    "AWS::DynamoDB::Table": ("DynamoDB table", "cylinder"),
    "AWS::CloudWatch::Dashboard": ("CloudWatch dashboard", "rect"),
    "AWS::SSM::Parameter": ("SSM parameter", "rect"),
}
"""Resource types drawn as a node each; alarms get one node per stack; everything else is counted."""

NAME_PROPERTIES = {
    "AWS::SageMaker::Endpoint": "EndpointName",
    "AWS::SageMaker::Model": "ModelName",
    "AWS::SageMaker::Pipeline": "PipelineName",
    "AWS::SageMaker::ModelPackageGroup": "ModelPackageGroupName",
    "AWS::SageMaker::MonitoringSchedule": "MonitoringScheduleName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::S3::Bucket": "BucketName",
}
"""The property holding a resource's physical name: where it is a plain string, other resources may name the
resource by it (a function's environment, a rule's pattern) instead of by a reference."""

ALARM_TYPE = "AWS::CloudWatch::Alarm"
IGNORED_TYPES = {"AWS::CDK::Metadata"}

SHAPES = {
    "rect": ('["', '"]'),
    "subroutine": ('[["', '"]]'),
    "stadium": ('(["', '"])'),
    "hexagon": ('{{"', '"}}'),
    "flag": ('>"', '"]'),
    "cylinder": ('[("', '")]'),
}

# The last construct-path segment says nothing a node's type line does not already say.
GENERIC_SEGMENTS = {"Resource", "Default"}
TYPE_SEGMENTS = {"Bucket", "Function", "StateMachine", "Schedule", "Queue", "Table", "Config"}

EVENT, DATA, REFERENCE = "event", "data", "reference"
ARROWS = {EVENT: "-->", DATA: "-.->", REFERENCE: "---"}


@dataclass(frozen=True, order=True)
class Ref:
    """A reference to a resource (stack, logical ID), and the property path it was found under."""

    stack: str
    logical_id: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Node:
    id: str
    stack: str
    logical_id: str
    kind: str
    name: str
    detail: str = ""
    shape: str = "rect"

    @property
    def label(self) -> str:
        lines = [self.kind, self.name] + ([self.detail] if self.detail else [])
        return "<br/>".join(lines)


@dataclass(frozen=True, order=True)
class Edge:
    source: str
    target: str
    style: str
    label: str
    cross_stack: bool


@dataclass
class Diagram:
    stacks: list[str]
    nodes: dict[str, Node]
    edges: list[Edge]
    counted: dict[str, Counter[str]] = field(default_factory=dict)
    """``{stack: {what: count}}`` of the resources that are not nodes of their own."""
    alarms: dict[str, int] = field(default_factory=dict)
    """``{stack: count}`` of the CloudWatch alarms, drawn as one node per stack."""


def _output_refs(assembly: Assembly, stack: str, output: str, path: tuple[str, ...]) -> Iterator[Ref]:
    outputs = assembly.templates.get(stack, {}).get("Outputs", {})
    if output in outputs:
        yield from find_refs(assembly, stack, outputs[output].get("Value"), path)


def _export_refs(assembly: Assembly, export: Any, path: tuple[str, ...]) -> Iterator[Ref]:
    for stack, template in assembly.templates.items():
        for output_name, output in template.get("Outputs", {}).items():
            if output.get("Export", {}).get("Name") == export:
                yield from _output_refs(assembly, stack, output_name, path)


def find_refs(assembly: Assembly, stack: str, value: Any, path: tuple[str, ...] = ()) -> Iterator[Ref]:
    """Every resource that ``value`` references, followed across stacks through imports and stack outputs."""
    if isinstance(value, list):
        for item in value:
            yield from find_refs(assembly, stack, item, path)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            if isinstance(arg, str) and not arg.startswith("AWS::"):
                yield Ref(stack, arg, path)
            return
        if key == "Fn::GetAtt":
            target = arg[0] if isinstance(arg, list) else str(arg).split(".")[0]
            yield Ref(stack, target, path)
            return
        if key == "Fn::Sub":
            template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            for name in re.findall(r"\$\{([^!}][^}]*)\}", template):
                name = name.split(".")[0]
                if name in variables:
                    yield from find_refs(assembly, stack, variables[name], path)
                elif not name.startswith("AWS::"):
                    yield Ref(stack, name, path)
            return
        if key == "Fn::ImportValue":
            yield from _export_refs(assembly, arg, path)
            return
        if key == "Fn::GetStackOutput":
            yield from _output_refs(assembly, str(arg.get("StackName")), str(arg.get("OutputName")), path)
            return
    for key, item in value.items():
        yield from find_refs(assembly, stack, item, (*path, key))


_PLACEHOLDER = "@@ref{}@@"


def _flatten(value: Any, tokens: list[Any]) -> str:
    """A ``Fn::Join`` of strings and tokens as one string, each token replaced by a numbered placeholder."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_flatten(part, tokens) for part in parts)
    tokens.append(value)
    return _PLACEHOLDER.format(len(tokens) - 1)


def state_machine_refs(assembly: Assembly, stack: str, definition: Any) -> Iterator[tuple[Ref, str]]:
    """The resources a state machine definition names, each with the task's action (``s3:putObject``...)."""
    tokens: list[Any] = []
    text = _flatten(definition, tokens)
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        for token in tokens:
            for ref in find_refs(assembly, stack, token):
                yield ref, ""
        return

    def walk(node: Any, path: tuple[str, ...], action: str) -> Iterator[tuple[Ref, str]]:
        if isinstance(node, dict):
            resource = node.get("Resource")
            if node.get("Type") == "Task" and isinstance(resource, str):
                action = resource.rsplit(":::", 1)[-1].removeprefix("aws-sdk:")
            for key, item in sorted(node.items()):
                yield from walk(item, (*path, key), action)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, path, action)
        elif isinstance(node, str):
            for index in re.findall(r"@@ref(\d+)@@", node):
                for ref in find_refs(assembly, stack, tokens[int(index)]):
                    yield Ref(ref.stack, ref.logical_id, path), action

    yield from walk(document, (), "")


def _readable_name(stack: str, construct_path: str | None, logical_id: str) -> str:
    if not construct_path:
        return logical_id
    segments = construct_path.strip("/").split("/")
    if segments and segments[0] == stack:
        segments = segments[1:]
    while len(segments) > 1 and segments[-1] in GENERIC_SEGMENTS:
        segments.pop()
    if len(segments) > 1 and segments[-1] in TYPE_SEGMENTS:
        segments.pop()
    return "/".join(segments) or logical_id


def node_id(stack: str, logical_id: str) -> str:
    """A Mermaid-safe, stable node ID: the stack name and the resource's logical ID."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{stack}_{logical_id}")


def alarm_node_id(stack: str) -> str:
    return node_id(stack, "Alarms")


def _variant_summary(variant: dict[str, Any]) -> str:
    name = variant.get("VariantName", "?")
    if "ServerlessConfig" in variant:
        return f"{name}: serverless"
    instance = variant.get("InstanceType", "?")
    count = variant.get("InitialInstanceCount", "?")
    return f"{name}: {instance} x {count}"


def _detail(resource: dict[str, Any]) -> str:
    """A line of a node's label: the variants of an endpoint config, the schedule of a schedule or rule."""
    properties = resource.get("Properties", {})
    if resource["Type"] == "AWS::SageMaker::EndpointConfig":
        variants = [_variant_summary(v) for v in properties.get("ProductionVariants", [])]
        variants += [f"shadow {_variant_summary(v)}" for v in properties.get("ShadowProductionVariants", [])]
        return "<br/>".join(variants)
    expression = properties.get("ScheduleExpression")
    return expression if isinstance(expression, str) else ""


def _minor_role(assembly: Assembly, stack: str) -> dict[str, str]:
    """Resources of a drawn type that are plumbing: dead-letter queues, access-log buckets, custom-resource
    providers. ``{logical ID: what they are}``."""
    roles: dict[str, str] = {}
    for resource in assembly.resources(stack).values():
        for ref in find_refs(assembly, stack, resource.get("Properties", {})):
            if ref.stack != stack:
                continue
            joined = "/".join(ref.path).lower()
            if "deadletter" in joined or "onfailure" in joined or "redrive" in joined:
                roles.setdefault(ref.logical_id, "dead-letter")
            elif "loggingconfiguration/destinationbucketname" in joined:
                roles.setdefault(ref.logical_id, "access-log")
            elif resource["Type"].startswith("Custom::") and ref.path[:1] == ("ServiceToken",):
                roles.setdefault(ref.logical_id, "custom-resource provider")
    return roles


def _counted_name(type_name: str, role: str | None) -> str:
    return f"{type_name} ({role})" if role else type_name


def _s3_direction(ref: Ref, action: str) -> str:
    """Whether a state machine step reads or writes the bucket it names: an output location or an s3 put or copy
    writes; a bucket named only to compute a variable (``Assign``) is used; any other (an input, the payload of
    the function that lists what a run reads) reads."""
    joined = "/".join(ref.path).lower()
    verb = action.split(":")[-1].lower() if action else ""
    if "output" in joined or verb.startswith(("put", "copy", "delete")):
        return "writes"
    if "Assign" in ref.path:
        return "uses"
    return "reads"


def build_diagram(assembly: Assembly) -> Diagram:
    """The nodes, edges and counts of ``assembly``."""
    stacks = sorted(assembly.templates)
    nodes: dict[str, Node] = {}
    counted: dict[str, Counter[str]] = {}
    alarms: dict[str, set[str]] = defaultdict(set)
    for stack in stacks:
        roles = _minor_role(assembly, stack)
        counted[stack] = Counter()
        for logical_id, resource in assembly.resources(stack).items():
            type_name = resource["Type"]
            if type_name in IGNORED_TYPES:
                continue
            if type_name == ALARM_TYPE:
                alarms[stack].add(logical_id)
                continue
            if type_name in NODE_TYPES and logical_id not in roles:
                kind, shape = NODE_TYPES[type_name]
                name = _readable_name(stack, assembly.construct_paths[stack].get(logical_id), logical_id)
                nid = node_id(stack, logical_id)
                nodes[nid] = Node(nid, stack, logical_id, kind, name, _detail(resource), shape)
            else:
                role = roles.get(logical_id)
                counted[stack][_counted_name(type_name, role)] += 1
        if alarms[stack]:
            count = len(alarms[stack])
            nid = alarm_node_id(stack)
            plural = "alarm" if count == 1 else "alarms"
            nodes[nid] = Node(nid, stack, "Alarms", "CloudWatch", f"{count} {plural}", "", "rect")

    def target(ref: Ref) -> str | None:
        if ref.logical_id in alarms.get(ref.stack, set()):
            return alarm_node_id(ref.stack)
        nid = node_id(ref.stack, ref.logical_id)
        return nid if nid in nodes else None

    found: dict[tuple[str, str, str], set[str]] = defaultdict(set)

    def add(source: str | None, dest: str | None, style: str, label: str) -> None:
        if source and dest and source != dest:
            found[(source, dest, style)].add(label)

    covered: set[tuple[str, str]] = set()
    """(source node, referenced node) pairs drawn by a specific rule, so the generic one leaves them out."""

    for stack in stacks:
        resources = assembly.resources(stack)
        for logical_id, resource in sorted(resources.items()):
            properties = resource.get("Properties", {})
            this = target(Ref(stack, logical_id))
            type_name = resource["Type"]
            handled: set[str] = set()
            if type_name == "AWS::Events::Rule":
                handled |= {"Targets", "EventPattern"}
                for rule_target in properties.get("Targets", []):
                    for ref in find_refs(assembly, stack, rule_target.get("Arn")):
                        add(this, target(ref), EVENT, "triggers")
                for ref in find_refs(assembly, stack, properties.get("EventPattern")):
                    source = target(ref)
                    add(
                        source,
                        this,
                        EVENT,
                        "state change" if source == alarm_node_id(ref.stack) else "events",
                    )
                    if source and this:
                        covered.add((this, source))
            elif type_name == "AWS::Scheduler::Schedule":
                handled.add("Target")
                for ref in find_refs(assembly, stack, properties.get("Target", {}).get("Arn")):
                    add(this, target(ref), EVENT, "starts")
            elif type_name == "AWS::SageMaker::EndpointConfig":
                handled |= {"ProductionVariants", "ShadowProductionVariants", "DataCaptureConfig"}
                for key in ("ProductionVariants", "ShadowProductionVariants"):
                    for variant in properties.get(key, []):
                        for ref in find_refs(assembly, stack, variant.get("ModelName")):
                            add(this, target(ref), REFERENCE, str(variant.get("VariantName", "variant")))
            elif type_name == "AWS::SageMaker::Endpoint":
                handled.add("EndpointConfigName")
                for ref in find_refs(assembly, stack, properties.get("EndpointConfigName")):
                    config = target(ref)
                    add(this, config, REFERENCE, "config")
                    config_properties = resources.get(ref.logical_id, {}).get("Properties", {})
                    capture = config_properties.get("DataCaptureConfig", {})
                    for bucket in find_refs(assembly, stack, capture.get("DestinationS3Uri")):
                        add(this, target(bucket), DATA, "captures requests")
            elif type_name == "AWS::Lambda::EventSourceMapping":
                functions = [target(r) for r in find_refs(assembly, stack, properties.get("FunctionName"))]
                for ref in find_refs(assembly, stack, properties.get("EventSourceArn")):
                    for function in functions:
                        add(target(ref), function, DATA, "event source")
            elif type_name == "AWS::StepFunctions::StateMachine":
                handled |= {"DefinitionString", "Definition"}
                definition = properties.get("DefinitionString", properties.get("Definition"))
                for ref, action in state_machine_refs(assembly, stack, definition):
                    dest = target(ref)
                    dest_node = nodes.get(dest or "")
                    if dest_node is None:
                        continue
                    if dest_node.kind == "S3 bucket":
                        add(this, dest, DATA, _s3_direction(ref, action))
                    elif dest_node.kind == "Lambda function":
                        add(this, dest, EVENT, "invokes")
                    elif dest_node.kind == "SNS topic":
                        add(this, dest, EVENT, "notifies")
                    elif dest_node.kind == "SageMaker model":
                        add(this, dest, REFERENCE, "transform with")
                    elif dest_node.kind == "SageMaker endpoint":
                        add(this, dest, REFERENCE, "watches")
                    else:
                        add(this, dest, REFERENCE, "uses")
            if this is None or this == alarm_node_id(stack):
                continue
            for key, value in sorted(properties.items()):
                if key in handled:
                    continue
                for ref in find_refs(assembly, stack, value):
                    dest = target(ref)
                    if dest and (this, dest) not in covered:
                        add(this, dest, REFERENCE, "uses")

    _events_from_state_machines(assembly, nodes, add)
    _named_by_physical_name(assembly, nodes, add)

    edges: list[Edge] = []
    for (source, dest, style), labels in found.items():
        if len(labels) > 1:
            labels.discard("uses")
        cross = nodes[source].stack != nodes[dest].stack
        edges.append(Edge(source, dest, style, ", ".join(sorted(labels)), cross))
    # A reference is left out where an event or data edge already joins the same two nodes.
    strong = {(e.source, e.target) for e in edges if e.style != REFERENCE}
    strong |= {(t, s) for s, t in strong}
    edges = [e for e in edges if e.style != REFERENCE or (e.source, e.target) not in strong]
    alarm_counts = {stack: len(found_alarms) for stack, found_alarms in alarms.items() if found_alarms}
    return Diagram(stacks, nodes, sorted(edges), counted, alarm_counts)


def _events_from_state_machines(assembly: Assembly, nodes: dict[str, Node], add: Any) -> None:
    """A state machine's ``events:putEvents`` step to the rules whose pattern matches what it sends: the same
    source, and every string the pattern's ``detail`` lists for a field that the entry's detail carries."""
    sent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in nodes.values():
        if node.kind != "State machine":
            continue
        resource = assembly.resources(node.stack)[node.logical_id]
        definition = resource["Properties"].get("DefinitionString", resource["Properties"].get("Definition"))
        text = _flatten(definition, [])
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            continue
        for state in _states(document):
            if state.get("Resource") == "arn:aws:states:::events:putEvents":
                arguments = state.get("Arguments", state.get("Parameters", {}))
                sent[node.id].extend(arguments.get("Entries", []))
    for rule in nodes.values():
        if rule.kind != "EventBridge rule":
            continue
        pattern = assembly.resources(rule.stack)[rule.logical_id]["Properties"].get("EventPattern")
        if not isinstance(pattern, dict):
            continue
        for machine, entries in sorted(sent.items()):
            if any(_matches(pattern, entry) for entry in entries):
                add(machine, rule.id, EVENT, "events")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _named_by_physical_name(assembly: Assembly, nodes: dict[str, Node], add: Any) -> None:
    """Edges to a resource that others name by its literal physical name (``NAME_PROPERTIES``): into a rule whose
    pattern names it (its events), and from any other resource whose properties carry the name. Descriptions
    are prose and left out."""
    named: dict[str, str] = {}
    for node in nodes.values():
        resource = assembly.resources(node.stack).get(node.logical_id)
        if resource is None:
            continue
        value = resource.get("Properties", {}).get(NAME_PROPERTIES.get(resource["Type"], ""))
        if isinstance(value, str) and len(value) >= 6:
            named[value] = node.id
    if not named:
        return
    pattern = re.compile(
        r"(?<![\w-])("
        + "|".join(re.escape(name) for name in sorted(named, key=len, reverse=True))
        + r")(?![\w-])"
    )
    for node in sorted(nodes.values(), key=lambda n: n.id):
        resource = assembly.resources(node.stack).get(node.logical_id)
        if resource is None:
            continue
        for key, value in sorted(resource.get("Properties", {}).items()):
            if "Description" in key:
                continue
            for text in _strings(value):
                for name in sorted(set(pattern.findall(text))):
                    other = named[name]
                    if other == node.id:
                        continue
                    if node.kind == "EventBridge rule" and key == "EventPattern":
                        add(other, node.id, EVENT, "events")
                    elif node.kind == "SageMaker pipeline" and nodes[other].kind == "Model package group":
                        add(node.id, other, DATA, "registers models")
                    elif node.kind == "Lambda function" and nodes[other].kind == "SageMaker pipeline":
                        # A function holds a pipeline's name to start executions of it.
                        add(node.id, other, EVENT, "starts")
                    else:
                        add(node.id, other, REFERENCE, "uses")


def _states(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        for state in document.get("States", {}).values():
            if isinstance(state, dict):
                yield state
                for branch in state.get("Branches", []):
                    yield from _states(branch)
                yield from _states(state.get("ItemProcessor", state.get("Iterator")))


def _matches(pattern: dict[str, Any], entry: dict[str, Any]) -> bool:
    """Whether an event entry can match the pattern: literal strings only; JSONata values match anything."""
    if "source" in pattern and entry.get("Source") not in pattern["source"]:
        return False
    if "detail-type" in pattern and entry.get("DetailType") not in pattern["detail-type"]:
        return False
    detail = entry.get("Detail", {})
    if not isinstance(detail, dict):
        return True
    for key, allowed in pattern.get("detail", {}).items():
        value = detail.get(key)
        if isinstance(value, str) and not value.startswith("{%") and isinstance(allowed, list):
            literals = [a for a in allowed if isinstance(a, str)]
            if literals and len(literals) == len(allowed) and value not in literals:
                return False
    return "source" in pattern


def _quote(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(diagram: Diagram) -> str:
    """The flowchart: a subgraph per stack, its nodes sorted by kind and name, then the sorted edges."""
    kind_order = [kind for kind, _ in NODE_TYPES.values()] + ["CloudWatch"]
    lines = ["flowchart LR"]
    for stack in diagram.stacks:
        members = [n for n in diagram.nodes.values() if n.stack == stack]
        members.sort(key=lambda n: (kind_order.index(n.kind), n.name, n.id))
        lines.append(f'  subgraph {node_id(stack, "stack")}["{_quote(stack)}"]')
        for node in members:
            opening, closing = SHAPES[node.shape]
            lines.append(f"    {node.id}{opening}{_quote(node.label)}{closing}")
        lines.append("  end")
    cross: list[int] = []
    for index, edge in enumerate(diagram.edges):
        lines.append(f'  {edge.source} {ARROWS[edge.style]}|"{_quote(edge.label)}"| {edge.target}')
        if edge.cross_stack:
            cross.append(index)
    if cross:
        lines.append(f"  linkStyle {','.join(map(str, cross))} stroke:#d9480f,stroke-width:2px")
    return "\n".join(lines) + "\n"


def render_counts(diagram: Diagram) -> str:
    """A Markdown table of what each stack holds besides its nodes."""
    rows = ["| Stack | Not drawn (count) |", "| --- | --- |"]
    for stack in diagram.stacks:
        items = sorted(diagram.counted.get(stack, Counter()).items())
        text = ", ".join(f"{name}: {count}" for name, count in items) or "-"
        rows.append(f"| {stack} | {text} |")
    return "\n".join(rows) + "\n"


def render_block(diagram: Diagram) -> str:
    """What goes between the page's markers: the diagram, its size, and the table of what was counted."""
    drawn = sum(1 for n in diagram.nodes.values() if n.logical_id != "Alarms")
    resources = drawn + sum(diagram.alarms.values()) + sum(sum(c.values()) for c in diagram.counted.values())
    summary = (
        f"{len(diagram.stacks)} stacks, {len(diagram.nodes)} nodes, {len(diagram.edges)} edges, "
        f"from {resources} resources."
    )
    return f"```mermaid\n{render_mermaid(diagram)}```\n\n{summary}\n\n{render_counts(diagram)}"


def generated_block(page: str) -> str:
    """The text between the page's markers."""
    return PAGE_BLOCK.extract(page)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="the cloud assembly (cdk.out)")
    parser.add_argument("--stack", action="append", help="a stack to draw (repeatable; default: every stack)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path, help="replace the generated block of this page")
    group.add_argument("--check", type=Path, help="exit 1 if this page's generated block is stale")
    args = parser.parse_args(argv)
    try:
        block = render_block(build_diagram(load_assembly(args.assembly, args.stack)))
        if args.write:
            args.write.write_text(PAGE_BLOCK.replace(args.write.read_text(), block))
            print(f"wrote {args.write}")
        elif args.check:
            if generated_block(args.check.read_text()) != block:
                print(f"{args.check} is stale: run `make diagram`", file=sys.stderr)
                return 1
        else:
            sys.stdout.write(block)
    except AssemblyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
