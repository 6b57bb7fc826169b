"""What a local environment records: typed state, its secrets, where its files live, one lock.

``state.json`` (ports, server ids, pids, roles, the socket dir, the database name) and
``secrets.json`` (generated passwords) are read into :class:`State` and :class:`Secrets`;
everything else reads those attributes, never the JSON by key. A file this code cannot use
raises :class:`UnusableStateError`, one line that names the key, the value and what to do
(secrets.json's values are never shown: they are passwords). No state file means no
environment. The JSON on disk keeps its shape, so existing environments keep working.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import reprlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mysql_platform.local.layout import Paths, new_password, write_private
from mysql_platform.local.procs import LocalEnvError

Role = Literal["primary", "replica"]
ROLES: tuple[Role, Role] = ("primary", "replica")
# Every name a server may have: db1 primary, then one or two replicas (``up --replicas``).
SERVER_NAMES = ("db1", "db2", "db3")
MAX_REPLICAS = len(SERVER_NAMES) - 1
HAPROXY = "haproxy"
STATE_VERSION = 1

ADMIN_USER = "admin"
# Local management account, unix socket only (never reachable over TCP).
OPS_USER = "ops"
REPL_USER = "repl"


# --- the typed state ----------------------------------------------------------------


@dataclass
class ServerRecord:
    port: int
    server_id: int
    pid: int | None = None
    # A former primary fenced by an unplanned failover: it rejoins on its next start.
    needs_rejoin: bool = False


@dataclass
class ProxyRecord:
    writer_port: int
    reader_port: int
    pid: int | None = None


@dataclass
class Roles:
    primary: str
    replica: str

    def of(self, role: Role) -> str:
        return self.primary if role == "primary" else self.replica


@dataclass
class State:
    servers: dict[str, ServerRecord]
    roles: Roles
    haproxy: ProxyRecord
    semi_sync: bool = False
    initialized: bool = False
    socket_dir: str | None = None
    engine_version: str | None = None
    # None: made before db.database existed; the next `up` creates one.
    db_name: str | None = None
    failovers: int = 0
    version: int = field(default=STATE_VERSION)

    @classmethod
    def new(cls, ports: list[int], *, semi_sync: bool, db_name: str, replicas: int = 1) -> State:
        """A topology not started yet: db1 primary, db2 (and db3) replicas, HAProxy on the last two ports."""
        names = SERVER_NAMES[: replicas + 1]
        return cls(
            servers={name: ServerRecord(port=ports[i], server_id=i + 1) for i, name in enumerate(names)},
            roles=Roles(primary=SERVER_NAMES[0], replica=SERVER_NAMES[1]),
            haproxy=ProxyRecord(writer_port=ports[-2], reader_port=ports[-1]),
            semi_sync=semi_sync,
            db_name=db_name,
        )

    @property
    def names(self) -> list[str]:
        """This environment's servers, db1 first."""
        return list(self.servers)

    @property
    def replicas(self) -> list[str]:
        """Every server but the primary, the designated ``roles.replica`` first."""
        others = [n for n in self.servers if n not in (self.roles.primary, self.roles.replica)]
        return [self.roles.replica, *others]

    def role_of(self, name: str) -> Role:
        return "primary" if self.roles.primary == name else "replica"

    def pid_of(self, name: str) -> int | None:
        return self.haproxy.pid if name == HAPROXY else self.servers[name].pid

    def set_pid(self, name: str, pid: int | None) -> None:
        if name == HAPROXY:
            self.haproxy.pid = pid
        else:
            self.servers[name].pid = pid

    def ports_of(self, name: str) -> list[int]:
        if name == HAPROXY:
            return [self.haproxy.writer_port, self.haproxy.reader_port]
        return [self.servers[name].port]

    def all_ports(self) -> list[int]:
        return [*(s.port for s in self.servers.values()), self.haproxy.writer_port, self.haproxy.reader_port]

    def to_json(self) -> dict[str, Any]:
        """The state.json document (the same shape older versions wrote)."""
        return {
            "version": self.version,
            "initialized": self.initialized,
            "semi_sync": self.semi_sync,
            "socket_dir": self.socket_dir,
            "servers": {
                name: {"port": s.port, "server_id": s.server_id, "pid": s.pid, "needs_rejoin": s.needs_rejoin}
                for name, s in self.servers.items()
            },
            "roles": {"primary": self.roles.primary, "replica": self.roles.replica},
            "haproxy": {
                "writer_port": self.haproxy.writer_port,
                "reader_port": self.haproxy.reader_port,
                "pid": self.haproxy.pid,
            },
            "engine_version": self.engine_version,
            "db_name": self.db_name,
            "failovers": self.failovers,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> State:
        """A document that :func:`state_problem` accepted."""
        servers = {
            name: ServerRecord(
                port=doc["servers"][name]["port"],
                server_id=doc["servers"][name]["server_id"],
                pid=doc["servers"][name]["pid"],
                needs_rejoin=bool(doc["servers"][name].get("needs_rejoin")),
            )
            for name in SERVER_NAMES
            if name in doc["servers"]
        }
        proxy = doc["haproxy"]
        return cls(
            servers=servers,
            roles=Roles(primary=doc["roles"]["primary"], replica=doc["roles"]["replica"]),
            haproxy=ProxyRecord(
                writer_port=proxy["writer_port"], reader_port=proxy["reader_port"], pid=proxy["pid"]
            ),
            semi_sync=bool(doc.get("semi_sync")),
            initialized=bool(doc.get("initialized")),
            socket_dir=doc.get("socket_dir"),
            engine_version=str(doc["engine_version"]) if doc.get("engine_version") else None,
            db_name=str(doc["db_name"]) if doc.get("db_name") else None,
            failovers=int(doc.get("failovers") or 0),
        )


@dataclass(frozen=True)
class Secrets:
    admin: str
    repl: str
    ops: str

    @classmethod
    def generate(cls) -> Secrets:
        return cls(admin=new_password(), repl=new_password(), ops=new_password())

    def values(self) -> tuple[str, str, str]:
        return (self.admin, self.repl, self.ops)

    def to_json(self) -> dict[str, str]:
        return {"admin": self.admin, "repl": self.repl, "ops": self.ops}


# --- validation -------------------------------------------------------------------------


class UnusableStateError(LocalEnvError):
    """state.json or secrets.json cannot be used; the message says what to do."""

    def __init__(self, state_dir: Path, problem: str) -> None:
        super().__init__(
            f"cannot use the state in {state_dir} ({problem}); the servers' data directories are "
            "untouched: restore the file if you have a copy, `mysql-platform local down` stops the "
            "processes and keeps the data, and only `mysql-platform local down --purge` then "
            "`mysql-platform local up` starts afresh (it deletes every server's data)"
        )
        self.problem = problem


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


_Check = tuple[Callable[[Any], bool], str]
_PORT: _Check = (lambda v: _is_count(v) and v < 65536, "a TCP port (1-65535)")
_PID: _Check = (lambda v: v is None or _is_count(v), "a pid or null")
_ROLE: _Check = (lambda v: v in SERVER_NAMES, f"one of {list(SERVER_NAMES)}")
_SERVER_FIELDS: tuple[tuple[str, _Check], ...] = (
    ("port", _PORT),
    ("server_id", (_is_count, "a positive integer")),
    ("pid", _PID),
)
# Every value that later code uses without checking it again (db1 and db2 always exist).
_STATE_FIELDS: tuple[tuple[str, _Check], ...] = (
    *((f"servers.{name}.{key}", check) for name in SERVER_NAMES[:2] for key, check in _SERVER_FIELDS),
    ("haproxy.writer_port", _PORT),
    ("haproxy.reader_port", _PORT),
    ("haproxy.pid", _PID),
    ("roles.primary", _ROLE),
    ("roles.replica", _ROLE),
    ("socket_dir", (lambda v: v is None or isinstance(v, str), "a path or null")),
    ("failovers", (lambda v: v is None or isinstance(v, int), "an integer")),
)


def _json_type(value: Any) -> str:
    """A parsed JSON value's type as JSON names it (never the value: secrets.json holds passwords)."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _lookup(document: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def state_problem(doc: Any) -> str | None:
    """What makes a loaded state.json unusable, naming the key and the value; None when usable."""
    if not isinstance(doc, dict):
        return f"state.json holds {_json_type(doc)}, expected an object"
    if doc.get("version") != STATE_VERSION:
        return f"state.json has version {reprlib.repr(doc.get('version'))}, expected {STATE_VERSION}"
    for dotted, (valid, expected) in _STATE_FIELDS:
        value = _lookup(doc, dotted)
        if not valid(value):
            return f"state.json {dotted} is {reprlib.repr(value)}, expected {expected}"
    third = SERVER_NAMES[2]
    if doc["servers"].get(third) is not None:  # the optional second replica
        for key, (valid, expected) in _SERVER_FIELDS:
            value = _lookup(doc, f"servers.{third}.{key}")
            if not valid(value):
                return f"state.json servers.{third}.{key} is {reprlib.repr(value)}, expected {expected}"
    for role in ("primary", "replica"):
        if doc["roles"][role] not in doc["servers"]:
            return f"state.json roles.{role} is {doc['roles'][role]!r}, which is not one of its servers"
    if doc["roles"]["primary"] == doc["roles"]["replica"]:
        return f"state.json roles names {doc['roles']['primary']!r} twice, expected both servers"
    return None


def secrets_problem(doc: Any) -> str | None:
    """Like :func:`state_problem` for secrets.json; it never shows a value (they are passwords)."""
    if not isinstance(doc, dict):
        return f"secrets.json holds {_json_type(doc)}, expected an object"
    for key in ("admin", "repl", "ops"):
        if not isinstance(doc.get(key), str):
            return f"secrets.json {key} is {_json_type(doc.get(key))}, expected a string"
    return None


def _read_json(path: Path) -> tuple[Any, str | None]:
    """The parsed file, or None and what is wrong with it (one line, naming the file)."""
    try:
        return json.loads(path.read_text()), None
    except FileNotFoundError:
        return None, f"{path.name} is missing"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path.name} is unreadable: {exc.__class__.__name__}: {exc}"


# --- the store ----------------------------------------------------------------------------


class StateStore:
    """The state and secrets of one state dir, cached, re-read when another process rewrote them."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.state: State | None = None
        self._secrets: Secrets | None = None
        self._mtime: int | None = None
        self._lock_depth = 0

    @contextlib.contextmanager
    def lock(self, *, create: bool = True) -> Iterator[None]:
        """Serialize state changes across processes; re-entrant within one object.

        ``create=False``: a missing state dir stays missing (and there is nothing to lock).
        """
        state_dir = self.paths.state_dir
        if self._lock_depth or (not create and not state_dir.is_dir()):
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(state_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
        finally:
            os.close(fd)

    def load(self) -> State | None:
        """Read the state, again whenever another process (e.g. a CLI failover) rewrote it.

        No state file means no environment (None); a file this code cannot use raises one
        line that names it and says what to do, rather than a KeyError somewhere later.
        """
        try:
            mtime = self.paths.state.stat().st_mtime_ns
        except FileNotFoundError:
            self.forget()
            return None
        if self.state is not None and mtime == self._mtime:
            return self.state
        doc, problem = _read_json(self.paths.state)
        problem = problem or state_problem(doc)
        if problem is None:
            secrets_doc, problem = _read_json(self.paths.secrets)
            problem = problem or secrets_problem(secrets_doc)
        if problem is not None:
            raise UnusableStateError(self.paths.state_dir, problem)
        self.state = State.from_json(doc)
        self._secrets = Secrets(admin=secrets_doc["admin"], repl=secrets_doc["repl"], ops=secrets_doc["ops"])
        self._mtime = mtime
        return self.state

    def forget(self) -> None:
        self.state, self._secrets, self._mtime = None, None, None

    def current(self) -> State:
        """The loaded state; an error that says to run `up` when there is none."""
        if self.state is None:
            raise LocalEnvError(
                f"no local environment in {self.paths.state_dir}; run `mysql-platform local up` first"
            )
        return self.state

    @property
    def secrets(self) -> Secrets:
        if self._secrets is None:
            raise LocalEnvError(
                f"no local environment in {self.paths.state_dir}; run `mysql-platform local up` first"
            )
        return self._secrets

    def known_secrets(self) -> tuple[str, ...]:
        """The passwords to scrub from messages (none before anything was loaded)."""
        return self._secrets.values() if self._secrets is not None else ()

    def create(self, state: State, secrets_: Secrets) -> None:
        """Record a new environment: its secrets first, then its state."""
        write_private(self.paths.secrets, json.dumps(secrets_.to_json()))
        self._secrets = secrets_
        self.state = state
        self.save()

    def save(self) -> None:
        write_private(self.paths.state, json.dumps(self.current().to_json(), indent=2) + "\n")
        self._mtime = self.paths.state.stat().st_mtime_ns
