"""Which server a statement may run on: a reader, the writer, or only a connection of one's own.

Conservative by construction: a statement is a read only when it is recognised as one;
anything unknown goes to the writer. Reads are ``SELECT`` (and a parenthesised or
``WITH``-prefixed one, MySQL 8's ``TABLE t`` and ``VALUES``), ``SHOW``, ``DESCRIBE``/``DESC``,
``EXPLAIN`` of a read, and ``HELP``; a ``SELECT`` that locks rows (``FOR UPDATE``, ``FOR SHARE``,
``LOCK IN SHARE MODE``), writes (``INTO`` a file or variables) or touches session state that
lives on the writer (``LAST_INSERT_ID()``, ``GET_LOCK()``, MariaDB sequences' ``NEXTVAL``, ...)
is the writer's. ``EXPLAIN ANALYZE`` and MariaDB's ``ANALYZE stmt`` run the statement: writer.

Statements that change a connection's session (``SET``, ``USE``, ``LOCK TABLES``, prepared
statements, ``CREATE TEMPORARY TABLE``, transaction control) would leak into whoever gets the
pooled connection next, so the router refuses them outside ``router.writer()``/``reader()``
connections of one's own; transactions are ``with session.transaction():``.

Quoted strings and identifiers are masked first (a table named `select` or a string 'FOR
UPDATE' means nothing); comments are dropped, except MySQL's executable comments
(``/*! ... */``), whose content the server runs: those send the statement to the writer.
"""

from __future__ import annotations

import enum
import re
from functools import lru_cache

from scripts.db.sql_split import QUOTED_PATTERN


class Route(enum.Enum):
    READ = "read"
    WRITE = "write"
    SESSION = "session"


_QUOTED_OR_COMMENT_RE = re.compile(
    rf"(?P<quoted>{QUOTED_PATTERN})|(?P<exec>/\*M?!)|/\*.*?\*/|(?:--(?=\s|$)|#)[^\n]*", re.DOTALL
)
_TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|[()]|:=|[^\sA-Za-z_()]")

_READ_VERBS = frozenset({"SELECT", "SHOW", "DESCRIBE", "DESC", "HELP", "TABLE", "VALUES"})
_SESSION_VERBS = frozenset(
    {
        "SET", "USE", "LOCK", "UNLOCK", "PREPARE", "EXECUTE", "DEALLOCATE", "BEGIN", "START",
        "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "XA", "RESET",
    }
)  # fmt: skip
# Functions whose answer or effect belongs to one server session, or to the writer alone.
_WRITER_FUNCTIONS = frozenset(
    {
        "LAST_INSERT_ID", "FOUND_ROWS", "ROW_COUNT", "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS",
        "IS_FREE_LOCK", "IS_USED_LOCK", "NEXTVAL", "LASTVAL", "SETVAL", "MASTER_POS_WAIT",
        "SOURCE_POS_WAIT", "LOAD_FILE",
    }
)  # fmt: skip
_EXPLAIN_OPTIONS = frozenset({"EXTENDED", "PARTITIONS", "FORMAT", "=", "TRADITIONAL", "JSON", "TREE"})
_STATEMENT_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "TABLE", "VALUES"})


class _Executable(Exception):
    """The statement holds an executable comment."""


def _mask(match: re.Match[str]) -> str:
    if match.group("exec"):
        raise _Executable
    # A masked literal stays one token; a dropped comment still separates two words.
    return "''" if match.group("quoted") else " "


def tokens(sql: str) -> list[str] | None:
    """Upper-cased words and punctuation outside strings and comments; None with ``/*! */``."""
    try:
        code = _QUOTED_OR_COMMENT_RE.sub(_mask, sql)
    except _Executable:
        return None
    return [t.upper() for t in _TOKEN_RE.findall(code)]


@lru_cache(maxsize=4096)
def route_of(sql: str) -> Route:
    """Where ``sql`` may run. Cached: services send the same statement texts over and over."""
    words = tokens(sql)
    if words is None:
        return Route.WRITE
    return _route(words)


def _route(words: list[str]) -> Route:
    while words and words[0] == "(":
        words = words[1:]
    if not words:
        return Route.WRITE
    verb = words[0]
    if verb in _SESSION_VERBS or (verb == "CREATE" and "TEMPORARY" in words[1:3]):
        return Route.SESSION
    if verb == "WITH":
        return _route(_after_ctes(words))
    if verb == "EXPLAIN":
        return _explain(words[1:])
    if verb not in _READ_VERBS:
        return Route.WRITE
    return Route.WRITE if verb == "SELECT" and _select_needs_writer(words) else Route.READ


def _after_ctes(words: list[str]) -> list[str]:
    """The statement after ``WITH name AS (...), ...``: from its first top-level verb."""
    depth = 0
    for i, word in enumerate(words[1:], start=1):
        if word == "(":
            depth += 1
        elif word == ")":
            depth -= 1
        elif depth == 0 and word in _STATEMENT_VERBS:
            # The CTE bodies are reads or the whole is no read at all; judge them together.
            body_locks = _select_needs_writer(words[:i])
            return ["INSERT"] if body_locks else words[i:]
    return []


def _explain(words: list[str]) -> Route:
    if words and words[0] == "ANALYZE":
        return Route.WRITE  # runs the statement
    while words and words[0] in _EXPLAIN_OPTIONS:
        words = words[1:]
    if not words:
        return Route.WRITE
    explained = _route(words)
    # EXPLAIN of a write does not run it, but the plan is the writer's business.
    return Route.READ if explained is Route.READ else Route.WRITE


def _select_needs_writer(words: list[str]) -> bool:
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word == "INTO" or (word == "FOR" and following in {"UPDATE", "SHARE"}):
            return True
        if word == "LOCK" and following == "IN":
            return True
        if word in _WRITER_FUNCTIONS and following == "(":
            return True
        if word in {"NEXT", "PREVIOUS"} and following == "VALUE":
            return True
    return False
