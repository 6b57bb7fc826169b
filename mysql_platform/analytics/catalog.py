"""The Glue catalog of the newest export: older exports' tables dropped, the crawler run, the
new tables listed.

The crawler crawls new export folders only (incremental), so the tables of an older export would
keep their names and the new export's tables would get hash suffixes. Dropping the older
export's table definitions first keeps the names stable: ``app_orders`` is always the newest
export. The data of older exports stays in S3 until the bucket's lifecycle expires it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mysql_platform.analytics import layout
from mysql_platform.analytics.aws_calls import translated
from mysql_platform.analytics.display import shown
from mysql_platform.analytics.errors import TaskFailed

# GetCrawler's LastCrawl.Status values that mean the crawl did not do its work (Glue API reference).
CRAWL_FAILED: Final = frozenset({"FAILED", "CANCELLED"})


@dataclass(frozen=True)
class CatalogTable:
    name: str
    location: str


def tables(glue: Any, database: str) -> list[CatalogTable]:
    """The external tables of ``database`` with their S3 locations (views and others left out)."""
    with translated(f"listing the tables of Glue database '{database}'"):
        pages = glue.get_paginator("get_tables").paginate(DatabaseName=database)
        raw = [t for page in pages for t in page["TableList"]]
    return [
        CatalogTable(t["Name"], t.get("StorageDescriptor", {}).get("Location", ""))
        for t in raw
        if t.get("TableType", "EXTERNAL_TABLE") == "EXTERNAL_TABLE"
    ]


def under(location: str, prefix: str) -> bool:
    return location.rstrip("/").startswith(prefix.rstrip("/") + "/") or location.rstrip("/") == prefix.rstrip(
        "/"
    )


def drop_older(glue: Any, database: str, exports_url: str, keep_url: str) -> list[str]:
    """Drop the tables located under ``exports_url`` but not under ``keep_url``; their names."""
    dropped = []
    for table in tables(glue, database):
        if under(table.location, exports_url) and not under(table.location, keep_url):
            with translated(f"dropping Glue table '{database}.{table.name}' of an older export"):
                glue.delete_table(DatabaseName=database, Name=table.name)
            dropped.append(table.name)
    return dropped


def crawl(
    glue: Any,
    crawler: str,
    on_state: Callable[[str], None],
    *,
    timeout_s: float,
    poll_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Start the crawler (or join the run in progress) and wait until it is READY again."""
    with translated(f"starting Glue crawler '{crawler}'"):
        try:
            glue.start_crawler(Name=crawler)
        except glue.exceptions.CrawlerRunningException:
            on_state("already running: waiting for that run")
    deadline = clock() + timeout_s
    while True:
        with translated(f"reading Glue crawler '{crawler}'"):
            info = glue.get_crawler(Name=crawler)["Crawler"]
        state = str(info.get("State", ""))
        on_state(state)
        if state == "READY":
            break
        if clock() >= deadline:
            raise TaskFailed(f"Glue crawler '{crawler}' is still {state} after {timeout_s:g} s")
        sleep(poll_s)
    last = info.get("LastCrawl") or {}
    if str(last.get("Status", "")).upper() in CRAWL_FAILED:
        raise TaskFailed(
            f"Glue crawler '{crawler}' ended {last.get('Status')}: {last.get('ErrorMessage') or 'no message'}"
        )


@dataclass(frozen=True)
class Catalogued:
    """A Glue table of the newest export, its folder, and what it says about the names."""

    name: str
    folder: str
    """The table's location under the export: ``<database>/<database>.<table>`` for a table folder."""
    note: str


def _expected(folder: str) -> layout.TableNames | None:
    """The names of the table whose folder ``<database>/<database>.<table>`` is, else None.

    The database is the first folder, so the table folder is split after that name, not at its
    first dot: ``a.b/a.b.t`` is table ``t`` of database ``a.b`` (RDS writes
    ``database_name/schema_name.table_name/``: RDS User Guide, "File naming conventions for exports
    to Amazon S3")."""
    parts = folder.split("/")
    if len(parts) != 2 or not parts[0] or not parts[1].startswith(parts[0] + "."):
        return None
    database = parts[0]
    table = parts[1][len(database) + 1 :]
    return layout.names(database, table) if table else None


def compare(found: Sequence[CatalogTable], export_url: str, requested: Sequence[str] = ()) -> tuple[
    list[Catalogued], list[str]
]:  # fmt: skip
    """The crawler's tables under ``export_url`` against the mapping (:func:`layout.names`), and
    warnings: a table over several folders, a name the mapping gives another folder, a requested
    table with no catalog table. A crawler names a table after its folder, and partitions folders
    of similar schemas into one table (Glue Developer Guide, "How does a crawler determine when to
    create partitions?"), so what it gave is reported, never guessed at."""
    fresh = sorted((t for t in found if under(t.location, export_url)), key=lambda t: t.name)
    rows: list[Catalogued] = []
    warnings: list[str] = []
    expected_by_folder: dict[str, layout.TableNames] = {}
    for table in fresh:
        folder = table.location.rstrip("/")[len(export_url.rstrip("/")) + 1 :]
        names = _expected(folder)
        if names is None:
            rows.append(Catalogued(table.name, folder, "   (not one table's folder: see the warning)"))
            warnings.append(
                f"Glue table {shown(table.name)} covers '{shown(folder or '/')}', not one table's folder: "
                "the crawler merged folders into one table; its log is in CloudWatch, /aws-glue/crawlers"
            )
            continue
        expected_by_folder[folder] = names
        note = (
            ""
            if table.name == names.athena
            else f"   (named {shown(table.name)}, not {names.athena}: use {shown(table.name)})"
        )
        rows.append(Catalogued(table.name, folder, note))
    owner = {n.athena: folder for folder, n in expected_by_folder.items()}
    for row in rows:
        other = owner.get(row.name)
        if other is not None and other != row.folder:
            warnings.append(
                f"Glue table {shown(row.name)} reads '{shown(row.folder)}', but that name is the one "
                f"mysql-platform local query gives '{shown(other)}': a query written locally reads "
                "another table in Athena"
            )
    catalogued = {names.database + "." + names.table for names in expected_by_folder.values()}
    warnings += [
        f"{shown(name)} was exported, but the crawler catalogued no table at its folder"
        for name in requested
        if name not in catalogued
    ]
    return rows, warnings
