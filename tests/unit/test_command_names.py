"""Every usage line and every suggested next step names the command as a person types it.

- each parser (every subcommand and sub-subcommand) says ``usage: mysql-platform <path>``;
- nothing in the package says ``python -m scripts`` (the checkout's shims keep working, unnamed);
- every `mysql-platform ...` command a message suggests parses with the real parsers, and no
  message names a command without the program (`local up`, `up`, `migrate info`).
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import main as cli
from mysql_platform.core.command_names import PROGRAM
from mysql_platform.errors import EXIT_BAD_INPUT
from mysql_platform.local import provision
from mysql_platform.local.layout import Paths
from mysql_platform.local.procs import LocalEnvError
from tests.support.source_trees import parsed

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mysql_platform"
HOLE = "\x00"  # where an f-string's value goes in the source's text
SPAN = re.compile(r"(?<!`)`([^`]+)`(?!`)")  # one backtick each side: a command in a message


def builders() -> dict[str, Callable[[], argparse.ArgumentParser]]:
    """Each subcommand's parser, found from the function the dispatcher runs for it."""
    found = {}
    for name, command in cli.COMMANDS.items():
        target = getattr(importlib.import_module(command.module), command.function)
        module = sys.modules[target.__module__]
        assert hasattr(module, "build_parser"), f"{module.__name__} has no build_parser() to check"
        found[name] = module.build_parser
    return found


Found = tuple[tuple[str, ...], argparse.ArgumentParser]


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> Iterator[Found]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


def every_parser() -> list[Found]:
    found: list[Found] = [((), cli.build_parser())]
    for name, build in builders().items():
        found += list(parsers(build(), (name,)))
    return found


def test_every_usage_line_names_the_console_script_and_the_path() -> None:
    found = every_parser()
    assert {path for path, _ in found} >= {("local", "up"), ("local", "query"), ("migrate", "repair")}
    wrong = [
        (path, parser.format_usage().splitlines()[0])
        for path, parser in found
        if not (parser.format_usage() + " ").startswith(f"usage: {' '.join((PROGRAM, *path))} ")
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("argv", "path"),
    [
        (["local", "up", "--replicas", "9"], "local up"),
        (["local", "logs", "-n", "0"], "local logs"),
        (["migrate", "info", "--target", "x"], "migrate info"),
        (["analytics", "query"], "analytics query"),
        (["bootstrap", "--bogus"], "bootstrap"),
        (["plan", "--bogus"], "plan"),
        (["stack", "nope", "dev"], "stack"),
    ],
)
def test_an_argparse_error_names_the_command_typed(
    argv: list[str], path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # An error in a sub-subcommand's own arguments is reported by its parser, with its usage.
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: {PROGRAM} {path} "), err
    assert f"{PROGRAM} {path}: error:" in err


def test_nothing_in_the_package_says_python_m_scripts() -> None:
    said = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "python -m scripts" in line
    ]
    assert said == []


# --- the commands messages suggest -------------------------------------------------------------


@functools.cache  # two tests read the same ~28k lines
def message_strings() -> tuple[tuple[str, str], ...]:
    return tuple(_message_strings())


def _message_strings() -> Iterator[tuple[str, str]]:
    """(where, text) of every string in the package that is not a docstring; an f-string's values
    are HOLE."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = parsed(path)
        relative = path.relative_to(ROOT)
        skip: set[int] = set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body:
                first = body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    skip.add(id(first.value))
            if isinstance(node, ast.JoinedStr):
                skip.update(id(value) for value in node.values)
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                where = f"{relative}:{node.lineno}"
                yield (
                    where,
                    "".join(str(v.value) if isinstance(v, ast.Constant) else HOLE for v in node.values),
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                yield f"{relative}:{node.lineno}", node.value


def filled(command: str) -> str:
    """A command from the source with each f-string value as a value of the right kind."""
    words = command.split(" ")
    numeric = ("--target", "--version", "--replicas", "--max-rows")
    return " ".join(
        word.replace(HOLE, "2" if index and words[index - 1] in numeric else "db2")
        for index, word in enumerate(words)
    )


@functools.cache
def parser_of(command: str) -> argparse.ArgumentParser:
    return builders()[command]()


def parse(command: str) -> argparse.Namespace:
    """``mysql-platform SUBCOMMAND ...`` through the subcommand's real parser; fails the test when
    argparse refuses it."""
    words = shlex.split(command)
    assert words[0] == PROGRAM and words[1] in cli.COMMANDS, command
    try:
        return parser_of(words[1]).parse_args(words[2:])
    except SystemExit as exc:  # --help exits 0: it parsed
        if exc.code != 0:
            pytest.fail(f"suggested command does not parse: {command}")
        return argparse.Namespace()


def suggested(text: str) -> list[str]:
    return [span for span in SPAN.findall(text) if span.startswith(PROGRAM + " ")]


def commands_in_the_source() -> list[tuple[str, str]]:
    """Every suggested command; ``mysql-platform COMMAND ...`` stands for each subcommand."""
    found = [(where, filled(span)) for where, text in message_strings() for span in suggested(text)]
    return [
        (where, command.replace(" COMMAND ", f" {name} ", 1))
        for where, command in found
        for name in (cli.COMMANDS if " COMMAND " in command else [""])
    ]


def test_every_suggested_command_in_the_source_parses() -> None:
    found = commands_in_the_source()
    assert len(found) > 40 and {command.split(" ")[1] for _, command in found} >= {
        "local",
        "migrate",
        "stack",
    }
    for where, command in found:
        assert parse(command) is not None, where


def subcommand_words() -> set[str]:
    """The names a person could take for a whole command: every subcommand and sub-subcommand,
    and the stack command's operations (a positional argument with choices)."""
    words = set(cli.COMMANDS)
    for path, parser in every_parser():
        words.update(path)
        words.update(
            str(choice) for action in parser._positionals._group_actions for choice in action.choices or ()
        )
    # Words of English and config keys as much as commands: `outputs` is also a settings key.
    return words - {"outputs", "new", "current"}


def test_no_message_names_a_command_without_the_program() -> None:
    words = subcommand_words()
    assert {"up", "failover", "repair", "preview"} <= words
    bare = [
        (where, span)
        for where, text in message_strings()
        for span in SPAN.findall(text)
        if span.split(" ")[0] in words
    ]
    assert bare == []


def test_the_checks_see_a_bare_or_broken_command() -> None:
    # The two checks can fail: a bare `local up` is seen, a suggestion argparse refuses fails.
    assert SPAN.findall("run `local up` first") == ["local up"] and "local" in subcommand_words()
    assert SPAN.findall("``mysql-platform local``") == []
    assert filled(f"{PROGRAM} migrate undo --target {HOLE}") == f"{PROGRAM} migrate undo --target 2"
    with pytest.raises(pytest.fail.Exception, match="does not parse"):
        parse(f"{PROGRAM} local up --no-such-option")


# --- messages built at run time ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["query", "local", "SELECT count(*) FROM app_orders", "--json"],
            "mysql-platform local query 'SELECT count(*) FROM app_orders' --json",
        ),
        (["export", "local", "--tables", "app.orders"], "mysql-platform local export --tables app.orders"),
    ],
)
def test_analytics_of_the_local_environment_says_what_works_there(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The local environment has no stack file (no Pulumi.local.yaml) and no Athena: its analytics
    # are `local export` and `local query`, with the SQL and options the user gave.
    assert cli.main(["analytics", *argv]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "Pulumi.local.yaml" not in err and "pulumi up" not in err
    commands = suggested(err)
    assert expected in commands, err
    assert {"mysql-platform local up", "mysql-platform local export"} <= {c.split(" --")[0] for c in commands}
    for command in commands:
        parse(command)
    assert parse(expected).command == argv[0]


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ({"replicas": 2}, "mysql-platform local up --replicas 2"),
        ({"semi_sync": True}, "mysql-platform local up --semi-sync"),
        ({"db_name": "shop"}, "mysql-platform local up --db-name shop"),
    ],
)
def test_a_refused_change_suggests_commands_that_parse(
    tmp_path: Path, asked: dict[str, Any], expected: str
) -> None:
    state = provision.new_state(semi_sync=False, db_name="app", replicas=1)
    with pytest.raises(LocalEnvError) as refused:
        provision.check_matches(
            Paths(tmp_path),
            state,
            semi_sync=asked.get("semi_sync"),
            db_name=asked.get("db_name"),
            replicas=asked.get("replicas"),
        )
    commands = suggested(str(refused.value))
    assert expected in commands and "mysql-platform local down --purge" in commands, commands
    for command in commands:
        parse(command)
