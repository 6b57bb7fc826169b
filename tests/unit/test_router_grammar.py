"""Generated statements against the router's classifier: no effectful form is ever a READ.

Statement forms come from MariaDB's and MySQL 8.4's grammar: writes, DDL of every object kind,
administration, session statements, row locks, SELECT ... INTO, user-variable assignment,
SQL_CALC_FOUND_ROWS, functions with effects or per-connection answers, stored function calls,
executable comments, and reads of the previous statement's diagnostics. Each is wrapped in
generated noise: random case, comments and newlines between tokens, leading parentheses,
WITH prefixes, EXPLAIN ANALYZE, quoted identifiers and string literals holding keywords, `;`,
quotes and comment markers. The companion properties generate plain reads (columns and built-in
read functions, joins, subqueries, UNION, WITH, SHOW, DESCRIBE, EXPLAIN) and require READ, so
the test fails both ways.

Settings: ``derandomize=True`` makes every run draw the same examples, so CI is reproducible
(a failure is a failure of the code, not of the draw) and ``database=None`` keeps no example
database in the checkout; ``deadline=None`` because the first calls pay for regex compilation
and a loaded CI machine must not turn that into a flaky failure. The counts below are CI's
(``make test`` sets HYPOTHESIS_PROFILE=ci; the module takes near 5 s there); the unit profile,
the default, draws a tenth of each (tests/support/properties.py).
"""

from __future__ import annotations

import random
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysql_platform.router.errors import RoutingRefused
from mysql_platform.router.statements import Route, reads_diagnostics, route_of, statement_count
from tests.support.properties import example_count

Pieces = list[str]
Strategy = st.SearchStrategy[Pieces]


def examples(count: int) -> settings:
    """``count`` examples in CI (HYPOTHESIS_PROFILE=ci), a tenth in the quick unit loop."""
    return settings(
        max_examples=example_count(count),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ----- building blocks ---------------------------------------------------------------------------


def words(text: str) -> Pieces:
    return text.split()


def one(*texts: str) -> Strategy:
    """One of ``texts``, each split into pieces at spaces."""
    return st.sampled_from([words(t) for t in texts])


def seq(*parts: Strategy | str) -> Strategy:
    """The concatenation of ``parts`` (a str is fixed pieces)."""
    strategies = [st.just(words(p)) if isinstance(p, str) else p for p in parts]
    return st.tuples(*strategies).map(lambda pieces: [w for part in pieces for w in part])


def opt(part: Strategy | str) -> Strategy:
    return st.one_of(st.just([]), seq(part))


def commas(part: Strategy, max_size: int = 3) -> Strategy:
    def join(items: list[Pieces]) -> Pieces:
        out: Pieces = []
        for i, item in enumerate(items):
            out += ([","] if i else []) + item
        return out

    return st.lists(part, min_size=1, max_size=max_size).map(join)


def backquoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Contents that mean something outside a quote: keywords, separators, quote and comment marks.
HOSTILE = [
    "select",
    ";",
    "'",
    '"',
    "*/",
    "/*",
    "/*!",
    "-- x",
    "#",
    "into",
    "for update",
    "a`b",
    "bump()",
    "@@warning_count",
]
PLAIN_NAMES = ["t", "orders", "products", "stock", "id", "a", "b", "price", "customer_id", "created_at"]

name = st.one_of(st.sampled_from(PLAIN_NAMES), st.sampled_from(HOSTILE).map(backquoted))
table = st.one_of(name, st.tuples(st.sampled_from(PLAIN_NAMES), name).map(lambda p: f"{p[0]}.{p[1]}")).map(
    lambda n: [n]
)
column = name.map(lambda n: [n])
string = st.sampled_from(
    [*HOSTILE, "x%", "FOR UPDATE", "; DELETE FROM t", "router:reader", "INTO @x", ""]
).map(lambda s: [quoted(s)])
number = st.integers(0, 99).map(lambda n: [str(n)])
literal = st.one_of(string, number, st.just(["%s"]), st.just(["NULL"]))

# Separators between pieces: whitespace and comments whose content would mean something as code.
COMMENT_TEXTS = [
    "c",
    "select",
    "into @x",
    "for update",
    ";",
    "'",
    "`",
    "bump()",
    "SELECT * FROM t FOR UPDATE",
]
# Whitespace is the common separator, comments the rarer one.
SEPARATORS = (
    [" "] * 12
    + ["  ", "\n", "\t", " \r\n ", "/**/"]
    + [form.format(c) for c in COMMENT_TEXTS for form in (" /* {} */ ", " -- {}\n", " #{}\n")]
)


@st.composite
def render(draw: st.DrawFn, statement: Strategy) -> str:
    """The statement's pieces in random case, joined by random separators."""
    pieces = draw(statement)
    # Case and separators come from one drawn seed: a draw per character would cost ten times more.
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    out = rnd.choice(["", " ", "\n", "/* lead */ "])
    for i, piece in enumerate(pieces):
        if i:
            out += rnd.choice(SEPARATORS)
        if piece[:1] not in {"'", "`", '"'} and not piece.startswith("/*"):
            piece = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in piece)
        out += piece
    return out + rnd.choice(["", ";", " ;\n", "; -- end\n"])


# ----- plain reads -------------------------------------------------------------------------------

# A built-in's name and its "(" are one piece: no separator comes between (see stored_call).
READ_FUNCTIONS_1 = [
    "ABS",
    "UPPER",
    "LOWER",
    "LENGTH",
    "MD5",
    "HEX",
    "ROUND",
    "FLOOR",
    "DATE",
    "YEAR",
    "JSON_TYPE",
]
READ_FUNCTIONS_2 = [
    "CONCAT",
    "COALESCE",
    "IFNULL",
    "GREATEST",
    "LEAST",
    "LEFT",
    "RIGHT",
    "JSON_EXTRACT",
    "DATE_FORMAT",
]


@cache  # one strategy per arguments: the grammar refers to itself
def expression(depth: int, effect: Strategy | None = None) -> Strategy:
    """An expression of built-in read functions; with ``effect``, one leaf is that effect."""
    leaves = [column, literal, st.just(["NOW(", ")"]), st.just(["CURRENT_TIMESTAMP"])]
    leaf = st.one_of(*leaves) if effect is None else effect
    if depth <= 0:
        return leaf
    sub = expression(depth - 1)
    inner = expression(depth - 1, effect)
    plain_or_effect = inner  # the branch the effect (if any) travels down
    forms = [
        seq(st.sampled_from(READ_FUNCTIONS_1).map(lambda f: [f + "("]), plain_or_effect, ")"),
        seq(st.sampled_from(READ_FUNCTIONS_2).map(lambda f: [f + "("]), plain_or_effect, ",", sub, ")"),
        seq("IF(", plain_or_effect, ",", sub, ",", sub, ")"),
        seq(
            "CAST(",
            plain_or_effect,
            "AS",
            one("DECIMAL ( 10 , 2 )", "CHAR ( 20 )", "SIGNED", "DATETIME ( 6 )"),
            ")",
        ),
        seq("CONVERT(", plain_or_effect, ",", one("DECIMAL ( 5 , 1 )", "CHAR", "UNSIGNED"), ")"),
        seq("CONVERT(", plain_or_effect, "USING utf8mb4 )"),
        seq("EXTRACT( YEAR FROM", plain_or_effect, ")"),
        seq("SUBSTRING(", plain_or_effect, "FROM 1 FOR 2 )"),
        seq("TRIM( LEADING 'x' FROM", plain_or_effect, ")"),
        seq("DATE_ADD(", plain_or_effect, ", INTERVAL 1 DAY )"),
        seq("CASE WHEN", plain_or_effect, "THEN", sub, "ELSE", sub, "END"),
        seq("COUNT( DISTINCT", plain_or_effect, ")"),
        seq("SUM(", plain_or_effect, ")"),
        seq("GROUP_CONCAT(", plain_or_effect, "ORDER BY", column, "SEPARATOR ',' )"),
        seq(plain_or_effect, one("+", "-", "*", "=", "<>", "AND", "OR", "LIKE", "IS NOT"), sub),
        seq(plain_or_effect, "IN (", commas(sub), ")"),
        seq(plain_or_effect, "BETWEEN", sub, "AND", sub),
        seq("NOT (", plain_or_effect, ")"),
        seq("(", plain_or_effect, ")"),
        seq("(", select_core(depth - 1, effect), ")"),
        seq("EXISTS (", select_core(depth - 1, effect), ")"),
        seq(sub, "IN (", select_core(depth - 1, effect), ")"),
    ]
    if effect is None:
        forms += [
            seq("ROW_NUMBER( ) OVER ( PARTITION BY", column, "ORDER BY", column, ")"),
            seq("MATCH(", column, ") AGAINST ( 'x' IN BOOLEAN MODE )"),
            seq("COUNT( * )"),
        ]
    # The leaf (or the effect) itself half of the time: statements stay small.
    return st.one_of(leaf, st.one_of(*forms))


@cache  # one strategy per arguments: the grammar refers to itself
def select_item(depth: int, effect: Strategy | None) -> Strategy:
    return st.one_of(
        seq(expression(depth, effect), opt(seq("AS", column))),
        *([st.just(["*"]), table.map(lambda t: [*t, ".", "*"])] if effect is None else []),
    )


@cache  # one strategy per arguments: the grammar refers to itself
def table_ref(depth: int) -> Strategy:
    simple = seq(
        table, opt(seq("AS", column)), opt(one("USE INDEX ( i )", "FORCE KEY ( i )", "PARTITION ( p0 )"))
    )
    if depth <= 0:
        return simple
    return st.one_of(
        simple,
        seq(
            simple,
            one("JOIN", "LEFT JOIN", "INNER JOIN", "CROSS JOIN", "STRAIGHT_JOIN"),
            simple,
            "ON",
            expression(0),
        ),
        seq(simple, one("JOIN", "LEFT OUTER JOIN", "NATURAL JOIN"), simple, "USING (", column, ")"),
        seq("(", select_core(depth - 1), ") AS", column, opt(seq("(", commas(column), ")"))),
        seq("JSON_TABLE( '[]' , '$[*]' COLUMNS ( a INT PATH '$.a' , b VARCHAR ( 10 ) PATH '$.b' ) ) AS j"),
    )


@cache  # one strategy per arguments: the grammar refers to itself
def select_core(depth: int, effect: Strategy | None = None) -> Strategy:
    """SELECT ...; with ``effect``, in its select list, its WHERE or one of its subqueries."""
    # Around an effect the plain parts stay shallow: the effect's path is what is under test.
    plain = depth if effect is None else 0
    items = commas(select_item(plain, None), max_size=2)
    where = opt(seq("WHERE", expression(plain)))
    if effect is not None:
        with_effect = select_item(depth, effect)
        items = st.one_of(seq(with_effect), seq(items, ",", with_effect))
        where = st.one_of(where, seq("WHERE", expression(depth, effect)))
    return seq(
        "SELECT",
        opt(one("DISTINCT", "ALL", "SQL_NO_CACHE", "HIGH_PRIORITY", "STRAIGHT_JOIN")),
        items,
        opt(
            seq(
                "FROM",
                commas(table_ref(plain), max_size=2),
                where,
                opt(seq("GROUP BY", column, opt(seq("HAVING", expression(0))))),
                opt(seq("ORDER BY", column, opt(one("ASC", "DESC")))),
                opt(seq("LIMIT", number, opt(seq("OFFSET", number)))),
            )
        ),
    )


@cache  # one strategy per arguments: the grammar refers to itself
def query(depth: int, effect: Strategy | None = None) -> Strategy:
    core = select_core(depth, effect)
    plain = select_core(depth if effect is None else 0)
    return st.one_of(
        core,
        seq(core, one("UNION", "UNION ALL", "UNION DISTINCT", "INTERSECT", "EXCEPT"), plain),
        seq("(", plain, ") UNION (", core, ")"),
        seq(with_clause(depth), core),
    )


@cache  # one strategy per arguments: the grammar refers to itself
def with_clause(depth: int) -> Strategy:
    cte = st.one_of(
        seq(column, "AS (", select_core(max(depth - 1, 0)), ")"),
        seq(column, "(", commas(column), ") AS (", select_core(max(depth - 1, 0)), ")"),
    )
    return seq("WITH", opt("RECURSIVE"), commas(cte, max_size=2))


def parenthesised(statement: Strategy) -> Strategy:
    return st.integers(0, 2).flatmap(lambda n: statement.map(lambda s: ["("] * n + s + [")"] * n))


plain_select = parenthesised(query(1))
plain_reads = st.one_of(
    plain_select,
    seq("EXPLAIN", opt(one("FORMAT = JSON", "FORMAT = TREE", "EXTENDED")), query(1)),
    seq(one("DESCRIBE", "DESC", "EXPLAIN"), table, opt(column)),
    seq("TABLE", table, opt(seq("ORDER BY", column)), opt(seq("LIMIT", number))),
    seq("VALUES ROW (", commas(literal), ") , ROW (", commas(literal), ")"),
    seq("SHOW", opt("FULL"), "TABLES", opt(seq("FROM", column)), opt(seq("LIKE", string))),
    seq("SHOW", opt("FULL"), one("COLUMNS", "FIELDS", "INDEX", "KEYS"), "FROM", table),
    seq("SHOW CREATE", one("TABLE", "VIEW", "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "DATABASE"), table),
    seq(
        "SHOW",
        one("DATABASES", "SCHEMAS", "TABLE STATUS", "TRIGGERS", "EVENTS", "GRANTS", "PLUGINS", "ENGINES"),
    ),
    seq(
        "SHOW",
        one("FUNCTION STATUS", "PROCEDURE STATUS", "CHARACTER SET", "COLLATION"),
        opt(seq("LIKE", string)),
    ),
    seq("HELP", string),
)


# ----- effects -----------------------------------------------------------------------------------

stored_call = st.one_of(
    seq(
        st.tuples(
            st.sampled_from(["app", "util", "`app`"]), st.sampled_from(["bump", "f", "abs", "now"])
        ).map(lambda p: [f"{p[0]}.{p[1]}"]),
        "(",
        opt(commas(literal)),
        ")",
    ),
    seq(
        st.text("abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8).map(lambda s: ["sf_" + s]),
        "(",
        opt(commas(literal)),
        ")",
    ),
    seq(st.sampled_from(["bump", "now", "select", "if"]).map(lambda n: [backquoted(n)]), "(", ")"),
    # Built-ins whose name is an identifier when a space or comment comes before "(" (render puts
    # one between any two pieces): `now ()` calls a stored function `now`.
    seq(one("NOW", "COUNT", "SUM", "CURDATE", "SUBSTRING", "GROUP_CONCAT"), "(", opt(commas(literal)), ")"),
)
writer_function = one(
    "GET_LOCK ( 'x' , 1 )", "RELEASE_LOCK ( 'x' )", "RELEASE_ALL_LOCKS ( )", "IS_FREE_LOCK ( 'x' )",
    "IS_USED_LOCK ( 'x' )", "LAST_INSERT_ID ( )", "LAST_INSERT_ID ( 5 )", "FOUND_ROWS ( )", "ROW_COUNT ( )",
    "NEXTVAL ( s )", "LASTVAL ( s )", "SETVAL ( s , 9 )", "NEXT VALUE FOR s", "PREVIOUS VALUE FOR s",
    "MASTER_POS_WAIT ( 'f' , 4 )", "SOURCE_POS_WAIT ( 'f' , 4 )", "MASTER_GTID_WAIT ( '0-1-1' )",
    "WAIT_FOR_EXECUTED_GTID_SET ( 'x' )", "LOAD_FILE ( '/etc/hosts' )", "CONNECTION_ID ( )",
)  # fmt: skip
diagnostic_variable = one(
    "@@warning_count",
    "@@error_count",
    "@@identity",
    "@@last_insert_id",
    "@@insert_id",
    "@@session.warning_count",
    "@@LOCAL.error_count",
)
assignment = seq(one("@x", "@total", "@`a;b`"), ":=", expression(0))
expression_effects = st.one_of(stored_call, writer_function, diagnostic_variable, assignment)

lock_clause = st.one_of(
    seq("FOR UPDATE", opt(seq("OF", table)), opt(one("NOWAIT", "SKIP LOCKED", "WAIT 5"))),
    seq("FOR SHARE", opt(one("NOWAIT", "SKIP LOCKED"))),
    one("LOCK IN SHARE MODE"),
)
into_clause = st.one_of(
    seq("INTO", commas(one("@x", "@y", "@`a;b`"))),
    seq("INTO OUTFILE '/tmp/out'", opt("FIELDS TERMINATED BY ','")),
    one("INTO DUMPFILE '/tmp/out'"),
)
# One piece each: a separator's comment inside would end it, and MariaDB's marker is `M`, not `m`.
executable_comment = st.sampled_from(
    ["/*!50000 , 1 */", "/*M!100000 , 1 */", "/*! FOR UPDATE */", "/*!80000 */"]
).map(lambda c: [c])


def effectful_reads(depth: int) -> Strategy:
    """Reads made effectful: an effect inside an expression, or a clause, modifier or comment."""
    with_expression = query(depth, expression_effects)
    with_clause_effect = seq(select_core(0), st.one_of(lock_clause, into_clause))
    with_modifier = seq("SELECT SQL_CALC_FOUND_ROWS", commas(select_item(0, None)), "FROM", table)
    into_first = seq("SELECT", commas(column), into_clause, "FROM", table)
    locked_cte = seq("WITH", column, "AS (", select_core(0), lock_clause, ")", select_core(0))
    with_comment = st.tuples(select_core(0), executable_comment, st.integers(0, 50)).map(
        lambda p: p[0][: p[2]] + p[1] + p[0][p[2] :]
    )
    body = st.one_of(with_expression, with_clause_effect, with_modifier, into_first, locked_cte, with_comment)
    return st.one_of(
        parenthesised(body),
        seq(with_clause(0), body),
        seq(one("EXPLAIN", "DESCRIBE"), opt(one("FORMAT = JSON", "EXTENDED")), body),
        seq(one("EXPLAIN ANALYZE", "ANALYZE", "DESC ANALYZE"), query(0)),
    )


# Writes, DDL, administration: statements that change data, schema or the server.
OBJECT_KINDS = [
    "TABLE", "VIEW", "INDEX", "DATABASE", "SCHEMA", "FUNCTION", "PROCEDURE", "TRIGGER", "EVENT", "USER",
    "ROLE", "SERVER", "SEQUENCE", "TABLESPACE", "LOGFILE GROUP", "SPATIAL REFERENCE SYSTEM",
    "RESOURCE GROUP", "PACKAGE", "PACKAGE BODY", "SYNONYM",
]  # fmt: skip
insert_values = seq("VALUES (", commas(literal), ")", opt(seq(", (", commas(literal), ")")))
insert_source = st.one_of(
    insert_values, seq("SET", column, "=", literal), query(1), seq("VALUE (", literal, ")")
)
writes = st.one_of(
    seq(
        one("INSERT", "REPLACE"),
        opt(one("LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY")),
        opt("IGNORE"),
        opt("INTO"),
        table,
        opt(seq("(", commas(column), ")")),
        insert_source,
        opt(seq("ON DUPLICATE KEY UPDATE", column, "= VALUES (", column, ")")),
        opt(seq("RETURNING", commas(column))),
    ),
    seq(
        opt(with_clause(0)),
        "UPDATE",
        opt("LOW_PRIORITY"),
        opt("IGNORE"),
        commas(table_ref(1), max_size=2),
        "SET",
        commas(seq(column, "=", expression(1))),
        opt(seq("WHERE", expression(1))),
        opt(seq("ORDER BY", column)),
        opt(seq("LIMIT", number)),
    ),
    seq(
        opt(with_clause(0)),
        "DELETE",
        opt("LOW_PRIORITY"),
        opt("QUICK"),
        opt("IGNORE"),
        "FROM",
        table,
        opt(seq("WHERE", expression(1))),
    ),
    seq("DELETE", commas(table), "FROM", table_ref(1), opt(seq("WHERE", expression(0)))),
    seq("DELETE FROM", commas(table), "USING", table_ref(1)),
    seq("LOAD DATA", opt("LOCAL"), "INFILE", string, opt(one("REPLACE", "IGNORE")), "INTO TABLE", table),
    seq("LOAD XML INFILE", string, "INTO TABLE", table),
    seq("CALL", table, opt(seq("(", opt(commas(literal)), ")"))),
    seq("DO", commas(expression(1))),
    seq(
        "CREATE",
        opt("OR REPLACE"),
        opt("DEFINER = CURRENT_USER"),
        st.sampled_from(OBJECT_KINDS).map(words),
        opt("IF NOT EXISTS"),
        table,
        opt(seq("(", commas(column), ")")),
    ),
    seq("CREATE TABLE", table, one("AS", "LIKE"), query(0)),
    seq("CREATE FUNCTION", table, "( ) RETURNS INT RETURN 1"),
    seq("CREATE TRIGGER", column, "BEFORE INSERT ON", table, "FOR EACH ROW SET NEW.a = 1"),
    seq(
        "ALTER",
        st.sampled_from(OBJECT_KINDS).map(words),
        table,
        one("ADD b INT", "RENAME TO x", "COMMENT 'x'", ""),
    ),
    seq("DROP", st.sampled_from(OBJECT_KINDS).map(words), opt("IF EXISTS"), table),
    seq("RENAME", one("TABLE", "USER"), table, "TO", table),
    seq("TRUNCATE", opt("TABLE"), table),
    seq(
        one("GRANT", "REVOKE"),
        one("SELECT", "ALL PRIVILEGES", "EXECUTE", "role1"),
        opt(seq("ON", table)),
        one("TO", "FROM"),
        column,
    ),
    seq(one("CREATE USER", "ALTER USER", "DROP USER"), column, opt(seq("IDENTIFIED BY", string))),
    seq(
        one("ANALYZE", "OPTIMIZE", "REPAIR", "CHECK", "CHECKSUM"),
        opt("NO_WRITE_TO_BINLOG"),
        one("TABLE", "TABLES"),
        commas(table),
    ),
    seq(
        "FLUSH",
        one("TABLES", "PRIVILEGES", "LOGS", "STATUS", "HOSTS", "TABLES WITH READ LOCK", "BINARY LOGS"),
    ),
    seq("KILL", opt(one("QUERY", "CONNECTION", "HARD", "SOFT")), number),
    seq(one("INSTALL", "UNINSTALL"), one("PLUGIN x SONAME 'x.so'", "SONAME 'x.so'", "COMPONENT 'file://x'")),
    seq(
        one(
            "PURGE BINARY LOGS TO 'x'",
            "CHANGE MASTER TO MASTER_HOST = 'x'",
            "CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'x'",
        )
    ),
    seq(
        one(
            "STOP SLAVE",
            "STOP REPLICA",
            "SHUTDOWN",
            "BINLOG 'x'",
            "CACHE INDEX t IN c",
            "LOAD INDEX INTO CACHE t",
        )
    ),
    seq(one("SIGNAL SQLSTATE '45000'", "RESIGNAL", "DROP PREPARE s")),
)

session_statements = st.one_of(
    seq("SET", opt(one("GLOBAL", "SESSION", "LOCAL", "@@session.", "@@")), column, "=", literal),
    seq("SET", one("@x", "@`a;b`"), one("=", ":="), literal),
    seq(
        "SET",
        one(
            "NAMES utf8mb4",
            "CHARACTER SET utf8mb4",
            "autocommit = 0",
            "ROLE ALL",
            "DEFAULT ROLE ALL TO x",
            "PASSWORD = 'x'",
        ),
    ),
    seq(
        "SET",
        opt(one("GLOBAL", "SESSION")),
        "TRANSACTION",
        one("ISOLATION LEVEL READ COMMITTED", "READ ONLY", "READ WRITE"),
    ),
    seq("SET STATEMENT max_statement_time = 1 FOR", query(0)),
    seq("USE", column),
    seq("LOCK", one("TABLES", "TABLE"), table, one("READ", "WRITE", "READ LOCAL")),
    seq("UNLOCK", one("TABLES", "TABLE")),
    seq("PREPARE s FROM", string),
    seq("EXECUTE s", opt(seq("USING", one("@x", "@y")))),
    seq("DEALLOCATE PREPARE s"),
    seq("XA", one("START", "BEGIN", "END", "PREPARE", "COMMIT", "ROLLBACK"), string),
    seq("XA RECOVER"),
    seq(
        one(
            "BEGIN",
            "BEGIN WORK",
            "START TRANSACTION",
            "START TRANSACTION READ ONLY",
            "START TRANSACTION WITH CONSISTENT SNAPSHOT",
        )
    ),
    seq(one("COMMIT", "ROLLBACK"), opt("WORK"), opt(one("AND CHAIN", "RELEASE", "AND NO CHAIN"))),
    seq(one("SAVEPOINT", "ROLLBACK TO SAVEPOINT", "ROLLBACK TO", "RELEASE SAVEPOINT"), column),
    seq(
        "CREATE",
        opt("OR REPLACE"),
        "TEMPORARY TABLE",
        opt("IF NOT EXISTS"),
        table,
        one("( a INT )", "AS SELECT 1", "LIKE t"),
    ),
    seq("DROP TEMPORARY TABLE", opt("IF EXISTS"), table),
    seq("HANDLER", table, one("OPEN", "READ FIRST", "READ NEXT", "CLOSE")),
    seq("BEGIN NOT ATOMIC", select_core(0), "; END"),
    seq(one("BACKUP STAGE START", "BACKUP LOCK t", "BACKUP UNLOCK")),
    seq("RESET", one("QUERY CACHE", "MASTER", "SLAVE")),
)

diagnostics = st.one_of(
    seq("SHOW", one("WARNINGS", "ERRORS"), opt(seq("LIMIT", number))),
    seq("SHOW COUNT ( * )", one("WARNINGS", "ERRORS")),
    seq("SHOW", opt(one("SESSION", "LOCAL")), "STATUS", opt(seq("LIKE", string))),
    seq("SHOW", one("PROFILE", "PROFILES")),
    seq(
        "GET",
        opt(one("CURRENT", "STACKED")),
        "DIAGNOSTICS",
        one("@n = NUMBER", "CONDITION 1 @m = MESSAGE_TEXT"),
    ),
    seq(
        "SELECT",
        commas(st.one_of(diagnostic_variable, one("FOUND_ROWS ( )", "ROW_COUNT ( )", "LAST_INSERT_ID ( )"))),
    ),
    seq(
        select_core(0), "WHERE", expression(1, one("ROW_COUNT ( )", "@@warning_count", "LAST_INSERT_ID ( )"))
    ),
)


# ----- the properties ------------------------------------------------------------------------------


@examples(100)
@given(render(effectful_reads(1)))
def test_effectful_reads_are_never_read(sql: str) -> None:
    assert route_of(sql) is not Route.READ, sql


@examples(100)
@given(render(writes))
def test_writes_ddl_and_administration_are_never_read(sql: str) -> None:
    assert route_of(sql) is not Route.READ, sql


@examples(60)
@given(render(session_statements))
def test_session_statements_are_kept_off_pooled_connections(sql: str) -> None:
    assert route_of(sql) is Route.SESSION, sql


@examples(60)
@given(render(diagnostics))
def test_reads_of_diagnostics_are_recognised_and_never_read(sql: str) -> None:
    assert route_of(sql) is not Route.READ, sql
    assert reads_diagnostics(sql), sql


@examples(100)
@given(render(plain_reads))
def test_plain_reads_are_reads(sql: str) -> None:
    assert route_of(sql) is Route.READ, sql
    assert not reads_diagnostics(sql), sql
    assert statement_count(sql) == 1, sql


@examples(40)
@given(render(query(1, stored_call)))
def test_reader_hint_sends_reads_calling_stored_functions_to_a_replica(sql: str) -> None:
    assert route_of(sql) is Route.WRITE, sql
    assert route_of(f"/* router:reader */ {sql}") is Route.READ, sql


@examples(40)
@given(render(query(1, st.one_of(writer_function, diagnostic_variable, assignment)) | writes))
def test_reader_hint_is_refused_where_something_else_needs_the_writer(sql: str) -> None:
    with pytest.raises(RoutingRefused):
        route_of(f"-- router:reader\n{sql}")


@examples(40)
@given(render(plain_reads), render(st.one_of(plain_reads, writes, session_statements)))
def test_two_statements_are_counted_as_more_than_one(first: str, second: str) -> None:
    joined = first if first.rstrip().endswith(";") else first + "\n;"
    assert statement_count(f"{joined}\n{second}") >= 2, (first, second)
