"""``local export`` and ``local query`` against a real local environment: every exported table comes
back from Parquet, through DuckDB, with the same rows; schema on write against schema on read."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from mysql_platform import errors
from mysql_platform.analytics import local_export
from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.cli import local as local_cli
from mysql_platform.local.env import LocalEnv
from tests.support import docs
from tests.support.local_analytics import catch_up, run_local
from tests.support.migration_fixtures import FIXTURE_SQL
from tests.support.row_checksum import checksum

ALL_TYPES_DDL = """
CREATE TABLE app.all_types (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT,
  mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, flag TINYINT(1),
  d DECIMAL(12,2), d0 DECIMAL(30,0), f FLOAT, db DOUBLE, b BIT(10), y YEAR,
  dd DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(3),
  c CHAR(3), vc VARCHAR(50), tx TEXT, e ENUM('new','paid'), st SET('a','b','c'), js JSON,
  bn BINARY(4), vb VARBINARY(8), bl BLOB
)"""
ALL_TYPES_ROWS = [
    "(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,"
    " -9223372036854775808, 18446744073709551615, 1, -9999999999.99, 123456789012345678901234567890,"
    " 3.40282e38, 1.7976931348623157e308, b'1111111111', 2155, '9999-12-31',"
    " '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999', '-838:59:59.000', 'abc',"
    " 'zażółć 🐬', REPEAT('x', 5000), 'paid', 'c,a', '{\"k\": [1, 2]}', 'ab', x'00ff', x'deadbeef')",
    "(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.01, 0, 0.1, 0.1, b'0', 1901, '1000-01-01',"
    " '1000-01-01 00:00:00', '1970-01-01 00:00:01', '25:00:00.5', '', '', '', 'new', '', '[]', '',"
    " '', '')",
    "(3" + ", NULL" * 30 + ")",
]
# The reference read, written out by hand: TIME and SET as the server prints them, BIT as a number.
ALL_TYPES_REFERENCE = (
    "SELECT id, ti, tu, si, su, mi, mu, i, iu, bi, bu, flag, d, d0, f, db, CAST(b AS UNSIGNED), y, dd,"
    " dtm, ts, CAST(tm AS CHAR), c, vc, tx, e, CAST(st AS CHAR), js, bn, vb, bl FROM app.all_types"
)
FLOAT_COLUMN = 14
ORDERS = 30_000


@pytest.fixture(scope="module")
def seeded(env: LocalEnv) -> LocalEnv:
    """The bootstrap's schema with customers, orders and items, plus a table of every column type."""
    assert bootstrap_cli.main(["--outputs", str(env.outputs_path), "--sql-dir", str(FIXTURE_SQL)]) == 0
    # A current database: MariaDB's seq_1_to_N tables (the Sequence engine) need one.
    with env.connect("writer", database="app") as conn, conn.cursor() as cur:
        cur.execute("SET SESSION time_zone = '+00:00'")
        cur.execute(ALL_TYPES_DDL)
        cur.execute("INSERT INTO app.all_types VALUES " + ", ".join(ALL_TYPES_ROWS))
        # No primary key, duplicate rows: read in one streamed SELECT instead of key ranges.
        cur.execute("CREATE TABLE app.no_key (note VARCHAR(20), n INT)")
        cur.execute("INSERT INTO app.no_key SELECT IF(seq % 3, 'same', NULL), seq % 5 FROM seq_1_to_1000")
        cur.execute(
            "INSERT INTO app.customers (email, display_name) SELECT CONCAT('c', seq, '@example.com'), "
            "CONCAT('Customer ', seq) FROM seq_1_to_200"
        )
        cur.execute(
            "INSERT INTO app.products (sku, title, price_cents, stock) "
            "SELECT CONCAT('SKU-', seq), CONCAT('Product ', seq), seq * 100, 1000 FROM seq_1_to_50"
        )
        cur.execute(
            "INSERT INTO app.orders (customer_id, status, total_cents, created_at) "
            f"SELECT 1 + seq % 200, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled'), seq * 7, "
            f"'2026-01-01' + INTERVAL seq MINUTE FROM seq_1_to_{ORDERS}"
        )
        cur.execute(
            "INSERT INTO app.order_items (order_id, product_id, quantity, unit_price_cents) "
            "SELECT id, 1 + id % 50, 1 + id % 3, 100 * (1 + id % 50) FROM app.orders"
        )
        # A second item in every other order: the two-column key's ranges cross inside an order.
        cur.execute(
            "INSERT INTO app.order_items (order_id, product_id, quantity, unit_price_cents) "
            "SELECT id, 1 + (id + 7) % 50, 2, 100 FROM app.orders WHERE id % 2 = 0"
        )
    catch_up(env)
    return env


@pytest.fixture(scope="module")
def exported(seeded: LocalEnv) -> Path:
    assert local_cli.main(["--state-dir", str(seeded.state_dir), "export"]) == 0
    (path,) = (seeded.state_dir / "exports").iterdir()
    return path


def _reference(env: LocalEnv, table: str) -> tuple[int, str]:
    sql = ALL_TYPES_REFERENCE if table == "all_types" else f"SELECT * FROM app.`{table}`"
    with env.connect("replica") as conn, conn.cursor() as cur:
        cur.execute("SET SESSION time_zone = '+00:00'")
        cur.execute(sql)
        return checksum(cur.fetchall(), frozenset({FLOAT_COLUMN}) if table == "all_types" else frozenset())


def _from_parquet(export: Path, table: str) -> tuple[int, str]:
    files = str(export / "app" / f"app.{table}" / "*" / "*.gz.parquet")
    rows = duckdb.connect().execute("SELECT * FROM read_parquet(?)", [files]).fetchall()
    return checksum(rows, frozenset({FLOAT_COLUMN}) if table == "all_types" else frozenset())


@pytest.mark.parametrize("table", ["all_types", "customers", "products", "orders", "order_items", "no_key"])
def test_every_exported_table_has_the_same_rows(seeded: LocalEnv, exported: Path, table: str) -> None:
    count, digest = _reference(seeded, table)
    assert count > 0
    assert _from_parquet(exported, table) == (count, digest)


def test_a_changed_value_changes_the_checksum(seeded: LocalEnv, exported: Path) -> None:
    # The comparison above can fail: one value off, and the checksums differ.
    count, digest = _reference(seeded, "orders")
    files = str(exported / "app" / "app.orders" / "*" / "*.gz.parquet")
    rows = duckdb.connect().execute(
        "SELECT id, customer_id, status, total_cents + (id = 17)::INT, created_at FROM read_parquet(?)",
        [files],
    )
    assert checksum(rows.fetchall()) != (count, digest)


def test_the_export_has_the_rds_layout_and_codec(exported: Path) -> None:
    export_id = exported.name
    assert re.fullmatch(r"local-\d{8}-\d{6}-\d{6}", export_id)
    info = json.loads((exported / f"export_info_{export_id}.json").read_text())
    assert {t["table"]: t["rows"] for t in info["tables"]}["orders"] == ORDERS
    parts = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*.parquet"))
    assert len(parts) == 6  # the bootstrap's four tables, all_types, no_key: the app database only
    for part in parts:
        assert re.fullmatch(r"app/app\.\w+/1/part-00000-[0-9a-f]{32}\.gz\.parquet", part), part
        meta = pq.ParquetFile(exported / part).metadata
        assert meta.row_group(0).column(0).compression == "GZIP"


def test_types_follow_the_rds_conversions(exported: Path) -> None:
    schema = pq.read_schema(next((exported / "app" / "app.all_types").rglob("*.parquet")))
    types = {f.name: str(f.type) for f in schema}
    assert types["tu"] == "int16" and types["iu"] == "int64" and types["bu"] == "decimal128(20, 0)"
    assert types["d"] == "decimal128(12, 2)" and types["f"] == "float" and types["db"] == "double"
    assert types["dtm"] == "timestamp[us]" and types["dd"] == "date32[day]"
    assert types["tm"] == types["st"] == types["js"] == types["e"] == "string"
    assert types["bl"] == types["vb"] == "binary"


def test_large_tables_split_into_files_and_read_back_whole(seeded: LocalEnv, tmp_path: Path) -> None:
    # Many key ranges (a one-column key, and a two-column one) and several files per table.
    with seeded.connect("replica") as conn:
        summary = local_export.export_database(
            conn, "app", tmp_path, "split-test", only=("app.orders", "app.order_items"),
            batch_rows=4096, rows_per_file=10_000,
        )  # fmt: skip
    assert [(t.table, t.rows, t.files) for t in summary.tables] == [
        ("orders", ORDERS, 3),
        ("order_items", ORDERS + ORDERS // 2, 4),
    ]
    for table in ("orders", "order_items"):
        assert _from_parquet(tmp_path / "split-test", table) == _reference(seeded, table)


def test_query_names_tables_as_athena_does(
    exported: Path, seeded: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_local(
        capsys,
        "--state-dir",
        str(seeded.state_dir),
        "query",
        "--json",
        "SELECT status, count(*) AS orders FROM app_orders GROUP BY status ORDER BY status",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["export"] == exported.name
    assert result["rows"] == [
        {"status": s, "orders": ORDERS // 4} for s in ("cancelled", "new", "paid", "shipped")
    ]


def readme_queries() -> list[str]:
    """The SQL of the analytics page's `local query` examples (the same text `analytics query` sends)."""
    found = re.findall(r'^mysql-platform local query "([^"]+)"$', docs.page("analytics"), flags=re.M)
    assert len(found) >= 3, "docs/analytics.md's examples are missing"
    return found


@pytest.mark.parametrize("sql", readme_queries())
def test_the_readme_examples_run_locally(
    exported: Path, seeded: LocalEnv, sql: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_local(capsys, "--state-dir", str(seeded.state_dir), "query", "--json", sql)
    assert code == 0, err
    assert json.loads(out)["rows"], f"no rows from: {sql}"


def test_only_the_named_tables_with_tables(seeded: LocalEnv, capsys: pytest.CaptureFixture[str]) -> None:
    before = set((seeded.state_dir / "exports").iterdir())
    code, _, err = run_local(
        capsys, "--state-dir", str(seeded.state_dir), "export", "--tables", "app.products"
    )
    assert code == 0, err
    (new,) = set((seeded.state_dir / "exports").iterdir()) - before
    assert [p.name for p in (new / "app").iterdir()] == ["app.products"]
    for bad, expected in (("app.nope", errors.EXIT_NOT_FOUND), ("other.t", errors.EXIT_BAD_INPUT),
                          ("app.orders;drop", errors.EXIT_BAD_INPUT)):  # fmt: skip
        code, _, err = run_local(capsys, "--state-dir", str(seeded.state_dir), "export", "--tables", bad)
        assert code == expected, err
        assert bad.split(",")[0] in err


def test_a_failed_export_leaves_nothing_behind(seeded: LocalEnv, tmp_path: Path) -> None:
    with seeded.connect("writer") as conn, conn.cursor() as cur:
        cur.execute("CREATE DATABASE geo")
        cur.execute("CREATE TABLE geo.a (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO geo.a VALUES (1)")
        cur.execute("CREATE TABLE geo.b (id INT PRIMARY KEY, p POINT)")
    catch_up(seeded)
    with (
        seeded.connect("replica") as conn,
        pytest.raises(local_export.BadInput, match="column 'p' has type point"),
    ):
        local_export.export_database(conn, "geo", tmp_path, "geo-export")
    assert list(tmp_path.iterdir()) == []


def test_query_errors_are_named(seeded: LocalEnv, exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = str(seeded.state_dir)
    code, _, err = run_local(capsys, "--state-dir", state, "query", "SELECT * FROM app_nope")
    assert code == errors.EXIT_TASK_FAILED and "app_nope" in err and "Traceback" not in err
    code, _, err = run_local(capsys, "--state-dir", state, "query", "--export", "local-1", "SELECT 1")
    assert code == errors.EXIT_NOT_FOUND and "no export 'local-1'" in err


def test_without_an_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_local(capsys, "--state-dir", str(tmp_path), "export")
    assert code == errors.EXIT_NOT_FOUND and "run `mysql-platform local up` first" in err
    code, _, err = run_local(capsys, "--state-dir", str(tmp_path), "query", "SELECT 1")
    assert code == errors.EXIT_NOT_FOUND and "run `mysql-platform local export` first" in err


# --- schema on write against schema on read ------------------------------------------------------


def test_mysql_rejects_a_bad_value_at_write_time(seeded: LocalEnv) -> None:
    import mysql.connector

    with seeded.connect("writer") as conn, conn.cursor() as cur:
        with pytest.raises(mysql.connector.Error) as caught:
            cur.execute("INSERT INTO app.products (sku, title, price_cents) VALUES ('X-2', 'Cup', 'twelve')")
        assert caught.value.errno == 1366  # ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: strict mode
        cur.execute("SELECT COUNT(*) FROM app.products WHERE sku = 'X-2'")
        assert cur.fetchone() == (0,)


@pytest.fixture
def landing(tmp_path: Path) -> dict[str, Path]:
    csv = tmp_path / "products.csv"
    csv.write_text("sku,title,price_cents\nX-1,Mug,1200\nX-2,Cup,twelve\nX-3,Jug,\n")
    jsonl = tmp_path / "products.jsonl"
    jsonl.write_text(
        '{"sku": "X-1", "price_cents": 1200}\n{"sku": "X-2", "price_cents": "twelve"}\n{"sku": "X-3"}\n'
    )
    return {"csv": csv, "json": jsonl}


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_landing_file_is_read_as_the_query_declares(
    seeded: LocalEnv, exported: Path, landing: dict[str, Path], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--state-dir", str(seeded.state_dir), "query", "--landing", f"products_raw={landing[kind]}"]

    def rows(sql: str) -> list[dict[str, Any]]:
        code, out, err = run_local(capsys, *base, "--json", sql)
        assert code == 0, err
        return list(json.loads(out)["rows"])

    # Accepted when it landed; the declared type decides at read time: NULL, a filter, or an error.
    nulled = rows(
        "SELECT sku, TRY_CAST(price_cents AS INTEGER) AS price_cents FROM products_raw ORDER BY sku"
    )
    assert nulled == [
        {"sku": "X-1", "price_cents": 1200},
        {"sku": "X-2", "price_cents": None},
        {"sku": "X-3", "price_cents": None},
    ]
    kept = rows("SELECT sku FROM products_raw WHERE TRY_CAST(price_cents AS INTEGER) IS NOT NULL")
    assert kept == [{"sku": "X-1"}]
    code, _, err = run_local(capsys, *base, "SELECT sku, CAST(price_cents AS INTEGER) FROM products_raw")
    assert code == errors.EXIT_TASK_FAILED and "twelve" in err


def test_a_landing_name_an_exported_table_has_in_another_case_is_one_line(
    seeded: LocalEnv, exported: Path, landing: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # DuckDB's names ignore case: APP_CUSTOMERS is the view app_customers.
    base = ["--state-dir", str(seeded.state_dir), "query", "--export", exported.name]
    base += ["--landing", f"APP_CUSTOMERS={landing['csv']}"]
    code, _, err = run_local(capsys, *base, "SELECT 1")
    assert code == errors.EXIT_BAD_INPUT and err.count("\n") == 1
    assert err.startswith("local query: --landing APP_CUSTOMERS: the export already has a table of that name")


def test_ctrl_c_during_an_export_keeps_nothing(
    seeded: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "outputs.json").write_text(seeded.outputs_path.read_text())
    writes = iter(range(100))
    real = local_export._Files.write

    def write(self: Any, batch: Any) -> None:
        if next(writes) == 1:
            raise KeyboardInterrupt
        real(self, batch)

    monkeypatch.setattr(local_export._Files, "write", write)
    code, _, err = run_local(capsys, "--state-dir", str(state), "export", "--batch-rows", "1000")
    assert code == errors.EXIT_INTERRUPTED and "interrupted (Ctrl-C); nothing was kept" in err
    assert list((state / "exports").iterdir()) == []


# Closing the streamed read's cursor with rows unread raises in the generator's finaliser, which
# Python prints to stderr as "Exception ignored in: <generator ...>" with its traceback.
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_ctrl_c_in_a_streamed_read_is_130_not_the_rollbacks_error(
    seeded: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table without a primary key is read as one streamed SELECT: interrupted, its unread rows make
    the connection refuse the ROLLBACK, whose error must not replace the interruption."""
    with seeded.connect("writer", database="app") as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS no_key_events (n INT)")
        cur.execute("TRUNCATE no_key_events")
        cur.execute("INSERT INTO no_key_events SELECT seq FROM seq_1_to_20000")
        conn.commit()
    catch_up(seeded)
    state = tmp_path / "state"
    state.mkdir()
    (state / "outputs.json").write_text(seeded.outputs_path.read_text())
    writes = iter(range(100))
    real = local_export._Files.write

    def write(self: Any, batch: Any) -> None:
        if next(writes) == 1:
            raise KeyboardInterrupt
        real(self, batch)

    monkeypatch.setattr(local_export._Files, "write", write)
    code, _, err = run_local(
        capsys, "--state-dir", str(state), "export", "--tables", "app.no_key_events", "--batch-rows", "100"
    )
    assert code == errors.EXIT_INTERRUPTED  # above it, only the progress line
    assert err.splitlines()[-1] == "local export: interrupted (Ctrl-C); nothing was kept"
    assert "Traceback" not in err and err.count("local export:") == 1
    assert list((state / "exports").iterdir()) == []
