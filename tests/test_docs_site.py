"""The README is short and a map of the site: at most 12 KB, its links and anchors resolve, and every page of the
documentation is one click from it. `make docs` (mkdocs build --strict) checks the links inside docs/; the README
is not part of the site, so its links are checked here."""

from __future__ import annotations

from pathlib import Path

from support.doc_pages import DOCS, README, all_snippets, anchors, is_relative, links, nav_pages

README_LIMIT_BYTES = 12_288
OLD_README_EXAMPLES = 44


def _broken_links(page: Path) -> list[str]:
    broken = []
    for target in links(page):
        if not is_relative(target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (resolved.suffix != ".md" or anchor not in anchors(resolved)):
            broken.append(f"{target}: no heading with the anchor #{anchor}")
    return broken


def _linked_pages(page: Path) -> set[str]:
    """The docs pages a page links to, as paths under docs/."""
    linked = set()
    for target in links(page):
        path = target.partition("#")[0]
        if not is_relative(target) or not path.endswith(".md"):
            continue
        resolved = (page.parent / path).resolve()
        if resolved.is_relative_to(DOCS):
            linked.add(resolved.relative_to(DOCS).as_posix())
    return linked


def _site_pages() -> list[str]:
    """The nav's pages a reader looks for by capability; the generated API reference has its own index."""
    return [page for page in nav_pages() if not page.startswith("reference/")]


def test_the_readme_is_at_most_12_kb() -> None:
    size = len(README.read_bytes())
    assert size <= README_LIMIT_BYTES, f"README.md is {size} bytes, the limit is {README_LIMIT_BYTES}"


def test_the_readme_links_resolve() -> None:
    assert _broken_links(README) == []


def test_every_page_is_one_click_from_the_readme() -> None:
    missing = sorted(set(_site_pages()) - _linked_pages(README))
    assert missing == [], f"pages of mkdocs.yml's nav that README.md does not link to: {missing}"


def test_the_home_page_links_every_page() -> None:
    home = DOCS / "index.md"
    missing = sorted(set(_site_pages()) - {"index.md"} - _linked_pages(home))
    assert missing == [], f"pages of mkdocs.yml's nav that docs/index.md does not link to: {missing}"


def test_every_nav_page_exists() -> None:
    assert [page for page in nav_pages() if not (DOCS / page).is_file()] == []


def test_no_example_was_lost_in_the_split() -> None:
    examples = all_snippets()
    assert len(examples) >= OLD_README_EXAMPLES, (
        f"{len(examples)} examples, the old README had {OLD_README_EXAMPLES}"
    )
