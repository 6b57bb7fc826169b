"""``mysql-platform migrate COMMAND``: Flyway's everyday commands.

    migrate  [--outputs FILE] [--dry-run] [--out-of-order] [--target N]  apply pending migrations
    info     [--outputs FILE] [--target N]                 every version's state
    undo     [--outputs FILE] [--target N]                 undo the last applied version(s), U<NNN> files
    current  [--outputs FILE]                              the newest applied version, how many pending
    validate [--outputs FILE] | --offline                  check files (and history) without applying
    repair   [--outputs FILE] [--yes]                      fix the history (deleted or reformatted files)
    baseline [--outputs FILE] --version N                  mark 1..N as applied on an existing schema
    new NAME [--sql-dir DIR]                               create the next V<NNN>__NAME.sql

Every command but ``new`` takes ``--json``: one JSON document on stdout
(:mod:`mysql_platform.db.migrate_json`).
The connection options are the bootstrap's (:mod:`mysql_platform.cli.db_options`), resolved from the command
line, the environment, the config file, then the default (:mod:`mysql_platform.cli.migrate_settings`); so are
the exit codes (:mod:`~mysql_platform.errors`): 0 ok, 2 bad
input (also: validate found problems, repair was not
confirmed), 3 cannot connect, 4 a migration failed (also: repair refused a file), 130 interrupted (Ctrl-C),
143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mysql_platform import project
from mysql_platform.cli.db_options import (
    add_connection_arguments,
    apply_settings,
    connection_options,
    interruptible,
    load_outputs,
    trusting_only_the_given_ca,
)
from mysql_platform.cli.migrate_settings import CONFIG_FILE, PYPROJECT_TABLE, env_name
from mysql_platform.core import outputs
from mysql_platform.core.command_names import prog
from mysql_platform.core.contract import StackOutputs
from mysql_platform.db import migrate, migration_commands
from mysql_platform.db.bootstrap_options import BadInput, Options
from mysql_platform.db.migrate_json import Emitter
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, PlatformError, interrupt_exit

PROG = prog("migrate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Versioned SQL migrations (V<NNN>__name.sql in sql/), as Flyway users know them, "
        "with repeatable R__name.sql, undo U<NNN>__name.sql and the callbacks beforeMigrate.sql, "
        "beforeEachMigrate.sql, afterEachMigrate.sql, afterMigrate.sql. "
        f"Settings come from the command line, then ${env_name('outputs')} and the like, then "
        f"./{CONFIG_FILE} or [{PYPROJECT_TABLE}] in ./pyproject.toml, then the defaults.",
        epilog="exit codes: 0 ok, 2 bad input or problems found, 3 cannot connect, 4 migration failed, "
        "130 Ctrl-C, 143 SIGTERM",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    m = _connected(sub, "migrate", "apply pending migrations (what the bootstrap does first)")
    m.add_argument("--dry-run", action="store_true", help="print the statements that would run, as sent")
    _out_of_order(m)
    _target(m, "apply versions up to N and no further (N must be a file's version); repeatables follow")
    i = _connected(sub, "info", "every version: applied (when, how long, checksum), pending, problems")
    _target(i, "show versions above N as 'above target'")
    _connected(sub, "current", "one line: the newest applied version and how many are pending")
    v = _connected(sub, "validate", "check names, checksums against the history and every file's text")
    v.add_argument("--offline", action="store_true", help="the files alone, no database (for CI)")
    _out_of_order(v)
    r = _connected(sub, "repair", "drop history rows of deleted files, re-align reformatted files")
    r.add_argument("--yes", action="store_true", help="do not ask before changing the history")
    u = _connected(
        sub,
        "undo",
        "undo the most recently applied version with its U<NNN>__name.sql (DDL commits as it runs: undo "
        "is not atomic and cannot bring back data a migration dropped or changed)",
    )
    _target(u, "undo every applied version above N, newest first (N itself stays)")
    b = _connected(sub, "baseline", "mark versions up to N as applied on a database that has them")
    b.add_argument("--version", type=int, required=True, metavar="N", help="the highest version to mark")
    n = sub.add_parser("new", help="create the next V<NNN>__NAME.sql")
    n.add_argument("name", metavar="NAME", help="letters, digits and _ (e.g. add_orders_index)")
    n.add_argument(
        "--sql-dir",
        type=Path,
        metavar="DIR",
        help=f"(${env_name('sql-dir')}, the config file; default: ./sql)",
    )
    return parser


def _connected(sub: Any, name: str, help_: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_)
    add_connection_arguments(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON document on stdout (command, ok, exit_code, error, the command's fields; "
        "docs/migrations.md); progress on stderr",
    )
    return p


def _out_of_order(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out-of-order",
        action="store_true",
        help="allow applying a pending version lower than the newest applied one",
    )


def _target(p: argparse.ArgumentParser, help_: str) -> None:
    p.add_argument("--target", type=int, metavar="N", help=help_)


def options_from_args(args: argparse.Namespace) -> Options:
    return Options(**connection_options(args))


def command_from_args(args: argparse.Namespace) -> migrate.Command:
    return migrate.Command(
        name=args.command,
        as_json=getattr(args, "json", False),
        dry_run=getattr(args, "dry_run", False),
        out_of_order=getattr(args, "out_of_order", False),
        yes=getattr(args, "yes", False),
        version=getattr(args, "version", None),
        target=getattr(args, "target", None),
    )


def ask(question: str) -> bool:
    """A yes/no question on the terminal; no terminal means no."""
    if not sys.stdin.isatty():
        return False
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with interruptible(), trusting_only_the_given_ca():
            return _main(argv)
    except BrokenPipeError:
        # The reader went away (`info | head`): stop quietly, as the Python docs advise for
        # SIGPIPE, with stdout pointed at /dev/null so the exit does not fail on a flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt as exc:
        code, what = interrupt_exit(exc)
        print(f"migrate: {what}; a migration cut short has no history row and reruns", file=sys.stderr)
        return code


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    as_json = getattr(args, "json", False)
    emitter = Emitter(lambda text: print(text, flush=True))
    try:
        return _run(args, emitter)
    except KeyboardInterrupt as exc:
        if as_json:
            code, what = interrupt_exit(exc)
            emitter.emit(args.command, code, {}, what)
        raise
    finally:
        if as_json and not emitter.done:
            # A failure before or around the command (the SSH tunnel): still one document.
            emitter.emit(args.command, EXIT_FAILED, {}, "the command stopped before it ran; see stderr")


def _run(args: argparse.Namespace, emitter: Emitter) -> int:
    as_json = getattr(args, "json", False)
    try:
        apply_settings(args)
    except BadInput as exc:
        return _bad_input(args.command, str(exc), emitter if as_json else None)
    if args.command == "new":
        return _new(args.sql_dir, args.name)
    if args.command == "validate" and args.offline:
        return migrate.offline_validate(
            options_from_args(args), out=sys.stdout, err=sys.stderr, as_json=as_json, emitter=emitter
        )
    try:
        parsed, access, loose = load_outputs(args)
    except (outputs.OutputsError, BadInput) as exc:
        offline = " (or validate --offline)" if args.command == "validate" else ""
        return _bad_input(args.command, f"{exc}{offline}", emitter if as_json else None)
    if loose:
        print(f"migrate: warning: {loose}", file=sys.stderr)
    command = command_from_args(args)
    code_of_work: list[int] = []

    def work(o: StackOutputs, opts: Options) -> int:
        code_of_work.append(
            migrate.run(o, opts, command, confirm=ask, out=sys.stdout, err=sys.stderr, emitter=emitter)
        )
        return code_of_work[-1]

    from mysql_platform import orchestrate  # the SSH tunnel's machinery: only for a command that connects

    code = orchestrate.run_via_host(
        parsed, options_from_args(args), access, err=sys.stderr, work=work, label="migrate"
    )
    if as_json and not code_of_work:
        emitter.emit(args.command, code, {}, "could not reach the database host; see stderr")
    return code


def _bad_input(command: str, message: str, emitter: Emitter | None) -> int:
    print(f"migrate: bad input error: {message}", file=sys.stderr)
    if emitter is not None:
        emitter.emit(command, EXIT_BAD_INPUT, {}, message)
    return EXIT_BAD_INPUT


def _new(sql_dir: Path, name: str) -> int:
    if project.is_packaged(sql_dir):
        print(
            f"migrate: bad input error: '{sql_dir}' holds the migrations installed with the package, "
            "which are never written to; run in your project directory (mysql-platform init DIR) or "
            "pass --sql-dir",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        path = migration_commands.new_file(sql_dir, name)
    except (PlatformError, OSError) as exc:
        print(f"migrate: bad input error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"created {path}: write its statements (it is refused while it has none)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
