"""``migrate undo``: run the ``U<NNN>__<name>.sql`` of the newest applied versions, newest first.

Without a target the newest applied version is undone; with ``--target N`` every applied version
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

from scripts.db import migration_files, ops_tables
from scripts.db.migration_apply import Outcome, Recording
from scripts.db.migration_errors import MigrationError
from scripts.db.migration_files import Migration
from scripts.db.migration_history import Applied, History, HistoryRow
from scripts.db.migration_kinds import MigrationSet
from scripts.db.migrations import Runner


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


def choose(
    applied: dict[int, Applied], undo: dict[int, Migration], target: int | None
) -> list[tuple[Applied, Migration]]:
    """The versions to undo, newest first, each with its undo file; refuses naming the first that
    cannot be undone. Empty when nothing is above the target (or the history is empty)."""
    if target is not None and target < 0:
        raise MigrationError(f"undo --target {target}: give a version number, 0 or more")
    newest_first = sorted(applied.values(), key=lambda a: a.version, reverse=True)
    chosen = [a for a in newest_first if a.version > target] if target is not None else newest_first[:1]
    out = []
    for row in chosen:
        if row.kind == "baseline":
            raise MigrationError(
                f"version {row.version} ({row.script}) was marked as applied by baseline, its statements "
                "never ran here, so there is nothing to undo; nothing was undone"
            )
        if ops_tables.is_retired(row):
            raise MigrationError(
                f"version {row.version} ({row.script}) is retired (the tool does its work now) and "
                "cannot be undone; nothing was undone"
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


def undo(runner: Runner, found: MigrationSet, target: int | None) -> UndoResult:
    """Undo the newest applied version (or all above ``target``), under the migration lock."""
    own = found.with_ops_schema(runner.schema)
    runner.ensure_history()
    with runner.locked():
        rows = runner.history.rows()  # after the lock, as migrate reads it
        chosen = plan(runner, own, target)
        done: list[tuple[Applied, Migration, float]] = []
        for row, file in chosen:
            done.append((row, file, runner.apply_file(file, rows, RECORDING)))
    return UndoResult(tuple(done))


def names(undone: Sequence[tuple[Applied, Migration, float]]) -> list[dict[str, object]]:
    return [
        {"version": row.version, "script": row.script, "undo_script": file.script, "duration_ms": round(ms)}
        for row, file, ms in undone
    ]
