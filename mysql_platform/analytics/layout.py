"""Where an export's files go and what its tables are called, for RDS exports and local ones alike.

RDS writes ``<export id>/<database>/<database>.<table>/<batch>/part-<partition>-<uuid>.gz.parquet``
(RDS User Guide, "File naming conventions for exports to Amazon S3"); the local export writes the
same layout, so one set of names and one SQL serve both.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Final

from mysql_platform.analytics.errors import BadInput

# A partial export (ExportOnly) accepts only names of Latin letters, digits, '$' and '_' (RDS User
# Guide, "Limitations" of exporting snapshots to S3).
NAME_RE: Final = re.compile(r"[A-Za-z0-9_$]+")
# Export task identifiers here: a letter, then letters, digits and single hyphens.
EXPORT_ID_RE: Final = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")
EXPORT_ID_MAX: Final = 60
EXPORT_INFO: Final = "export_info_{export_id}.json"
PARQUET_SUFFIX: Final = ".gz.parquet"


def table_folder(export_id: str, database: str, table: str) -> PurePosixPath:
    """``<export id>/<database>/<database>.<table>``: one table's folder in an export."""
    return PurePosixPath(export_id, database, f"{database}.{table}")


def part_file(batch: int, partition: int, uuid: str) -> PurePosixPath:
    """``<batch>/part-<partition, 5 digits>-<uuid>.gz.parquet`` inside a table's folder."""
    return PurePosixPath(str(batch), f"part-{partition:05d}-{uuid}{PARQUET_SUFFIX}")


def athena_name(database: str, table: str) -> str:
    """The catalog name of ``database.table``'s folder.

    A Glue crawler names a table after its folder, and Athena takes only lower-case letters,
    digits and underscores in table names (Athena User Guide, "Name databases, tables, and
    columns"); so ``app.orders`` is ``app_orders``. The export command prints the names the
    crawler actually gave, and warns where one differs from this.
    """
    return re.sub(r"[^a-z0-9_]", "_", f"{database}.{table}".lower())


def split_folder_name(folder: str) -> tuple[str, str]:
    """``app.orders`` -> (``app``, ``orders``): the database and table of a table folder."""
    database, dot, table = folder.partition(".")
    if not dot or not database or not table:
        raise BadInput(f"'{folder}' is not a table folder name (expected DATABASE.TABLE)")
    return database, table


def parse_tables(text: str) -> tuple[str, ...]:
    """``--tables app.orders,app.customers``: each DATABASE.TABLE, as a partial export takes them."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise BadInput(f"--tables '{text}': expected DATABASE.TABLE[,DATABASE.TABLE...]")
    for name in names:
        parts = name.split(".")
        if len(parts) != 2 or not all(NAME_RE.fullmatch(p) for p in parts):
            raise BadInput(
                f"--tables: '{name}' is not DATABASE.TABLE with names of letters, digits, '$' and '_' "
                "(what an RDS partial export accepts)"
            )
    return names


def check_export_id(export_id: str) -> str:
    if len(export_id) > EXPORT_ID_MAX or not EXPORT_ID_RE.fullmatch(export_id):
        raise BadInput(
            f"export id '{export_id}': expected a letter, then letters, digits and single hyphens, "
            f"at most {EXPORT_ID_MAX} characters"
        )
    return export_id
