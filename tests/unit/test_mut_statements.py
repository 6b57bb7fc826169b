"""The router's statement classifier: the reason a refused hint names, and the corners of its
lexer and grammar that test_router_statements.py leaves open.

Written against the survivors of a mutation run (tests/mutation/). Each reason is the text a
service sees in :class:`RoutingRefused` when it puts ``/* router:reader */`` on a statement that
no hint sends to a replica. Pure: no server.
"""

from __future__ import annotations

import pytest

from mysql_platform.router import statements
from mysql_platform.router.errors import RoutingRefused
from mysql_platform.router.statements import Route, reads_diagnostics, route_of, statement_count, tokens


def refusal(sql: str) -> str:
    with pytest.raises(RoutingRefused) as info:
        route_of(f"/* router:reader */ {sql}")
    return str(info.value)


def because(reason: str) -> str:
    return (
        "the hint /* router:reader */ only declares the stored functions a read calls read-only, but "
        f"this statement goes to the writer because {reason}: no hint sends that to a replica; "
        "remove the hint"
    )


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("", "the router recognises no statement in it"),
        ("( (", "the router recognises no statement in it"),
        ("DELETE FROM t", "DELETE is no read"),
        ("SET @x = 1", "SET changes the connection's session"),
        ("CREATE TEMPORARY TABLE t (a INT)", "CREATE changes the connection's session"),
        (
            "SELECT 1 /*! , 2 */",
            "it holds an executable comment (/*! ... */), which the router does not judge",
        ),
        ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE runs the statement"),
        (
            "EXPLAIN FOR CONNECTION 7",
            "EXPLAIN FOR CONNECTION explains a statement of one server's connection",
        ),
        ("EXPLAIN", "the router recognises no statement in it"),
        ("EXPLAIN FORMAT = JSON", "the router recognises no statement in it"),
        ("EXPLAIN DELETE FROM t", "it explains a statement that is no read"),
        ("EXPLAIN EXTENDED DELETE FROM t", "it explains a statement that is no read"),
        (
            "SHOW PROCESSLIST",
            "SHOW PROCESSLIST answers about one server, and the writer's answer is the one to have",
        ),
        ("SHOW", "SHOW  answers about one server, and the writer's answer is the one to have"),
        ("SHOW FULL", "SHOW  answers about one server, and the writer's answer is the one to have"),
        ("SHOW WARNINGS", "SHOW WARNINGS reads what the previous statement left on its connection"),
        ("SHOW LOCAL STATUS", "SHOW LOCAL reads what the previous statement left on its connection"),
        ("SELECT a INTO @x FROM t", "it writes into variables or a file (INTO)"),
        ("SELECT * FROM t FOR UPDATE", "it locks rows"),
        ("SELECT * FROM t FOR SHARE", "it locks rows"),
        ("SELECT * FROM t LOCK IN SHARE MODE", "it locks rows"),
        (
            "SELECT SQL_CALC_FOUND_ROWS a FROM t",
            "SQL_CALC_FOUND_ROWS keeps a row count for FOUND_ROWS() on its connection",
        ),
        ("SELECT @x := 1", "it assigns a user variable (:=)"),
        ("SELECT NEXT VALUE FOR s", "it uses a sequence"),
        ("SELECT PREVIOUS VALUE FOR s", "it uses a sequence"),
        ("SELECT s.nextval", "it uses a sequence"),
        ("SELECT s.currval", "it uses a sequence"),
        (
            "SELECT GET_LOCK('x', 1)",
            "it calls GET_LOCK(), whose effect or answer belongs to one connection or one server",
        ),
        ("SELECT @@warning_count", "it reads what the previous statement left on its connection (@@...)"),
        ("SELECT 1; SELECT 2", "it holds more than one statement"),
    ],
)
def test_a_refused_reader_hint_names_the_reason(sql: str, reason: str) -> None:
    assert refusal(sql) == because(reason)


def test_the_effect_found_first_is_the_one_named() -> None:
    assert refusal("SELECT a INTO @x FROM t FOR UPDATE") == because(
        "it writes into variables or a file (INTO)"
    )
    assert refusal("SELECT 1 FOR UPDATE; SELECT 2") == because("it holds more than one statement")


# --- words that look like effects and are none ----------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT nextval FROM t",  # a column named nextval
        "SELECT currval, `for`, `update` FROM t",
        "SELECT a FROM t WHERE b = 'FOR UPDATE'",
        "SELECT next FROM t",
        "SELECT a.value FROM t a",
        "SELECT last_insert_id FROM t",
        "SELECT t.get_lock FROM t",
        "SELECT 1 FOR",
        "SELECT lock FROM t",
        # nested parentheses inside a common table expression
        "WITH a AS (SELECT (1)) SELECT * FROM a",
        "WITH a AS (SELECT ((1))), b AS (SELECT 2) SELECT * FROM a, b",
        "DESCRIBE t c",
        "EXPLAIN EXTENDED SELECT 1",
        "EXPLAIN FORMAT=TREE SELECT tree FROM t",
        "SHOW FULL TABLES",
        "SHOW STORAGE ENGINES",
        "SHOW EXTENDED COLUMNS FROM t",
        "EXPLAIN FORMAT=JSON SELECT json(1)",  # JSON is a type name (CAST ... AS JSON): no call
    ],
)
def test_reads_that_only_look_like_effects(sql: str) -> None:
    assert route_of(sql) is Route.READ


@pytest.mark.parametrize(
    "sql",
    [
        "WITH a AS (SELECT (1)) DELETE FROM t",
        "SELECT app.nextval(1)",
        "SELECT LAST_INSERT_ID(), 1",
        "SELECT @@local.warning_count",
        "SELECT @@SESSION.error_count",
        "SELECT @@`warning_count`",
        "SELECT tree(1)",  # outside EXPLAIN's options, a name like any other: a stored function
    ],
)
def test_writes_that_hide_in_reads(sql: str) -> None:
    assert route_of(sql) is Route.WRITE


# --- diagnostics ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "reads"),
    [
        ("SHOW LOCAL STATUS", True),
        ("SHOW SESSION WARNINGS", True),
        ("SHOW GLOBAL STATUS", False),
        ("SHOW", False),
        ("SHOW SESSION", False),
        ("(SHOW WARNINGS)", True),
        ("GET CURRENT DIAGNOSTICS @n = NUMBER", True),
        ("GET DIAGNOSTICS", True),
        ("GET x y DIAGNOSTICS", False),
        ("SELECT LAST_INSERT_ID(), 1", True),
        ("SELECT LAST_INSERT_ID(1)", False),
        ("SELECT ROW_COUNT(1)", True),
        ("SELECT @@local.warning_count", True),
        ("SELECT @@global.warning_count", False),
        ("SELECT @@`warning_count`", True),
        ("SELECT @@", False),
        ("SELECT @@session.", False),
        (".FOUND_ROWS()", False),
        ("FOUND_ROWS() .", True),
        ("SELECT found_rows", False),
        ("SELECT x.row_count()", False),
    ],
)
def test_which_statements_read_diagnostics(sql: str, reads: bool) -> None:
    assert reads_diagnostics(sql) is reads


def test_a_backslash_is_read_both_ways_for_diagnostics() -> None:
    # With backslash escapes the string ends at the last quote; without, at the second one, and
    # FOUND_ROWS() is code.
    assert reads_diagnostics("SELECT 'a\\', FOUND_ROWS(), '") is True
    assert reads_diagnostics("SELECT 'a\\'', FOUND_ROWS()") is True


# --- the lexer ------------------------------------------------------------------------------


def test_tokens_of_every_kind() -> None:
    sql = "select `a``b`, 'x', \"y\", @@v, @u := 1 -- c\n# d\n/* e\n f */ FROM t;"
    assert tokens(sql) == [
        "SELECT", "`A`B`", ",", "''", ",", '""', ",", "@@", "V", ",", "@", "U", ":=", "1", "FROM", "T", ";",
    ]  # fmt: skip
    assert tokens("SELECT 1 /*! , 2 */") is None
    assert tokens("SELECT 1 /*M!100101 , 2 */") is None


@pytest.mark.parametrize("backslash", [True, False])
def test_the_scanners_built_from_the_quote_patterns(backslash: bool) -> None:
    sq, dq = (statements._SQ, statements._DQ) if backslash else (statements._SQ_PLAIN, statements._DQ_PLAIN)
    scanner = statements._scanner(sq, dq)
    text = "ñame 'it''s' \"q\" `b` /*!1 x */ /* c\nd */ --\te\n# f\n-- g\n--1 @@ := ;"
    kinds = [(m.lastgroup, m.group(m.lastgroup or 0)) for m in scanner.finditer(text)]
    assert kinds == [
        ("word", "ñame"),
        ("sq", "'it''s'"),
        ("dq", '"q"'),
        ("bq", "`b`"),
        ("code", " x "),
        ("block", " c\nd "),
        ("line", "\te"),
        ("line", " f"),
        ("line", " g"),
        ("punct", "-"),
        ("punct", "-"),
        ("word", "1"),
        ("punct", "@@"),
        ("punct", ":="),
        ("punct", ";"),
    ]
    escaped = [m.group(m.lastgroup or 0) for m in scanner.finditer("'a\\'b' x")]
    assert escaped == (["'a\\'b'", "x"] if backslash else ["'a\\'", "b", "'", "x"])


def test_a_control_character_opens_a_dash_comment_and_a_non_ascii_space_does_not() -> None:
    assert statement_count("SELECT 1 --\x7f; DELETE FROM t") == 1
    assert statement_count("SELECT 1 --\x01; DELETE FROM t") == 1
    assert statement_count("SELECT 1 --\u00a0; DELETE FROM t") == 2
    assert statement_count("SELECT 1 --") == 1


# --- stored function calls ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "calls"),
    [
        ("SELECT 1 /*! , now () */", True),  # an executable comment's spaced name is an identifier too
        ("SELECT 1 /*! , now() */", False),
        ("SELECT _f(1)", True),
        ("SELECT $f(1)", True),
        ('SELECT "f"(1)', True),  # an identifier under ANSI_QUOTES
        ("SELECT 1 (2)", False),
        ("SELECT x.y.f(1)", True),
        ("EXPLAIN FORMAT=TREE (SELECT 1)", False),
        ("(EXPLAIN FORMAT = TREE (SELECT 1))", False),
        ("SELECT tree (1)", True),
        ("SELECT * FROM JSON_TABLE('[]', \"$[*]\" COLUMNS (a INT PATH '$.a')) AS j", False),
        ("WITH RECURSIVE r (n) AS (SELECT 1) SELECT * FROM r", False),
        ("WITH r (n) AS (SELECT 1), s (m) AS (SELECT 2) SELECT * FROM r, s", False),
        ("SELECT r (n) FROM t", True),  # a name before "(" that starts no AS ( is a call
        ("SELECT a FROM t WHERE f (n) AS x", True),
    ],
)
def test_which_statements_call_stored_functions(sql: str, calls: bool) -> None:
    assert statements.calls_stored_functions(sql) is calls


def test_declared_read_only_functions_are_no_stored_calls() -> None:
    assert statements.calls_stored_functions("SELECT app.report(1)", frozenset({"app.report"})) is False
    assert (
        statements.calls_stored_functions("SELECT app.report(1), bump()", frozenset({"app.report"})) is True
    )


def test_a_qualified_name_like_a_lock_function_is_a_stored_function_a_hint_may_declare() -> None:
    assert route_of("/* router:reader */ SELECT app.get_lock(1)") is Route.READ
    assert route_of("SELECT app.get_lock(1)") is Route.WRITE
    assert route_of("/* ROUTER:Reader */ SELECT app.bump()") is Route.READ
    assert route_of("/* Router:Writer */ SELECT 1") is Route.WRITE


def test_create_or_replace_without_temporary_is_a_write() -> None:
    assert route_of("CREATE OR REPLACE TABLE t (a INT)") is Route.WRITE
    assert route_of("CREATE OR REPLACE VIEW v AS SELECT 1") is Route.WRITE
    assert route_of("CREATE OR TEMPORARY TABLE t (a INT)") is Route.WRITE
    assert route_of("DROP") is Route.WRITE
    assert route_of("CREATE") is Route.WRITE


def test_a_declared_name_is_matched_whole() -> None:
    # Letters the backquotes sit beside are part of the name.
    assert statements.route_for("SELECT xapp.fix(1)", frozenset({"xapp.fix"})) is Route.READ
    assert statements.route_for("SELECT `xapp`.`fix`(1)", frozenset({"xapp.fix"})) is Route.READ
    assert statements.route_for("SELECT xapp.fix(1)", frozenset({"app.fi"})) is Route.WRITE


def test_a_call_as_the_whole_statement_names_its_function() -> None:
    # What the router's plans ask of a text that is only a call (plans.py): the name as written.
    assert statements.calls_stored_functions("bump()") is True
    assert statements.calls_stored_functions("a.f()", frozenset({"a.f"})) is False
    assert statements.calls_stored_functions("a.f()", frozenset({".f"})) is True
    assert statements.calls_stored_functions(".f()", frozenset({".f"})) is False


@pytest.mark.parametrize(
    "sql", ["SELECT ~(1)", "SELECT 1 |(2)", "SELECT 1 ^(2)", "SELECT a FROM t WHERE b = {(1)}"]
)
def test_operators_before_a_parenthesis_call_nothing(sql: str) -> None:
    assert route_of(sql) is Route.READ


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT \x80f(1)",  # U+0080, the first character an unquoted identifier may start with
        "SELECT bump(1",  # unbalanced: still a call
        "SELECT bump((1) AS (2))",
        "SELECT (bump(1)) AS (x)",
        "WITH a (x) AS (SELECT 1) SELECT bump(1) FROM a",  # only the CTE's own name is no call
    ],
)
def test_calls_the_classifier_must_not_miss(sql: str) -> None:
    assert route_of(sql) is Route.WRITE


@pytest.mark.parametrize(
    ("sql", "calls"),
    [
        ("EXPLAIN EXTENDED bump(1)", True),  # the first word after the options is the statement's
        ("DESCRIBE FORMAT=TREE (SELECT 1)", False),
        ("DESC FORMAT=TREE (SELECT 1)", False),
        ("EXPLAIN FORMAT", False),
        ("(", False),
        ("SELECT bump(", True),
    ],
)
def test_explain_options_and_the_last_word(sql: str, calls: bool) -> None:
    assert statements.calls_stored_functions(sql) is calls
