"""Which server a statement may run on: a reader, the writer, or only a connection of one's own.

Conservative by construction: a statement is a read only when it is recognised as one;
anything unknown goes to the writer. Reads are ``SELECT`` (and a parenthesised or
``WITH``-prefixed one, MySQL 8's ``TABLE t`` and ``VALUES``), ``SHOW`` of schema objects
(tables, columns, indexes, ``CREATE ...``, grants...), ``DESCRIBE``/``DESC``/``EXPLAIN`` of a
table or of a read, and ``HELP``. A read goes to the writer when anything in its text has an
effect or an answer that belongs to the writer or to one connection:

- it locks rows (``FOR UPDATE``, ``FOR SHARE``, ``LOCK IN SHARE MODE``), writes ``INTO`` a
  file or variables, assigns a user variable (``@x := 1``), or asks for
  ``SQL_CALC_FOUND_ROWS`` (whose count ``FOUND_ROWS()`` reads on the same connection);
- it calls a function with an effect or a per-connection answer: locks (``GET_LOCK()``...),
  ``LAST_INSERT_ID()``, ``FOUND_ROWS()``, ``ROW_COUNT()``, sequences (``NEXTVAL()``,
  ``NEXT VALUE FOR``...), replication waits (``MASTER_GTID_WAIT()``...), ``LOAD_FILE()``, and
  ``CONNECTION_ID()``: a replica's connection id names nobody on the writer, where a ``KILL``
  of it would hit a stranger's connection;
- it reads the previous statement's diagnostics (``SHOW WARNINGS``, ``@@warning_count``...,
  see :func:`reads_diagnostics`): the session runs those on that statement's connection;
- it calls a stored function: a qualified call (``app.bump()``) always is one, an unqualified
  ``f()`` is unless ``f`` is a built-in (the vendored list in ``builtin_functions``), and so is
  ``now ()``: for ``NOW``, ``COUNT`` and the other space-sensitive built-ins a space or comment
  before "(" makes the name an identifier, which calls a stored function of that name. A stored
  function may write, and a replica refuses (or, worse, applies) the write;
- it holds more than one statement (:func:`statement_count`): only the first was judged.

``SHOW`` of server state (``PROCESSLIST``, ``VARIABLES``, ``MASTER STATUS``...), ``EXPLAIN
ANALYZE`` and MariaDB's ``ANALYZE stmt`` (both run the statement) go to the writer.

Statements that change a connection's session (``SET``, ``USE``, ``LOCK TABLES``, prepared
statements, ``HANDLER``, temporary tables, transaction control, and MariaDB's compound
``BEGIN NOT ATOMIC ... END``) are SESSION: they would leak into whoever gets the pooled
connection next, so the session pins a writer connection of its own for them (see
:mod:`mysql_platform.router.session_state`).

Hints, in a comment anywhere in the statement (``/* ... */``, ``-- ...`` or ``# ...``) whose
text starts with the hint followed by whitespace or the comment's end:

- ``router:writer`` sends the statement to the writer: a read that must see the latest data, a
  function the classifier cannot judge. A session statement stays one (the hint cannot make a
  session change safe on a pooled connection).
- ``router:reader`` declares the stored functions a read calls read-only: a read that goes to the
  writer only because of them goes to a replica. On a statement that goes to the writer for
  another reason (it writes, locks, holds an executable comment...) or changes the session, it
  is refused with :class:`RoutingRefused`: no hint sends those to a replica.
- Both in one statement: the writer wins.

Settings can declare stored functions read-only by name instead (:func:`route_for`).

Quoted strings and identifiers are masked first (a table named `select` or a string 'FOR
UPDATE' means nothing); comments are dropped, except MySQL's executable comments
(``/*! ... */``), whose content the server runs: those send the statement to the writer. A
backslash in a string ends it or not depending on ``NO_BACKSLASH_ESCAPES``: a text holding
one is judged both ways and the more cautious answer is taken.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from mysql_platform.router.builtin_functions import BUILTIN_FUNCTIONS, SPACE_SENSITIVE_FUNCTIONS
from mysql_platform.router.errors import RoutingRefused


class Route(enum.Enum):
    READ = "read"
    WRITE = "write"
    SESSION = "session"


# How cautious each route is: the more cautious of two readings of one text wins.
_CAUTION = {Route.READ: 0, Route.WRITE: 1, Route.SESSION: 2}

# Strings with backslash escapes (the servers' default) and without (NO_BACKSLASH_ESCAPES).
# Possessive quantifiers: nothing here needs to backtrack.
_SQ = r"'[^'\\]*+(?:(?:\\[\s\S]|'')[^'\\]*+)*+'"
_DQ = r'"[^"\\]*+(?:(?:\\[\s\S]|"")[^"\\]*+)*+"'
_SQ_PLAIN = r"'[^']*+(?:''[^']*+)*+'"
_DQ_PLAIN = r'"[^"]*+(?:""[^"]*+)*+"'
_BQ = r"`[^`]*+(?:``[^`]*+)*+`"


def _scanner(sq: str, dq: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<sq>{sq})|(?P<dq>{dq})|(?P<bq>{_BQ})"
        # An executable comment's content is code the server runs.
        r"|/\*M?!\d*(?P<code>.*?)\*/"
        r"|/\*(?P<block>.*?)\*/"
        # `--` opens a comment only before a space or control character (`1--1` is arithmetic);
        # the server's test is bytewise, so a non-ASCII space does not open one.
        r"|(?:--(?=[\x00-\x20\x7f]|\Z)|\#)(?P<line>[^\n]*)"
        # Unquoted identifiers may hold any character from U+0080 up.
        r"|(?P<word>[0-9A-Za-z_$\x80-\U0010ffff]+)"
        r"|(?P<punct>@@|:=|\S)",
        re.DOTALL,
    )


_SCANNER = _scanner(_SQ, _DQ)
_SCANNER_NO_BACKSLASH = _scanner(_SQ_PLAIN, _DQ_PLAIN)
_HINT_RE = re.compile(r"\s*router:(writer|reader)(?=\s|\Z)", re.IGNORECASE)
# Masked literals: a string is one token, whatever it holds.
_STRING = "''"
_ANSI_QUOTED = '""'  # a string, or under ANSI_QUOTES an identifier


@dataclass(frozen=True, slots=True)
class _Scan:
    words: list[str]
    executable: bool
    hints: frozenset[str]
    # Indexes of the words followed by "(" after a space or comment, not at once.
    spaced: frozenset[int]


def _scan(sql: str, scanner: re.Pattern[str]) -> _Scan:
    words: list[str] = []
    executable = False
    hints: set[str] = set()
    spaced: set[int] = set()
    word_end = -1  # where the last token (comments aside) ended, if it was a word
    for match in scanner.finditer(sql):
        kind, text = match.lastgroup, match.group(match.lastgroup or 0)
        if kind == "punct" and text == "(" and word_end not in (-1, match.start()):
            spaced.add(len(words) - 1)
        if kind not in ("block", "line"):
            word_end = match.end() if kind == "word" else -1
        if kind == "word":
            words.append(text.upper())
        elif kind == "punct":
            words.append(text)
        elif kind == "sq":
            words.append(_STRING)
        elif kind == "dq":
            words.append(_ANSI_QUOTED)
        elif kind == "bq":
            # A quoted identifier stays one token that no keyword equals.
            words.append(text.replace("``", "`").upper())
        elif kind == "code":
            executable = True
            code = _scan(text, scanner)
            spaced.update(i + len(words) for i in code.spaced)
            words.extend(code.words)
        else:  # a comment: only a hint counts
            hint = _HINT_RE.match(text)
            if hint:
                hints.add(hint.group(1).lower())
    return _Scan(words, executable, frozenset(hints), frozenset(spaced))


def _scans(sql: str) -> Iterator[_Scan]:
    """The text read with backslash escapes and, if it holds a backslash, without."""
    yield _scan(sql, _SCANNER)
    if "\\" in sql:
        yield _scan(sql, _SCANNER_NO_BACKSLASH)


def tokens(sql: str) -> list[str] | None:
    """Upper-cased words and punctuation outside strings and comments; None with ``/*! */``.

    A string is ``''`` (``""`` when double-quoted), a backquoted identifier its upper-cased
    name between backquotes.
    """
    scan = _scan(sql, _SCANNER)
    return None if scan.executable else scan.words


# ----- the public judgements -----------------------------------------------------------------


@lru_cache(maxsize=4096)
def route_of(sql: str) -> Route:
    """Where ``sql`` may run: :func:`route_for` with no read-only stored functions declared.

    Cached: services send the same statement texts over and over. Raises
    :class:`RoutingRefused` as :func:`route_for` does.
    """
    return _route(sql, frozenset())


@lru_cache(maxsize=4096)
def route_for(sql: str, read_only_functions: frozenset[str]) -> Route:
    """Where ``sql`` may run, calls of ``read_only_functions`` not counting as writes.

    Each name is lower-case and as the statement calls it: ``f`` covers ``f(...)``, ``db.f``
    covers ``db.f(...)``, with or without backquotes. Only stored functions can be declared:
    built-ins with effects (``GET_LOCK``...) keep their route. Raises :class:`RoutingRefused`
    when a ``router:reader`` hint sits on a statement no hint can send to a replica.
    """
    return _route(sql, read_only_functions)


@lru_cache(maxsize=4096)
def reads_diagnostics(sql: str) -> bool:
    """Whether ``sql`` reads what the previous statement left on its connection.

    True for ``SHOW WARNINGS``/``ERRORS``, ``SHOW COUNT(*) WARNINGS``/``ERRORS``, ``SHOW
    [SESSION] STATUS``, ``SHOW PROFILE[S]``, ``GET [CURRENT|STACKED] DIAGNOSTICS``, and any
    statement that calls ``FOUND_ROWS()``, ``ROW_COUNT()`` or ``LAST_INSERT_ID()`` (without
    arguments) or reads ``@@warning_count``, ``@@error_count``, ``@@identity``,
    ``@@last_insert_id``, ``@@insert_id`` or MariaDB's ``@@last_gtid``. Such a statement's
    route is WRITE; its answer is only right on the previous statement's connection.
    """
    return any(_reads_diagnostics(scan.words) for scan in _scans(sql))


@lru_cache(maxsize=4096)
def calls_stored_functions(sql: str, read_only_functions: frozenset[str] = frozenset()) -> bool:
    """Whether ``sql`` calls a stored function not declared read-only (in any reading of it)."""
    return any(_stored_calls(scan, read_only_functions) for scan in _scans(sql))


@lru_cache(maxsize=4096)
def statement_count(sql: str) -> int:
    """How many statements ``sql`` holds: non-empty runs between ``;`` outside strings and comments.

    A trailing ``;`` (and comments after it) adds none; an executable comment's content counts
    as code. Compound statements sent without ``DELIMITER`` (MariaDB's ``BEGIN NOT ATOMIC
    SELECT 1; END``, a routine body) count once per ``;``: the count errs high, never low, so a
    caller that refuses several statements refuses those too.
    """
    return max(_count(scan.words) for scan in _scans(sql))


def _count(words: list[str]) -> int:
    count, open_statement = 0, False
    for word in words:
        if word == ";":
            count += open_statement
            open_statement = False
        else:
            open_statement = True
    return count + open_statement


def _route(sql: str, read_only: frozenset[str]) -> Route:
    return max((_verdict(scan, read_only) for scan in _scans(sql)), key=_CAUTION.__getitem__)


def _verdict(scan: _Scan, read_only: frozenset[str]) -> Route:
    route, reason = _base(scan)
    if "writer" in scan.hints:
        return Route.SESSION if route is Route.SESSION else Route.WRITE
    if route is not Route.READ:
        if "reader" in scan.hints:
            raise RoutingRefused(
                "the hint /* router:reader */ only declares the stored functions a read calls "
                f"read-only, but this statement goes to the writer because {reason}: no hint "
                "sends that to a replica; remove the hint"
            )
        return route
    if "reader" in scan.hints or not _stored_calls(scan, read_only):
        return Route.READ
    return Route.WRITE


def _base(scan: _Scan) -> tuple[Route, str]:
    """The route with stored function calls left aside, and why it is not READ."""
    if scan.executable:
        return Route.WRITE, "it holds an executable comment (/*! ... */), which the router does not judge"
    route, reason = _statement(scan.words)
    if route is Route.READ:
        reason = _effect(scan.words)
        if _count(scan.words) > 1:
            # Only the first statement was judged.
            reason = "it holds more than one statement"
        if reason:
            route = Route.WRITE
    return route, reason


# ----- statements ----------------------------------------------------------------------------

_READ_VERBS = frozenset({"SELECT", "TABLE", "VALUES", "HELP"})
_SESSION_VERBS = frozenset(
    {
        "SET", "USE", "LOCK", "UNLOCK", "PREPARE", "EXECUTE", "DEALLOCATE", "BEGIN", "START",
        "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "XA", "RESET", "HANDLER", "BACKUP",
    }
)  # fmt: skip
_STATEMENT_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "TABLE", "VALUES"})
_EXPLAINED_VERBS = _STATEMENT_VERBS | {"WITH", "("}
_EXPLAIN_OPTIONS = frozenset({"EXTENDED", "PARTITIONS", "FORMAT", "=", "TRADITIONAL", "JSON", "TREE"})
# SHOW of schema objects: every server of the cluster answers alike.
_SHOW_READS = frozenset(
    {
        "TABLES", "COLUMNS", "FIELDS", "INDEX", "INDEXES", "KEYS", "CREATE", "DATABASES", "SCHEMAS",
        "TABLE", "FUNCTION", "PROCEDURE", "PACKAGE", "TRIGGERS", "EVENTS", "CHARACTER", "CHARSET",
        "COLLATION", "ENGINES", "PRIVILEGES", "GRANTS", "PLUGINS", "AUTHORS", "CONTRIBUTORS", "LOCALES",
    }
)  # fmt: skip
_SHOW_MODIFIERS = frozenset({"FULL", "EXTENDED", "STORAGE"})
# SHOW of what the previous statement left on its connection.
_SHOW_DIAGNOSTICS = frozenset({"WARNINGS", "ERRORS", "COUNT", "STATUS", "PROFILE", "PROFILES"})


def _statement(words: list[str]) -> tuple[Route, str]:
    while words and words[0] == "(":
        words = words[1:]
    if not words:
        return Route.WRITE, "the router recognises no statement in it"
    verb = words[0]
    if verb in _SESSION_VERBS or _temporary(words):
        return Route.SESSION, f"{verb} changes the connection's session"
    if verb == "WITH":
        return _statement(_after_ctes(words))
    if verb in {"EXPLAIN", "DESCRIBE", "DESC"}:
        return _explain(words[1:])
    if verb == "SHOW":
        return _show(words[1:])
    if verb in _READ_VERBS:
        return Route.READ, ""
    return Route.WRITE, f"{verb} is no read"


def _temporary(words: list[str]) -> bool:
    """CREATE [OR REPLACE] TEMPORARY ... and DROP TEMPORARY ...: the connection's own tables."""
    if words[0] == "CREATE":
        return words[1:2] == ["TEMPORARY"] or words[1:4] == ["OR", "REPLACE", "TEMPORARY"]
    return words[0] == "DROP" and words[1:2] == ["TEMPORARY"]


def _after_ctes(words: list[str]) -> list[str]:
    """The statement after ``WITH name AS (...), ...``: from its first top-level verb."""
    depth = 0
    for i, word in enumerate(words[1:], start=1):
        if word == "(":
            depth += 1
        elif word == ")":
            depth -= 1
        elif depth == 0 and word in _STATEMENT_VERBS:
            return words[i:]
    return []


def _explain(words: list[str]) -> tuple[Route, str]:
    if words[:1] == ["ANALYZE"]:
        return Route.WRITE, "EXPLAIN ANALYZE runs the statement"
    if words[:1] == ["FOR"]:
        return Route.WRITE, "EXPLAIN FOR CONNECTION explains a statement of one server's connection"
    while words and words[0] in _EXPLAIN_OPTIONS:
        words = words[1:]
    if not words:
        return Route.WRITE, "the router recognises no statement in it"
    if words[0] not in _EXPLAINED_VERBS:
        return Route.READ, ""  # DESCRIBE table [column]
    route, _ = _statement(words)
    if route is Route.READ:
        return route, ""
    # EXPLAIN of a write does not run it, but the plan is the writer's business.
    return Route.WRITE, "it explains a statement that is no read"


def _show(words: list[str]) -> tuple[Route, str]:
    kind = next((word for word in words if word not in _SHOW_MODIFIERS), "")
    if kind in _SHOW_READS:
        return Route.READ, ""
    if _show_reads_diagnostics(words):
        return Route.WRITE, f"SHOW {kind} reads what the previous statement left on its connection"
    return Route.WRITE, f"SHOW {kind} answers about one server, and the writer's answer is the one to have"


def _show_reads_diagnostics(words: list[str]) -> bool:
    if words[:1] in (["SESSION"], ["LOCAL"]):
        words = words[1:]
    return bool(words) and words[0] in _SHOW_DIAGNOSTICS


# ----- effects inside a read -----------------------------------------------------------------

# Functions whose effect or answer belongs to one connection or one server, never a replica's.
_WRITER_FUNCTIONS = frozenset(
    {
        # per-connection results of the previous statements
        "LAST_INSERT_ID", "FOUND_ROWS", "ROW_COUNT",
        # user locks live on the server that granted them
        "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "IS_FREE_LOCK", "IS_USED_LOCK",
        # MariaDB sequences: NEXTVAL and SETVAL write, LASTVAL is per connection
        "NEXTVAL", "LASTVAL", "SETVAL",
        # replication positions and waits of the server that runs them
        "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT", "WAIT_FOR_EXECUTED_GTID_SET",
        "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS", "BINLOG_GTID_POS", "WSREP_LAST_SEEN_GTID",
        "WSREP_LAST_WRITTEN_GTID", "WSREP_SYNC_WAIT_UPTO_GTID",
        # a file of the server's host
        "LOAD_FILE",
        # connection and thread ids: a replica's would name a stranger's connection on the writer
        "CONNECTION_ID", "PS_CURRENT_THREAD_ID", "PS_THREAD_ID",
    }
)  # fmt: skip
_DIAGNOSTIC_FUNCTIONS = frozenset({"FOUND_ROWS", "ROW_COUNT"})
_DIAGNOSTIC_VARIABLES = frozenset(
    {"WARNING_COUNT", "ERROR_COUNT", "IDENTITY", "LAST_INSERT_ID", "INSERT_ID", "LAST_GTID"}
)


def _effect(words: list[str]) -> str:
    """Why a read's text belongs to the writer, or "" when nothing in it does."""
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word == "INTO":
            return "it writes into variables or a file (INTO)"
        if (word == "FOR" and following in {"UPDATE", "SHARE"}) or (word == "LOCK" and following == "IN"):
            return "it locks rows"
        if word == "SQL_CALC_FOUND_ROWS":
            return "SQL_CALC_FOUND_ROWS keeps a row count for FOUND_ROWS() on its connection"
        if word == ":=":
            return "it assigns a user variable (:=)"
        if (word in {"NEXT", "PREVIOUS"} and following == "VALUE") or (
            word in {"NEXTVAL", "CURRVAL"} and not _unqualified(words, i)
        ):
            # NEXT VALUE FOR s, and s.nextval of MariaDB's sql_mode=ORACLE
            return "it uses a sequence"
        if following == "(" and word in _WRITER_FUNCTIONS and _unqualified(words, i):
            return f"it calls {word}(), whose effect or answer belongs to one connection or one server"
        if word == "@@" and _diagnostic_variable(words, i + 1):
            return "it reads what the previous statement left on its connection (@@...)"
    return ""


def _unqualified(words: list[str], i: int) -> bool:
    return i == 0 or words[i - 1] != "."


def _diagnostic_variable(words: list[str], i: int) -> bool:
    """Whether ``words[i:]`` (after ``@@``) names a diagnostics variable; a quoted name may be one."""
    if words[i + 1 : i + 2] == ["."] and words[i : i + 1] in (["SESSION"], ["LOCAL"]):
        i += 2
    name = words[i] if i < len(words) else ""
    return name in _DIAGNOSTIC_VARIABLES or name.startswith("`")


def _reads_diagnostics(words: list[str]) -> bool:
    start = words
    while start and start[0] == "(":
        start = start[1:]
    if start[:1] == ["SHOW"] and _show_reads_diagnostics(start[1:]):
        return True
    if start[:1] == ["GET"] and "DIAGNOSTICS" in start[1:3]:
        return True
    for i, word in enumerate(words):
        if _diagnostic_call(words, i):
            return True
        if word == "@@" and _diagnostic_variable(words, i + 1):
            return True
    return False


def _diagnostic_call(words: list[str], i: int) -> bool:
    """FOUND_ROWS(), ROW_COUNT() or LAST_INSERT_ID() at ``words[i]`` (with an argument, LAST_INSERT_ID
    sets the value instead)."""
    following = words[i + 1 : i + 3]
    if following[:1] != ["("] or not _unqualified(words, i):
        return False
    return words[i] in _DIAGNOSTIC_FUNCTIONS or (words[i] == "LAST_INSERT_ID" and following == ["(", ")"])


# ----- stored function calls -----------------------------------------------------------------

# Words that come before "(" in a read without calling a function: operators and clauses,
# SELECT modifiers, EXPLAIN, and the type names of CAST/CONVERT and JSON_TABLE columns. MariaDB refuses
# each as the name of an unqualified call (a syntax error), so none can call a stored function.
_NOT_CALLS = frozenset(
    {
        "AND", "OR", "NOT", "XOR", "IN", "EXISTS", "ANY", "ALL", "SOME", "AS", "OVER", "USING", "ON",
        "WHERE", "HAVING", "BY", "JOIN", "FROM", "SELECT", "UNION", "INTERSECT", "EXCEPT", "WITH",
        "RECURSIVE", "LATERAL", "VALUES", "ROW", "WHEN", "THEN", "ELSE", "CASE", "DISTINCT",
        "DISTINCTROW", "IS", "LIKE", "RLIKE", "REGEXP", "BETWEEN", "DIV", "PARTITION", "INDEX", "KEY",
        "FORCE", "USE", "IGNORE", "GROUP", "FOR", "STRAIGHT_JOIN", "HIGH_PRIORITY", "SQL_NO_CACHE",
        "SQL_CACHE", "SQL_SMALL_RESULT", "SQL_BIG_RESULT", "SQL_BUFFER_RESULT", "SQL_CALC_FOUND_ROWS",
        "LIMIT", "OFFSET", "ORDER", "WINDOW", "TABLE", "LEADING", "TRAILING", "BOTH", "SOUNDS",
        "COLLATE", "NULL", "OUTER", "INNER", "CROSS", "NATURAL", "INTO", "EXPLAIN", "DESCRIBE", "DESC",
        "ANALYZE",
        "BINARY", "CHARACTER", "NATIONAL", "NCHAR", "VARCHAR", "VARBINARY", "DECIMAL", "DEC",
        "NUMERIC", "FIXED", "FLOAT", "DOUBLE", "REAL", "INT", "INTEGER", "TINYINT", "SMALLINT",
        "MEDIUMINT", "BIGINT", "SIGNED", "UNSIGNED", "DATETIME", "BIT", "ENUM", "SET", "TEXT", "BLOB",
        "JSON",
    }
)  # fmt: skip


def _stored_calls(scan: _Scan, read_only: frozenset[str]) -> list[str]:
    """The functions the statement calls that are neither built in nor declared read-only."""
    words, calls = scan.words, []
    for i in range(_explain_options_end(words), len(words) - 1):
        if words[i + 1] == "(" and _is_name(words[i]):
            name = _stored_call(words, i, i in scan.spaced)
            if name is not None and name not in read_only:
                calls.append(name)
    return calls


def _explain_options_end(words: list[str]) -> int:
    """Where the statement starts after ``EXPLAIN FORMAT=TREE`` and the like.

    The options are no reserved words: elsewhere ``tree(...)`` may call a stored function.
    """
    i = 0
    while i < len(words) and words[i] == "(":
        i += 1
    if i < len(words) and words[i] in {"EXPLAIN", "DESCRIBE", "DESC"}:
        i += 1
        while i < len(words) and words[i] in _EXPLAIN_OPTIONS:
            i += 1
    return i


def _stored_call(words: list[str], i: int, spaced: bool) -> str | None:
    """The lower-case name of the stored function called at ``words[i]``, or None if no such call.

    ``spaced``: a space or comment comes before the "(", which makes some built-in names
    identifiers (``now ()`` calls a stored function ``now``).
    """
    word, previous = words[i], words[i - 1] if i else ""
    if previous == ".":
        qualifier = words[i - 2] if i >= 2 else ""
        return f"{_plain(qualifier)}.{_plain(word)}"
    # An alias's column list (`AS t (a, b)`, `) t (a, b)`), a CAST type, JSON_TABLE's
    # `'$' COLUMNS (`, MATCH (...) AGAINST (...), MySQL's `MEMBER OF (`.
    if previous in {"AS", ")", _STRING, _ANSI_QUOTED} or (previous, word) == ("MEMBER", "OF"):
        return None
    if word in _NOT_CALLS or _names_cte(words, i):
        return None
    if word in BUILTIN_FUNCTIONS and not (spaced and word in SPACE_SENSITIVE_FUNCTIONS):
        return None
    return _plain(word)


def _is_name(word: str) -> bool:
    # A word (not a number), a quoted identifier, or "..." (an identifier under ANSI_QUOTES).
    return not word.isdigit() and (word[0].isalnum() or word[0] in '_$`"' or word[0] >= "\x80")


def _plain(word: str) -> str:
    return word.strip("`").lower()


def _names_cte(words: list[str], i: int) -> bool:
    """Whether ``words[i]`` names a common table expression: ``name (columns) AS (``."""
    depth = 0
    for j in range(i + 1, len(words)):
        if words[j] == "(":
            depth += 1
        elif words[j] == ")":
            depth -= 1
            if depth == 0:
                return words[j + 1 : j + 3] == ["AS", "("]
    return False
