"""The stack drawn from its plan, in two views.

``architecture`` (the default): the picture :mod:`mysql_platform.planning.architecture` derives, with
the internet and clients, the public and private zones, who reaches what on which port (solid
arrows), replication (thick arrows) and what the DB reports to (dotted arrows); reachable from
outside the VPC is outlined red. ``resources``: every resource, components as boxes around their
resources (parents), arrows for references (a resource's inputs read another's outputs).

Nothing is drawn by hand: both views are the plan's. ``.mmd`` is Mermaid (renders in Markdown on
GitHub and GitLab); ``.svg`` is Graphviz's ``dot`` (the Debian package ``graphviz``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from mysql_platform.planning import architecture as arch
from mysql_platform.planning.plan import Plan, PlannedResource

FORMATS = (".mmd", ".svg", ".dot")
ARCHITECTURE, RESOURCES = "architecture", "resources"
VIEWS = (ARCHITECTURE, RESOURCES)
_MERMAID_ARROW = {arch.TRAFFIC: "-->", arch.REPLICATION: "==>", arch.FLOW: "-.->"}
_DOT_STYLE = {arch.TRAFFIC: "solid", arch.REPLICATION: "bold", arch.FLOW: "dotted"}


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


def _zone_tree(a: arch.Architecture) -> dict[str, tuple[list[arch.Zone], list[arch.Node]]]:
    tree: dict[str, tuple[list[arch.Zone], list[arch.Node]]] = {}
    for z in a.zones:
        tree.setdefault(z.parent, ([], []))[0].append(z)
    for n in a.nodes:
        tree.setdefault(n.zone, ([], []))[1].append(n)
    return tree


def _walk_zones(
    a: arch.Architecture,
    box: Callable[[arch.Zone], tuple[list[str], list[str]]],
    node: Callable[[arch.Node], str],
    empty: Callable[[arch.Zone], list[str]] = lambda _z: [],
) -> list[str]:
    """Zones nested as boxes, each node in its zone; ``empty`` fills a zone with nothing in it."""
    tree = _zone_tree(a)

    def walk(zone: str, depth: int) -> Iterator[str]:
        pad = "  " * depth
        zones, nodes = tree.get(zone, ([], []))
        yield from (pad + node(n) for n in nodes)
        for z in zones:
            opening, closing = box(z)
            yield from (pad + line for line in opening)
            inner = list(walk(z.id, depth + 1))
            yield from inner or ("  " + pad + line for line in empty(z))
            yield from (pad + line for line in closing)

    return list(walk("", 1))


def _mermaid_text(lines: tuple[str, ...]) -> str:
    return "<br/>".join(line.replace('"', "#quot;") for line in lines)


def architecture_mermaid(plan: Plan) -> str:
    a = arch.architecture(plan)
    lines = [
        "flowchart LR",
        *_walk_zones(
            a,
            lambda z: ([f'subgraph {z.id}["{_mermaid_text(z.label)}"]'], ["end"]),
            lambda n: f'{n.id}["{_mermaid_text(n.label)}"]',
        ),
    ]
    lines += [f'  {e.source} {_MERMAID_ARROW[e.kind]}|"{e.label}"| {e.target}' for e in a.edges]
    public = [n.id for n in a.nodes if n.public]
    if public:
        lines += ["  classDef public stroke:#d33,stroke-width:2px", f"  class {','.join(public)} public"]
    return "\n".join(lines) + "\n"


def _dot_text(lines: tuple[str, ...]) -> str:
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)


def architecture_dot(plan: Plan) -> str:
    a = arch.architecture(plan)
    lines = [
        f'digraph "{plan.stack} architecture" {{',
        "  rankdir=LR;",
        "  node [shape=box, fontsize=10];",
        "  edge [fontsize=9];",
        *_walk_zones(
            a,
            lambda z: ([f"subgraph cluster_{z.id} {{", f'  label="{_dot_text(z.label)}";'], ["}"]),
            lambda n: f'{n.id} [label="{_dot_text(n.label)}"{", color=red" if n.public else ""}];',
            lambda z: [f'{z.id}_empty [label="", shape=point, style=invis];'],
        ),
    ]
    lines += [f'  {e.source} -> {e.target} [label="{e.label}", style={_DOT_STYLE[e.kind]}];' for e in a.edges]
    return "\n".join([*lines, "}"]) + "\n"


def render(plan: Plan, suffix: str, view: str = ARCHITECTURE) -> str:
    """The diagram's text in the format ``suffix`` names (.mmd, or .dot for .dot and .svg)."""
    if view not in VIEWS:
        raise DiagramError(f"--view {view!r}: expected one of {', '.join(VIEWS)}")
    if suffix == ".mmd":
        return architecture_mermaid(plan) if view == ARCHITECTURE else mermaid(plan)
    return architecture_dot(plan) if view == ARCHITECTURE else dot(plan)


def write(plan: Plan, path: Path, view: str = ARCHITECTURE) -> None:
    """Write the diagram of ``view`` in the format the file's suffix names."""
    if path.suffix not in FORMATS:
        raise DiagramError(f"--diagram {path}: expected a file ending in {', '.join(FORMATS)}")
    text = render(plan, path.suffix, view)
    if path.suffix != ".svg":
        path.write_text(text)
        return
    exe = shutil.which("dot")
    if exe is None:
        raise DiagramError("an .svg needs Graphviz's dot (apt-get install graphviz), or write .mmd or .dot")
    done = subprocess.run([exe, "-Tsvg", "-o", str(path)], input=text, text=True, capture_output=True)
    if done.returncode != 0:
        raise DiagramError(f"Graphviz failed: {done.stderr.strip()}")
