"""DuckDB over a local export: each table folder a view named as Athena names it.

DuckDB reads Parquet as a stream of row groups (projection and filter pushed into the scan), so
a query's memory follows its result and its aggregates, not the files' size; the connection's
``memory_limit`` caps it, spilling to a temporary directory beyond that. One machine is where
this stops: past that, Athena is the engine.

Raw landing files (``--landing NAME=FILE``) are views too, read as text (CSV: every column
VARCHAR): nothing is checked when they land, and the query's casts decide what a value means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb

from mysql_platform.analytics import layout
from mysql_platform.analytics.errors import BadInput, NotFound, TaskFailed

IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LANDING_READERS: Final = {
    ".csv": "read_csv({path}, header = true, all_varchar = true)",
    ".json": "read_json({path}, format = 'newline_delimited')",
    ".jsonl": "read_json({path}, format = 'newline_delimited')",
    ".ndjson": "read_json({path}, format = 'newline_delimited')",
}


@dataclass(frozen=True)
class LocalResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def exports(root: Path) -> list[Path]:
    """Finished exports under ``root``, oldest first (hidden ``.partial-*`` folders are not)."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    finished = [p for p in found if (p / layout.EXPORT_INFO.format(export_id=p.name)).is_file()]
    return sorted(
        finished, key=lambda p: (p / layout.EXPORT_INFO.format(export_id=p.name)).stat().st_mtime_ns
    )


def choose_export(root: Path, export_id: str | None) -> Path:
    found = exports(root)
    if export_id is not None:
        for path in found:
            if path.name == export_id:
                return path
        names = ", ".join(p.name for p in found) or "none"
        raise NotFound(f"no export '{export_id}' in {root} (exports there: {names})")
    if not found:
        raise NotFound(f"no export in {root}: run `mysql-platform local export` first")
    return found[-1]


def table_folders(export_dir: Path) -> dict[str, Path]:
    """Athena-style name -> folder, for every ``<database>/<database>.<table>`` of the export."""
    folders: dict[str, Path] = {}
    for database in sorted(p for p in export_dir.iterdir() if p.is_dir()):
        for folder in sorted(p for p in database.iterdir() if p.is_dir()):
            db_name, table = layout.split_folder_name(folder.name)
            folders[layout.athena_name(db_name, table)] = folder
    return folders


def parse_landing(pairs: list[str]) -> dict[str, Path]:
    landing: dict[str, Path] = {}
    for pair in pairs:
        name, eq, file = pair.partition("=")
        if not eq or not IDENTIFIER.fullmatch(name):
            raise BadInput(f"--landing '{pair}': expected NAME=FILE with NAME a plain identifier")
        path = Path(file)
        if path.suffix.lower() not in LANDING_READERS:
            raise BadInput(f"--landing {name}: '{file}' is not .csv, .json, .jsonl or .ndjson")
        if not path.is_file():
            raise NotFound(f"--landing {name}: no file '{file}'")
        landing[name] = path
    return landing


def connect(
    export_dir: Path | None, landing: dict[str, Path], *, memory_limit: str = "1GB"
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per exported table and per landing file."""
    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit})
    # Results need not keep the files' order, which lets scans stream in parallel.
    con.execute("SET preserve_insertion_order = false")
    views = table_folders(export_dir) if export_dir is not None else {}
    for name, folder in views.items():
        pattern = str(folder / "*" / f"*{layout.PARQUET_SUFFIX}")
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({_literal(pattern)})')
    if landing:
        # DuckDB 2.0's type pushdown moves a TRY_CAST over a CSV column into the CSV reader, where
        # it becomes a strict conversion that fails the scan; the text must reach the query's cast.
        con.execute("SET disabled_optimizers = 'type_pushdown'")
    for name, path in landing.items():
        if name in views:
            raise BadInput(f"--landing {name}: the export already has a table of that name")
        reader = LANDING_READERS[path.suffix.lower()].format(path=_literal(str(path.resolve())))
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {reader}')
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int) -> LocalResult:
    """Run ``sql``; DuckDB's message (syntax, unknown table, failed cast) becomes a TaskFailed."""
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(max_rows + 1) if columns else []
    except duckdb.Error as exc:
        raise TaskFailed(f"query failed: {exc}") from None
    return LocalResult(columns, rows[:max_rows], len(rows) > max_rows)


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        str(r[0])
        for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()
    ]
