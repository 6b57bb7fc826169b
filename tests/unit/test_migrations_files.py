"""Migration discovery, naming rules and checksums (no server)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mysql_platform.db import migration_commands
from mysql_platform.db.migration_files import (
    MigrationFileError,
    checksum,
    discover,
    load_migration,
    validate_identifier,
)
from mysql_platform.db.migrations import preview
from mysql_platform.db.sql_placeholders import substitute_chunks
from mysql_platform.db.sql_split import encoded
from tests.support.migration_fixtures import FIXTURE_SQL

REPO_SQL = FIXTURE_SQL


def write(dir_: Path, name: str, text: str = "SELECT 1;\n") -> Path:
    path = dir_ / name
    path.write_text(text, encoding="utf-8")
    return path


def test_discovers_in_numeric_version_order(tmp_path: Path) -> None:
    write(tmp_path, "V010__ten.sql")
    write(tmp_path, "V002__two.sql")
    write(tmp_path, "V1000__thousand.sql")
    write(tmp_path, "README.md", "not a migration")
    found = discover(tmp_path)
    assert [(m.version, m.description) for m in found] == [(2, "two"), (10, "ten"), (1000, "thousand")]


def test_project_migrations_are_well_formed() -> None:
    found = discover(REPO_SQL, {"database": "app"})
    assert [m.version for m in found] == [1, 3, 4]
    assert found[0].script == "V001__create_tempdb.sql"
    assert "CREATE DATABASE IF NOT EXISTS TempDB" in found[0].statements[0].text
    # The procedure's body survives the DELIMITER block in one piece.
    proc = next(s for m in found for s in m.statements if "CREATE PROCEDURE" in s.text)
    assert proc.text.rstrip().endswith("END")
    assert proc.text.count(";") >= 4


@pytest.mark.parametrize(
    "name",
    [
        "V1__short.sql",
        "v001__lower.sql",
        "V001_one_underscore.sql",
        "V001__.sql",
        "V001__bad-dash.sql",
        "x.sql",
    ],
)
def test_rejects_badly_named_sql_files(tmp_path: Path, name: str) -> None:
    write(tmp_path, "V001__good.sql")
    write(tmp_path, name)
    with pytest.raises(MigrationFileError, match="name must look like V001__") as info:
        discover(tmp_path)
    assert name in str(info.value)


def test_rejects_duplicate_versions_naming_both_files(tmp_path: Path) -> None:
    write(tmp_path, "V001__a.sql")
    write(tmp_path, "V0001__b.sql")
    with pytest.raises(MigrationFileError, match="same version 1") as info:
        discover(tmp_path)
    assert "V001__a.sql" in str(info.value) and "V0001__b.sql" in str(info.value)


def test_rejects_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError, match="does not exist"):
        discover(tmp_path / "nope")
    with pytest.raises(MigrationFileError, match="contains no V<NNN>"):
        discover(tmp_path)


def test_rejects_file_without_statements(tmp_path: Path) -> None:
    path = write(tmp_path, "V001__empty.sql", "-- only a comment\n")
    with pytest.raises(MigrationFileError, match="contains no statements"):
        load_migration(path)


def test_rejects_unterminated_string_naming_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "V001__bad.sql", "SELECT 1;\nSELECT 'open;\n")
    with pytest.raises(MigrationFileError, match=r"V001__bad\.sql': line 2: unterminated string"):
        load_migration(path)


def test_bytes_that_are_not_utf8_inside_a_string_literal_are_kept_byte_for_byte(tmp_path: Path) -> None:
    # mysqldump writes BLOBs this way without --hex-blob; the client sends the bytes as they are.
    path = tmp_path / "V001__blob.sql"
    path.write_bytes(b"INSERT INTO t VALUES ('\xe9\xff\x00\\'', 'caf\xc3\xa9');\nSELECT 2;\n")
    statements = load_migration(path).statements
    assert [encoded(s.text) for s in statements] == [
        b"INSERT INTO t VALUES ('\xe9\xff\x00\\'', 'caf\xc3\xa9')",
        b"SELECT 2",
    ]
    assert preview(statements[0].text) == "INSERT INTO t VALUES ('\ufffd\ufffd\x00\\'', 'caf\xe9')"


@pytest.mark.parametrize(
    "content",
    [
        b"SELECT 1;\nSELECT \xe9;\n",
        b"SELECT 1;\nSELECT 1 /*!50000 \xe9 */;\n",
        b"SELECT 1;\nSELECT `a` \xe9;\n",
    ],
)
def test_bytes_that_are_not_utf8_outside_a_string_literal_are_refused_with_the_line(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "V001__latin1.sql"
    path.write_bytes(content)
    with pytest.raises(
        MigrationFileError, match=r"V001__latin1\.sql': line 2: bytes that are not UTF-8 outside"
    ):
        load_migration(path)


def test_a_byte_order_mark_is_not_part_of_the_checksum(tmp_path: Path) -> None:
    plain = load_migration(write(tmp_path, "V001__a.sql", "SELECT 1;\n"))
    path = tmp_path / "V002__b.sql"
    path.write_bytes(b"\xef\xbb\xbfSELECT 1;\r\n")
    with_bom = load_migration(path)
    assert with_bom.checksum == plain.checksum
    # A history row written when the BOM still counted matches too.
    assert with_bom.matches(hashlib.sha256(b"\xef\xbb\xbfSELECT 1;\n").hexdigest())
    assert not plain.matches(hashlib.sha256(b"\xef\xbb\xbfSELECT 1;\n").hexdigest())


def test_checksum_is_sha256_of_content(tmp_path: Path) -> None:
    path = write(tmp_path, "V001__a.sql", "SELECT 1;\n")
    assert load_migration(path).checksum == hashlib.sha256(b"SELECT 1;\n").hexdigest()


def test_checksum_changes_on_any_edit_even_a_comment() -> None:
    assert checksum(b"SELECT 1;\n") != checksum(b"SELECT 1; -- edited\n")
    assert checksum(b"SELECT 1;\n") != checksum(b"SELECT 1; \n")


def test_checksum_ignores_crlf_line_endings() -> None:
    assert checksum(b"SELECT 1;\r\nSELECT 2;\r\n") == checksum(b"SELECT 1;\nSELECT 2;\n")


def test_preview_truncates_and_flattens_whitespace() -> None:
    assert preview("SELECT\n   1") == "SELECT 1"
    long = preview("SELECT " + "x" * 500)
    assert len(long) == 200 and long.endswith("...")


# The history schema is also ${ops_schema}, pasted unquoted: the placeholder rule (a letter first).
@pytest.mark.parametrize("value", ["", "a-b", "a`b", "x" * 65, "a b", "ops;DROP", "_ops", "1ops", "ops\n"])
def test_rejects_unsafe_identifiers(value: str) -> None:
    with pytest.raises(ValueError, match="must match"):
        validate_identifier(value, "schema")


def test_batches_group_plain_statements_and_send_the_others_alone() -> None:
    from mysql_platform.db.migration_batches import batches
    from mysql_platform.db.sql_split import split_sql

    sql = (
        "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n"
        "CALL p();\nINSERT INTO t VALUES (3);\n/*!40101 SET @a = 1 */;\n"
        "DELIMITER //\nCREATE PROCEDURE q() BEGIN SELECT 1; END//\nDELIMITER ;\n"
        "SELECT 4;\nSELECT 5;\nSELECT 6;\n"
    )
    groups = list(batches(split_sql(sql), max_statements=2, max_bytes=10_000))
    assert [[s.line for s in g] for g in groups] == [[1, 2], [3], [4], [5], [6], [8], [10, 11], [12]]
    one_by_one = list(batches(split_sql(sql), max_statements=1, max_bytes=10_000))
    assert all(len(g) == 1 for g in one_by_one) and len(one_by_one) == 10


def test_batches_respect_the_byte_limit() -> None:
    from mysql_platform.db.migration_batches import batches
    from mysql_platform.db.sql_split import Statement

    stmts = [Statement("SELECT '" + "x" * 40 + "'", i) for i in range(1, 6)]
    assert [len(g) for g in batches(stmts, max_statements=100, max_bytes=100)] == [2, 2, 1]


def test_ignores_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "V001__bom.sql"
    path.write_bytes(b"\xef\xbb\xbfSELECT 1;\n")
    assert load_migration(path).statements[0].text == "SELECT 1"


# --- what `migrate new` writes, and files that are not regular ------------------------------------


def test_a_file_from_new_is_valid_whatever_the_values_once_it_has_a_statement(tmp_path: Path) -> None:
    path = migration_commands.new_file(tmp_path, "add_orders_index")
    header = path.read_text()
    # Comments are substituted too: the header must hold no placeholder a run might not define.
    for values in ({"database": "app"}, {"database": "shop", "app_user": "svc"}):
        with pytest.raises(MigrationFileError, match="contains no statements"):
            discover(tmp_path, values)
        assert discover(tmp_path, values, parse=False)[0].script == "V001__add_orders_index.sql"
    path.write_text(header + "CREATE INDEX ix ON t (c);\n")
    (found,) = discover(tmp_path, {"database": "app"})
    assert [s.text for s in found.statements] == ["CREATE INDEX ix ON t (c)"]
    assert "${database}" in "".join(substitute_chunks([header], {"database": "app"}))


def test_a_fifo_named_like_a_migration_is_skipped_by_name_without_blocking(tmp_path: Path) -> None:
    write(tmp_path, "V001__one.sql")
    os.mkfifo(tmp_path / "V002__x.sql")
    (tmp_path / "V003__dir.sql").mkdir()
    skipped: list[str] = []
    found = discover(tmp_path, on_skip=skipped.append)  # would block forever reading the FIFO
    assert [m.version for m in found] == [1]
    tail = "not a migration file (only regular files are read)"
    assert skipped == [
        f"skipped '{tmp_path / 'V002__x.sql'}': a FIFO, {tail}",
        f"skipped '{tmp_path / 'V003__dir.sql'}': a directory, {tail}",
    ]


def test_a_fifo_swapped_in_after_discovery_is_refused_without_blocking(tmp_path: Path) -> None:
    path = write(tmp_path, "V001__one.sql")
    (migration,) = discover(tmp_path, parse=False)
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(MigrationFileError, match=r"V001__one.sql': not a regular file \(a FIFO\); not read"):
        list(migration.iter_statements())
