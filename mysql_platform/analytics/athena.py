"""One query in the stack's Athena workgroup: start, wait, read the result and what it scanned.

The workgroup enforces its result location and encryption, so the query names neither
(Athena User Guide, "Override client-side settings"). The first row of a SELECT's result is
its header (Athena API reference, GetQueryResults), which is left out here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from mysql_platform.analytics.aws_calls import translated
from mysql_platform.analytics.errors import TaskFailed

RUNNING: Final = frozenset({"QUEUED", "RUNNING"})
MB: Final = 1_000_000
# Athena bills at least 10 MB per query, rounded up to the next megabyte (Athena pricing page).
BILLED_MINIMUM: Final = 10 * MB


@dataclass(frozen=True)
class QueryResult:
    execution_id: str
    columns: list[str]
    types: list[str]
    rows: list[list[str | None]]
    bytes_scanned: int
    truncated: bool


def billed_bytes(scanned: int) -> int:
    """What Athena bills for a query that scanned ``scanned`` bytes."""
    rounded = -(-scanned // MB) * MB
    return max(rounded, BILLED_MINIMUM)


def start(athena: Any, sql: str, workgroup: str, database: str) -> str:
    with translated(f"starting the query in Athena workgroup '{workgroup}'"):
        answer = athena.start_query_execution(
            QueryString=sql, WorkGroup=workgroup, QueryExecutionContext={"Database": database}
        )
    return str(answer["QueryExecutionId"])


def wait(
    athena: Any,
    execution_id: str,
    *,
    timeout_s: float,
    poll_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """The finished execution; a failed or cancelled query, or the timeout, raises."""
    deadline = clock() + timeout_s
    while True:
        with translated(f"reading query {execution_id}"):
            execution: dict[str, Any] = athena.get_query_execution(QueryExecutionId=execution_id)[
                "QueryExecution"
            ]
        state = execution["Status"]["State"]
        if state == "SUCCEEDED":
            return execution
        if state not in RUNNING:
            reason = execution["Status"].get("StateChangeReason") or "Athena gave no reason"
            raise TaskFailed(f"query {execution_id} {state}: {reason}")
        if clock() >= deadline:
            with translated(f"cancelling query {execution_id}"):
                athena.stop_query_execution(QueryExecutionId=execution_id)
            raise TaskFailed(f"query {execution_id} still {state} after {timeout_s:g} s: cancelled")
        sleep(poll_s)


def results(
    athena: Any, execution_id: str, max_rows: int
) -> tuple[list[str], list[str], list[list[str | None]], bool]:
    """Column names, their Athena types, up to ``max_rows`` rows, and whether more were left."""
    rows: list[list[str | None]] = []
    columns: list[str] = []
    types: list[str] = []
    header_skipped = False
    with translated(f"reading the result of query {execution_id}"):
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
            result = page["ResultSet"]
            if not columns:
                info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [c["Name"] for c in info]
                types = [c.get("Type", "") for c in info]
            for raw in result.get("Rows", []):
                row = [cell.get("VarCharValue") for cell in raw.get("Data", [])]
                if not header_skipped and row == columns:
                    header_skipped = True
                    continue
                header_skipped = True
                if len(rows) == max_rows:
                    return columns, types, rows, True
                rows.append(row)
    return columns, types, rows, False


def run(
    athena: Any,
    sql: str,
    *,
    workgroup: str,
    database: str,
    max_rows: int,
    timeout_s: float,
    poll_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResult:
    execution_id = start(athena, sql, workgroup, database)
    execution = wait(athena, execution_id, timeout_s=timeout_s, poll_s=poll_s, sleep=sleep)
    columns, types, rows, truncated = results(athena, execution_id, max_rows)
    scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
    return QueryResult(execution_id, columns, types, rows, scanned, truncated)
