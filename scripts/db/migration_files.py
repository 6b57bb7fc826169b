"""Migration files: names, discovery, placeholders, checksums; no server involved.

Files are ``V<NNN>__<name>.sql`` (three or more digits, then two underscores, then
letters, digits and underscores), applied in version order, each exactly once (by
:class:`scripts.db.migrations.Runner`).

A version must fit the history's ``version INT UNSIGNED`` column (:data:`MAX_VERSION`) and
a description its ``VARCHAR(200)``: both are checked when the file is loaded, before
connecting.

Placeholders (Flyway-style, see :mod:`scripts.db.sql_placeholders`): the caller's values,
e.g. ``${database}``, and ``${ops_schema}``, which the runner fills itself with its
history schema (the history and the heartbeat live together there, whatever
``--ops-schema`` says). They are replaced when a file is loaded (``${ops_schema}`` with
:data:`DEFAULT_OPS_SCHEMA` there, and again with the runner's schema in
:meth:`Migration.with_ops_schema`), before it is split and long before anything is sent;
an unknown or malformed placeholder fails discovery naming the file and line, so no
statement of any file runs. The checksum is the file's as written, so one file has one
checksum whatever the values and another value is never an "edit". The history does not
record the values: a migration applied under one name is not applied again when the name
changes later (as with Flyway); the name is chosen once per environment.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from scripts.db.sql_placeholders import VALUE_RE, PlaceholderError, substitute, validate_values
from scripts.db.sql_split import SplitError, Statement, split_sql
from scripts.errors import EXIT_BAD_INPUT, PlatformError

FILE_RE = re.compile(r"^V(?P<version>\d{3,})__(?P<name>[A-Za-z0-9][A-Za-z0-9_]*)\.sql$")
# The history schema is also ${ops_schema}, pasted unquoted into migrations: the placeholder rule.
IDENTIFIER_RE = VALUE_RE

DEFAULT_OPS_SCHEMA = "ops"
# Filled by the runner, never by the caller: it must name the schema the history is in.
OPS_SCHEMA_PLACEHOLDER = "ops_schema"

# The history table's column types bound what a file may be (see scripts.db.migrations.HISTORY_DDL).
MAX_VERSION = 2**32 - 1  # version INT UNSIGNED
MAX_DESCRIPTION_CHARS = 200  # description VARCHAR(200)
# script VARCHAR(255) needs no check: a file name has at most 255 bytes on the file systems we run on.


class MigrationFileError(PlatformError, ValueError):
    """A migration file or directory is malformed (bad name, duplicate version, bad SQL text)."""

    exit_code = EXIT_BAD_INPUT
    label = "bad migration file"


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    path: Path
    checksum: str
    statements: tuple[Statement, ...]
    # The text as read (before substitution) and the values its statements were made with,
    # so the runner can fill ${ops_schema} with its own schema.
    source: str = field(default="", repr=False, compare=False)
    values: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    @property
    def script(self) -> str:
        return self.path.name

    def with_ops_schema(self, ops_schema: str) -> Migration:
        """This migration with ``${ops_schema}`` standing for ``ops_schema``."""
        values = dict(self.values)
        if (
            values.get(OPS_SCHEMA_PLACEHOLDER) == ops_schema
            or f"${{{OPS_SCHEMA_PLACEHOLDER}}}" not in self.source
        ):
            return self  # the statements would be the same
        values[OPS_SCHEMA_PLACEHOLDER] = ops_schema
        return replace(self, statements=_statements(self.path, self.source, values), values=_frozen(values))


def checksum(data: bytes) -> str:
    """sha256 of the file with CRLF normalised, so a Windows checkout is not an "edit"."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def validate_identifier(value: str, what: str) -> str:
    if not IDENTIFIER_RE.fullmatch(value):  # match() would let a trailing newline through
        raise ValueError(
            f"{what} must match {IDENTIFIER_RE.pattern} (a letter, then letters, digits or _; "
            f"at most 64), got {value!r}"
        )
    return value


def _frozen(values: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(values.items()))


def _load_values(placeholders: Mapping[str, str] | None) -> dict[str, str]:
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


def _statements(path: Path, text: str, values: Mapping[str, str]) -> tuple[Statement, ...]:
    try:
        # Values are plain identifiers: substituting first changes neither the split nor line numbers.
        return tuple(split_sql(substitute(text, values)))
    except (PlaceholderError, SplitError) as exc:
        raise MigrationFileError(f"migration file '{path}': {exc}") from None


def load_migration(path: Path, placeholders: Mapping[str, str] | None = None) -> Migration:
    """Read, substitute ``placeholders`` (name -> value), split and checksum one file.

    ``${ops_schema}`` is filled with :data:`DEFAULT_OPS_SCHEMA` here; ``Runner.run``
    fills it again with the runner's history schema.
    """
    values = _load_values(placeholders)
    match = FILE_RE.match(path.name)
    if match is None:
        raise MigrationFileError(
            f"migration file '{path}': name must look like V001__create_things.sql "
            f"(V, 3+ digits, two underscores, letters/digits/_)"
        )
    version, description = int(match["version"]), match["name"].replace("_", " ")
    _check_fits_history(path, version, description)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")  # an editor's BOM is not SQL
    except OSError as exc:
        raise MigrationFileError(f"migration file '{path}': cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise MigrationFileError(f"migration file '{path}': not UTF-8 (byte {exc.start})") from None
    statements = _statements(path, text, values)
    if not statements:
        raise MigrationFileError(f"migration file '{path}': contains no statements")
    return Migration(
        version=version,
        description=description,
        path=path,
        checksum=checksum(data),
        statements=statements,
        source=text,
        values=_frozen(values),
    )


def discover(sql_dir: Path, placeholders: Mapping[str, str] | None = None) -> list[Migration]:
    """All migrations in ``sql_dir`` in version order; every ``*.sql`` file must be a migration.

    ``placeholders`` (e.g. ``{"database": "shop"}``) fill ``${name}`` in every file; a bad
    value (or ``ops_schema``, which the runner sets) raises
    :class:`~scripts.db.sql_placeholders.PlaceholderError` before any file is read.
    """
    _load_values(placeholders)
    if not sql_dir.is_dir():
        raise MigrationFileError(f"migrations directory '{sql_dir}' does not exist or is not a directory")
    found: dict[int, Migration] = {}
    for path in sorted(sql_dir.iterdir()):
        if path.suffix.lower() != ".sql":
            continue
        migration = load_migration(path, placeholders)
        if migration.version in found:
            raise MigrationFileError(
                f"migrations '{found[migration.version].path}' and '{path}' have the same "
                f"version {migration.version}"
            )
        found[migration.version] = migration
    if not found:
        raise MigrationFileError(f"migrations directory '{sql_dir}' contains no V<NNN>__<name>.sql files")
    return [found[v] for v in sorted(found)]
