"""The migration commands a Flyway user knows, over one connection: info, validate, repair,
baseline, a dry run; ``new`` needs no server. ``migrate`` itself is :meth:`Runner.run`.

Each function takes a :class:`~mysql_platform.db.migrations.Runner` (the connection, the history
schema, the lock) and the files (:func:`mysql_platform.db.migration_files.discover`); none prints:
the CLI (:mod:`mysql_platform.cli.migrate`) shows what they return.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mysql.connector.connection import MySQLConnection

from mysql_platform.db import (
    migration_files,
    migration_plan,
    migration_repeatables,
    migration_status,
    ops_tables,
    sql_shape,
)
from mysql_platform.db.migration_batches import BATCH_BYTES, batches
from mysql_platform.db.migration_files import FILE_RE, Migration, MigrationFileError
from mysql_platform.db.migration_history import Applied
from mysql_platform.db.migration_kinds import MigrationSet, as_set
from mysql_platform.db.migration_repeatables import RepeatableStatus
from mysql_platform.db.migrations import MigrationError, Runner
from mysql_platform.db.sql_split import Statement

# `new NAME`: what may follow V<NNN>__ in a file name.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")
# Placeholders are replaced everywhere, comments included (mysql_platform.db.sql_placeholders): the header
# names them with the escape `${{`, so it is valid whatever values a run has (${app_user} exists only
# for a plain user name). Kept apart from the first line: the text is full of braces.
NEW_FILE_HEADER = (
    "-- Applied once, in version order, by `mysql-platform migrate migrate` (or the bootstrap);\n"
    "-- never edit it once applied: add the next version instead. Write statements that converge when\n"
    "-- rerun after a failure part-way (CREATE ... IF NOT EXISTS, CREATE OR REPLACE, INSERT IGNORE).\n"
    "-- Placeholders: ${{database}, ${{app_user} and ${{ops_schema}. This comment writes them with the\n"
    "-- escape ${{ (a literal dollar and brace) so that it stays valid whatever the values.\n\n"
)


def info(
    runner: Runner, migrations: Sequence[Migration] | MigrationSet, *, target: int | None = None
) -> list[migration_status.VersionStatus]:
    """Every version's state (reads the history; changes nothing, creates nothing)."""
    found = as_set(migrations)
    migration_plan.check_target(found.versioned, target)
    applied = runner.applied()
    return migration_status.statuses(runner.own(found.versioned), applied, target=target, undo=found.undo)


def repeatable_info(runner: Runner, migrations: Sequence[Migration] | MigrationSet) -> list[RepeatableStatus]:
    """Every repeatable file's state, and the rows whose file is gone."""
    rows = migration_repeatables.read(runner.conn, runner.schema)
    return migration_repeatables.statuses(runner.own(as_set(migrations).repeatable), rows)


def validate(
    runner: Runner, migrations: Sequence[Migration] | MigrationSet, *, out_of_order: bool = False
) -> list[str]:
    """Problems with the files against the history, the files' text checked through; empty when fine."""
    found = info(runner, migrations)
    lines = migration_status.problems(found, out_of_order=out_of_order)
    lines += migration_repeatables.problems(repeatable_info(runner, migrations))
    return lines + offline_problems(migrations)


def offline_problems(migrations: Sequence[Migration] | MigrationSet) -> list[str]:
    """Every file of every kind read through the splitter (names and duplicates were checked when
    discovered), and every undo file matched to a versioned file."""
    found = as_set(migrations)
    lines = []
    for m in found.all_files():
        try:
            migration_files.check(m)
        except MigrationFileError as exc:
            lines.append(str(exc))
    versions = {m.version for m in found.versioned}
    lines += [
        f"{u.script} undoes version {v}, but there is no V file of version {v}"
        for v, u in found.undo.items()
        if v not in versions
    ]
    return lines


def dry_run(
    runner: Runner,
    migrations: Sequence[Migration] | MigrationSet,
    *,
    out_of_order: bool = False,
    target: int | None = None,
) -> Iterator[tuple[Migration, list[Statement]]]:
    """What ``migrate`` would send now: each file's round trips (callbacks included), in order."""
    for step in runner.plan(migrations, out_of_order=out_of_order, target=target):
        for batch in batches(step.migration.iter_statements(), runner.batch_statements, BATCH_BYTES):
            yield step.migration, batch


@dataclass(frozen=True)
class RepairPlan:
    """What ``repair`` would change, and what it will not."""

    remove: tuple[Applied, ...]  # history rows whose files are gone
    realign: tuple[tuple[Applied, Migration], ...]  # files only reformatted since they were applied
    refused: tuple[tuple[Applied, Migration, str], ...]  # files whose statements changed (and why)
    repeatables_gone: tuple[str, ...] = ()  # rows of repeatable files that are gone

    def changes(self) -> list[str]:
        lines = [
            f"remove the history row of version {r.version} ({r.script}): its file is gone"
            for r in self.remove
        ]
        lines += [
            f"remove the row of repeatable {script} from {migration_repeatables.TABLE}: its file is gone"
            for script in self.repeatables_gone
        ]
        lines += [
            f"re-align the checksum of {m.script} ({r.checksum[:12]} -> {m.checksum[:12]}): only its layout "
            "(whitespace, comments, line ends) changed"
            for r, m in self.realign
        ]
        return lines

    def refusals(self) -> list[str]:
        return [f"{m.script}: not re-aligned: {why}" for _r, m, why in self.refused]


def plan_repair(runner: Runner, migrations: Sequence[Migration] | MigrationSet) -> RepairPlan:
    """Compare the histories with the files; changes nothing."""
    found = as_set(migrations)
    gone = tuple(s.script for s in repeatable_info(runner, found) if s.state == migration_repeatables.MISSING)
    by_version = {m.version: m for m in runner.own(found.versioned)}
    remove, realign, refused = [], [], []
    for version, row in sorted(runner.applied().items()):
        migration = by_version.get(version)
        if migration is None and ops_tables.is_retired(row):
            continue  # gone on purpose: the tool does its work now
        if migration is None:
            remove.append(row)
        elif not migration.matches(row.checksum):
            why = _edit(row, migration)
            if why is None:
                realign.append((row, migration))
            else:
                refused.append((row, migration, why))
    return RepairPlan(tuple(remove), tuple(realign), tuple(refused), gone)


def _edit(row: Applied, migration: Migration) -> str | None:
    """Why ``migration`` is an edit of what was applied; None if only its layout changed."""
    if row.shape is None:
        return (
            "it was applied before the history kept the statements' shape, so a reformat cannot be "
            "told from an edit; restore the file as applied, or add a new version"
        )
    if sql_shape.shape(migration.iter_statements()) != row.shape:
        return "its statements changed since it was applied: restore the file, and add a new version instead"
    return None


def apply_repair(runner: Runner, plan: RepairPlan) -> None:
    """Make the changes in ``plan``, under the migration lock, in one transaction."""
    with runner.locked(), _transaction(runner.conn) as conn, conn.cursor() as cur:
        for row in plan.remove:
            cur.execute(
                f"DELETE FROM {runner.table} WHERE version = %s AND checksum = %s",
                (row.version, row.checksum),
            )
        for row, migration in plan.realign:
            cur.execute(
                f"UPDATE {runner.table} SET checksum = %s WHERE version = %s AND checksum = %s",
                (migration.checksum, row.version, row.checksum),
            )
        migration_repeatables.drop_rows(conn, runner.schema, plan.repeatables_gone)


def baseline(runner: Runner, migrations: Sequence[Migration] | MigrationSet, version: int) -> list[Migration]:
    """Mark the files up to ``version`` as applied, without running them, on an empty history.

    For a database that already has that schema (made by hand, or restored from a dump). The
    rows say ``kind = 'baseline'``; ``info`` shows them as such.
    """
    own = runner.own(as_set(migrations).versioned)
    marked = [m for m in own if m.version <= version]
    if not marked:
        raise MigrationError(
            f"baseline --version {version}: no migration file has a version up to {version} "
            f"(the lowest is {min(m.version for m in own)})"
        )
    runner.ensure_history()
    with runner.locked():
        existing = runner.applied()
        if existing:
            newest = max(existing.values(), key=lambda a: a.version)
            raise MigrationError(
                f"baseline needs an empty history, and {runner.table} already has {len(existing)} rows "
                f"(newest: version {newest.version}, {newest.script}); nothing changed"
            )
        with _transaction(runner.conn):
            for m in marked:
                checked = migration_files.check(m)
                shape = sql_shape.shape(checked.iter_statements())
                runner.history.insert(checked, count=0, duration_ms=0, kind="baseline", shape=shape)
    return marked


@contextmanager
def _transaction(conn: MySQLConnection) -> Iterator[MySQLConnection]:
    """The block's statements commit together, or not at all; autocommit again afterwards."""
    conn.autocommit = False
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.autocommit = True


def new_file(sql_dir: Path, name: str) -> Path:
    """Create the next ``V<NNN>__<name>.sql`` in ``sql_dir`` (the width of the existing numbers)."""
    if not NAME_RE.fullmatch(name):
        raise MigrationFileError(
            f"new: name must be letters, digits and _ (starting with a letter or digit), got {name!r}"
        )
    if not sql_dir.is_dir():
        raise MigrationFileError(f"migrations directory '{sql_dir}' does not exist or is not a directory")
    versions = [
        (int(m["version"]), len(m["version"])) for p in sql_dir.iterdir() if (m := FILE_RE.match(p.name))
    ]
    version = max((v for v, _ in versions), default=0) + 1
    width = max([3, *(w for _, w in versions)])
    path = sql_dir / f"V{version:0{width}d}__{name}.sql"
    migration_files.parse_name(path)  # the same limits as every other file (version, description)
    description = name.replace("_", " ")
    with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
        handle.write(f"-- {path.name}: {description}.\n" + NEW_FILE_HEADER)
    return path
