"""A checker for the subset of Mermaid's flowchart syntax that scripts/architecture_diagram.py writes, so the test
can validate the diagram without a browser: node IDs of ``[A-Za-z0-9_]``, every label quoted, every subgraph
closed, every edge between declared nodes, ``linkStyle`` indexes within the edges."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ID = r"[A-Za-z0-9_]+"
QUOTED = r'"[^"]*"'
# Opening and closing delimiters of the node shapes, each around a quoted label.
SHAPES = [("[[", "]]"), ("([", "])"), ("[(", ")]"), ("{{", "}}"), ("[", "]"), (">", "]")]
NODE = re.compile(
    rf"^({ID})(" + "|".join(rf"{re.escape(o)}{QUOTED}{re.escape(c)}" for o, c in SHAPES) + r")$"
)
SUBGRAPH = re.compile(rf"^subgraph ({ID})\[({QUOTED})\]$")
EDGE = re.compile(rf"^({ID}) (-->|-\.->|---)\|({QUOTED})\| ({ID})$")
LINK_STYLE = re.compile(r"^linkStyle ([0-9]+(?:,[0-9]+)*) [a-z-]+:[^ ;]+(?:,[a-z-]+:[^ ;]+)*$")
RESERVED = {"end", "subgraph", "graph", "flowchart", "style", "class", "classDef", "linkStyle", "click"}


class MermaidSyntaxError(ValueError):
    """A line the checker does not accept, with its number."""


@dataclass(frozen=True)
class MermaidEdge:
    source: str
    arrow: str
    label: str
    target: str


@dataclass
class Flowchart:
    direction: str
    subgraphs: dict[str, str] = field(default_factory=dict)
    """``{subgraph ID: label}``."""
    nodes: dict[str, str] = field(default_factory=dict)
    """``{node ID: label}``."""
    members: dict[str, str] = field(default_factory=dict)
    """``{node ID: ID of the subgraph that declares it}``."""
    edges: list[MermaidEdge] = field(default_factory=list)
    styled_links: set[int] = field(default_factory=set)


def _label(quoted: str) -> str:
    return quoted[1:-1]


def parse_flowchart(text: str) -> Flowchart:
    """Parse and check ``text`` (the body of a ```mermaid fence); raise ``MermaidSyntaxError`` on the first
    line it does not accept."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("%%")]
    if not lines:
        raise MermaidSyntaxError("empty diagram")
    header = re.fullmatch(r"flowchart (LR|RL|TB|TD|BT)", lines[0])
    if not header:
        raise MermaidSyntaxError(f"line 1: expected 'flowchart <direction>', got {lines[0]!r}")
    chart = Flowchart(header.group(1))
    stack: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        where = f"line {number}: {line!r}"
        if match := SUBGRAPH.match(line):
            if match.group(1) in chart.subgraphs or match.group(1) in chart.nodes:
                raise MermaidSyntaxError(f"{where}: ID declared twice")
            stack.append(match.group(1))
            chart.subgraphs[match.group(1)] = _label(match.group(2))
        elif line == "end":
            if not stack:
                raise MermaidSyntaxError(f"{where}: 'end' without a subgraph")
            stack.pop()
        elif match := NODE.match(line):
            node_id = match.group(1)
            if node_id in chart.nodes or node_id in chart.subgraphs:
                raise MermaidSyntaxError(f"{where}: ID declared twice")
            if node_id.lower() in {word.lower() for word in RESERVED}:
                raise MermaidSyntaxError(f"{where}: reserved word as a node ID")
            if not stack:
                raise MermaidSyntaxError(f"{where}: node outside every subgraph")
            quoted = re.search(QUOTED, match.group(2))
            chart.nodes[node_id] = _label(quoted.group(0)) if quoted else ""
            chart.members[node_id] = stack[-1]
        elif match := EDGE.match(line):
            if stack:
                raise MermaidSyntaxError(f"{where}: edge inside a subgraph")
            source, arrow, label, target = match.groups()
            for end in (source, target):
                if end not in chart.nodes:
                    raise MermaidSyntaxError(f"{where}: edge to an undeclared node {end}")
            chart.edges.append(MermaidEdge(source, arrow, _label(label), target))
        elif match := LINK_STYLE.match(line):
            indexes = {int(i) for i in match.group(1).split(",")}
            if max(indexes) >= len(chart.edges):
                raise MermaidSyntaxError(f"{where}: linkStyle index beyond the {len(chart.edges)} edges")
            chart.styled_links |= indexes
        else:
            raise MermaidSyntaxError(
                f"{where}: not a subgraph, node, edge or linkStyle line (labels are quoted)"
            )
    if stack:
        raise MermaidSyntaxError(f"subgraph {stack[-1]} is not closed")
    return chart


def mermaid_blocks(markdown: str) -> list[str]:
    """The bodies of the ```mermaid fences in ``markdown``."""
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, flags=re.S | re.M)
