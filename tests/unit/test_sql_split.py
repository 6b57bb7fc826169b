"""The statement splitter: delimiters, strings, comments, line numbers."""

from __future__ import annotations

import re

import pytest

from mysql_platform.db.sql_split import SplitError, Statement, split_sql


def texts(sql: str) -> list[str]:
    return [s.text for s in split_sql(sql)]


def test_splits_on_semicolons_and_reports_start_lines() -> None:
    sql = "SELECT 1;\n\nSELECT\n  2;\nSELECT 3;"
    assert split_sql(sql) == [
        Statement("SELECT 1", 1),
        Statement("SELECT\n  2", 3),
        Statement("SELECT 3", 5),
    ]


def test_empty_and_whitespace_and_comment_only_input_give_no_statements() -> None:
    assert split_sql("") == []
    assert split_sql("  \n\t\n") == []
    assert split_sql("-- nothing\n# still nothing\n/* nor ; this */\n") == []
    assert split_sql(";;\n;") == []


def test_keeps_a_trailing_statement_without_delimiter() -> None:
    assert split_sql("SELECT 1;\nSELECT 2\n") == [Statement("SELECT 1", 1), Statement("SELECT 2", 2)]


@pytest.mark.parametrize(
    "literal",
    [
        "'a;b'",
        '"a;b"',
        "`a;b`",
        r"'it\'s; fine'",
        "'it''s; fine'",
        '"say ""hi""; then"',
        r'"back\"slash;"',
        "`odd``name;`",
        r"'ends with backslash\\'",
        "'multi\nline;\nstring'",
        "'-- not a comment; # nor this /* nor this */'",
    ],
)
def test_delimiter_inside_strings_is_text(literal: str) -> None:
    assert texts(f"SELECT {literal};SELECT 2;") == [f"SELECT {literal}", "SELECT 2"]


def test_drops_ordinary_comments_of_each_kind() -> None:
    sql = (
        "-- leading comment; with semicolon\n"
        "SELECT 1; # hash comment; with semicolon\n"
        "SELECT /* inline; */ 2;\n"
        "/* multi\n line; comment */ SELECT 3;\n"
        "SELECT 4 -- trailing\n;\n"
    )
    assert texts(sql) == ["SELECT 1", "SELECT  2", "SELECT 3", "SELECT 4"]
    assert [s.line for s in split_sql(sql)] == [2, 3, 5, 6]


def test_block_comment_between_tokens_keeps_them_apart() -> None:
    assert texts("SELECT/**/1;") == ["SELECT 1"]


def test_double_dash_without_space_is_not_a_comment() -> None:
    assert texts("SELECT 1--1;\nSELECT 2 --\n;") == ["SELECT 1--1", "SELECT 2"]


def test_keeps_executable_comments_and_hints() -> None:
    sql = "/*!40101 SET @a = 1 */;\n/*M!100000 SET @b = 2 */;\nSELECT /*+ MAX_EXECUTION_TIME(5) */ 1;"
    assert texts(sql) == [
        "/*!40101 SET @a = 1 */",
        "/*M!100000 SET @b = 2 */",
        "SELECT /*+ MAX_EXECUTION_TIME(5) */ 1",
    ]


def test_the_delimiter_ends_a_statement_even_inside_an_executable_comment() -> None:
    # As in the mariadb client (`SELECT 5 /*!50000 ; SELECT 6 */;` reaches the server as
    # `SELECT 5 /*!50000`): the comment's content is code to it.
    assert texts("/*!50003 SET @x = 1; */;") == ["/*!50003 SET @x = 1", "*/"]


def test_inside_an_executable_comment_strings_are_strings_and_comments_are_dropped() -> None:
    # What mysqldump wraps trigger bodies in: `*/` in a string does not end the comment.
    sql = "SELECT 7 /*!50000 + LENGTH('*/') -- c\n + 1 # d\n */ AS z;\nSELECT 8;"
    assert texts(sql) == ["SELECT 7 /*!50000 + LENGTH('*/') \n + 1 \n */ AS z", "SELECT 8"]


PROCEDURE = """\
CREATE TABLE t (a INT);
DELIMITER //
CREATE PROCEDURE p()
BEGIN
  INSERT INTO t VALUES (1); -- inside body
  SELECT ';' ;
END//
DELIMITER ;
CALL p();
"""


def test_delimiter_block_keeps_procedure_body_whole() -> None:
    stmts = split_sql(PROCEDURE)
    assert [s.line for s in stmts] == [1, 3, 9]
    assert stmts[0].text == "CREATE TABLE t (a INT)"
    assert stmts[1].text.startswith("CREATE PROCEDURE p()\nBEGIN\n  INSERT INTO t VALUES (1);")
    assert stmts[1].text.endswith("SELECT ';' ;\nEND")
    assert "inside body" not in stmts[1].text
    assert stmts[2].text == "CALL p()"


def test_delimiter_is_case_insensitive_multichar_and_indented() -> None:
    sql = "  delimiter $$\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET @a=1; END $$\n"
    sql += "DELIMITER ;;\nSELECT 1;;\nDelimiter ;\nSELECT 2;"
    assert texts(sql) == [
        "CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET @a=1; END",
        "SELECT 1",
        "SELECT 2",
    ]


def test_delimiter_after_a_comment_line_is_recognised() -> None:
    assert texts("-- switch\nDELIMITER //\nSELECT 1; SELECT 2//") == ["SELECT 1; SELECT 2"]


def test_last_statement_in_a_delimiter_block_may_omit_the_delimiter() -> None:
    assert texts("DELIMITER //\nBEGIN NOT ATOMIC SELECT 1; END") == ["BEGIN NOT ATOMIC SELECT 1; END"]


def test_word_delimiter_inside_a_statement_is_not_a_directive() -> None:
    # Only a line between statements is a directive; here it is a column name in SQL.
    assert texts("SELECT a,\ndelimiter x FROM t;") == ["SELECT a,\ndelimiter x FROM t"]


def test_crlf_line_endings() -> None:
    assert split_sql("SELECT 1;\r\nDELIMITER //\r\nSELECT 2//\r\n") == [
        Statement("SELECT 1", 1),
        Statement("SELECT 2", 3),
    ]


def test_line_numbers_count_lines_inside_strings_and_comments() -> None:
    sql = "SELECT 'a\nb';\n/* x\ny\nz */\nSELECT 2;"
    assert [s.line for s in split_sql(sql)] == [1, 6]


@pytest.mark.parametrize(
    ("sql", "line", "what"),
    [
        ("SELECT 1;\nSELECT 'oops;\n", 2, "unterminated string"),
        ('SELECT "x', 1, "unterminated string"),
        ("SELECT 1;\n\nSELECT `x", 3, "unterminated string"),
        ("SELECT 1; /* never closed\n", 1, "unterminated /* comment"),
        ("DELIMITER\t// extra\nSELECT 1//", 1, "exactly one token"),
        ("SELECT 1;\nDELIMITER \\x\n", 2, "backslash"),
    ],
)
def test_rejects_malformed_input_naming_the_line(sql: str, line: int, what: str) -> None:
    with pytest.raises(SplitError, match=re.escape(what)) as info:
        split_sql(sql)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}:")


def test_large_script_splits_quickly() -> None:
    sql = "".join(f"INSERT INTO t VALUES ({i}, 'v;{i}'); -- c\n" for i in range(20000))
    stmts = split_sql(sql)
    assert len(stmts) == 20000
    assert stmts[-1] == Statement("INSERT INTO t VALUES (19999, 'v;19999')", 20000)


def test_statements_remember_the_delimiter_in_force() -> None:
    stmts = split_sql(PROCEDURE)
    assert [s.delimiter for s in stmts] == [";", "//", ";"]
