"""Bootstraps that race or crash still converge: eight concurrent runs apply each migration once,
and after the primary is killed mid-migration a rerun completes without duplicates.

Each test gets a fresh environment of its own from ``local_env_factory``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mysql_platform import errors
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import REPO_VERSIONS, history, spawn, sql_copy, wait_until

# --- 8 concurrent bootstraps (processes) apply each migration once -----------------------------


def test_eight_concurrent_bootstraps_apply_each_migration_exactly_once(
    local_env_factory: Callable[..., LocalEnv], tmp_path: Path
) -> None:
    fresh = local_env_factory()
    log = "TempDB.apply_log"
    extra = {
        "V900__log_a.sql": f"CREATE TABLE IF NOT EXISTS {log} (version INT, conn BIGINT);\n"
        f"INSERT INTO {log} VALUES (900, CONNECTION_ID());\n",
        # A slow migration widens the window in which a second runner could sneak in.
        "V901__log_b.sql": f"SELECT SLEEP(0.3);\nINSERT INTO {log} VALUES (901, CONNECTION_ID());\n",
        "V902__log_c.sql": f"INSERT INTO {log} VALUES (902, CONNECTION_ID());\n",
    }
    sql_dir = sql_copy(tmp_path, extra)
    procs = [
        spawn("--outputs", str(fresh.outputs_path), "--sql-dir", str(sql_dir), "--skip-replication-check")
        for _ in range(8)
    ]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * 8, [err for _, _, err in results]
    applied = sum(out.count("applied V") for _, out, _ in results)
    assert applied == len(REPO_VERSIONS) + 3
    assert [v for v, _ in history(fresh)] == [*REPO_VERSIONS, 900, 901, 902]
    with fresh.ops_cursor("primary") as cur:
        cur.execute(f"SELECT version, COUNT(*) FROM {log} GROUP BY version ORDER BY version")
        assert cur.fetchall() == [(900, 1), (901, 1), (902, 1)]


# --- primary killed mid-run, restarted: a rerun converges without duplicates ---------------------


def test_primary_killed_mid_migration_then_rerun_converges_without_duplicates(
    local_env_factory: Callable[..., LocalEnv], tmp_path: Path
) -> None:
    fresh = local_env_factory()
    knob = "TempDB.test_knobs"
    seed = (
        "INSERT INTO app.products (sku, title, price_cents, stock) VALUES\n"
        "  ('sku-1', 'one', 100, 1), ('sku-2', 'two', 200, 2), ('sku-3', 'three', 300, 3);\n"
    )
    extra = {
        # Plain INSERTs (not idempotent) followed by a slow statement the test kills the primary in.
        "V900__seed_products.sql": seed + f"SELECT SLEEP((SELECT seconds FROM {knob}));\n",
        "V901__more_products.sql": "INSERT INTO app.products (sku, title, price_cents)\n"
        "VALUES ('sku-4', 'four', 4);\n",
    }
    sql_dir = sql_copy(tmp_path, extra)
    with fresh.ops_cursor("primary") as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS TempDB")
        cur.execute(f"CREATE TABLE {knob} (seconds INT NOT NULL)")
        cur.execute(f"INSERT INTO {knob} VALUES (60)")
    args = ["--outputs", str(fresh.outputs_path), "--sql-dir", str(sql_dir), "--connect-timeout", "20"]

    proc = spawn(*args)

    def sleeping() -> bool:
        with fresh.ops_cursor("primary") as cur:
            cur.execute(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                " WHERE INFO LIKE '%SELECT SLEEP((SELECT seconds%' AND ID <> CONNECTION_ID()"
            )
            return bool(cur.fetchone()[0])

    wait_until(sleeping, 30, "the bootstrap to reach the slow statement")
    fresh.kill("primary")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == errors.EXIT_CONNECT, err
    assert "lost the connection while applying" in err and "V900__seed_products.sql" in err
    assert "applied V004" in out and "applied V900" not in out

    fresh.start("primary")
    with fresh.ops_cursor("primary") as cur:
        cur.execute(f"UPDATE {knob} SET seconds = 0")
    rerun = spawn(*args)
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert "applied V900__seed_products.sql" in out and "applied V901__more_products.sql" in out
    assert [v for v, _ in history(fresh)] == [*REPO_VERSIONS, 900, 901]
    with fresh.ops_cursor("primary") as cur:
        cur.execute("SELECT sku, COUNT(*) FROM app.products GROUP BY sku ORDER BY sku")
        assert cur.fetchall() == [("sku-1", 1), ("sku-2", 1), ("sku-3", 1), ("sku-4", 1)]
