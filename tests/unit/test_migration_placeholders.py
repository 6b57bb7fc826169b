"""``${name}`` placeholders in migrations: substitution, escape, errors, checksums (no server)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mysql_platform.db.migration_files import MigrationFileError, discover, load_migration
from mysql_platform.db.sql_placeholders import PlaceholderError, substitute
from mysql_platform.db.sql_split import split_sql
from tests.support.migration_fixtures import FIXTURE_SQL

REPO_SQL = FIXTURE_SQL
SHOP = {"database": "shop"}


def write(dir_: Path, name: str, text: str) -> Path:
    path = dir_ / name
    path.write_text(text, encoding="utf-8")
    return path


# --- substitution --------------------------------------------------------------------------


def test_substitutes_everywhere_in_the_text_strings_and_kept_comments_included() -> None:
    text = "CREATE TABLE ${database}.t (c VARCHAR(9) DEFAULT '${database}') /*!50100 ${database} */"
    assert substitute(text, SHOP) == "CREATE TABLE shop.t (c VARCHAR(9) DEFAULT 'shop') /*!50100 shop */"


def test_a_text_without_placeholders_is_returned_unchanged() -> None:
    text = "SELECT '$', '{', '$ {x}', CONCAT('$', '{a}');"
    assert substitute(text, SHOP) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT '${{database}'", "SELECT '${database}'"),
        ("SELECT '${{'", "SELECT '${'"),
        ("SELECT '${{${database}'", "SELECT '${shop'"),
        ("SELECT '${{{database}'", "SELECT '${{database}'"),
    ],
)
def test_double_brace_escapes_a_literal_dollar_brace(text: str, expected: str) -> None:
    assert substitute(text, SHOP) == expected


def test_substitution_keeps_the_split_and_the_line_numbers() -> None:
    # Values are identifiers: they can add no delimiter, quote, comment or newline.
    text = (
        "CREATE DATABASE IF NOT EXISTS ${database};\n-- about ${database}\n"
        "DELIMITER //\nCREATE PROCEDURE ${database}.p() BEGIN SELECT 1; SELECT 2; END//\nDELIMITER ;\n"
        "INSERT INTO ${database}.t VALUES ('a;b');\n"
    )
    raw = split_sql(text.replace("${database}", "x"))
    shop = split_sql(substitute(text, SHOP))
    assert [s.line for s in shop] == [s.line for s in raw] == [1, 4, 6]
    assert shop[1].text == "CREATE PROCEDURE shop.p() BEGIN SELECT 1; SELECT 2; END"
    assert shop[2].text == "INSERT INTO shop.t VALUES ('a;b')"


# --- errors --------------------------------------------------------------------------------


def test_fails_on_an_unknown_placeholder_naming_file_line_and_placeholder(tmp_path: Path) -> None:
    path = write(tmp_path, "V007__typo.sql", "SELECT 1;\n\nCREATE TABLE ${databse}.t (id INT);\n")
    with pytest.raises(MigrationFileError) as info:
        load_migration(path, SHOP)
    message = str(info.value)
    assert f"migration file '{path}': line 3: unknown placeholder ${{databse}}" in message
    assert "defined: ${database}" in message and "${{ for a literal ${" in message


def test_fails_on_an_unknown_placeholder_in_a_string_or_comment_too(tmp_path: Path) -> None:
    # Substitution is textual everywhere, so validity is too: no placeholder slips through unseen.
    for line, text in ((1, "SELECT '${user}';\n"), (2, "SELECT 1;\n-- owner: ${user}\n")):
        path = write(tmp_path, "V001__x.sql", text)
        with pytest.raises(MigrationFileError, match=rf"line {line}: unknown placeholder \$\{{user\}}"):
            load_migration(path, SHOP)


def test_fails_before_any_file_is_returned_when_a_later_file_is_bad(tmp_path: Path) -> None:
    write(tmp_path, "V001__ok.sql", "CREATE DATABASE IF NOT EXISTS ${database};\n")
    write(tmp_path, "V002__bad.sql", "SELECT 1;\nSELECT ${nope};\n")
    with pytest.raises(MigrationFileError, match=r"V002__bad\.sql': line 2: unknown placeholder \$\{nope\}"):
        discover(tmp_path, SHOP)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("SELECT ${ database };", "'${ database };'"),
        ("SELECT ${database;", "'${database;'"),
        ("SELECT '${'", '"${\'"'),
        ("SELECT ${9lives};", "'${9lives};'"),
    ],
)
def test_fails_on_a_malformed_placeholder(text: str, shown: str) -> None:
    with pytest.raises(PlaceholderError, match="line 1: malformed placeholder") as info:
        substitute(text, SHOP)
    assert shown in str(info.value) and "${{ for a literal ${" in str(info.value)


def test_fails_on_a_placeholder_without_values(tmp_path: Path) -> None:
    # Only the runner's own ${ops_schema} is defined when the caller gives no values.
    path = write(tmp_path, "V001__x.sql", "CREATE DATABASE ${database};\n")
    with pytest.raises(
        MigrationFileError, match=r"unknown placeholder \$\{database\} \(defined: \$\{ops_schema\};"
    ):
        load_migration(path)


@pytest.mark.parametrize(
    "value",
    ["", "1shop", "_shop", "shop-eu", "shop`", "shop; DROP DATABASE mysql; --", "shop\n", "x" * 65, "é"],
)
def test_rejects_values_that_are_not_plain_identifiers(tmp_path: Path, value: str) -> None:
    write(tmp_path, "V001__x.sql", "SELECT 1;\n")
    with pytest.raises(PlaceholderError, match=r"value of placeholder \$\{database\} must be 1-64") as info:
        discover(tmp_path, {"database": value})
    assert repr(value) in str(info.value)


def test_rejects_a_bad_placeholder_name() -> None:
    with pytest.raises(PlaceholderError, match="placeholder name must match"):
        substitute("SELECT 1", {"data base": "shop"})


def test_accepts_the_longest_allowed_value() -> None:
    name = "S" + "x" * 63
    assert substitute("USE ${database}", {"database": name}) == f"USE {name}"


# --- checksums -----------------------------------------------------------------------------


def test_checksum_is_the_file_as_written_whatever_the_database(tmp_path: Path) -> None:
    text = "CREATE DATABASE IF NOT EXISTS ${database};\nCREATE TABLE ${database}.t (id INT);\n"
    path = write(tmp_path, "V001__x.sql", text)
    app, shop = load_migration(path, {"database": "app"}), load_migration(path, SHOP)
    assert app.checksum == shop.checksum == hashlib.sha256(text.encode()).hexdigest()
    assert shop.statements[1].text == "CREATE TABLE shop.t (id INT)"
    assert app.statements[1].text == "CREATE TABLE app.t (id INT)"


def test_project_migrations_take_the_schema_from_the_placeholder() -> None:
    found = discover(REPO_SQL, SHOP)
    texts = [s.text for m in found for s in m.statements]
    assert any(t.startswith("CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4") for t in texts)
    assert not any("app." in t or " app " in t for t in texts), "a migration still names `app`"
    for table in ("customers", "products", "orders", "order_items"):
        assert any(t.startswith(f"CREATE TABLE IF NOT EXISTS shop.{table} (") for t in texts)
    assert any(t.startswith("CREATE PROCEDURE shop.add_order_item(") for t in texts)
    by_name = {m.script: m.checksum for m in found}
    assert by_name == {m.script: m.checksum for m in discover(REPO_SQL, {"database": "app"})}
