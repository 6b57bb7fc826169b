"""The kinds of files in a migrations directory, as Flyway names them; no server involved.

- ``V<NNN>__<name>.sql``: versioned, applied once in version order (:mod:`mysql_platform.db.migration_files`);
- ``R__<name>.sql``: repeatable, applied after every versioned one in a run, in the order of their
  descriptions, and again whenever its checksum changes (:mod:`mysql_platform.db.migration_repeatables`);
- ``U<NNN>__<name>.sql``: the undo of version NNN, run by ``migrate undo``
  (:mod:`mysql_platform.db.migration_undo`);
- ``beforeMigrate.sql``, ``beforeEachMigrate.sql``, ``afterEachMigrate.sql``, ``afterMigrate.sql``:
  callbacks, run around a migrate run and around each file in it, never recorded
  (:mod:`mysql_platform.db.migration_callbacks`).

Every kind is read as the versioned files are: the same splitter, placeholders, checksums and
``.conf``. Any other ``*.sql`` name is refused, naming the kinds accepted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mysql_platform.db import migration_files
from mysql_platform.db.migration_files import FILE_RE, Migration, MigrationFileError, load_values

_log = logging.getLogger(__name__)

REPEATABLE_RE = re.compile(r"^R__(?P<name>[A-Za-z0-9][A-Za-z0-9_]*)\.sql$")
UNDO_RE = re.compile(r"^U(?P<version>\d{3,})__(?P<name>[A-Za-z0-9][A-Za-z0-9_]*)\.sql$")
# Flyway's event names; the order is the order they fire in around one file.
BEFORE_MIGRATE = "beforeMigrate"
BEFORE_EACH = "beforeEachMigrate"
AFTER_EACH = "afterEachMigrate"
AFTER_MIGRATE = "afterMigrate"
CALLBACKS = (BEFORE_MIGRATE, BEFORE_EACH, AFTER_EACH, AFTER_MIGRATE)
KINDS_ACCEPTED = (
    "V001__name.sql (versioned), R__name.sql (repeatable), U001__name.sql (undo of V001) or a "
    f"callback ({', '.join(f'{c}.sql' for c in CALLBACKS)}); name: letters, digits and _"
)


@dataclass(frozen=True)
class MigrationSet:
    """Every file of a migrations directory, by kind."""

    versioned: tuple[Migration, ...]
    repeatable: tuple[Migration, ...] = ()  # in the order they are applied (by description)
    undo: Mapping[int, Migration] = field(default_factory=dict)  # version -> its U file
    callbacks: Mapping[str, Migration] = field(default_factory=dict)  # event -> its file

    @property
    def files(self) -> int:
        return len(self.versioned) + len(self.repeatable) + len(self.undo) + len(self.callbacks)

    def all_files(self) -> list[Migration]:
        return [*self.versioned, *self.repeatable, *self.undo.values(), *self.callbacks.values()]

    def with_ops_schema(self, ops_schema: str) -> MigrationSet:
        return MigrationSet(
            versioned=tuple(m.with_ops_schema(ops_schema) for m in self.versioned),
            repeatable=tuple(m.with_ops_schema(ops_schema) for m in self.repeatable),
            undo={v: m.with_ops_schema(ops_schema) for v, m in self.undo.items()},
            callbacks={e: m.with_ops_schema(ops_schema) for e, m in self.callbacks.items()},
        )


def as_set(found: Sequence[Migration] | MigrationSet) -> MigrationSet:
    return found if isinstance(found, MigrationSet) else MigrationSet(versioned=tuple(found))


def kind_of(name: str) -> str | None:
    """'versioned', 'repeatable', 'undo' or 'callback' for a file name; None for anything else."""
    if FILE_RE.match(name):
        return "versioned"
    if REPEATABLE_RE.match(name):
        return "repeatable"
    if UNDO_RE.match(name):
        return "undo"
    if name.removesuffix(".sql") in CALLBACKS and name.endswith(".sql"):
        return "callback"
    return None


def discover_all(
    sql_dir: Path,
    placeholders: Mapping[str, str] | None = None,
    *,
    parse: bool = True,
    on_skip: Callable[[str], None] = _log.warning,
) -> MigrationSet:
    """Every file in ``sql_dir`` by kind; a ``*.sql`` file of no kind is refused, naming it.

    The rules of :func:`mysql_platform.db.migration_files.discover` hold for every kind (regular files
    only, placeholders checked, ``parse`` to split each file now).
    """
    load_values(placeholders)
    versioned: dict[int, Migration] = {}
    repeatable: list[Migration] = []
    undo: dict[int, Migration] = {}
    callbacks: dict[str, Migration] = {}
    for path in migration_files.sql_paths(sql_dir, on_skip):
        kind = kind_of(path.name)
        if kind == "versioned":
            _add(versioned, migration_files.load_migration(path, placeholders, parse=parse), "version")
        elif kind == "repeatable":
            description = REPEATABLE_RE.fullmatch(path.name)["name"].replace("_", " ")  # type: ignore[index]
            repeatable.append(_load(path, 0, description, placeholders, parse))
        elif kind == "undo":
            match = UNDO_RE.fullmatch(path.name)
            assert match is not None
            version, description = int(match["version"]), match["name"].replace("_", " ")
            _add(undo, _load(path, version, description, placeholders, parse), "undo version")
        elif kind == "callback":
            event = path.name.removesuffix(".sql")
            callbacks[event] = _load(path, 0, event, placeholders, parse)
        else:
            raise MigrationFileError(f"migration file '{path}': name must be one of {KINDS_ACCEPTED}")
    if not (versioned or repeatable):
        raise MigrationFileError(
            f"migrations directory '{sql_dir}' contains no V<NNN>__<name>.sql or R__<name>.sql files"
        )
    return MigrationSet(
        versioned=tuple(versioned[v] for v in sorted(versioned)),
        repeatable=tuple(sorted(repeatable, key=lambda m: (m.description, m.script))),
        undo={v: undo[v] for v in sorted(undo)},
        callbacks={e: callbacks[e] for e in CALLBACKS if e in callbacks},
    )


def _load(
    path: Path, version: int, description: str, placeholders: Mapping[str, str] | None, parse: bool
) -> Migration:
    # The same limits as a versioned file: the tables keep the version and the description.
    if version > migration_files.MAX_VERSION or len(description) > migration_files.MAX_DESCRIPTION_CHARS:
        raise MigrationFileError(
            f"migration file '{path}': version at most {migration_files.MAX_VERSION} and a name of at "
            f"most {migration_files.MAX_DESCRIPTION_CHARS} characters, got {version} and {len(description)}"
        )
    return migration_files.load_file(path, version, description, placeholders, parse=parse)


def _add(found: dict[int, Migration], migration: Migration, what: str) -> None:
    other = found.get(migration.version)
    if other is not None:
        raise MigrationFileError(
            f"migrations '{other.path}' and '{migration.path}' have the same {what} {migration.version}"
        )
    found[migration.version] = migration
