"""`make docs` fails on a broken link, anchor or API reference, and the API reference leaves out nothing public.

The build tests build a tiny site of two pages with the repository's own mkdocs.yml (its validation settings,
markdown extensions, plugins and strict mode; only the pages and the nav are replaced), so they follow the config:
a setting that stops failing the build on a broken link fails them. The full site is built by `make docs`, once.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort

import sagemaker_constructs
from scripts.docs_default_lines import default_on_own_line

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "mkdocs.yml"
REFERENCE = ROOT / "docs" / "reference"

OTHER_PAGE = "# Other page\n\nWhat the other page covers.\n\n## A section\n\nText.\n"


def _config(tmp_path: Path, pages: dict[str, str]) -> MkDocsConfig:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in pages.items():
        (docs / name).write_text(text)
    # The repository's config file, so that its relative paths (the API reference's source root, the griffe
    # extension) resolve as in `make docs`.
    return load_config(
        str(CONFIG),
        docs_dir=str(docs),
        site_dir=str(tmp_path / "site"),
        nav=[{"Home": "index.md"}, {"Other": "other.md"}],
    )


def _build(tmp_path: Path, index: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    build(_config(tmp_path, {"index.md": index, "other.md": OTHER_PAGE}))


def _warnings(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def test_the_build_is_strict() -> None:
    assert load_config(str(CONFIG))["strict"] is True


def test_a_site_with_valid_links_anchors_and_references_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The control for the failures below: the same site, with nothing broken, builds without a warning.
    index = (
        "# Home\n\nSee [the other page](other.md) and [its section](other.md#a-section).\n\n"
        "::: sagemaker_constructs.nag\n\n::: sagemaker_constructs.DeploymentGuardrails\n"
    )
    with caplog.at_level(logging.WARNING):
        _build(tmp_path, index, monkeypatch)
    assert _warnings(caplog) == ""
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'id="sagemaker_constructs.nag.acknowledge_finding"' in html
    # scripts/docs_default_lines.py is in mkdocs.yml: a parameter's default starts a line of its own.
    assert "0-3600 s.<br><strong>Default:</strong> 5 minutes" in html


@pytest.mark.parametrize(
    ("page", "warning"),
    [
        ("See [the missing page](missing.md).", "contains a link 'missing.md', but the target is not found"),
        ("See [a section](other.md#no-such-section).", "does not contain an anchor '#no-such-section'"),
    ],
    ids=["broken-link", "broken-anchor"],
)
def test_a_broken_link_or_anchor_fails_the_build(
    page: str, warning: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(Abort, match="in strict mode"):
        _build(tmp_path, f"# Home\n\n{page}\n", monkeypatch)
    assert warning in _warnings(caplog)


def test_a_broken_api_reference_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # mkdocstrings cannot collect it: an error, which fails the build with or without --strict.
    with pytest.raises(Abort, match="BuildError"):
        _build(tmp_path, "# Home\n\n::: sagemaker_constructs.nope\n", monkeypatch)
    assert "Could not collect 'sagemaker_constructs.nope'" in _warnings(caplog)


@pytest.mark.parametrize(
    ("docstring", "rendered"),
    [
        ("a copy of the traffic. Default: - none.", "a copy of the traffic.<br>**Default:** - none."),
        ('The instance type. Default: "ml.m5.large"', 'The instance type.<br>**Default:** "ml.m5.large"'),
        (
            "guardrails (blue/green,\n    all at once). Default: x",
            "guardrails (blue/green,\n    all at once).<br>**Default:** x",
        ),
        ("Default: ``MonitoringJob()``", "**Default:** ``MonitoringJob()``"),
        ("its rules\n    Default: - none", "its rules<br>**Default:** - none"),
        ("A paragraph.\n\nDefault: 1", "A paragraph.\n\n**Default:** 1"),
        # Inside a sentence it stays where it is.
        (
            "``treat_missing_data`` (Default: ``NOT_BREACHING``) lets",
            "``treat_missing_data`` (Default: ``NOT_BREACHING``) lets",
        ),
    ],
)
def test_the_api_reference_shows_each_default_on_a_line_of_its_own(docstring: str, rendered: str) -> None:
    assert default_on_own_line(docstring) == rendered


# The API reference is complete -----------------------------------------------------------------------------------


def _referenced() -> set[str]:
    """The identifiers of the `::: identifier` blocks of the reference pages."""
    return {
        match
        for page in REFERENCE.glob("*.md")
        for match in re.findall(r"^::: (\S+)$", page.read_text(), flags=re.M)
    }


def _nav_pages(nav: Any) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(_nav_pages(item) for item in nav))
    if isinstance(nav, dict):
        return set().union(*(_nav_pages(item) for item in nav.values()))
    return set()


def test_every_name_the_package_exports_is_in_the_api_reference() -> None:
    expected = {f"sagemaker_constructs.{name}" for name in sagemaker_constructs.__all__}
    assert sorted(expected - _referenced()) == []


def test_every_public_module_and_subpackage_is_in_the_api_reference() -> None:
    referenced = _referenced()
    for module in pkgutil.iter_modules(sagemaker_constructs.__path__):
        if module.name.startswith("_"):
            continue
        if module.ispkg:
            # A subpackage has a page; what it exports is listed above, through the top-level package.
            assert (REFERENCE / f"{module.name}.md").is_file(), module.name
        else:
            # A public module that is not a package (sagemaker_constructs.nag) is rendered whole.
            assert f"sagemaker_constructs.{module.name}" in referenced, module.name


def test_every_api_reference_is_a_public_module_or_an_exported_name() -> None:
    for identifier in _referenced():
        assert not any(part.startswith("_") for part in identifier.split(".")), identifier
        try:
            importlib.import_module(identifier)
        except ModuleNotFoundError:
            parent, _, name = identifier.rpartition(".")
            assert name in importlib.import_module(parent).__all__, identifier


def test_every_reference_page_is_in_the_nav() -> None:
    nav = _nav_pages(load_config(str(CONFIG))["nav"])
    pages = {f"reference/{page.name}" for page in REFERENCE.glob("*.md")}
    assert sorted(pages - nav) == []
