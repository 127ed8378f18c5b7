"""scripts/_assembly.py, which scripts/architecture_diagram.py and scripts/cost_report.py share: the stacks of a
cloud assembly read from its manifest, and the generated block of a docs page. Checked on a small hand-written
assembly and on small pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _assembly import AssemblyError, GeneratedBlock, MissingBlockError, load_assembly, load_dependencies

BLOCK = GeneratedBlock("<!-- BEGIN GENERATED: make test -->", "<!-- END GENERATED -->")


def _template(*logical_ids: str) -> dict[str, Any]:
    return {"Resources": {logical_id: {"Type": "AWS::SNS::Topic"} for logical_id in logical_ids}}


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """An assembly of three stacks: ``Data``; ``Nested/App`` (a stack inside a construct, whose display name is
    not its artifact ID), which depends on ``Data`` and its own assets; and ``Ops`` (template file left to its
    default name), which depends on both; plus an asset manifest and the tree, which are not stacks."""
    artifacts = {
        "Data": {
            "type": "aws:cloudformation:stack",
            "displayName": "Data",
            "properties": {"templateFile": "Data.template.json"},
            "metadata": {"/Data/Topic/Resource": [{"type": "aws:cdk:logicalId", "data": "Topic"}]},
        },
        "NestedAppA1B2C3": {
            "type": "aws:cloudformation:stack",
            "displayName": "Nested/App",
            "properties": {"templateFile": "NestedAppA1B2C3.template.json"},
            "dependencies": ["Data", "NestedAppA1B2C3.assets"],
            "additionalMetadataFile": "NestedAppA1B2C3.metadata.json",
        },
        "NestedAppA1B2C3.assets": {"type": "cdk:asset-manifest", "properties": {"file": "assets.json"}},
        "Ops": {"type": "aws:cloudformation:stack", "dependencies": ["NestedAppA1B2C3", "Data"]},
        "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))
    (tmp_path / "Data.template.json").write_text(json.dumps(_template("Topic")))
    (tmp_path / "NestedAppA1B2C3.template.json").write_text(json.dumps(_template("Queue", "Alarm")))
    (tmp_path / "NestedAppA1B2C3.metadata.json").write_text(
        json.dumps(
            {
                "/Nested/App/Queue/Resource": [{"type": "aws:cdk:logicalId", "data": "Queue"}],
                "/Nested/App/Alarm": [
                    {"type": "aws:cdk:warning", "data": "not a logical ID"},
                    {"type": "aws:cdk:logicalId", "data": "Alarm"},
                ],
            }
        )
    )
    (tmp_path / "Ops.template.json").write_text(json.dumps(_template("Dashboard")))
    return tmp_path


def test_every_stack_is_read_by_its_display_name_with_its_template(outdir: Path) -> None:
    assembly = load_assembly(outdir)
    assert list(assembly.templates) == ["Data", "Nested/App", "Ops"]
    assert assembly.templates["Nested/App"] == _template("Queue", "Alarm")
    assert assembly.templates["Ops"] == _template("Dashboard")
    assert list(assembly.resources("Data")) == ["Topic"]


def test_construct_paths_come_from_the_manifest_and_the_metadata_files(outdir: Path) -> None:
    paths = load_assembly(outdir).construct_paths
    assert paths["Data"] == {"Topic": "/Data/Topic/Resource"}
    assert paths["Nested/App"] == {"Queue": "/Nested/App/Queue/Resource", "Alarm": "/Nested/App/Alarm"}
    assert paths["Ops"] == {}


def test_only_the_stacks_asked_for_are_read(outdir: Path) -> None:
    (outdir / "Data.template.json").unlink()
    assembly = load_assembly(outdir, ["Ops", "Nested/App"])
    assert list(assembly.templates) == ["Nested/App", "Ops"]
    assert set(assembly.construct_paths) == {"Nested/App", "Ops"}


def test_a_stack_not_in_the_assembly_is_named_in_the_error(outdir: Path) -> None:
    with pytest.raises(AssemblyError, match=r"stacks not in the assembly .*: Missing, NestedAppA1B2C3$"):
        load_assembly(outdir, ["Data", "NestedAppA1B2C3", "Missing"])


def test_a_folder_without_a_manifest_is_not_an_assembly(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match=r"is not a cloud assembly \(no manifest.json\)"):
        load_assembly(tmp_path)
    with pytest.raises(AssemblyError, match=r"is not a cloud assembly"):
        load_dependencies(tmp_path)


def test_dependencies_are_stacks_by_display_name_read_from_the_manifest_alone(outdir: Path) -> None:
    for template in outdir.glob("*.template.json"):
        template.unlink()
    assert load_dependencies(outdir) == {"Data": [], "Nested/App": ["Data"], "Ops": ["Data", "Nested/App"]}


def test_the_block_is_the_text_between_the_markers() -> None:
    page = f"# Title\n\nBy hand.\n\n{BLOCK.begin}\n| a | b |\n\n{BLOCK.end}\n\nAfter.\n"
    assert BLOCK.extract(page) == "| a | b |\n\n"


def test_replacing_the_block_keeps_the_rest_of_the_page() -> None:
    page = f"# Title\n\n{BLOCK.begin}\nold\n{BLOCK.end}\n\nAfter.\n"
    replaced = BLOCK.replace(page, "new\nlines\n")
    assert replaced == f"# Title\n\n{BLOCK.begin}\nnew\nlines\n{BLOCK.end}\n\nAfter.\n"
    assert BLOCK.extract(replaced) == "new\nlines\n"
    assert BLOCK.replace(replaced, "new\nlines\n") == replaced


@pytest.mark.parametrize(
    "page",
    [
        "# A page without a block\n",
        f"{BLOCK.begin}\nno end marker\n",
        f"{BLOCK.end}\nthe end marker first\n{BLOCK.begin}\n",
        "<!-- BEGIN GENERATED: make other -->\nanother script's block\n<!-- END GENERATED -->\n",
    ],
    ids=["no markers", "no end", "end before begin", "another block"],
)
def test_a_page_without_the_block_is_refused(page: str) -> None:
    message = r"the page has no '<!-- BEGIN GENERATED: make test -->' \.\.\. '<!-- END GENERATED -->' block"
    with pytest.raises(MissingBlockError, match=message):
        BLOCK.extract(page)
    with pytest.raises(MissingBlockError, match=message):
        BLOCK.replace(page, "new\n")
