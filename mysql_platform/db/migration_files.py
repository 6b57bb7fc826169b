"""Migration files: names, discovery, placeholders, checksums; no server involved.

Files are ``V<NNN>__<name>.sql`` (three or more digits, then two underscores, then
letters, digits and underscores), applied in version order, each exactly once (by
:class:`mysql_platform.db.migrations.Runner`).

A version must fit the history's ``version INT UNSIGNED`` column (:data:`MAX_VERSION`) and
a description its ``VARCHAR(200)``: both are checked when the file is loaded, before
connecting.

Placeholders (Flyway-style, see :mod:`mysql_platform.db.sql_placeholders`): the caller's values,
e.g. ``${database}`` and ``${app_user}``, and ``${ops_schema}``, which the runner fills itself
with its history schema (the history and the heartbeat live together there, whatever
``--ops-schema`` says). An unknown or malformed placeholder fails naming the file and line
before any statement of any file runs. The checksum is the file's as written, so one file has
one checksum whatever the values and another value is never an "edit". The history does not
record the values: a migration applied under one name is not applied again when the name
changes later (as with Flyway); the name is chosen once per environment.

Files are read as a stream by :mod:`mysql_platform.db.sql_file` (:data:`CHUNK_BYTES` at a time, cut at
line ends): the checksum is computed on the way and statements are split as they come, so memory
follows the longest
statement, not the file. Loading a file reads it once for its checksum and, with ``parse``,
once more through the splitter to check it; applying reads it again.

Bytes, not text: a file is applied byte for byte, as the ``mariadb`` client does. Bytes that
are not UTF-8 are allowed inside string literals (``mysqldump`` writes BLOBs that way without
``--hex-blob``) and carried through unchanged (:func:`mysql_platform.db.sql_split.encoded`); anywhere
else they are an error naming the line. A UTF-8 byte order mark and CRLF line ends are not
part of the checksum, so adding or removing them is not an edit.
"""

from __future__ import annotations

import logging
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from mysql_platform.db import script_config
from mysql_platform.db.migration_errors import MigrationFileError as MigrationFileError
from mysql_platform.db.script_config import ScriptConfig
from mysql_platform.db.sql_file import CHUNK_BYTES as CHUNK_BYTES
from mysql_platform.db.sql_file import SqlFile, kind_of
from mysql_platform.db.sql_file import checksum as checksum
from mysql_platform.db.sql_placeholders import VALUE_RE, PlaceholderError, substitute_chunks, validate_values
from mysql_platform.db.sql_split import SplitError, Statement, iter_statements

_log = logging.getLogger(__name__)

FILE_RE = re.compile(r"^V(?P<version>\d{3,})__(?P<name>[A-Za-z0-9][A-Za-z0-9_]*)\.sql$")
# The history schema is also ${ops_schema}, pasted unquoted into migrations: the placeholder rule.
IDENTIFIER_RE = VALUE_RE

DEFAULT_OPS_SCHEMA = "ops"
# Filled by the runner, never by the caller: it must name the schema the history is in.
OPS_SCHEMA_PLACEHOLDER = "ops_schema"

# The history table's column types bound what a file may be (migration_history.HISTORY_DDL).
MAX_VERSION = 2**32 - 1  # version INT UNSIGNED
MAX_DESCRIPTION_CHARS = 200  # description VARCHAR(200)
# script VARCHAR(255) needs no check: a file name has at most 255 bytes on the file systems we run on.


@dataclass(frozen=True)
class Migration:
    """One migration file: what it is and how to read its statements again."""

    version: int
    description: str
    path: Path
    checksum: str
    # Statements counted when the file was parsed on loading; None when it was only checksummed.
    statement_count: int | None = None
    # The placeholder values its statements are made with (the runner sets ${ops_schema}).
    values: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    # The checksum the same content had before a byte order mark stopped counting: history rows
    # recorded then still match.
    legacy_checksum: str | None = field(default=None, repr=False, compare=False)
    # Its V<NNN>__<name>.sql.conf, if any (mysql_platform.db.script_config).
    config: ScriptConfig = field(default=ScriptConfig(), compare=False)

    @property
    def script(self) -> str:
        return self.path.name

    def matches(self, recorded: str) -> bool:
        """True if a history row's checksum is this file's (a BOM or CRLF change aside)."""
        return recorded in (self.checksum, self.legacy_checksum)

    def with_ops_schema(self, ops_schema: str) -> Migration:
        """This migration with ``${ops_schema}`` standing for ``ops_schema``."""
        values = dict(self.values)
        if values.get(OPS_SCHEMA_PLACEHOLDER) == ops_schema:
            return self
        values[OPS_SCHEMA_PLACEHOLDER] = ops_schema
        return replace(self, values=_frozen(values))

    def iter_statements(self) -> Iterator[Statement]:
        """The file's statements, read and split as a stream; checks the file did not change.

        Raises :class:`MigrationFileError` for bad text (naming the line), or when the checksum
        read now is not the one loaded (the file changed since).
        """
        source = SqlFile(self.path)
        yield from _statements(self.path, source.text_chunks(), self.placeholders())
        if source.checksum != self.checksum:
            raise MigrationFileError(
                f"migration file '{self.path}' changed while it was being applied (checksum "
                f"{source.checksum[:12]}, loaded as {self.checksum[:12]}); rerun"
            )

    def placeholders(self) -> dict[str, str] | None:
        """The values to substitute; None when the file's configuration turns substitution off."""
        return dict(self.values) if self.config.placeholder_replacement else None

    @property
    def statements(self) -> tuple[Statement, ...]:
        """All statements at once (reads the file; the runner streams :meth:`iter_statements`)."""
        return tuple(self.iter_statements())


def validate_identifier(value: str, what: str) -> str:
    if not IDENTIFIER_RE.fullmatch(value):  # match() would let a trailing newline through
        raise ValueError(
            f"{what} must match {IDENTIFIER_RE.pattern} (a letter, then letters, digits or _; "
            f"at most 64), got {value!r}"
        )
    return value


def _frozen(values: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(values.items()))


def load_values(placeholders: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's values plus ``${ops_schema}``, which only the runner may set."""
    values = dict(placeholders or {})
    validate_values(values)  # a bad value is the caller's error, not the file's
    if OPS_SCHEMA_PLACEHOLDER in values:
        raise PlaceholderError(
            f"placeholder ${{{OPS_SCHEMA_PLACEHOLDER}}} is set by the migration runner to its history "
            f"schema (Runner(history_schema=...), --ops-schema), got it from the caller as "
            f"{values[OPS_SCHEMA_PLACEHOLDER]!r}; leave it out"
        )
    values[OPS_SCHEMA_PLACEHOLDER] = DEFAULT_OPS_SCHEMA
    return values


def _check_fits_history(path: Path, version: int, description: str) -> None:
    # Found before connecting; the history INSERT would fail only after the statements ran.
    if version > MAX_VERSION:
        raise MigrationFileError(
            f"migration file '{path}': version {version} does not fit the history's version column "
            f"(INT UNSIGNED: 0 to {MAX_VERSION}); use a smaller number"
        )
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise MigrationFileError(
            f"migration file '{path}': name after the version has {len(description)} characters, "
            f"the history's description column holds at most {MAX_DESCRIPTION_CHARS}; shorten it"
        )


def _statements(path: Path, chunks: Iterable[str], values: Mapping[str, str] | None) -> Iterator[Statement]:
    """Statements of the text in ``chunks``; ``values`` None: no placeholder substitution."""
    try:
        # Values are plain identifiers: substituting first changes neither the split nor line numbers.
        # SqlFile turned CRLF into LF already.
        yield from iter_statements(
            chunks if values is None else substitute_chunks(chunks, values), crlf=False
        )
    except PlaceholderError as exc:
        raise _placeholder_error(path, exc) from None
    except SplitError as exc:
        raise MigrationFileError(f"migration file '{path}': {exc}") from None


def _placeholder_error(path: Path, exc: PlaceholderError) -> MigrationFileError:
    return MigrationFileError(
        f"migration file '{path}': {exc} (a file to apply as written, such as a dump, can turn "
        f"placeholders off: placeholderReplacement=false in {script_config.path_for(path).name})"
    )


def parse_name(path: Path) -> tuple[int, str]:
    """(version, description) from a ``V<NNN>__<name>.sql`` file name."""
    match = FILE_RE.match(path.name)
    if match is None:
        raise MigrationFileError(
            f"migration file '{path}': name must look like V001__create_things.sql "
            f"(V, 3+ digits, two underscores, letters/digits/_)"
        )
    version, description = int(match["version"]), match["name"].replace("_", " ")
    _check_fits_history(path, version, description)
    return version, description


def load_migration(
    path: Path, placeholders: Mapping[str, str] | None = None, *, parse: bool = True
) -> Migration:
    """Name, checksum and (with ``parse``) a full check of one ``V<NNN>__<name>.sql`` file."""
    version, description = parse_name(path)
    return load_file(path, version, description, placeholders, parse=parse)


def load_file(
    path: Path,
    version: int,
    description: str,
    placeholders: Mapping[str, str] | None = None,
    *,
    parse: bool = True,
) -> Migration:
    """One SQL file of any kind (versioned, repeatable, undo, callback) as a :class:`Migration`.

    ``${ops_schema}`` is :data:`DEFAULT_OPS_SCHEMA` here (``Runner.run`` sets the runner's).
    Without ``parse`` the file is only hashed; :func:`check` parses it before it is applied.
    """
    values = load_values(placeholders)
    try:
        config = script_config.load(path)
    except script_config.ScriptConfigError as exc:
        raise MigrationFileError(str(exc)) from None
    migration = Migration(version, description, path, checksum="", values=_frozen(values), config=config)
    return check(migration) if parse else _checksummed(migration)


def _checksummed(migration: Migration) -> Migration:
    """Hashed, and its placeholders checked (a typo fails here, before any connection)."""
    source = SqlFile(migration.path)
    values = migration.placeholders()
    try:
        if values is None:  # nothing to check in the text: the bytes are enough for the checksum
            for _raw in source.byte_chunks():
                pass
        else:
            for _chunk in substitute_chunks(source.text_chunks(), values):
                pass
    except PlaceholderError as exc:
        raise _placeholder_error(migration.path, exc) from None
    return replace(migration, checksum=source.checksum, legacy_checksum=source.legacy_checksum)


def check(migration: Migration) -> Migration:
    """``migration`` with its checksum and statement count, its whole text checked once."""
    if migration.statement_count is not None:
        return migration
    source = SqlFile(migration.path)
    count = sum(1 for _ in _statements(migration.path, source.text_chunks(), migration.placeholders()))
    if not count:
        raise MigrationFileError(f"migration file '{migration.path}': contains no statements")
    return replace(
        migration, checksum=source.checksum, legacy_checksum=source.legacy_checksum, statement_count=count
    )


def _not_regular(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file (after symlinks); None for a regular file."""
    try:
        mode = path.stat().st_mode  # stat() never opens: a FIFO cannot block it
    except OSError:
        return None  # a dangling symlink, say: loading it fails naming the file
    return None if stat.S_ISREG(mode) else kind_of(mode)


def discover(
    sql_dir: Path,
    placeholders: Mapping[str, str] | None = None,
    *,
    parse: bool = True,
    on_skip: Callable[[str], None] = _log.warning,
) -> list[Migration]:
    """The ``V<NNN>__<name>.sql`` files of ``sql_dir`` (:func:`sql_paths`) in version order; any
    other ``*.sql`` is refused (:func:`mysql_platform.db.migration_kinds.discover_all` takes every kind).

    ``placeholders`` (e.g. ``{"database": "shop"}``) fill ``${name}`` in every file; a bad value
    (or ``ops_schema``) raises :class:`~mysql_platform.db.sql_placeholders.PlaceholderError` before any
    file is read. Without ``parse`` files are named, hashed and their placeholders checked.
    """
    load_values(placeholders)
    found: dict[int, Migration] = {}
    for path in sql_paths(sql_dir, on_skip):
        migration = load_migration(path, placeholders, parse=parse)
        if migration.version in found:
            raise MigrationFileError(
                f"migrations '{found[migration.version].path}' and '{path}' have the same "
                f"version {migration.version}"
            )
        found[migration.version] = migration
    if not found:
        raise MigrationFileError(f"migrations directory '{sql_dir}' contains no V<NNN>__<name>.sql files")
    return [found[v] for v in sorted(found)]


def sql_paths(sql_dir: Path, on_skip: Callable[[str], None] = _log.warning) -> list[Path]:
    """The regular ``*.sql`` files in ``sql_dir`` (symlinks to them too), by name. A ``*.sql``
    FIFO, socket, device or directory is skipped and ``on_skip`` told its name and what it is (a
    FIFO would block the reader until something writes to it)."""
    if not sql_dir.is_dir():
        raise MigrationFileError(f"migrations directory '{sql_dir}' does not exist or is not a directory")
    paths = []
    for path in sorted(sql_dir.iterdir()):
        if path.suffix.lower() != ".sql":
            continue
        why = _not_regular(path)
        if why is not None:
            on_skip(f"skipped '{path}': {why}, not a migration file (only regular files are read)")
            continue
        paths.append(path)
    return paths
