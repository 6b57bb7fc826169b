"""``migrate`` and its sibling commands against the database an outputs file names.

Python API: :func:`run` connects as the bootstrap does (the same TLS rules and endpoints,
:mod:`mysql_platform.db.bootstrap_options`), runs one :class:`Command` and returns an exit code
(:mod:`mysql_platform.errors`); lines go to ``out``/``err`` when given, else to this module's logger.
With ``Command.as_json`` the result is one JSON document (:mod:`mysql_platform.db.migrate_json`) on
``out`` and the progress goes to ``err``.
The bootstrap applies migrations with the same :class:`~mysql_platform.db.migrations.Runner`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import mysql.connector

from mysql_platform.core import outputs
from mysql_platform.core.contract import StackOutputs
from mysql_platform.db import connection as db
from mysql_platform.db import (
    migration_commands,
    migration_files,
    migration_kinds,
    migration_repeatables,
    migration_status,
    migration_undo,
    migrations,
)
from mysql_platform.db.bootstrap import failure, printer
from mysql_platform.db.bootstrap_options import (
    FALLBACK_APP_SCHEMA,
    Options,
    endpoints,
    placeholder_values,
    placeholders,
    target,
    tls_ca,
    validate,
)
from mysql_platform.db.migrate_json import Emitter
from mysql_platform.db.migration_files import Migration
from mysql_platform.db.migration_plan import CALLBACK, REPEATABLE, VERSIONED
from mysql_platform.db.sql_split import printable
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_MIGRATION, EXIT_OK, PlatformError, interrupt_exit

_log = logging.getLogger(__name__)

COMMANDS = ("migrate", "info", "validate", "repair", "baseline", "current", "undo")
Line = Callable[[str], None]


@dataclass(frozen=True)
class Command:
    name: str  # one of COMMANDS
    as_json: bool = False  # one JSON document on ``out`` instead of lines
    dry_run: bool = False  # migrate
    out_of_order: bool = False  # migrate, validate
    yes: bool = False  # repair: no question
    version: int | None = None  # baseline
    target: int | None = None  # migrate, info: versions up to it; undo: down to it, not including it


Confirm = Callable[[str], bool]


def _never(_question: str) -> bool:
    return False


def _silent(_line: str) -> None:
    pass


def run(
    outputs_: StackOutputs,
    options: Options,
    command: Command,
    *,
    confirm: Confirm = _never,
    out: TextIO | None = None,
    err: TextIO | None = None,
    emitter: Emitter | None = None,
) -> int:
    """Run ``command``; ``confirm`` answers repair's question (never, by default: pass ``yes``).

    Under ``command.as_json`` the document goes to ``emitter`` (default: to ``out``).
    """
    # Under --json, stdout holds the document alone: progress to stderr, results only in the document.
    progress = printer(err if command.as_json else out, _log.info)
    say = _silent if command.as_json else printer(out, _log.info)
    state = _State(printer(err, _log.error, "migrate: "), _known_before_connecting(command))
    warn = printer(err, _log.warning, "migrate: warning: ")
    waiting = printer(err, _log.warning, "migrate: ")
    try:
        validate(options)
        found = migration_kinds.discover_all(
            options.sql_dir, placeholders(outputs_, options), parse=False, on_skip=warn
        )
        writer_endpoint, _readers = endpoints(outputs_, options)
        writer = target(outputs_, writer_endpoint, tls_ca(outputs_, options, warn), options)
        backoff = db.Backoff(deadline_s=options.connect_timeout_s)
        with db.connection(writer, backoff, progress=lambda w: waiting(w.describe())) as conn:
            runner = migrations.Runner(
                conn,
                open_session=lambda: db.open_connection(writer, backoff),
                history_schema=options.ops_schema,
                lock_timeout_s=options.lock_timeout_s,
                progress=progress,
            )
            code = _dispatch(_Run(runner, found, command, say, state, confirm))
    except (PlatformError, outputs.OutputsError, mysql.connector.Error) as exc:
        code, message = failure(exc, outputs_) or (EXIT_MIGRATION, str(exc))
        state.fail(message)
    except KeyboardInterrupt as exc:
        if command.as_json:  # with what was done before it (the CLI writes no second document)
            code, what = interrupt_exit(exc)
            (emitter or Emitter(printer(out, _log.info))).emit(command.name, code, state.fields, what)
        raise
    if command.as_json:
        (emitter or Emitter(printer(out, _log.info))).emit(command.name, code, state.fields, state.message())
    return code


def _known_before_connecting(command: Command) -> dict[str, Any]:
    """The fields the command line fixes: in the document even when the command cannot connect."""
    fields: dict[str, Any] = {}
    if command.name in ("migrate", "info", "undo"):
        fields["target"] = command.target
    if command.name == "migrate":
        fields["dry_run"] = command.dry_run
    if command.name == "baseline":
        fields["version"] = command.version
    return fields


@dataclass
class _State:
    """What a command found (its JSON fields) and the failures it printed."""

    printed: Line
    fields: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def fail(self, line: str) -> None:
        self.failures.append(line)
        self.printed(line)

    def message(self) -> str | None:
        return "; ".join(self.failures) or None


@dataclass(frozen=True)
class _Run:
    """One command's inputs once connected."""

    runner: migrations.Runner
    found: migration_kinds.MigrationSet
    command: Command
    say: Line
    state: _State
    confirm: Confirm


def _dispatch(run: _Run) -> int:
    runner, found, command, say, fields = run.runner, run.found, run.command, run.say, run.state.fields
    name = command.name
    if name == "migrate" and command.dry_run:
        return _dry_run(run)
    if name == "migrate":
        return _migrate(run)
    if name == "info":
        return _info(run)
    if name == "undo":
        return _undo(run)
    if name == "current":
        return _current(run)
    if name == "validate":
        problems = migration_commands.validate(runner, found, out_of_order=command.out_of_order)
        return _report(problems, found.files, say, run.state)
    if name == "repair":
        return _repair(run)
    if name == "baseline":
        assert command.version is not None
        fields["version"] = command.version
        marked = migration_commands.baseline(runner, found, command.version)
        fields["marked"] = [_names(m) for m in marked]
        for m in marked:
            say(f"baseline: {m.script} marked as applied (not run)")
        return EXIT_OK
    raise ValueError(f"unknown migrate command {name!r}, expected one of {', '.join(COMMANDS)}")


def _names(m: migration_files.Migration) -> dict[str, Any]:
    return {"version": m.version, "description": m.description, "script": m.script}


def _applied_fields(fields: dict[str, Any], done: dict[str, list[tuple[Migration, float]]]) -> None:
    fields["applied"] = [{**_names(m), "duration_ms": round(ms)} for m, ms in done.get(VERSIONED, [])]
    fields["callbacks"] = [m.script for m, _ms in done.get(CALLBACK, [])]
    fields["repeatables"] = [
        {"script": m.script, "description": m.description, "duration_ms": round(ms)}
        for m, ms in done.get(REPEATABLE, [])
    ]


def _migrate(run: _Run) -> int:
    command, fields, say = run.command, run.state.fields, run.say
    fields["target"] = command.target
    try:
        result = run.runner.run(run.found, out_of_order=command.out_of_order, target=command.target)
    except BaseException:
        # A failure or Ctrl-C part-way: the document still says what was applied before it.
        _applied_fields(fields, run.runner.completed)
        raise
    _applied_fields(fields, run.runner.completed)
    fields["already_applied"] = result.skipped
    fields["above_target"] = result.above_target
    extra = f", {len(result.repeatables)} repeatable applied" if run.found.repeatable else ""
    above = f", {result.above_target} above target {command.target}" if command.target is not None else ""
    if command.target is not None and result.newest is not None and result.newest > command.target:
        # Flyway says nothing here; a person asking for an older version probably meant undo.
        run.state.printed(
            f"note: target {command.target} is below the newest applied version {result.newest}: "
            "migrate never goes back "
            f"(`mysql-platform migrate undo --target {command.target}` does, with U files)"
        )
    say(f"migrations: {len(result.applied)} applied, {result.skipped} already applied{extra}{above}")
    return EXIT_OK


def _undo(run: _Run) -> int:
    target = run.command.target
    run.state.fields["target"] = target
    done: list[tuple[Any, Any, float]] = []
    try:
        result = migration_undo.undo(run.runner, run.found, target, done=done)
    finally:  # after a failure or Ctrl-C too: what was undone before it
        run.state.fields["undone"] = migration_undo.names(done)
    for row, file, ms in result.undone:
        run.say(f"undo: version {row.version} ({row.script}) undone by {file.script} in {ms:.0f} ms")
    if not result.undone:
        run.say("undo: nothing to undo" + (f" above version {target}" if target is not None else ""))
    return EXIT_OK


def _info(run: _Run) -> int:
    statuses = migration_commands.info(run.runner, run.found, target=run.command.target)
    repeatables = migration_commands.repeatable_info(run.runner, run.found)
    run.state.fields.update(
        target=run.command.target,
        versions=[s.as_dict() for s in statuses],
        repeatables=[s.as_dict() for s in repeatables],
        callbacks=[m.script for m in run.found.callbacks.values()],
    )
    for line in migration_status.table(statuses):
        run.say(line)
    if repeatables:
        run.say("")
        for line in migration_repeatables.lines(repeatables):
            run.say(line)
    if run.found.callbacks:
        run.say("callbacks: " + ", ".join(m.script for m in run.found.callbacks.values()))
    return EXIT_OK


def _dry_run(run: _Run) -> int:
    say, batches = run.say, []
    run.state.fields["dry_run"] = True
    run.state.fields["target"] = run.command.target
    steps = migration_commands.dry_run(
        run.runner, run.found, out_of_order=run.command.out_of_order, target=run.command.target
    )
    for migration, batch in steps:
        texts = [printable(s.text) + (";" if s.delimiter == ";" else f"\n{s.delimiter}") for s in batch]
        batches.append({**_names(migration), "line": batch[0].line, "statements": texts})
        say(f"-- {migration.script}, line {batch[0].line}: {len(batch)} statement(s) in one round trip")
        for text in texts:
            say(text)
    run.state.fields["batches"] = batches
    return EXIT_OK


def _current(run: _Run) -> int:
    """One line, as ``alembic current``: the newest applied version and how many are pending."""
    statuses = migration_commands.info(run.runner, run.found)
    applied = [s for s in statuses if s.applied is not None]
    pending = sum(s.state in (migration_status.PENDING, migration_status.OUT_OF_ORDER) for s in statuses)
    newest = max(applied, key=lambda s: s.version) if applied else None
    head = "none (empty history)" if newest is None else f"{newest.version} ({newest.description})"
    text = f"{head}; {pending} pending"
    run.state.fields.update(
        current=None
        if newest is None
        else {"version": newest.version, "description": newest.description, "script": newest.script},
        pending=pending,
        text=text,
    )
    run.say(text)
    return EXIT_OK


def _report(problems: list[str], files: int, say: Line, state: _State) -> int:
    state.fields.update(files=files, problems=problems)
    for line in problems:
        state.fail(f"validate: {line}")
    if problems:
        return EXIT_BAD_INPUT
    say(f"validate: {files} migration files are valid")
    return EXIT_OK


def _repair(run: _Run) -> int:
    runner, say, state = run.runner, run.say, run.state
    plan = migration_commands.plan_repair(runner, run.found)
    state.fields["refusals"] = plan.refusals()
    for line in plan.refusals():
        state.fail(f"repair: {line}")
    changes = state.fields["changes"] = plan.changes()
    if not changes:
        say("repair: nothing to change")
        return EXIT_MIGRATION if plan.refused else EXIT_OK
    for line in changes:
        say(f"repair: will {line}")
    if not (run.command.yes or run.confirm(f"apply these {len(changes)} change(s) to the history?")):
        state.fail("repair: nothing changed (answer yes, or pass --yes)")
        return EXIT_BAD_INPUT
    migration_commands.apply_repair(runner, plan)
    state.fields["changed"] = True
    for line in changes:
        say(f"repair: did {line}")
    return EXIT_MIGRATION if plan.refused else EXIT_OK


def offline_validate(
    sql_dir_options: Options,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    as_json: bool = False,
    emitter: Emitter | None = None,
) -> int:
    """``validate --offline``: the files alone (names, versions, duplicates, placeholders, text)."""
    say = _silent if as_json else printer(out, _log.info)
    state = _State(printer(err, _log.error, "migrate: "), {"offline": True})
    code = _offline(sql_dir_options, say, state, printer(err, _log.warning, "migrate: warning: "))
    if as_json:
        (emitter or Emitter(printer(out, _log.info))).emit("validate", code, state.fields, state.message())
    return code


def _offline(sql_dir_options: Options, say: Line, state: _State, warn: Line) -> int:
    schema = sql_dir_options.app_schema or FALLBACK_APP_SCHEMA
    values = placeholder_values(schema, sql_dir_options.app_user)
    try:
        found = migration_kinds.discover_all(sql_dir_options.sql_dir, values, parse=False, on_skip=warn)
    except (PlatformError, ValueError) as exc:  # ValueError: a placeholder value
        state.fields["problems"] = [str(exc)]
        state.fail(f"validate: {exc}")
        return exc.exit_code if isinstance(exc, PlatformError) else EXIT_BAD_INPUT
    return _report(migration_commands.offline_problems(found), found.files, say, state)
