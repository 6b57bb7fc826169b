"""Migration rules without a server: out of order, version states, placeholders over chunks,
the streaming split, shapes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mysql_platform.core import outputs
from mysql_platform.db import bootstrap_options, migration_commands, migration_status, sql_shape
from mysql_platform.db.migration_files import Migration, load_migration
from mysql_platform.db.migration_history import Applied
from mysql_platform.db.migrations import OutOfOrder, Runner
from mysql_platform.db.sql_placeholders import PlaceholderError, substitute_chunks
from mysql_platform.db.sql_split import iter_statements, split_sql
from tests.unit.test_bootstrap_cli import outputs_dict
from tests.unit.test_migrations_safety import FakeConnection


def files(tmp_path: Path, *versions: int) -> list[Migration]:
    out = []
    for v in versions:
        path = tmp_path / f"V{v:03d}__v{v}.sql"
        path.write_text(f"INSERT INTO t VALUES ({v});\n")
        out.append(load_migration(path))
    return out


def applied(m: Migration, kind: str = "migrate", checksum: str | None = None) -> Applied:
    return Applied(m.version, m.script, checksum or m.checksum, description=m.description, kind=kind)


# --- out of order ---------------------------------------------------------------------------------


def history_with(conn: FakeConnection, migrations: list[Migration]) -> None:
    for m in migrations:
        conn.history.append(
            (m.version, m.description, m.script, m.checksum, 1, 1, "admin@%", "migrate", None, "t")
        )


def test_a_pending_version_below_the_newest_applied_is_refused_naming_both(tmp_path: Path) -> None:
    v1, v2, v3 = files(tmp_path, 1, 2, 3)
    conn = FakeConnection()
    history_with(conn, [v1, v3])
    runner = Runner(conn, open_session=lambda: conn, progress=lambda _line: None)  # type: ignore[arg-type]
    with pytest.raises(
        OutOfOrder, match=r"V002__v2.sql \(version 2\) is pending but version 3 \(V003__v3.sql\)"
    ):
        runner.run([v1, v2, v3])
    assert conn.queries == []  # nothing was sent
    result = runner.run([v1, v2, v3], out_of_order=True)
    assert [m.version for m, _ms in result.applied] == [2]


def test_pending_versions_above_the_newest_are_in_order(tmp_path: Path) -> None:
    v1, v2, v3 = files(tmp_path, 1, 2, 3)
    conn = FakeConnection()
    history_with(conn, [v1])
    result = Runner(conn, open_session=lambda: conn, progress=lambda _line: None).run([v1, v2, v3])  # type: ignore[arg-type]
    assert [m.version for m, _ms in result.applied] == [2, 3]


# --- states ---------------------------------------------------------------------------------------


def test_every_state_a_version_can_be_in(tmp_path: Path) -> None:
    v1, v2, v3, v4, v5, v6 = files(tmp_path, 1, 2, 3, 4, 5, 6)
    history = {
        1: applied(v1, kind="baseline"),
        2: applied(v2),
        3: applied(v3, checksum="0" * 64),
        4: applied(v4),
        6: applied(v6),
    }
    found = migration_status.statuses([v1, v2, v3, v5, v6], history)
    assert [(s.version, s.state) for s in found] == [
        (1, "baseline"),
        (2, "applied"),
        (3, "checksum mismatch"),
        (4, "missing"),
        (5, "out of order"),
        (6, "applied"),
    ]
    problems = migration_status.problems(found)
    assert len(problems) == 3 and any(
        "V004__v4.sql) is in the history but its file is gone" in p for p in problems
    )
    assert len(migration_status.problems(found, out_of_order=True)) == 2
    assert migration_status.statuses([v1], {})[0].state == "pending"


RELEASED_V002 = "cae6a0ef78d2f96670ccd5748fe13cb56b428e74089c82f5b42db75eb717b62b"


def test_the_retired_heartbeat_migration_is_neither_missing_nor_rerun_nor_repaired(tmp_path: Path) -> None:
    v1, v3 = files(tmp_path, 1, 3)
    retired = Applied(2, "V002__ops_heartbeat.sql", RELEASED_V002, description="ops heartbeat")
    found = migration_status.statuses([v1, v3], {1: applied(v1), 2: retired, 3: applied(v3)})
    assert [(s.version, s.state) for s in found] == [(1, "applied"), (2, "retired"), (3, "applied")]
    assert migration_status.problems(found) == []
    conn = FakeConnection()
    history_with(conn, [v1, v3])
    conn.history.insert(
        1, (2, "ops heartbeat", retired.script, RELEASED_V002, 1, 1, "a@%", "migrate", None, "t")
    )
    runner = Runner(conn, open_session=lambda: conn, progress=lambda _line: None)  # type: ignore[arg-type]
    assert runner.run([v1, v3]).applied == ()
    assert migration_commands.plan_repair(runner, [v1, v3]).changes() == []


def test_a_version_2_row_of_other_content_is_still_missing(tmp_path: Path) -> None:
    (v1,) = files(tmp_path, 1)
    edited = Applied(2, "V002__ops_heartbeat.sql", "1" * 64)
    other = Applied(2, "V002__mine.sql", RELEASED_V002)
    for row in (edited, other):
        (_one, two) = migration_status.statuses([v1], {1: applied(v1), 2: row})
        assert two.state == "missing"


def test_the_info_table_is_aligned_and_json_ready(tmp_path: Path) -> None:
    (v1,) = files(tmp_path, 1)
    found = migration_status.statuses([v1], {})
    lines = migration_status.table(found)
    assert lines[0].index("state") == lines[1].index("pending")
    assert found[0].as_dict()["state"] == "pending" and found[0].as_dict()["applied_at"] is None


# --- placeholders -----------------------------------------------------------------------------


def test_placeholders_over_chunks_name_the_line_in_the_whole_file() -> None:
    chunks = ["SELECT 1;\n", "SELECT 2;\nSELECT 3;\n", "SELECT ${oops};\n"]
    with pytest.raises(PlaceholderError, match=r"^line 4: unknown placeholder \$\{oops\}"):
        list(substitute_chunks(chunks, {"database": "shop"}))
    assert "".join(substitute_chunks(["USE ${database};\n"], {"database": "shop"})) == "USE shop;\n"


@pytest.mark.parametrize(("user", "defined"), [("app", True), ("svc_orders", True), ("app-svc", False)])
def test_app_user_is_a_placeholder_only_when_it_is_an_identifier(user: str, defined: bool) -> None:
    parsed = outputs.parse_outputs(outputs_dict())
    values = bootstrap_options.placeholders(parsed, bootstrap_options.Options(app_user=user))
    assert ("app_user" in values) is defined and values.get("app_user", user) == user


# --- the split as a stream ------------------------------------------------------------------------


SCRIPT = (
    "CREATE TABLE t (a TEXT);\n"
    "INSERT INTO t VALUES ('multi\nline; string', \"dq\"), ('x');  -- tail\n"
    "/* a block\n comment; over lines */ SELECT 1;\n"
    "DELIMITER //\nCREATE PROCEDURE p() BEGIN\n  SELECT 1; -- c\n  SELECT 2;\nEND//\nDELIMITER ;\n"
    "SELECT 'last'\n"
)


def test_the_split_does_not_depend_on_where_the_chunks_end() -> None:
    lines = SCRIPT.splitlines(keepends=True)
    whole = split_sql(SCRIPT)
    rng = random.Random(7)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(lines)), rng.randint(1, len(lines) - 1)))
        chunks = ["".join(lines[a:b]) for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True)]
        assert list(iter_statements(chunks)) == whole


def test_a_string_or_comment_that_never_ends_is_reported_at_its_start_across_chunks() -> None:
    with pytest.raises(ValueError, match="line 2: unterminated string"):
        list(iter_statements(["SELECT 1;\n", "SELECT 'open\n", "still open\n"]))


# --- shapes ---------------------------------------------------------------------------------------


def test_shape_ignores_layout_but_not_literals() -> None:
    a = split_sql("INSERT INTO t\n  VALUES ('a  b');  -- c\n")
    b = split_sql("/* new */ INSERT INTO t VALUES ('a  b');\n")
    c = split_sql("INSERT INTO t VALUES ('a b');\n")
    assert sql_shape.shape(a) == sql_shape.shape(b) != sql_shape.shape(c)


@pytest.mark.parametrize("delimiter", [";", "//", ";;", "$$", "-!"])
def test_code_runs_stop_at_comments_and_the_delimiter_only(delimiter: str) -> None:
    body = "SELECT 4/2, 1-1, 5--1, 'a;b//c$$d-!e' -- gone\n, `x/y`/*c*/+1 # gone\n"
    script = f"DELIMITER {delimiter}\n{body}{delimiter}\nSELECT 2{delimiter}\n"
    assert [s.text for s in split_sql(script)] == [
        "SELECT 4/2, 1-1, 5--1, 'a;b//c$$d-!e' \n, `x/y` +1",
        "SELECT 2",
    ]


def test_an_undecodable_byte_in_an_identifier_is_refused_with_its_line() -> None:
    text = "SELECT 1;\nSELECT 'ok\udce9', `bad\udce9` FROM t;\n"
    with pytest.raises(ValueError, match="line 2: bytes that are not UTF-8 outside a string literal"):
        split_sql(text)
