"""What a session does with a statement text, decided once per text and cached.

Services send the same few statement texts over and over, so the whole decision (which server,
whether it leaves state that pins the session, whether it reads the previous statement's
diagnostics, whether it is several statements) is one dictionary lookup on the hot path.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from mysql_platform.router import session_state
from mysql_platform.router.statements import (
    Route,
    calls_stored_functions,
    reads_diagnostics,
    route_for,
    statement_count,
)

# LAST_INSERT_ID() lasts on its connection until the next statement that generates one; so does a
# sequence's LASTVAL (MariaDB), set by NEXTVAL.
_INSERT_ID_VARIABLES = frozenset({"IDENTITY", "LAST_INSERT_ID", "INSERT_ID"})
_SEQUENCE_READS = frozenset({"LASTVAL"})
_SEQUENCE_WRITES = frozenset({"NEXTVAL", "SETVAL"})
# Statements whose function calls the classifier reads (in an INSERT, `t (a, b)` is no call).
_READ_VERBS = {"SELECT": True, "WITH": True, "(": True, "VALUES": True, "TABLE": True, "DO": True}


class Plan(NamedTuple):
    route: Route
    # More than one statement in the text: refused.
    multi: bool
    # It may leave state on its connection: the session pins a writer connection for it.
    pins: bool
    # It reads the previous statement's diagnostics: it runs on that statement's connection.
    diagnostics: bool
    # It reads LAST_INSERT_ID() (or @@identity, a sequence's LASTVAL): this session must have
    # generated one on the connection it runs on.
    last_insert_id: bool
    # It generates a sequence value (NEXTVAL, NEXT VALUE FOR, SETVAL).
    generates: bool = False
    # A CALL or a stored function call: what the routine leaves that the server does not report
    # (user locks) must go with a reset of the connection.
    calls: bool = False


@lru_cache(maxsize=4096)
def plan_of(sql: str, read_only_functions: frozenset[str] = frozenset()) -> Plan:
    """The plan for ``sql``; raises RoutingRefused for a ``router:reader`` hint no read can take."""
    route = route_for(sql, read_only_functions)
    multi = statement_count(sql) > 1
    toks = session_state.words(sql)
    if toks is None:
        return Plan(route, multi=multi, pins=True, diagnostics=False, last_insert_id=False)
    uppers = [t.upper for t in toks]
    insert_id = _reads_insert_id(uppers)
    pins = route is Route.SESSION or session_state.creates_state(toks)
    if not pins and "\\" in sql:
        # Read the other way too, as the server would with NO_BACKSLASH_ESCAPES.
        pins = session_state.creates_state(session_state.words(sql, backslash_escapes=False))
    return Plan(
        route,
        multi=multi,
        pins=pins,
        diagnostics=insert_id or reads_diagnostics(sql),
        last_insert_id=insert_id,
        generates=_calls_any(uppers, _SEQUENCE_WRITES) or _next_value(uppers),
        calls=uppers[:1] == ["CALL"]
        or (_READ_VERBS.get(uppers[0], False) and calls_stored_functions(sql, read_only_functions)),
    )


def _calls_any(uppers: list[str], names: frozenset[str]) -> bool:
    return any(up in names and uppers[i + 1 : i + 2] == ["("] for i, up in enumerate(uppers))


def _next_value(uppers: list[str]) -> bool:
    return any(uppers[i : i + 3] == ["NEXT", "VALUE", "FOR"] for i in range(len(uppers)))


def _reads_insert_id(uppers: list[str]) -> bool:
    if _calls_any(uppers, _SEQUENCE_READS) or any(
        uppers[i : i + 3] == ["PREVIOUS", "VALUE", "FOR"] for i in range(len(uppers))
    ):
        return True
    for i, up in enumerate(uppers):
        if up == "LAST_INSERT_ID" and uppers[i + 1 : i + 3] == ["(", ")"]:
            return True
        if up == "@@" and _variable(uppers, i) in _INSERT_ID_VARIABLES:
            return True
    return False


def _variable(uppers: list[str], at: int) -> str:
    """The name after ``@@`` (past an optional ``SESSION.``/``LOCAL.``)."""
    name = uppers[at + 1] if at + 1 < len(uppers) else ""
    if name in {"SESSION", "LOCAL"} and uppers[at + 2 : at + 3] == ["."]:
        name = uppers[at + 3] if at + 3 < len(uppers) else ""
    return name
