"""The statement splitter: line numbers, where comments and strings start, exact errors.

Written against the survivors of a mutation run (tests/mutation/); test_sql_split.py holds the
behaviour tests, these pin the corners they left open.
"""

from __future__ import annotations

import pytest

from mysql_platform.db import sql_split
from mysql_platform.db.sql_split import SplitError, Statement, split_sql


def test_leading_newlines_count_towards_the_first_line() -> None:
    assert split_sql("\nSELECT 1;") == [Statement("SELECT 1", 2)]
    assert split_sql("\n\n-- note\nSELECT 1;") == [Statement("SELECT 1", 4)]


def test_an_indented_statement_starts_at_its_first_character() -> None:
    assert split_sql("SELECT 1;\n\n   SELECT 2;\n\t\tSELECT\n3;") == [
        Statement("SELECT 1", 1),
        Statement("SELECT 2", 3),
        Statement("SELECT\n3", 4),
    ]


def test_crlf_inside_a_statement_becomes_lf() -> None:
    statements = split_sql("SELECT 1,\r\n  2;\r\nSELECT 3;\r\n")
    assert statements == [Statement("SELECT 1,\n  2", 1), Statement("SELECT 3", 3)]
    assert "\r" not in statements[0].text


def test_a_statement_may_start_with_a_string_or_a_quoted_name() -> None:
    assert split_sql("SELECT 1;\n'literal';\n`t`;") == [
        Statement("SELECT 1", 1),
        Statement("'literal'", 2),
        Statement("`t`", 3),
    ]


def test_empty_strings_are_strings() -> None:
    assert split_sql("SELECT '', \"\", 'x;y';") == [Statement("SELECT '', \"\", 'x;y'", 1)]


def test_executable_comment_is_kept_wherever_it_appears() -> None:
    assert split_sql("SELECT 1 /*!50000 + 1 */;\nSELECT 2 /*+ BKA(t) */ FROM t;") == [
        Statement("SELECT 1 /*!50000 + 1 */", 1),
        Statement("SELECT 2 /*+ BKA(t) */ FROM t", 2),
    ]


def test_an_ordinary_comment_after_an_executable_one_is_dropped() -> None:
    assert split_sql("/*!40101 SET NAMES utf8 */;\nSELECT /* plain */ 1;") == [
        Statement("/*!40101 SET NAMES utf8 */", 1),
        Statement("SELECT  1", 2),  # the comment goes, the spaces around it stay (as in the client)
    ]


def test_a_comment_opening_with_a_slash_ends_at_the_next_star_slash() -> None:
    assert split_sql("SELECT 1 /*/ still comment; */;") == [Statement("SELECT 1", 1)]


def test_a_dash_dash_comment_at_the_very_end() -> None:
    assert split_sql("SELECT 1; -- trailing") == [Statement("SELECT 1", 1)]
    assert split_sql("SELECT 1 --") == [Statement("SELECT 1", 1)]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1;\n/* never closed", "line 2: unterminated /* comment"),
        ("SELECT 1;\n\nSELECT 'open", "line 3: unterminated string starting with '"),
        ('SELECT "open', 'line 1: unterminated string starting with "'),
        ("SELECT `open", "line 1: unterminated string starting with `"),
        ("DELIMITER \nSELECT 1;", "line 1: DELIMITER takes exactly one token, got 'DELIMITER'"),
        ("SELECT 1;\nDELIMITER // x", "line 2: DELIMITER takes exactly one token, got 'DELIMITER // x'"),
        ("DELIMITER \\g", "line 1: DELIMITER token may not contain a backslash, got '\\\\g'"),
    ],
)
def test_rejects_with_an_exact_message(sql: str, message: str) -> None:
    with pytest.raises(SplitError) as info:
        split_sql(sql)
    assert str(info.value) == message
    assert info.value.line == int(message.split(":")[0].removeprefix("line "))


# --- a statement's bytes, and its text for a message ------------------------------------------


def test_encoded_gives_back_the_files_bytes_undecodable_ones_included() -> None:
    assert sql_split.encoded("SELECT 'é'") == b"SELECT '\xc3\xa9'"
    # A byte that is no UTF-8 is read as a lone surrogate and written back as that byte.
    raw = b"INSERT INTO t VALUES ('\xff\xfe')"
    assert sql_split.encoded(raw.decode("utf-8", "surrogateescape")) == raw


def test_printable_shows_undecodable_bytes_as_the_replacement_character() -> None:
    text = b"SELECT '\xff' -- \xc3\xa9".decode("utf-8", "surrogateescape")
    assert sql_split.printable(text) == "SELECT '\ufffd' -- é"
    assert sql_split.printable("SELECT 1") == "SELECT 1"


def test_a_statement_that_opens_with_an_optimizer_hint_starts_at_the_hint() -> None:
    assert split_sql("SELECT 1;\n\n/*+ BKA(t) */ SELECT 2;") == [
        Statement("SELECT 1", 1),
        Statement("/*+ BKA(t) */ SELECT 2", 3),
    ]


def test_a_comment_between_code_and_a_string_becomes_one_space_not_two() -> None:
    assert split_sql("SELECT/* c */1,'x';") == [Statement("SELECT 1,'x'", 1)]


def test_binary_bytes_may_sit_in_a_string_literal_but_not_in_a_quoted_identifier() -> None:
    byte = b"\xff".decode("utf-8", "surrogateescape")
    assert split_sql(f"SELECT 'a{byte}b';") == [Statement(f"SELECT 'a{byte}b'", 1)]
    with pytest.raises(SplitError) as info:
        split_sql(f"SELECT 1;\nSELECT `a{byte}b`;")
    assert str(info.value) == (
        "line 2: bytes that are not UTF-8 outside a string literal "
        "(only string literals may hold binary data)"
    )


def test_binary_bytes_in_a_quoted_identifier_are_reported_on_their_own_line() -> None:
    # The identifier starts on line 1; the byte sits two line ends into it.
    byte = b"\xff".decode("utf-8", "surrogateescape")
    with pytest.raises(SplitError) as info:
        split_sql(f"SELECT `a\n\nb{byte}`;")
    assert str(info.value).startswith("line 3: bytes that are not UTF-8 outside a string literal")


def test_a_comment_before_a_quoted_name_becomes_one_space() -> None:
    assert split_sql("SELECT/* c */`x`, 1/* d */ `y`;") == [Statement("SELECT `x`, 1 `y`", 1)]
