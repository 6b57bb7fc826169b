"""bench/RESULTS.md holds one section per benchmark between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->``; a benchmark rewrites only its own."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, name: str, lines: list[str]) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = "\n".join([start, *lines, end])
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
