"""Every relative link in README.md and docs/ leads to a file (and heading) inside the repository.

A clone has nothing but the repository: a link to a sibling directory or a missing file is a dead end.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
README_LINE_LIMIT = 250

_FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
# [text](target) and [text](target "title"); images too. Targets here never contain spaces or parentheses.
_INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _prose(markdown: str) -> str:
    """The text of a page without code blocks and code spans, where brackets are not links."""
    return _CODE_SPAN.sub("", _FENCED_BLOCK.sub("", markdown))


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """Every heading anchor of a markdown page, with GitHub's -1, -2 suffixes for repeated headings."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in _HEADING.findall(_FENCED_BLOCK.sub("", page.read_text())):
        base = _anchor(heading)
        count = seen.get(base, 0)
        anchors.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return anchors


def _relative_links(page: Path) -> list[str]:
    targets = _INLINE_LINK.findall(_prose(page.read_text()))
    return [target for target in targets if not urlsplit(target).scheme]


def test_the_pages_exist_and_link_somewhere() -> None:
    # given the README and the docs/ pages; then there are both, and they link to each other
    assert PAGES[0].is_file()
    assert len(PAGES) > 1
    assert all(_relative_links(page) for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves_inside_the_repository(page: Path) -> None:
    # given every relative link of the page
    broken = []
    for target in _relative_links(page):
        parts = urlsplit(target)
        # when it is resolved against the page's directory (a bare #anchor points into the page itself)
        linked = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        # then it names an existing file or directory inside the repository
        if not linked.is_relative_to(REPO_ROOT) or not linked.exists():
            broken.append(f"{target}: no such file in the repository")
        # and an anchor into a markdown page names one of its headings
        elif parts.fragment and linked.suffix == ".md" and parts.fragment not in _anchors(linked):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_the_anchor_rules_match_githubs() -> None:
    # given headings with code, punctuation and parentheses; then the anchors are the ones GitHub makes
    assert _anchor("API Gateway's own error answers") == "api-gateways-own-error-answers"
    assert _anchor("Runtime (`tests/runtime`)") == "runtime-testsruntime"
    assert _anchor("The local endpoint: `make local`") == "the-local-endpoint-make-local"
    assert _anchor("Deploy (command 3)") == "deploy-command-3"


def test_the_readme_stays_short() -> None:
    # given the README; then it is an introduction, and the reference lives in docs/
    assert len(PAGES[0].read_text().splitlines()) <= README_LINE_LIMIT
