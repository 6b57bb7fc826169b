"""``migrate undo``: run the ``U<NNN>__<name>.sql`` of the most recently applied versions, newest first.

Without a target the most recently applied version is undone; with ``--target N`` every applied version
above N, down to N (not included). Each undo file runs in a session of its own, as a migration
does, and the version's history row is deleted in the transaction of the undo file's last
statements (as ``migrate`` writes it with a file's last statements). Before anything runs, every
version to undo must have its undo file and must have been applied by ``migrate`` (a ``baseline``
row's statements never ran here); otherwise nothing is undone and the refusal names the version.

What undo cannot do: MySQL and MariaDB commit DDL implicitly, so neither a migration nor its undo
is atomic, and an undo file runs the statements its author wrote: it cannot bring back rows or
columns the migration dropped or data it changed. It is a forward step that happens to reverse
the schema; restore a backup to get data back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mysql_platform.db import migration_files, migration_repeatables, ops_tables
from mysql_platform.db.migration_apply import Outcome, Recording
from mysql_platform.db.migration_errors import MigrationError
from mysql_platform.db.migration_files import Migration
from mysql_platform.db.migration_history import Applied, History, HistoryRow
from mysql_platform.db.migration_kinds import MigrationSet
from mysql_platform.db.migrations import Runner


@dataclass(frozen=True)
class UndoResult:
    undone: tuple[tuple[Applied, Migration, float], ...]  # (history row, undo file, ms), newest first


def _delete_row(history: History, migration: Migration, _outcome: Outcome) -> None:
    with history.conn.cursor() as cur:
        cur.execute(f"DELETE FROM {history.table} WHERE version = %s", (migration.version,))
        deleted = cur.rowcount
    if deleted != 1:  # another run removed it: the transaction (the file's last DML) rolls back
        raise MigrationError(
            f"undo {migration.script}: the history row of version {migration.version} was not there "
            "to delete (was it undone or repaired meanwhile?); its last statements were rolled back"
        )


def _without(history: History, migration: Migration, rows: list[HistoryRow]) -> list[HistoryRow]:
    return [r for r in rows if int(str(r[0])) != migration.version]


RECORDING = Recording(_delete_row, done="undid", rows_after=_without)


def _applied_order(row: Applied) -> tuple[str, int]:
    # applied_at has microseconds (TIMESTAMP(6)); the version breaks ties (a baseline's rows).
    return (str(row.applied_at or ""), row.version)


def choose(
    applied: dict[int, Applied], undo: dict[int, Migration], target: int | None
) -> list[tuple[Applied, Migration]]:
    """The versions to undo, newest first, each with its undo file; refuses naming the first that
    cannot be undone. Empty when nothing is above the target (or the history is empty)."""
    if target is not None and target < 0:
        raise MigrationError(f"undo --target {target}: give a version number, 0 or more")
    # Most recently applied first, as Flyway undoes (a version applied --out-of-order is newer than
    # the versions above it); the retired project migration is the tool's, not to undo.
    ours = [a for a in applied.values() if not ops_tables.is_retired(a)]
    newest_first = sorted(ours, key=_applied_order, reverse=True)
    chosen = [a for a in newest_first if a.version > target] if target is not None else newest_first[:1]
    out = []
    for row in chosen:
        if row.kind == "baseline":
            raise MigrationError(
                f"version {row.version} ({row.script}) was marked as applied by baseline, its statements "
                "never ran here, so there is nothing to undo; nothing was undone"
            )
        file = undo.get(row.version)
        if file is None:
            raise MigrationError(
                f"version {row.version} ({row.script}) has no undo file (U{row.script[1:].split('__')[0]}"
                f"__<name>.sql in the migrations directory); nothing was undone"
            )
        out.append((row, file))
    return out


def plan(runner: Runner, found: MigrationSet, target: int | None) -> list[tuple[Applied, Migration]]:
    """What :func:`undo` would run now; changes nothing."""
    own = found.with_ops_schema(runner.schema)
    applied = runner.applied()
    runner.verify(own.versioned, applied)
    return [(row, migration_files.check(u)) for row, u in choose(applied, dict(own.undo), target)]


def undo(
    runner: Runner,
    found: MigrationSet,
    target: int | None,
    *,
    done: list[tuple[Applied, Migration, float]] | None = None,
) -> UndoResult:
    """Undo the most recently applied version (or all above ``target``), under the migration lock;
    ``done`` (the caller's) gains each version as it is undone, so a failure part-way can say which."""
    own = found.with_ops_schema(runner.schema)
    runner.ensure_history()
    done = [] if done is None else done
    with runner.locked():
        rows = runner.history.rows()  # after the lock, as migrate reads it
        runner.guard = migration_repeatables.guard(runner.conn, runner.schema)
        chosen = plan(runner, own, target)
        for row, file in chosen:
            done.append((row, file, runner.apply_file(file, rows, RECORDING)))
    return UndoResult(tuple(done))


def names(undone: Sequence[tuple[Applied, Migration, float]]) -> list[dict[str, object]]:
    return [
        {"version": row.version, "script": row.script, "undo_script": file.script, "duration_ms": round(ms)}
        for row, file, ms in undone
    ]
