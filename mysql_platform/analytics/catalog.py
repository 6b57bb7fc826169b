"""The Glue catalog of the newest export: older exports' tables dropped, the crawler run, the
new tables listed.

The crawler crawls new export folders only (incremental), so the tables of an older export would
keep their names and the new export's tables would get hash suffixes. Dropping the older
export's table definitions first keeps the names stable: ``app_orders`` is always the newest
export. The data of older exports stays in S3 until the bucket's lifecycle expires it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from mysql_platform.analytics.aws_calls import translated
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
