"""The state a statement leaves on its connection's session, and when that state is gone.

A pooled connection serves whoever comes next, so a session that creates state (a transaction,
a lock, a temporary table, a user variable, a prepared statement, a session variable) keeps
its connection (a *pin*) until the state is gone, the way ProxySQL turns multiplexing off.
This module reads a statement's text, as sent (parameters already interpolated by the
connector), and updates a :class:`SessionState`:

- user variables: ``SET @x = ...``, ``@x := ...``, ``INTO @x``; gone when set to NULL (a
  variable never set is NULL, so the two cannot be told apart);
- temporary tables: ``CREATE [OR REPLACE] TEMPORARY TABLE name``; gone with ``DROP [TEMPORARY]
  TABLE name`` (names compared exactly as written; any other spelling keeps the pin);
- user locks: ``GET_LOCK('name', ...)``; which are still held is asked of the server
  (``IS_USED_LOCK``) after every statement that takes or releases one; ``RELEASE_ALL_LOCKS()``
  ends them all; a lock whose name is not a literal lasts until ``RELEASE_ALL_LOCKS()``;
- table locks (``LOCK TABLES``, ``FLUSH TABLES ... WITH READ LOCK | FOR EXPORT``): until
  ``UNLOCK TABLES``; MariaDB's ``BACKUP LOCK``: until ``BACKUP UNLOCK``;
- prepared statements (``PREPARE name``): until ``DEALLOCATE``/``DROP PREPARE name``;
- ``HANDLER t OPEN``: until ``HANDLER t CLOSE``;
- XA transactions: from ``XA START`` to ``XA COMMIT``/``ROLLBACK``; ordinary transactions are
  read from the server's status flag after every statement, not from the text;
- what cannot be undone or tracked (``SET`` of a session variable, ``USE``, ``EXECUTE`` of a
  prepared statement whose effect is unknown, an executable comment, a renamed temporary
  table) lasts until the session ends.

When the pin ends, the connection's session is reset (COM_RESET_CONNECTION) before it goes
back to the pool: a state this module misjudged as gone is dropped, never passed on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mysql_platform.db.sql_split import QUOTED_PATTERN

_REST = r"|(?P<exec>/\*M?!)|/\*.*?\*/|(?:--(?=\s|$)|#)[^\n]*|(?P<w>[A-Za-z0-9_$]+)|(?P<p>:=|@@|\S)"
_TOKEN_RE = re.compile(rf"(?P<q>{QUOTED_PATTERN}){_REST}", re.DOTALL)
# With NO_BACKSLASH_ESCAPES a backslash is an ordinary character in a string.
_PLAIN_QUOTED = "'[^']*(?:''[^']*)*'|\"[^\"]*(?:\"\"[^\"]*)*\"|`[^`]*(?:``[^`]*)*`"
_PLAIN_TOKEN_RE = re.compile(rf"(?P<q>{_PLAIN_QUOTED}){_REST}", re.DOTALL)


@dataclass(frozen=True)
class Token:
    upper: str  # a word upper-cased; a quoted string or identifier as ''
    raw: str  # the word as written, or the unquoted content of a string or identifier
    quoted: str = ""  # the quote character when quoted: ' " or `


def words(sql: str, *, backslash_escapes: bool = True) -> list[Token] | None:
    """The statement's tokens without comments; None when it holds an executable comment."""
    out: list[Token] = []
    for m in (_TOKEN_RE if backslash_escapes else _PLAIN_TOKEN_RE).finditer(sql):
        if m.group("exec"):
            return None
        if m.group("q"):
            text = m.group("q")
            quote = text[0]
            out.append(Token("''", text[1:-1].replace(quote * 2, quote), quote))
        elif m.group("w"):
            out.append(Token(m.group("w").upper(), m.group("w")))
        elif m.group("p"):
            out.append(Token(m.group("p"), m.group("p")))
    return out


@dataclass
class SessionState:
    """What a pinned connection holds for its session."""

    user_variables: set[str] = field(default_factory=set)
    temporary_tables: set[str] = field(default_factory=set)
    user_locks: set[str] = field(default_factory=set)
    unnamed_user_locks: bool = False
    table_locks: bool = False
    backup_lock: bool = False
    prepared: set[str] = field(default_factory=set)
    handlers: set[str] = field(default_factory=set)
    xa: bool = False
    transaction: bool = False  # the server's status flag after the last statement
    # Reasons that last until the session ends.
    lasting: set[str] = field(default_factory=set)

    def empty(self) -> bool:
        return not self.reasons()

    def reasons(self) -> list[str]:
        """What keeps the pin, for errors and status: e.g. ``["user locks 'job'"]``."""
        out = []
        if self.transaction or self.xa:
            out.append("an open transaction" if self.transaction else "an XA transaction")
        if self.user_locks or self.unnamed_user_locks:
            names = ", ".join(repr(n) for n in sorted(self.user_locks))
            out.append(f"user locks {names}".rstrip() if names else "user locks")
        for label, held in (
            ("temporary tables", self.temporary_tables),
            ("user variables", {f"@{v}" for v in self.user_variables}),
            ("prepared statements", self.prepared),
            ("open handlers", self.handlers),
        ):
            if held:
                out.append(f"{label} {', '.join(sorted(held))}")
        if self.table_locks:
            out.append("table locks (LOCK TABLES)")
        if self.backup_lock:
            out.append("a backup lock")
        out.extend(sorted(self.lasting))
        return out

    def describe(self) -> str:
        return "; ".join(self.reasons()) or "nothing"


_LOCK_FUNCTIONS = frozenset({"GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS"})


def creates_state(toks: list[Token] | None) -> bool:
    """Whether the statement may leave state on its connection (decided before it runs)."""
    if toks is None:
        return True
    if not toks:
        return False
    verb = toks[0].upper
    uppers = [t.upper for t in toks]
    if verb in {"SET", "USE", "LOCK", "PREPARE", "EXECUTE", "BEGIN", "START", "XA", "HANDLER"}:
        return True
    if verb == "BACKUP" and "LOCK" in uppers[1:2]:
        return True
    if verb == "FLUSH" and ("LOCK" in uppers or "EXPORT" in uppers):
        return True
    if verb == "CREATE" and "TEMPORARY" in uppers[1:4]:
        return True
    for i, up in enumerate(uppers):
        following = uppers[i + 1] if i + 1 < len(uppers) else ""
        if up == "GET_LOCK" and following == "(":
            return True
        if up == "@" and _assigns_variable(uppers, i):
            return True
    return False


def _assigns_variable(uppers: list[str], at: int) -> bool:
    """``@name :=``, or ``INTO ... @name`` (a user variable assigned by a statement)."""
    if at + 1 >= len(uppers) or uppers[at + 1] == "@@":
        return False
    if at >= 1 and uppers[at - 1] == "@":
        return False  # part of @@
    after = uppers[at + 2] if at + 2 < len(uppers) else ""
    if after == ":=":
        return True
    # SELECT ... INTO @a, @b: only variables (and commas) between INTO and this one.
    i = at - 1
    while i >= 1 and uppers[i] == "," and uppers[i - 2 : i - 1] == ["@"]:
        i -= 3
    return i >= 0 and uppers[i] == "INTO"


def apply(state: SessionState, sql: str) -> bool:
    """Update ``state`` after ``sql`` ran; True when the server must be asked which locks are held.

    A statement holding a backslash is read both ways (with and without NO_BACKSLASH_ESCAPES),
    so what either reading creates is kept.
    """
    ask = _apply(state, words(sql))
    if "\\" in sql:
        ask |= _apply(state, words(sql, backslash_escapes=False))
    return ask


def _apply(state: SessionState, toks: list[Token] | None) -> bool:
    if toks is None:
        state.lasting.add("an executable comment (its effect is unknown)")
        return False
    if not toks:
        return False
    verb = toks[0].upper
    handler = _VERB_HANDLERS.get(verb)
    if handler is not None:
        handler(state, toks)
    _assignments(state, toks)
    return _user_locks(state, toks)


def _set(state: SessionState, toks: list[Token]) -> None:
    for item in _split_top_level(toks[1:]):
        if len(item) >= 2 and item[0].upper == "@" and item[1].upper != "@@":
            name = _variable_name(item[1])
            value = [t.upper for t in item[3:]] if len(item) > 2 and item[2].upper in {"=", ":="} else []
            if value == ["NULL"]:
                state.user_variables.discard(name)
            else:
                state.user_variables.add(name)
        elif item and item[0].upper == "STATEMENT":
            state.lasting.add("SET STATEMENT (treated as a session variable)")
        elif item:
            state.lasting.add("session variables (SET)")


def _use(state: SessionState, toks: list[Token]) -> None:
    state.lasting.add("a default database (USE)")


def _lock(state: SessionState, toks: list[Token]) -> None:
    if len(toks) > 1 and toks[1].upper in {"TABLE", "TABLES"}:
        state.table_locks = True
    else:
        state.lasting.add(" ".join(t.upper for t in toks[:2]))


def _unlock(state: SessionState, toks: list[Token]) -> None:
    state.table_locks = False


def _backup(state: SessionState, toks: list[Token]) -> None:
    if len(toks) > 1:
        state.backup_lock = toks[1].upper == "LOCK"


def _flush(state: SessionState, toks: list[Token]) -> None:
    uppers = [t.upper for t in toks]
    if "LOCK" in uppers or "EXPORT" in uppers:
        state.table_locks = True


def _prepare(state: SessionState, toks: list[Token]) -> None:
    if len(toks) > 1:
        state.prepared.add(_name(toks[1]))


def _deallocate(state: SessionState, toks: list[Token]) -> None:
    if len(toks) > 2 and toks[1].upper == "PREPARE":
        state.prepared.discard(_name(toks[2]))


def _execute(state: SessionState, toks: list[Token]) -> None:
    state.lasting.add("an executed prepared statement (its effect is unknown)")


def _xa(state: SessionState, toks: list[Token]) -> None:
    action = toks[1].upper if len(toks) > 1 else ""
    if action in {"START", "BEGIN"}:
        state.xa = True
    elif action in {"COMMIT", "ROLLBACK"}:
        state.xa = False


def _handler(state: SessionState, toks: list[Token]) -> None:
    if len(toks) < 3:
        return
    name, action = _table_name(toks, 1)
    if action < len(toks) and toks[action].upper == "OPEN":
        # HANDLER t OPEN [AS] alias: later statements name the alias.
        rest = toks[action + 1 :]
        if rest and rest[0].upper == "AS":
            rest = rest[1:]
        state.handlers.add(rest[0].raw if rest else name)
    elif action < len(toks) and toks[action].upper == "CLOSE":
        state.handlers.discard(name)


def _create(state: SessionState, toks: list[Token]) -> None:
    uppers = [t.upper for t in toks]
    if "TEMPORARY" not in uppers[1:4]:
        return
    at = uppers.index("TEMPORARY") + 1
    if at < len(uppers) and uppers[at] == "TABLE":
        at += 1
        if uppers[at : at + 3] == ["IF", "NOT", "EXISTS"]:
            at += 3
        if at < len(toks):
            state.temporary_tables.add(_table_name(toks, at)[0])
            return
    state.lasting.add("a temporary object whose name was not understood")


def _drop(state: SessionState, toks: list[Token]) -> None:
    uppers = [t.upper for t in toks]
    at = 1
    if at < len(uppers) and uppers[at] == "TEMPORARY":
        at += 1
    if at < len(uppers) and uppers[at] == "PREPARE":
        if at + 1 < len(toks):
            state.prepared.discard(_name(toks[at + 1]))
        return
    if at >= len(uppers) or uppers[at] != "TABLE":
        return
    at += 1
    if uppers[at : at + 2] == ["IF", "EXISTS"]:
        at += 2
    while at < len(toks):
        name, at = _table_name(toks, at)
        state.temporary_tables.discard(name)
        if at >= len(toks) or toks[at].upper != ",":
            break
        at += 1


def _alter_or_rename(state: SessionState, toks: list[Token]) -> None:
    if state.temporary_tables:
        names = {t.raw for t in toks}
        if any(table.split(".")[-1] in names for table in state.temporary_tables):
            state.lasting.add("a renamed or altered temporary table")


_VERB_HANDLERS = {
    "SET": _set,
    "USE": _use,
    "LOCK": _lock,
    "UNLOCK": _unlock,
    "BACKUP": _backup,
    "FLUSH": _flush,
    "PREPARE": _prepare,
    "DEALLOCATE": _deallocate,
    "EXECUTE": _execute,
    "XA": _xa,
    "HANDLER": _handler,
    "CREATE": _create,
    "DROP": _drop,
    "ALTER": _alter_or_rename,
    "RENAME": _alter_or_rename,
}


def _assignments(state: SessionState, toks: list[Token]) -> None:
    uppers = [t.upper for t in toks]
    # SET's own list is _set's; an assignment nested in a value (SET @x = (SELECT @y := 5)) is here.
    nested_only = uppers[0] == "SET"
    depth = 0
    for i, up in enumerate(uppers):
        depth += (up == "(") - (up == ")")
        if up == "@" and (depth > 0 or not nested_only) and _assigns_variable(uppers, i):
            state.user_variables.add(_variable_name(toks[i + 1]))


def _user_locks(state: SessionState, toks: list[Token]) -> bool:
    """Note GET_LOCK's literal names; True when the held locks must be asked of the server."""
    asked = False
    for i, tok in enumerate(toks):
        if tok.upper not in _LOCK_FUNCTIONS or i + 1 >= len(toks) or toks[i + 1].upper != "(":
            continue
        if tok.upper == "RELEASE_ALL_LOCKS":
            state.user_locks.clear()
            state.unnamed_user_locks = False
        elif tok.upper == "GET_LOCK":
            name = _literal_argument(toks, i + 2)
            if name is None:
                state.unnamed_user_locks = True
            else:
                state.user_locks.add(name)
        asked = True
    return asked and bool(state.user_locks)


def _literal_argument(toks: list[Token], at: int) -> str | None:
    """The first argument when it is one string literal, e.g. GET_LOCK('job', 0)."""
    if at + 1 < len(toks) and toks[at].quoted in {"'", '"'} and toks[at + 1].upper in {",", ")"}:
        # A backslash escape (the connector escapes ' and \ in parameters) reads differently
        # under NO_BACKSLASH_ESCAPES: such a name is not asked about by name.
        return None if "\\" in toks[at].raw else toks[at].raw
    return None


def _split_top_level(toks: list[Token]) -> list[list[Token]]:
    items: list[list[Token]] = [[]]
    depth = 0
    for tok in toks:
        if tok.upper == "(":
            depth += 1
        elif tok.upper == ")":
            depth -= 1
        if tok.upper == "," and depth == 0:
            items.append([])
        else:
            items[-1].append(tok)
    return [item for item in items if item]


def _variable_name(tok: Token) -> str:
    # User variable names are case-insensitive (MySQL 5.0+, MariaDB).
    return tok.raw.lower()


def _name(tok: Token) -> str:
    return tok.raw


def _table_name(toks: list[Token], at: int) -> tuple[str, int]:
    """``name`` or ``db.name`` as written (unquoted), and the index after it."""
    parts = [toks[at].raw]
    at += 1
    while at + 1 < len(toks) and toks[at].upper == ".":
        parts.append(toks[at + 1].raw)
        at += 2
    return ".".join(parts), at
