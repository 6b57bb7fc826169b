"""``migrate`` and its sibling commands against the database an outputs file names.

Python API: :func:`run` connects as the bootstrap does (the same TLS rules and endpoints,
:mod:`scripts.db.bootstrap_options`), runs one :class:`Command` and returns an exit code
(:mod:`scripts.errors`); lines go to ``out``/``err`` when given, else to this module's logger.
The bootstrap applies migrations with the same :class:`~scripts.db.migrations.Runner`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import mysql.connector

from mysql_platform_core import outputs
from mysql_platform_core.contract import StackOutputs
from scripts.db import connection as db
from scripts.db import migration_commands, migration_files, migration_status, migrations
from scripts.db.bootstrap import failure, printer
from scripts.db.bootstrap_options import (
    FALLBACK_APP_SCHEMA,
    Options,
    endpoints,
    placeholder_values,
    placeholders,
    target,
    tls_ca,
    validate,
)
from scripts.db.sql_split import printable
from scripts.errors import EXIT_BAD_INPUT, EXIT_MIGRATION, EXIT_OK, PlatformError

_log = logging.getLogger(__name__)

COMMANDS = ("migrate", "info", "validate", "repair", "baseline")


@dataclass(frozen=True)
class Command:
    name: str  # one of COMMANDS
    as_json: bool = False  # info
    dry_run: bool = False  # migrate
    out_of_order: bool = False  # migrate, validate
    yes: bool = False  # repair: no question
    version: int | None = None  # baseline


Confirm = Callable[[str], bool]


def _never(_question: str) -> bool:
    return False


def run(
    outputs_: StackOutputs,
    options: Options,
    command: Command,
    *,
    confirm: Confirm = _never,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``command``; ``confirm`` answers repair's question (never, by default: pass ``yes``)."""
    say = printer(out, _log.info)
    fail = printer(err, _log.error, "migrate: ")
    warn = printer(err, _log.warning, "migrate: warning: ")
    try:
        validate(options)
        found = migration_files.discover(
            options.sql_dir, placeholders(outputs_, options), parse=False, on_skip=warn
        )
        writer_endpoint, _readers = endpoints(outputs_, options)
        writer = target(outputs_, writer_endpoint, tls_ca(outputs_, options, warn), options)
        backoff = db.Backoff(deadline_s=options.connect_timeout_s)
        with db.connection(writer, backoff) as conn:
            runner = migrations.Runner(
                conn,
                open_session=lambda: db.open_connection(writer, backoff),
                history_schema=options.ops_schema,
                lock_timeout_s=options.lock_timeout_s,
                progress=say,
            )
            return _dispatch(_Run(runner, found, command, say, fail, confirm))
    except (PlatformError, outputs.OutputsError, mysql.connector.Error) as exc:
        code, message = failure(exc, outputs_) or (EXIT_MIGRATION, str(exc))
        fail(message)
        return code


@dataclass(frozen=True)
class _Run:
    """One command's inputs once connected."""

    runner: migrations.Runner
    found: list[migration_files.Migration]
    command: Command
    say: Callable[[str], None]
    fail: Callable[[str], None]
    confirm: Confirm


def _dispatch(run: _Run) -> int:
    runner, found, command, say, fail = run.runner, run.found, run.command, run.say, run.fail
    name = command.name
    if name == "migrate" and command.dry_run:
        for migration, batch in migration_commands.dry_run(runner, found, out_of_order=command.out_of_order):
            say(f"-- {migration.script}, line {batch[0].line}: {len(batch)} statement(s) in one round trip")
            for statement in batch:
                say(
                    printable(statement.text)
                    + (";" if statement.delimiter == ";" else f"\n{statement.delimiter}")
                )
        return EXIT_OK
    if name == "migrate":
        result = runner.run(found, out_of_order=command.out_of_order)
        say(f"migrations: {len(result.applied)} applied, {result.skipped} already applied")
        return EXIT_OK
    if name == "info":
        statuses = migration_commands.info(runner, found)
        if command.as_json:
            say(json.dumps([s.as_dict() for s in statuses], indent=2))
        else:
            for line in migration_status.table(statuses):
                say(line)
        return EXIT_OK
    if name == "validate":
        problems = migration_commands.validate(runner, found, out_of_order=command.out_of_order)
        return _report(problems, len(found), say, fail)
    if name == "repair":
        return _repair(run)
    if name == "baseline":
        assert command.version is not None
        marked = migration_commands.baseline(runner, found, command.version)
        for m in marked:
            say(f"baseline: {m.script} marked as applied (not run)")
        return EXIT_OK
    raise ValueError(f"unknown migrate command {name!r}, expected one of {', '.join(COMMANDS)}")


def _report(problems: list[str], files: int, say: Callable[[str], None], fail: Callable[[str], None]) -> int:
    for line in problems:
        fail(f"validate: {line}")
    if problems:
        return EXIT_BAD_INPUT
    say(f"validate: {files} migration files are valid")
    return EXIT_OK


def _repair(run: _Run) -> int:
    runner, say, fail = run.runner, run.say, run.fail
    plan = migration_commands.plan_repair(runner, run.found)
    for line in plan.refusals():
        fail(f"repair: {line}")
    changes = plan.changes()
    if not changes:
        say("repair: nothing to change")
        return EXIT_MIGRATION if plan.refused else EXIT_OK
    for line in changes:
        say(f"repair: will {line}")
    if not (run.command.yes or run.confirm(f"apply these {len(changes)} change(s) to the history?")):
        fail("repair: nothing changed (answer yes, or pass --yes)")
        return EXIT_BAD_INPUT
    migration_commands.apply_repair(runner, plan)
    for line in changes:
        say(f"repair: did {line}")
    return EXIT_MIGRATION if plan.refused else EXIT_OK


def offline_validate(
    sql_dir_options: Options, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """``validate --offline``: the files alone (names, versions, duplicates, placeholders, text)."""
    say = printer(out, _log.info)
    fail = printer(err, _log.error, "migrate: ")
    schema = sql_dir_options.app_schema or FALLBACK_APP_SCHEMA
    values = placeholder_values(schema, sql_dir_options.app_user)
    try:
        found = migration_files.discover(
            sql_dir_options.sql_dir,
            values,
            parse=False,
            on_skip=printer(err, _log.warning, "migrate: warning: "),
        )
    except PlatformError as exc:
        fail(f"validate: {exc}")
        return exc.exit_code
    except ValueError as exc:  # a placeholder value
        fail(f"validate: {exc}")
        return EXIT_BAD_INPUT
    return _report(migration_commands.offline_problems(found), len(found), say, fail)
