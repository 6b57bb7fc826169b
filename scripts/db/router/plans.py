"""What a session does with a statement text, decided once per text and cached.

Services send the same few statement texts over and over, so the whole decision (which server,
whether it leaves state that pins the session, whether it reads the previous statement's
diagnostics, whether it is several statements) is one dictionary lookup on the hot path.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from scripts.db.router import session_state
from scripts.db.router.statements import Route, route_of

# Functions and variables whose answer is the diagnostics of the previous statement on the same
# connection (FOUND_ROWS after SQL_CALC_FOUND_ROWS, ROW_COUNT, warnings and errors).
_DIAGNOSTIC_FUNCTIONS = frozenset({"FOUND_ROWS", "ROW_COUNT"})
_DIAGNOSTIC_VARIABLES = frozenset({"WARNING_COUNT", "ERROR_COUNT"})
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
def plan_of(sql: str) -> Plan:
    route = route_of(sql)
    toks = session_state.words(sql)
    if toks is None:
        return Plan(route, multi=False, pins=True, diagnostics=False, last_insert_id=False)
    uppers = [t.upper for t in toks]
    pins = route is Route.SESSION or session_state.creates_state(toks)
    insert_id = _reads_insert_id(uppers)
    return Plan(
        route,
        multi=_is_multi(uppers),
        pins=pins,
        diagnostics=insert_id or _reads_diagnostics(uppers),
        last_insert_id=insert_id,
    )


def _is_multi(uppers: list[str]) -> bool:
    """A ``;`` with anything after it (one trailing ``;`` is allowed)."""
    if ";" not in uppers:
        return False
    return any(u != ";" for u in uppers[uppers.index(";") :])


def _reads_diagnostics(uppers: list[str]) -> bool:
    if uppers[:1] == ["SHOW"] and ("WARNINGS" in uppers[1:6] or "ERRORS" in uppers[1:6]):
        return True
    if uppers[:1] == ["GET"] and "DIAGNOSTICS" in uppers[1:3]:
        return True
    for i, up in enumerate(uppers):
        following = uppers[i + 1] if i + 1 < len(uppers) else ""
        if up in _DIAGNOSTIC_FUNCTIONS and following == "(":
            return True
        if up == "@@" and _variable(uppers, i) in _DIAGNOSTIC_VARIABLES:
            return True
    return False


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
