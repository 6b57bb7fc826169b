"""A database named by the environment, end to end: `up --db-name shop`, then the bootstrap.

One environment for the module, brought up through the CLI as a person would; the
bootstrap must put the schema and the app user's grants in `shop`, never in `app`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.cli import local as local_cli
from mysql_platform.core.outputs import from_json_file
from mysql_platform.local.env import LocalEnv, LocalEnvError, Role, missing_binaries
from tests.integration.test_bootstrap import REPO_VERSIONS, SQL, history, run_main

V003_TABLES = {"customers", "products", "orders", "order_items"}


@pytest.fixture(scope="module")
def shop_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnv]:
    missing = missing_binaries()
    if missing:
        pytest.skip(f"local environment needs {', '.join(missing)} (install: make system-deps)")
    state_dir = tmp_path_factory.mktemp("shopenv")
    try:
        assert local_cli.main(["--state-dir", str(state_dir), "up", "--db-name", "shop"]) == 0
        yield LocalEnv(state_dir)
    finally:
        LocalEnv(state_dir).down(purge=True)


def schemata(env: LocalEnv, role: Role) -> dict[str, str]:
    with env.ops_cursor(role) as cur:
        cur.execute("SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA")
        return {str(name): str(charset) for name, charset in cur.fetchall()}


def test_up_creates_the_named_database_in_utf8mb4_and_exports_it(shop_env: LocalEnv) -> None:
    assert from_json_file(shop_env.outputs_path).db.database == "shop"
    roles: tuple[Role, ...] = ("primary", "replica")
    for role in roles:  # created on the primary, replicated like the accounts
        found = schemata(shop_env, role)
        assert found.get("shop") == "utf8mb4", role
        assert "app" not in found, role


def test_later_commands_keep_the_name_and_refuse_another(
    shop_env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    state = ["--state-dir", str(shop_env.state_dir)]
    assert local_cli.main([*state, "up"]) == 0
    assert "database shop" in capsys.readouterr().out
    assert from_json_file(shop_env.outputs_path).db.database == "shop"
    assert LocalEnv(shop_env.state_dir).status()["db_name"] == "shop"
    with pytest.raises(LocalEnvError, match="holds database 'shop' but 'app' was asked"):
        LocalEnv(shop_env.state_dir, db_name="app").up()
    assert from_json_file(shop_env.outputs_path).db.database == "shop"


def test_bootstrap_builds_the_schema_and_grants_in_the_outputs_database(
    shop_env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, "--outputs", str(shop_env.outputs_path))
    assert code == 0, err
    assert "app user: 'app'@'%' (SELECT" in out and "on `shop`.*" in out

    with shop_env.ops_cursor("primary") as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop'")
        assert {str(row[0]) for row in cur.fetchall()} == V003_TABLES
        cur.execute(
            "SELECT ROUTINE_SCHEMA FROM information_schema.ROUTINES WHERE ROUTINE_NAME = 'add_order_item'"
        )
        assert [str(row[0]) for row in cur.fetchall()] == ["shop"]
        cur.execute("SHOW GRANTS FOR 'app'@'%'")
        grants = [str(row[0]) for row in cur.fetchall()]
    # What each grant is on: only USAGE (login) globally, the data privileges on `shop` alone.
    on = {re.search(r" ON (\S+) TO ", g)[1]: g.split(" ON ")[0] for g in grants}
    assert on == {
        "*.*": "GRANT USAGE",
        "`shop`.*": "GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, SHOW VIEW",
    }
    assert not any("ON `app`.*" in g for g in grants)
    assert "app" not in schemata(shop_env, "primary")

    # The app user works in `shop`, and V004's procedure reaches the tables there.
    password = (shop_env.outputs_path.parent / "local-app.password").read_text().strip()
    conn = shop_env.connect("writer", user="app", password=password, database="shop")
    with contextlib.closing(conn), contextlib.closing(conn.cursor()) as cur:
        cur.execute("INSERT INTO customers (email, display_name) VALUES ('c@shop.test', 'c')")
        customer = cur.lastrowid
        cur.execute("INSERT INTO products (sku, title, price_cents, stock) VALUES ('s1', 'one', 250, 5)")
        product = cur.lastrowid
        cur.execute("INSERT INTO orders (customer_id) VALUES (%s)", (customer,))
        order = cur.lastrowid
        cur.callproc("add_order_item", (order, product, 2))
        cur.execute("SELECT total_cents FROM orders WHERE id = %s", (order,))
        assert cur.fetchone() == (500,)

    # The history holds the files' own checksums: the name is not part of them.
    expected = {int(p.name[1:4]): hashlib.sha256(p.read_bytes()).hexdigest() for p in SQL.glob("V*.sql")}
    assert history(shop_env) == sorted(expected.items())
    assert [v for v, _ in history(shop_env)] == REPO_VERSIONS


def test_migration_with_a_typo_in_a_placeholder_fails_before_connecting(
    shop_env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    (sql_dir / "V001__typo.sql").write_text("CREATE DATABASE IF NOT EXISTS ${databse};\n")
    schema = "hist_placeholder_typo"
    code, out, err = run_main(
        capsys, "--outputs", str(shop_env.outputs_path), "--sql-dir", str(sql_dir), "--ops-schema", schema
    )
    assert code == errors.EXIT_BAD_INPUT
    assert f"{sql_dir / 'V001__typo.sql'}': line 1: unknown placeholder ${{databse}}" in err
    assert "connected to writer" not in out
    assert schema not in schemata(shop_env, "primary")


def test_an_environment_made_before_db_name_existed_gets_its_database_on_the_next_up(
    local_env_factory: Callable[..., LocalEnv],
) -> None:
    env = local_env_factory()
    assert from_json_file(env.outputs_path).db.database == "app"  # the default
    with env.ops_cursor("primary") as cur:
        cur.execute("DROP DATABASE app")
    state = json.loads(env.state_path.read_text())
    del state["db_name"]  # what an older `up` recorded
    env.state_path.write_text(json.dumps(state))

    assert LocalEnv(env.state_dir).up().db.database == "app"
    assert schemata(env, "primary").get("app") == "utf8mb4"
    assert json.loads(env.state_path.read_text())["db_name"] == "app"
