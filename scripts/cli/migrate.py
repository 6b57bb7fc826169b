"""``mysql-platform migrate COMMAND`` (also ``python -m scripts.migrate``): Flyway's everyday commands.

    migrate  --outputs FILE [--dry-run] [--out-of-order]   apply pending migrations
    info     --outputs FILE [--json]                       every version's state
    validate --outputs FILE | --offline                    check files (and history) without applying
    repair   --outputs FILE [--yes]                        fix the history (deleted or reformatted files)
    baseline --outputs FILE --version N                    mark 1..N as applied on an existing schema
    new NAME [--sql-dir DIR]                               create the next V<NNN>__NAME.sql

The connection options are the bootstrap's (:mod:`scripts.cli.db_options`), and so are the exit
codes (:mod:`scripts.errors`): 0 ok, 2 bad input (also: validate found problems, repair was not
confirmed), 3 cannot connect, 4 a migration failed (also: repair refused a file), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mysql_platform_core.contract import StackOutputs
from scripts.cli.db_options import add_connection_arguments, connection_options, interruptible, read_outputs
from scripts.db import migrate, migration_commands
from scripts.db.bootstrap_options import DEFAULT_SQL_DIR, Options
from scripts.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, PlatformError

PROG = "python -m scripts.migrate"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Versioned SQL migrations (V<NNN>__name.sql in sql/), as Flyway users know them.",
        epilog="exit codes: 0 ok, 2 bad input or problems found, 3 cannot connect, 4 migration failed",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    m = sub.add_parser("migrate", help="apply pending migrations (what the bootstrap does first)")
    add_connection_arguments(m)
    m.add_argument("--dry-run", action="store_true", help="print the statements that would run, as sent")
    _out_of_order(m)
    i = sub.add_parser("info", help="every version: applied (when, how long, checksum), pending, problems")
    add_connection_arguments(i)
    i.add_argument("--json", action="store_true", help="a JSON list instead of the table")
    v = sub.add_parser("validate", help="check names, checksums against the history and every file's text")
    add_connection_arguments(v, outputs_required=False)
    v.add_argument("--offline", action="store_true", help="the files alone, no database (for CI)")
    _out_of_order(v)
    r = sub.add_parser("repair", help="drop history rows of deleted files, re-align reformatted files")
    add_connection_arguments(r)
    r.add_argument("--yes", action="store_true", help="do not ask before changing the history")
    b = sub.add_parser("baseline", help="mark versions up to N as applied on a database that has them")
    add_connection_arguments(b)
    b.add_argument("--version", type=int, required=True, metavar="N", help="the highest version to mark")
    n = sub.add_parser("new", help="create the next V<NNN>__NAME.sql")
    n.add_argument("name", metavar="NAME", help="letters, digits and _ (e.g. add_orders_index)")
    n.add_argument("--sql-dir", type=Path, default=DEFAULT_SQL_DIR, metavar="DIR", help="(default: sql/)")
    return parser


def _out_of_order(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out-of-order",
        action="store_true",
        help="allow applying a pending version lower than the newest applied one",
    )


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
    )


def ask(question: str) -> bool:
    """A yes/no question on the terminal; no terminal means no."""
    if not sys.stdin.isatty():
        return False
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with interruptible():
            return _main(argv)
    except BrokenPipeError:
        # The reader went away (`info | head`): stop quietly, as the Python docs advise for
        # SIGPIPE, with stdout pointed at /dev/null so the exit does not fail on a flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(
            "migrate: interrupted (Ctrl-C); a migration cut short has no history row and reruns",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    if args.command == "new":
        return _new(args.sql_dir, args.name)
    if args.command == "validate" and args.offline:
        return migrate.offline_validate(options_from_args(args), out=sys.stdout, err=sys.stderr)
    if args.outputs is None:
        print(
            f"migrate: bad input error: {args.command} needs --outputs FILE (or --offline)", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    target = read_outputs(args, "migrate")
    if target is None:
        return EXIT_BAD_INPUT
    parsed, access = target
    command = command_from_args(args)

    def work(o: StackOutputs, opts: Options) -> int:
        return migrate.run(o, opts, command, confirm=ask, out=sys.stdout, err=sys.stderr)

    from scripts import orchestrate  # the SSH tunnel's machinery: only for a command that connects

    return orchestrate.run_via_host(
        parsed, options_from_args(args), access, err=sys.stderr, work=work, label="migrate"
    )


def _new(sql_dir: Path, name: str) -> int:
    try:
        path = migration_commands.new_file(sql_dir, name)
    except (PlatformError, OSError) as exc:
        print(f"migrate: bad input error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"created {path}: write its statements (it is refused while it has none)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
