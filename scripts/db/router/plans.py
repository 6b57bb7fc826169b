"""What a session does with a statement text, decided once per text and cached.

Services send the same few statement texts over and over, so the whole decision (which server,
whether it leaves state that pins the session, whether it reads the previous statement's
diagnostics, whether it is several statements) is one dictionary lookup on the hot path.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from scripts.db.router import session_state
from scripts.db.router.statements import Route, reads_diagnostics, route_for, statement_count

# LAST_INSERT_ID() lasts on its connection until the next statement that generates one.
_INSERT_ID_VARIABLES = frozenset({"IDENTITY", "LAST_INSERT_ID", "INSERT_ID"})


class Plan(NamedTuple):
    route: Route
    # More than one statement in the text: refused.
    multi: bool
    # It may leave state on its connection: the session pins a writer connection for it.
    pins: bool
    # It reads the previous statement's diagnostics: it runs on that statement's connection.
    diagnostics: bool
    # It reads LAST_INSERT_ID() (or @@identity): the previous statement must have set one.
    last_insert_id: bool


@lru_cache(maxsize=4096)
def plan_of(sql: str, read_only_functions: frozenset[str] = frozenset()) -> Plan:
    """The plan for ``sql``; raises RoutingRefused for a ``router:reader`` hint no read can take."""
    route = route_for(sql, read_only_functions)
    multi = statement_count(sql) > 1
    toks = session_state.words(sql)
    if toks is None:
        return Plan(route, multi=multi, pins=True, diagnostics=False, last_insert_id=False)
    insert_id = _reads_insert_id([t.upper for t in toks])
    return Plan(
        route,
        multi=multi,
        pins=route is Route.SESSION or session_state.creates_state(toks),
        diagnostics=insert_id or reads_diagnostics(sql),
        last_insert_id=insert_id,
    )


def _reads_insert_id(uppers: list[str]) -> bool:
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
