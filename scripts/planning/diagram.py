"""The stack's architecture drawn from its resource graph: components as boxes around their
resources (parents), arrows for references (a resource's inputs read another's outputs).

Nothing is drawn by hand: the graph is the plan's. ``.mmd`` is Mermaid (renders in Markdown on
GitHub and GitLab); ``.svg`` is Graphviz's ``dot`` (the Debian package ``graphviz``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from scripts.planning.plan import Plan, PlannedResource

FORMATS = (".mmd", ".svg", ".dot")


class DiagramError(ValueError):
    """The diagram cannot be written (unknown format, Graphviz missing or failing)."""


def _id(key: str) -> str:
    return "r_" + re.sub(r"[^A-Za-z0-9]", "_", key)


def _label(r: PlannedResource) -> str:
    kind = r.type.split(":")[-1]
    return f"{r.name}\\n{kind}" if not r.component else f"{r.name} ({kind})"


def _edges(plan: Plan) -> list[tuple[str, str]]:
    """(from, to): ``to`` reads from ``from``; between resources only (a component is a box)."""
    by_key = plan.by_key()
    edges = {
        (d, r.key)
        for r in plan.resources
        if not r.component
        for d in r.depends_on
        if d in by_key and not by_key[d].component and d != r.key
    }
    return sorted(edges)


def _children(plan: Plan) -> dict[str, list[PlannedResource]]:
    out: dict[str, list[PlannedResource]] = {}
    for r in sorted(plan.resources, key=lambda r: (r.type, r.name)):
        out.setdefault(r.parent, []).append(r)
    return out


def _nested(
    plan: Plan,
    box: Callable[[PlannedResource, str], tuple[list[str], list[str]]],
    node: Callable[[PlannedResource], str],
) -> list[str]:
    """Every resource under its component: ``box`` gives a component's opening and closing
    lines (given the indent of its contents), ``node`` a resource's line."""
    children = _children(plan)

    def walk(parent: str, depth: int) -> Iterator[str]:
        pad = "  " * depth
        for r in children.get(parent, []):
            if r.component:
                opening, closing = box(r, pad + "  ")
                yield from (pad + line for line in opening)
                yield from walk(r.key, depth + 1)
                yield from (pad + line for line in closing)
            else:
                yield pad + node(r)

    return list(walk("", 1))


def mermaid(plan: Plan) -> str:
    lines = [
        "flowchart LR",
        *_nested(
            plan,
            lambda r, _inner: ([f'subgraph {_id(r.key)}["{_label(r)}"]'], ["end"]),
            lambda r: f'{_id(r.key)}["{_label(r).replace(chr(92) + "n", "<br/>")}"]',
        ),
    ]
    lines += [f"  {_id(a)} --> {_id(b)}" for a, b in _edges(plan)]
    return "\n".join(lines) + "\n"


def dot(plan: Plan) -> str:
    lines = [
        f'digraph "{plan.stack}" {{',
        "  rankdir=LR;",
        "  node [shape=box, fontsize=10];",
        *_nested(
            plan,
            lambda r, _inner: ([f"subgraph cluster_{_id(r.key)} {{", f'  label="{_label(r)}";'], ["}"]),
            lambda r: f'{_id(r.key)} [label="{_label(r)}"];',
        ),
    ]
    lines += [f"  {_id(a)} -> {_id(b)};" for a, b in _edges(plan)]
    return "\n".join([*lines, "}"]) + "\n"


def write(plan: Plan, path: Path) -> None:
    """Write the diagram in the format the file's suffix names."""
    if path.suffix == ".mmd":
        path.write_text(mermaid(plan))
    elif path.suffix == ".dot":
        path.write_text(dot(plan))
    elif path.suffix == ".svg":
        exe = shutil.which("dot")
        if exe is None:
            raise DiagramError(
                "an .svg needs Graphviz's dot (apt-get install graphviz), or write .mmd or .dot"
            )
        done = subprocess.run(
            [exe, "-Tsvg", "-o", str(path)], input=dot(plan), text=True, capture_output=True
        )
        if done.returncode != 0:
            raise DiagramError(f"Graphviz failed: {done.stderr.strip()}")
    else:
        raise DiagramError(f"--diagram {path}: expected a file ending in {', '.join(FORMATS)}")
