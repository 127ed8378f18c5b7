"""The documentation as the tests read it: the pages (README.md and docs/**/*.md), their ```python examples with
any expected output, their headings' anchors, their relative links, and the pages of mkdocs.yml's nav.

A ```text block that directly follows a ```python block (only blank lines and one short line of prose such as
"prints:" in between) is that example's expected output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
MKDOCS_YML = REPO_ROOT / "mkdocs.yml"

_FENCE = re.compile(r"^```(\S*)\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
# Between an example and its expected output: blank lines and at most one short lead-in line ("prints:").
_OUTPUT_LEAD_IN = re.compile(r"^[A-Za-z ,]{0,40}:$")
_STRING_LITERAL = re.compile(r"""["']([\w./-]+)["']""")
_INLINE_CODE = re.compile(r"`[^`]*`")
# [text](target) and ![alt](target); the text may hold one level of brackets or code spans.
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def doc_pages() -> list[Path]:
    """The README and every page of the documentation site, in a stable order."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def page_name(page: Path) -> str:
    """``README`` for the README, the path under docs/ without ``.md`` for a page (``hosting/models``)."""
    if page == README:
        return "README"
    return page.relative_to(DOCS).with_suffix("").as_posix()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Snippet:
    """One ```python block of a page."""

    page: str
    heading: str
    index: int
    line: int
    code: str
    expected_output: str | None

    @property
    def id(self) -> str:
        """``<page>-<heading-slug>-<n>``: the page, the nearest heading above the block, and the block's number
        under that heading."""
        return f"{_slug(self.page)}-{_slug(self.heading)}-{self.index}"

    @property
    def location(self) -> str:
        """Where the block starts, as ``file:line`` (what a traceback of the example shows)."""
        path = "README.md" if self.page == "README" else f"docs/{self.page}.md"
        return f"{path}:{self.line}"


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, first and last line (1-based, the fences), nearest heading and body."""

    language: str
    start: int
    end: int
    heading: str
    text: str


def blocks(markdown: str, where: str) -> list[Block]:
    """The fenced code blocks of a page, in order; an unclosed fence is an error."""
    lines = markdown.splitlines()
    found: list[Block] = []
    heading = "top"
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            match = _HEADING.match(lines[index])
            if match:
                heading = match.group(1)
            index += 1
            continue
        start = index
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            index += 1
        if index == len(lines):
            raise AssertionError(f"{where}:{start + 1}: unclosed code fence")
        body = "\n".join(lines[start + 1 : index]) + "\n"
        found.append(Block(fence.group(1), start + 1, index + 1, heading, body))
        index += 1
    return found


def prose_lines(markdown: str) -> list[str]:
    """The page's lines outside fenced code blocks (headings, text, tables)."""
    lines = markdown.splitlines()
    inside: set[int] = set()
    for block in blocks(markdown, "page"):
        inside.update(range(block.start - 1, block.end))
    return [line for number, line in enumerate(lines) if number not in inside]


def _is_output_gap(lines: list[str]) -> bool:
    prose = [line for line in lines if line.strip()]
    return len(prose) <= 1 and all(_OUTPUT_LEAD_IN.match(line.strip()) for line in prose)


def page_snippets(page: Path) -> list[Snippet]:
    """Every ```python block of one page, with the nearest heading above it and its expected output, if any."""
    name = page_name(page)
    markdown = page.read_text(encoding="utf-8")
    lines = markdown.splitlines()
    found = blocks(markdown, str(page.relative_to(REPO_ROOT)))
    snippets: list[Snippet] = []
    for position, block in enumerate(found):
        if block.language != "python":
            continue
        expected = None
        following = found[position + 1] if position + 1 < len(found) else None
        if (
            following is not None
            and following.language == "text"
            and _is_output_gap(lines[block.end : following.start - 1])
        ):
            expected = following.text
        index = 1 + sum(1 for s in snippets if s.heading == block.heading)
        snippets.append(Snippet(name, block.heading, index, block.start, block.text, expected))
    return snippets


def all_snippets() -> list[Snippet]:
    """The ```python blocks of the README and of every docs page."""
    return [snippet for page in doc_pages() for snippet in page_snippets(page)]


def sample_files(snippets: list[Snippet]) -> list[str]:
    """The repository files the examples name in string literals (``"model_artifacts/churn/model.tar.gz"``)."""
    named = {literal for s in snippets for literal in _STRING_LITERAL.findall(s.code) if "/" in literal}
    return sorted(path for path in named if (REPO_ROOT / path).is_file())


def heading_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading, which is also python-markdown's (mkdocs) for plain headings: the text
    without markup, lowercased, punctuation dropped, each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings (a repeated heading gets ``-1``, ``-2``, ... as on GitHub)."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for line in prose_lines(page.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        anchor = heading_anchor(match.group(1))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        result.add(anchor if count == 0 else f"{anchor}-{count}")
    return result


def links(page: Path) -> list[str]:
    """The targets of a page's markdown links, outside code blocks and code spans."""
    targets: list[str] = []
    for line in prose_lines(page.read_text(encoding="utf-8")):
        targets.extend(_LINK.findall(_INLINE_CODE.sub("", line)))
    return targets


def is_relative(target: str) -> bool:
    """A link to a file of the repository or an anchor, not to a web address or an e-mail."""
    return re.match(r"^[a-z][a-z0-9+.-]*:", target) is None and not target.startswith("//")


class _MkdocsLoader(yaml.SafeLoader):
    """mkdocs.yml's own tags (``!!python/name:``, ``!ENV``) read as plain values: only the nav matters here."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    return None


_MkdocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)
_MkdocsLoader.add_multi_constructor("!", _any_tag)


def nav_pages() -> list[str]:
    """Every page of mkdocs.yml's nav, as its path under docs/ (``hosting/models.md``)."""
    config = yaml.load(MKDOCS_YML.read_text(encoding="utf-8"), Loader=_MkdocsLoader)

    def walk(item: Any) -> list[str]:
        if isinstance(item, str):
            return [item]
        if isinstance(item, list):
            return [page for entry in item for page in walk(entry)]
        if isinstance(item, dict):
            return [page for value in item.values() for page in walk(value)]
        return []

    return walk(config["nav"])
