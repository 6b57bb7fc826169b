"""What one ``migrate`` run does, in order: the target, callbacks, versioned then repeatable files.

Pure: the runner (:class:`mysql_platform.db.migrations.Runner`) finds what is pending and runs the
steps; ``--dry-run`` prints them.

Order, as Flyway's: ``beforeMigrate``; then for each pending versioned file (version order, up to
the target) and then each pending repeatable file (description order): ``beforeEachMigrate``, the
file, ``afterEachMigrate``; last ``afterMigrate``. ``beforeMigrate`` and ``afterMigrate`` run on
every run, also when nothing is pending (Flyway's meaning: write them to be rerun).

Target (``--target N``, Flyway's ``target``): versioned files above N are left pending ("above
target"); N must be the version of a file, else the run is refused naming the nearest versions
(Flyway's ``failOnMissingTarget``, on by default). Repeatable files have no version: they apply
after the versioned files up to the target, as in Flyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mysql_platform.db.migration_files import Migration, MigrationFileError
from mysql_platform.db.migration_kinds import AFTER_EACH, AFTER_MIGRATE, BEFORE_EACH, BEFORE_MIGRATE

VERSIONED = "versioned"
REPEATABLE = "repeatable"
CALLBACK = "callback"


@dataclass(frozen=True)
class Step:
    kind: str  # VERSIONED, REPEATABLE or CALLBACK
    migration: Migration


def steps(
    versioned: Sequence[Migration], repeatable: Sequence[Migration], callbacks: Mapping[str, Migration]
) -> list[Step]:
    """The run's files in the order they run, callbacks included."""
    out = _callback(callbacks, BEFORE_MIGRATE)
    for kind, files in ((VERSIONED, versioned), (REPEATABLE, repeatable)):
        for migration in files:
            out += [
                *_callback(callbacks, BEFORE_EACH),
                Step(kind, migration),
                *_callback(callbacks, AFTER_EACH),
            ]
    return out + _callback(callbacks, AFTER_MIGRATE)


def _callback(callbacks: Mapping[str, Migration], event: str) -> list[Step]:
    found = callbacks.get(event)
    return [] if found is None else [Step(CALLBACK, found)]


def check_target(versioned: Sequence[Migration], target: int | None, what: str = "--target") -> None:
    """Refuse a target that is no file's version, naming the versions either side of it."""
    if target is None:
        return
    versions = sorted(m.version for m in versioned)
    if target in versions:
        return
    below = [v for v in versions if v < target]
    above = [v for v in versions if v > target]
    near = [f"{below[-1]} below" if below else "", f"{above[0]} above" if above else ""]
    nearest = ", ".join(n for n in near if n) or "none"
    raise MigrationFileError(
        f"{what} {target}: no migration file has version {target} (nearest: {nearest}); "
        "give the version of an existing V<NNN>__<name>.sql file"
    )


def up_to(versioned: Iterable[Migration], target: int | None) -> list[Migration]:
    """The files at or below ``target`` (all of them without one)."""
    return [m for m in versioned if target is None or m.version <= target]
