"""Where an export's files go and what its tables are called, for RDS exports and local ones alike.

RDS writes ``<export id>/<database>/<database>.<table>/<batch>/part-<partition>-<uuid>.gz.parquet``
(RDS User Guide, "File naming conventions for exports to Amazon S3"); the local export writes the
same layout, so one set of names and one SQL serve both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final

from mysql_platform.analytics.display import shown, shown_table
from mysql_platform.analytics.errors import BadInput

# A partial export (ExportOnly) accepts only names of Latin letters, digits, '$' and '_' (RDS User
# Guide, "Limitations" of exporting snapshots to S3).
NAME_RE: Final = re.compile(r"[A-Za-z0-9_$]+")
# Export task identifiers here: a letter, then letters, digits and single hyphens.
EXPORT_ID_RE: Final = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")
EXPORT_ID_MAX: Final = 60
EXPORT_INFO: Final = "export_info_{export_id}.json"
PARQUET_SUFFIX: Final = ".gz.parquet"


# Athena and Glue: table names in lower case, 1 to 255 bytes (Athena User Guide, "Name databases,
# tables, and columns"; Glue Developer Guide, "Table API", Table.Name: a UTF-8 string of 1 to 255
# bytes, entirely lower case for Hive compatibility), and underscore the only special character
# Athena supports in them (AWS Knowledge Center, "parse-exception-missing-eof-athena"). A name that
# starts with a digit or an underscore must be quoted in Athena SQL (the same User Guide page).
ATHENA_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,255}")
ATHENA_NAME_MAX: Final = 255
# A folder name: at most 255 bytes on the common file systems (ext4, APFS, NTFS); the names here are
# ASCII, so characters are bytes.
FOLDER_NAME_MAX: Final = 255
# A name kept as it is: nothing a file system, a glob or a case-insensitive catalog reads otherwise.
PLAIN_RE: Final = re.compile(r"[a-z0-9_]+")
# The tail a hashed name ends with. A name that already ends so is hashed too: then no kept name can
# equal another table's hashed name (``Orders`` is ``orders_13b4465d67``; a table really called
# ``orders_13b4465d67`` is hashed again), so kept and hashed names are two disjoint sets.
HASHED_TAIL: Final = re.compile(r"_[0-9a-f]{10}$")
# 40 bits of SHA-256: two given names share a digest with a chance of 2**-40; names_of() refuses
# such a pair rather than trusting that it never happens.
DIGEST_CHARS: Final = 10


@dataclass(frozen=True)
class TableNames:
    """One table's names in an export: its folders and its query name."""

    database: str
    table: str
    database_folder: str
    """The database's folder inside an export."""
    folder: str
    """The table's folder inside the database's folder."""
    athena: str
    """The table's name in Athena (what the crawler is expected to give) and in ``local query``."""


def _plain(name: str) -> bool:
    """Kept as it is: ``[a-z0-9_]`` only, and not ending as a hashed name does."""
    return bool(PLAIN_RE.fullmatch(name)) and not HASHED_TAIL.search(name)


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", name.lower()) or "_"


def _digest(*parts: str) -> str:
    exact = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(exact).hexdigest()[:DIGEST_CHARS]


def _bounded(text: str, digest: str | None, limit: int) -> str:
    if digest is None:
        return text
    return f"{text[: limit - len(digest) - 1]}_{digest}"


def names(database: str, table: str) -> TableNames:
    """The folders and the query name of ``database.table``: the one mapping, for RDS and local exports.

    A name of lower-case letters, digits and underscores is kept: ``app.orders`` is the folder
    ``app/app.orders`` (what RDS writes: RDS User Guide, "File naming conventions for exports to
    Amazon S3") and the table ``app_orders`` (what the Glue crawler names it, after the folder).
    Any other name (upper case, ``-``, ``$``, a dot, a slash, unicode, over-long, or a name that
    already ends as a hashed one does, ``_`` and 10 hex digits) is lower-cased,
    each other character becomes ``_``, and a suffix of 10 hex digits of the SHA-256 of the exact
    original name is added: ``app.sales-2024`` is ``app_sales_2024_<digest>``. So the name depends
    on the table alone, never on which other tables exist (it is the same in every export), and
    two tables that normalise alike (``sales-2024`` and ``sales_2024``, ``Orders`` and ``orders``,
    NFC and NFD forms of one word) get different names. A folder then holds only ``[a-z0-9_.]``:
    no ``/``, no ``..``, no leading dot, no glob character, nothing a case-insensitive file system
    folds, and at most 255 characters. A kept name never ends as a hashed one does, so a kept name
    and a hashed one never meet. :func:`names_of` checks a whole export's names for the collisions
    a per-name rule cannot rule out: two kept names across databases (``a_b.c`` against
    ``a.b_c``), or two hashed names whose digests agree.

    On AWS, RDS names the folders and the crawler the tables: where the crawler's name for a table
    differs from ``athena`` here, the export command says so.
    """
    db_digest = None if _plain(database) and len(database) <= FOLDER_NAME_MAX else _digest(database)
    # ``db_table`` is checked whole: ``x_ab.0123456789`` would end as a hashed name does.
    plain = _plain(database) and _plain(table) and _plain(f"{database}_{table}")
    digest = None if plain and len(database) + len(table) < FOLDER_NAME_MAX else _digest(database, table)
    return TableNames(
        database,
        table,
        _bounded(_safe(database), db_digest, FOLDER_NAME_MAX),
        _bounded(f"{_safe(database)}.{_safe(table)}", digest, FOLDER_NAME_MAX),
        _bounded(f"{_safe(database)}_{_safe(table)}", digest, ATHENA_NAME_MAX),
    )


def names_of(tables: Iterable[tuple[str, str]]) -> list[TableNames]:
    """The names of every (database, table) of one export; two tables given one name are refused."""
    found = [names(database, table) for database, table in tables]
    for key in ("athena", "folder"):
        seen: dict[tuple[str, ...], TableNames] = {}
        for n in found:
            folded = (n.database_folder, n.folder) if key == "folder" else (n.athena,)
            other = seen.setdefault(folded, n)
            if other is not n:
                first, second = shown_table(other.database, other.table), shown_table(n.database, n.table)
                raise BadInput(
                    f"tables '{first}' and '{second}' would both be '{'/'.join(folded)}' in the export: "
                    "rename one of them"
                )
    return found


def table_folder(export_id: str, database: str, table: str) -> PurePosixPath:
    """``<export id>/<database folder>/<table folder>``: one table's folder in an export."""
    n = names(database, table)
    return PurePosixPath(export_id, n.database_folder, n.folder)


def part_file(batch: int, partition: int, uuid: str) -> PurePosixPath:
    """``<batch>/part-<partition, 5 digits>-<uuid>.gz.parquet`` inside a table's folder."""
    return PurePosixPath(str(batch), f"part-{partition:05d}-{uuid}{PARQUET_SUFFIX}")


def athena_name(database: str, table: str) -> str:
    """The Athena name of ``database.table``: see :func:`names`."""
    return names(database, table).athena


def split_folder_name(folder: str) -> tuple[str, str]:
    """``app.orders`` -> (``app``, ``orders``): the database and table of a table folder."""
    database, dot, table = folder.partition(".")
    if not dot or not database or not table:
        raise BadInput(f"'{shown(folder)}' is not a table folder name (expected DATABASE.TABLE)")
    return database, table


def parse_tables(text: str) -> tuple[str, ...]:
    """``--tables app.orders,app.customers``: each DATABASE.TABLE, as a partial export takes them."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise BadInput(f"--tables '{shown(text)}': expected DATABASE.TABLE[,DATABASE.TABLE...]")
    for name in names:
        parts = name.split(".")
        if len(parts) != 2 or not all(NAME_RE.fullmatch(p) for p in parts):
            raise BadInput(
                f"--tables: '{shown(name)}' is not DATABASE.TABLE with names of letters, digits, '$' and '_' "
                "(what an RDS partial export accepts)"
            )
    twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if twice is not None:
        raise BadInput(f"--tables: '{shown(twice)}' is given twice: expected each table once")
    return names


def check_export_id(export_id: str) -> str:
    if len(export_id) > EXPORT_ID_MAX or not EXPORT_ID_RE.fullmatch(export_id):
        raise BadInput(
            f"export id '{export_id}': expected a letter, then letters, digits and single hyphens, "
            f"at most {EXPORT_ID_MAX} characters"
        )
    return export_id
