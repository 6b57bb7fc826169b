"""The documentation's text and code blocks, for the tests that run its examples or check its figures.

The pages are README.md and docs/**/*.md (docs/hooks/ holds the reference generator, no pages).
A page is named as MkDocs names it, without ``.md``: ``"router"``, ``"reference/cli"``; the README
is ``"README"``. A code block may carry a marker in the HTML comment on the line just before its
fence: ``<!-- not run: REASON -->`` (the example needs what a test cannot have here, and says
what) or ``<!-- run by: tests/PATH.py -->`` (that test runs it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
DOCS: Final = ROOT / "docs"
README: Final = ROOT / "README.md"

FENCE: Final = re.compile(r"^```(\w*)\s*$")
MARKER: Final = re.compile(r"^<!-- (not run|run by): (.+?) -->$")
HEADING: Final = re.compile(r"^(#{1,6}) ")


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language, its text and its marker (if any)."""

    page: str
    line: int  # the opening fence's line, 1-based
    lang: str
    code: str
    marker: tuple[str, str] | None  # ("not run", reason) or ("run by", test path)

    @property
    def where(self) -> str:
        return f"{self.page} line {self.line}"


def path_of(page: str) -> Path:
    """The file of a page name; a name that is no page fails naming the pages there are."""
    path = README if page == "README" else DOCS / f"{page}.md"
    if not path.is_file():
        raise FileNotFoundError(f"no documentation page {page!r} ({path}); pages: {page_names()}")
    return path


def page_names() -> list[str]:
    """README and every page under docs/, as names."""
    names = ["README"]
    names += sorted(
        str(p.relative_to(DOCS).with_suffix("")) for p in DOCS.rglob("*.md") if "hooks" not in p.parts
    )
    return names


def page(name: str) -> str:
    """A page's Markdown."""
    return path_of(name).read_text(encoding="utf-8")


def flat(name: str) -> str:
    """A page's text with every run of whitespace as one space (for sentences that wrap)."""
    return " ".join(page(name).split())


def section(name: str, heading: str) -> str:
    """The part of a page from the heading that starts with ``heading`` to the next heading of
    the same or a higher level (code blocks' ``#`` comments are not headings)."""
    lines = page(name).splitlines(keepends=True)
    start, level, fenced = None, 0, False
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        found = None if fenced else HEADING.match(line)
        if found is None:
            continue
        if start is None and line[len(found[0]) :].startswith(heading):
            start, level = index, len(found[1])
        elif start is not None and len(found[1]) <= level:
            return "".join(lines[start:index])
    if start is None:
        raise LookupError(f"page {name!r} has no heading starting with {heading!r}")
    return "".join(lines[start:])


def blocks(name: str, lang: str | None = None) -> list[Block]:
    """A page's fenced code blocks (of one language, when given), in order."""
    found: list[Block] = []
    lines = page(name).splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None or not lines[index].startswith("```"):
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        before = lines[index - 1].strip() if index else ""
        marker = MARKER.match(before)
        block = Block(
            page=name,
            line=index + 1,
            lang=opening[1],
            code="\n".join(lines[index + 1 : end]) + "\n",
            marker=(marker[1], marker[2]) if marker else None,
        )
        if lang is None or block.lang == lang:
            found.append(block)
        index = end + 1
    return found


def all_blocks(*langs: str) -> list[Block]:
    """Every page's blocks in these languages."""
    return [b for name in page_names() for b in blocks(name) if b.lang in langs]
