"""``mysql-platform``: the one console script; the project's command lines are its subcommands.

    mysql-platform local up|down|status|failover|export|query ...   the local environment (no AWS)
    mysql-platform bootstrap --outputs FILE ...            schema and app user from an outputs file
    mysql-platform migrate migrate|info|validate|repair|baseline|new ...   Flyway's commands
    mysql-platform plan STACK [--json] [--compare OTHER] [--before PLAN.json]   offline
    mysql-platform analytics export|query STACK ...        snapshot to Parquet, Glue, Athena (AWS)
    mysql-platform stack preview|up|refresh|destroy|outputs|bootstrap STACK ...
    mysql-platform init DIR                                 a project of one's own, as `pulumi new`

Everything after the subcommand goes unchanged to that command's own ``main(argv)`` (the one the
checkout's ``scripts/`` shims run too), so each
subcommand's ``--help`` is its own. The options before the subcommand are this dispatcher's:
``--version``, and ``--verbose``/``--quiet`` for the libraries' log level. A subcommand's module
is imported only when it runs: ``--help`` and ``--version`` need neither Pulumi nor a database.
A command whose packages are an extra the install lacks (``[full]``, ``[analytics]``) exits 2 with
one line naming the extra to install.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mysql_platform.core.command_names import PROGRAM
from mysql_platform.errors import EXIT_BROKEN_PIPE, PlatformError
from mysql_platform.project import checkout_root

PROG: Final = PROGRAM
DISTRIBUTION: Final = "mysql-platform"
EXIT_USAGE: Final = 2
# The top-level imports each extra adds, so a missing one is named as the extra to install.
EXTRAS: Final[dict[str, str]] = {
    **dict.fromkeys(
        ("pulumi", "pulumi_aws", "pulumi_random", "yaml", "semver", "etcd3gw", "requests"), "full"
    ),
    **dict.fromkeys(("boto3", "botocore", "duckdb", "pyarrow"), "analytics"),
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    """A subcommand: the module whose ``main(argv) -> int`` runs it, and its line in ``--help``."""

    module: str
    help: str
    function: str = "main"


COMMANDS: Final[dict[str, Command]] = {
    "local": Command(
        "mysql_platform.cli.local",
        "the local environment on loopback: up, down, status, failover; export, query (no AWS account)",
    ),
    "bootstrap": Command(
        "mysql_platform.cli.bootstrap",
        "apply the schema and the app user to the database an outputs file names",
    ),
    "migrate": Command(
        "mysql_platform.cli.migrate",
        "versioned migrations as in Flyway: migrate, info, validate, repair, baseline, new",
    ),
    "plan": Command(
        "mysql_platform.cli.plan",
        "what a stack would create, offline (no Pulumi CLI, no AWS account): tree, JSON, compare, --before",
    ),
    "analytics": Command(
        "mysql_platform.cli.analytics",
        "the stack's data in Athena (AWS): export a snapshot as Parquet, crawl it, query it",
    ),
    "stack": Command(
        "mysql_platform.cli.stack",
        "a stack through the Pulumi Automation API: preview, up, refresh, destroy, outputs, bootstrap",
    ),
    "init": Command(
        "mysql_platform.cli.init",
        "a new project directory of one's own: Pulumi.yaml, stack files, __main__.py, sql/ (as pulumi new)",
    ),
}


def version() -> str:
    """The installed distribution's version; from a checkout's pyproject.toml when not installed."""
    from importlib import metadata  # about 40 ms of imports: only when --version is asked

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        import tomllib

        root = checkout_root()
        if root is None:
            return "unknown"
        try:
            with (root / "pyproject.toml").open("rb") as f:
                return str(tomllib.load(f)["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


class _VersionAction(argparse.Action):
    """``--version``: argparse's own action, but the version is looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, dest, help="show the program's version number and exit", **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        print(f"{PROG} {version()}")  # to stdout, as argparse's own "version" action writes it
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="MySQL on AWS as code, and the same platform on loopback. "
        "Run `mysql-platform COMMAND --help` for a command's options.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action=_VersionAction)
    level = parser.add_mutually_exclusive_group()
    level.add_argument(
        "-v", "--verbose", action="store_true", help="the libraries' progress too (log level INFO)"
    )
    level.add_argument(
        "-q", "--quiet", action="store_true", help="only the libraries' errors (log level ERROR)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        # No options of its own: what follows the name is the command's, passed on untouched.
        sub.add_parser(name, help=command.help, add_help=False)
    return parser


def _split(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """The dispatcher's part (its options and the command name) and the command's own arguments.

    The dispatcher's options take no values, so the first word not starting with ``-`` is the
    command; everything after it belongs to the command, options that look like ours included.
    """
    for index, word in enumerate(argv):
        if not word.startswith("-"):
            return list(argv[: index + 1]), list(argv[index + 1 :])
    return list(argv), []


class _Formatter(logging.Formatter):
    """``%(level)s``: the level in lower case, as the commands write their own warnings."""

    def format(self, record: logging.LogRecord) -> str:
        record.__dict__["level"] = record.levelname.lower()
        return super().format(record)


def _exit_code(exc: SystemExit) -> int:
    """``sys.exit``'s argument as a process would report it (None is 0, a message is 1)."""
    if exc.code is None or isinstance(exc.code, int):
        return exc.code or 0
    print(exc.code, file=sys.stderr)
    return 1


def _missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra that ships the module ``exc`` names, or None when no extra does."""
    return EXTRAS.get((exc.name or "").partition(".")[0])


def _run(command: Command, name: str, rest: list[str]) -> int:
    try:
        target: Callable[[list[str]], int] = getattr(
            importlib.import_module(command.module), command.function
        )
        return int(target(rest))
    except SystemExit as exc:  # a command that lets argparse exit: its code, not an exception
        return _exit_code(exc)
    except PlatformError as exc:  # e.g. a project file that cannot be read, met on import
        print(f"{PROG} {name}: {exc.label} error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # `mysql-platform plan dev | head`: the reader left. Later writes, and the interpreter's
        # flush at exit, go nowhere instead of ending in a traceback.
        # A stdout that is no file descriptor (captured, in-process) needs nothing.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except ModuleNotFoundError as exc:
        extra = _missing_extra(exc)
        if extra is None:
            raise
        # One line, no traceback: an install with fewer extras than the command needs.
        print(
            f"{PROG} {name}: needs the [{extra}] install ({exc.name} is not installed): "
            f"pip install 'mysql-platform[{extra}]'",
            file=sys.stderr,
        )
        return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, rest = _split(argv)
    try:
        args = build_parser().parse_args(own)
    except SystemExit as exc:  # --help and --version exit 0, bad arguments 2
        return _exit_code(exc)
    command = COMMANDS[args.command]
    level = logging.INFO if args.verbose else logging.ERROR if args.quiet else logging.WARNING

    # The root logger's level and one handler for the run; the subcommand's own basicConfig is
    # then a no-op, so the level chosen here holds. Restored afterwards: main() also runs in-process.
    root = logging.getLogger()
    saved_level = root.level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(f"{PROG} {args.command}: %(level)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    try:
        return _run(command, args.command, rest)
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


if __name__ == "__main__":
    sys.exit(main())
