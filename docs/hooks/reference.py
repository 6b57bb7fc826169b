"""MkDocs hook: the reference pages' tables and help texts, generated from the code at build time.

A reference page holds a marker such as ``<!-- reference:settings -->``; the build replaces it
with what the code says now: the ``config:`` schema of ``Pulumi.yaml``, the outputs contract's
keys, the exit-code table of ``mysql_platform/errors.py`` and the ``--help`` of every command
and subcommand, from the same argparse parsers the commands run. Nothing here is typed by hand,
so a renamed option or a new command shows up at the next build.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

# The checkout this file belongs to: its code is what the pages describe, not another installed copy.
ROOT: Final = Path(__file__).resolve().parents[2]

MARKER: Final = re.compile(r"<!-- reference:([a-z-]+) -->")
HELP_COLUMNS: Final = "100"  # argparse wraps to $COLUMNS: a fixed width gives the same page everywhere
EXIT_LINE: Final = re.compile(r"^(EXIT_\w+): Final = (\w+)(?:\s+#\s*(.*))?$")


def _cell(text: str) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _default(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""` (empty)'
    return f"`{json.dumps(value)}`"


def settings_table() -> str:
    """Every key ``Pulumi.yaml`` declares: name, type, default and description."""
    from mysql_platform.components.config_schema import load_schema

    schema = load_schema()
    rows = [
        f"| `{field.key}` | {field.type} | {_cell(_default(field.default))} | {_cell(field.description)} |"
        for field in schema.fields
    ]
    head = (
        f"{len(schema.fields)} keys, each set as `{schema.project}:KEY` "
        "(`pulumi config set KEY VALUE` on a stack of this project).\n\n"
        "| key | type | default | description |\n|---|---|---|---|"
    )
    return "\n".join([head, *rows])


def outputs_table() -> str:
    """The stack exports every consumer reads: which are always there, and their fields."""
    from mysql_platform.core import contract as c

    fields: dict[str, tuple[str, ...]] = {
        c.HOST: c.HOST_KEYS,
        c.DB: tuple(f"{k} (optional)" if k in c.DB_OPTIONAL_KEYS else k for k in c.DB_KEYS),
        c.PROXY: c.PROXY_KEYS,
        c.ANALYTICS: (*c.ANALYTICS_KEYS, *(f"{k} (optional)" for k in c.ANALYTICS_OPTIONAL_KEYS)),
        c.ALERTS: c.ALERTS_KEYS,
    }
    rows = []
    for key in (*c.REQUIRED_KEYS, *c.OPTIONAL_KEYS):
        presence = "always" if key in c.REQUIRED_KEYS else "optional"
        named = (f"`{f}`".replace(" (optional)`", "` (optional)") for f in fields.get(key, ()))
        inner = ", ".join(named) or "(a value)"
        rows.append(f"| `{key}` | {presence} | {inner} |")
    endpoint = ", ".join(f"`{k}`" for k in c.ENDPOINT_KEYS)
    topologies = ", ".join(f"`{t}`" for t in c.TOPOLOGIES)
    return "\n".join(
        [
            "| key | present | fields |",
            "|---|---|---|",
            *rows,
            "",
            f"`db.writer` and each of `db.readers` are endpoints ({endpoint}); "
            f"`db.topology` is one of {topologies}.",
        ]
    )


def exit_codes_table() -> str:
    """``mysql_platform/errors.py``'s constants, with the comment that says what each means."""
    import mysql_platform.errors as errors

    rows = []
    for line in Path(errors.__file__).read_text(encoding="utf-8").splitlines():
        found = EXIT_LINE.match(line)
        if found is None:
            continue
        name, value, comment = found[1], found[2], found[3] or ""
        code = getattr(errors, name)
        meaning = comment or ("success" if code == 0 else "")
        if not value.isdigit():  # an alias: EXIT_USAGE = EXIT_BAD_INPUT
            meaning = f"the same as `{value}`"
        rows.append(f"| {code} | `{name}` | {_cell(meaning)} |")
    return "\n".join(["| code | name | meaning |", "|---|---|---|", *rows])


def _parser_of(module_name: str) -> argparse.ArgumentParser:
    """The parser a dispatched command runs: ``build_parser()`` beside the ``main`` it calls."""
    entry: Callable[..., Any] = importlib.import_module(module_name).main
    builder: Callable[[], argparse.ArgumentParser] = importlib.import_module(entry.__module__).build_parser
    return builder()


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Each subcommand's name and parser, once each (an alias names the same parser)."""
    seen: set[int] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    yield name, sub


def _walk(path: str, parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for name, sub in _subcommands(parser):
        yield from _walk(f"{path} {name}", sub)


def command_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    """``mysql-platform`` and every command and subcommand under it, as a person types them."""
    from mysql_platform.cli import main

    found: list[tuple[str, argparse.ArgumentParser]] = [(main.PROG, main.build_parser())]
    for name, command in main.COMMANDS.items():
        found.extend(_walk(f"{main.PROG} {name}", _parser_of(command.module)))
    return found


@contextlib.contextmanager
def _columns() -> Iterator[None]:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_COLUMNS
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def cli_help() -> str:
    """One section per command line: its ``--help`` exactly as the command prints it."""
    sections = []
    with _columns():
        for path, parser in command_parsers():
            sections.append(f"## `{path}`\n\n```text\n{parser.format_help().rstrip()}\n```\n")
    return "\n".join(sections)


GENERATORS: Final[dict[str, Callable[[], str]]] = {
    "settings": settings_table,
    "outputs": outputs_table,
    "exit-codes": exit_codes_table,
    "cli": cli_help,
}


@contextlib.contextmanager
def _checkout_imports() -> Iterator[None]:
    """The checkout's packages first on ``sys.path`` while generating (MkDocs resets the path
    after loading a hook, and an editable install elsewhere would otherwise answer)."""
    sys.path.insert(0, str(ROOT))
    try:
        import mysql_platform

        where = Path(mysql_platform.__file__).resolve().parent
        if where != ROOT / "mysql_platform":
            expected = ROOT / "mysql_platform"
            raise RuntimeError(f"mysql_platform was imported from {where}, expected {expected}")
        yield
    finally:
        sys.path.remove(str(ROOT))


def render(markdown: str) -> str:
    """``markdown`` with every reference marker replaced; an unknown marker is an error."""

    def replace(found: re.Match[str]) -> str:
        name = found[1]
        if name not in GENERATORS:
            raise ValueError(f"reference marker {found[0]!r}: unknown; expected one of {sorted(GENERATORS)}")
        with _checkout_imports():
            return GENERATORS[name]()

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs event: runs on every page's Markdown before it is converted."""
    return render(markdown)
