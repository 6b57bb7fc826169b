"""An environment's status: processes, roles, replication, HAProxy's view, and whether it is healthy.

:func:`problems` lists what makes a status unhealthy, each a sentence for a person:
a process down, replication not running, the primary read-only (fenced), HAProxy down,
or HAProxy's view of its servers disagreeing with the servers themselves (the writer
port sent elsewhere than the primary, or a server it calls UP that is down). The status
never holds a password.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mysql_platform.local.layout import Paths
from mysql_platform.local.procs import FoundProcess, LocalEnvError
from mysql_platform.local.proxy import Proxy
from mysql_platform.local.servers import Servers
from mysql_platform.local.state import HAPROXY, State


@dataclass(frozen=True)
class ProcessInfo:
    name: str
    role: str
    pid: int | None
    ports: tuple[int, ...]
    alive: bool


def not_initialized(paths: Paths, orphans: list[FoundProcess]) -> dict[str, Any]:
    """The status of a state dir without a state file (``orphans``: its processes that still run)."""
    status: dict[str, Any] = {
        "state_dir": str(paths.state_dir),
        "initialized": False,
        "processes": [],
        "orphans": [dataclasses.asdict(p) for p in orphans],
    }
    status["problems"] = problems(status)
    status["healthy"] = not status["problems"]
    return status


STOPPED = "stopped: run `mysql-platform local up`"


def stopped(paths: Paths, state: State) -> dict[str, Any]:
    """The status of an environment none of whose processes runs (after ``down``): one problem."""
    status: dict[str, Any] = {
        "state_dir": str(paths.state_dir),
        "initialized": True,
        "stopped": True,
        "semi_sync": state.semi_sync,
        "db_name": state.db_name,
        "roles": {"primary": state.roles.primary, "replica": state.roles.replica},
        "processes": [
            dataclasses.asdict(
                ProcessInfo(
                    name,
                    "proxy" if name == HAPROXY else state.role_of(name),
                    None,
                    tuple(state.ports_of(name)),
                    False,
                )
            )
            for name in (*state.names, HAPROXY)
        ],
        # The keys of a running environment's status, with nothing running.
        "replication": _not_running(state.roles.replica),
        "replicas": [_not_running(name) for name in state.replicas[1:]],
        "proxy": [],
        "proxy_disagreements": [],
        "needs_rejoin": [name for name in state.replicas if state.servers[name].needs_rejoin],
        "problems": [STOPPED],
        "healthy": False,
    }
    return status


def _not_running(name: str) -> dict[str, Any]:
    return {"server": name, "running": False, "error": "server is not running"}


def collect(paths: Paths, state: State, servers: Servers, proxy: Proxy) -> dict[str, Any]:
    """Everything ``status`` reports, as JSON-ready values (None where a value is unknown)."""
    procs = [
        ProcessInfo(
            name=name,
            role="proxy" if name == HAPROXY else state.role_of(name),
            pid=state.pid_of(name),
            ports=tuple(state.ports_of(name)),
            alive=proxy.alive() if name == HAPROXY else servers.alive(name),
        )
        for name in (*state.names, HAPROXY)
    ]
    try:
        view, proxy_error = proxy.view(), None
    except LocalEnvError as exc:  # a hung HAProxy: say so, not a traceback
        view, proxy_error = [], str(exc)
    status: dict[str, Any] = {
        "state_dir": str(paths.state_dir),
        "initialized": state.initialized,
        "semi_sync": state.semi_sync,
        "db_name": state.db_name,
        "roles": {"primary": state.roles.primary, "replica": state.roles.replica},
        "processes": [dataclasses.asdict(p) for p in procs],
        "primary": servers.writable_status(state.roles.primary),
        "replication": servers.replication_status(state.roles.replica),
        "replicas": [servers.replication_status(name) for name in state.replicas[1:]],
        "proxy": view,
        "proxy_disagreements": _disagreements(view, proxy) if procs[-1].alive and not proxy_error else [],
        "proxy_error": proxy_error,
        "needs_rejoin": [name for name in state.replicas if state.servers[name].needs_rejoin],
    }
    status["problems"] = problems(status)
    status["healthy"] = not status["problems"]
    return status


def _disagreements(view: list[dict[str, Any]], proxy: Proxy) -> list[str]:
    """Where HAProxy's view of a server differs from the server's real port and state."""
    seen = {(row["backend"], row["server"]): row for row in view}
    found = []
    for backend, server, address, state in proxy.expected_view():
        row = seen.get((backend, server))
        if row is None:
            found.append(f"HAProxy has no server {backend}/{server}")
            continue
        if row["address"] != address:
            found.append(
                f"HAProxy sends {backend}/{server} to {row['address']}, but that server is on {address}"
            )
        elif row["state"] != state:
            server_state = "running" if state == "UP" else "down"
            found.append(
                f"HAProxy has {backend}/{server} {row['state']}, but the server ({address}) is {server_state}"
            )
    return found


def problems(status: dict[str, Any]) -> list[str]:
    """What makes ``status`` unhealthy, each with what to run next; empty when all runs and agrees."""
    if not status.get("initialized"):
        orphans = status.get("orphans") or []
        if orphans:
            which = ", ".join(f"{p['name']} pid {p['pid']}" for p in orphans)
            return [
                f"no state file, yet processes of this state dir still run ({which}): "
                "run `mysql-platform local down`"
            ]
        if "roles" not in status:
            return ["no local environment here: run `mysql-platform local up`"]
    found = (
        []
        if status.get("initialized")
        else ["the environment was never fully created: run `mysql-platform local up`"]
    )
    found += [
        f"{p['name']} ({p['role']}) is not running: run `mysql-platform local up` to start it"
        for p in status.get("processes", [])
        if not p.get("alive")
    ]
    rejoining = status.get("needs_rejoin") or []
    primary = (status.get("roles") or {}).get("primary", "the primary")
    for repl in [status.get("replication") or {}, *(status.get("replicas") or [])]:
        if not repl.get("running"):
            found.append(_replication_problem(repl, repl.get("server") in rejoining, primary))
    found += _primary_problems(status.get("primary"), Path(status["state_dir"]))
    # HAProxy's writer port must send to the primary, and every backend to its server.
    found += [
        f"{d}: run `mysql-platform local up` to repoint HAProxy"
        for d in status.get("proxy_disagreements") or []
    ]
    found += [status["proxy_error"]] if status.get("proxy_error") else []
    return found


def _replication_problem(repl: dict[str, Any], needs_rejoin: bool, primary: str) -> str:
    """Why replication to one replica is not running, and what to run next."""
    server = repl.get("server")
    why = repl.get("error") or repl.get("last_error") or "replica threads stopped"
    if why == "server is not running":
        advice = "`mysql-platform local up` starts it and it resumes replicating"
    elif needs_rejoin:
        advice = (
            "it is a former primary that has not rejoined: run `mysql-platform local up` to rejoin it; "
            f"if it holds writes {primary} lacks (`mysql-platform local list` says diverged) it stays "
            "read-only and the others run on without it (`mysql-platform local logs` says which writes)"
        )
    elif why == "replica threads stopped":
        advice = "run `mysql-platform local up` to start them again"
    elif why == "not configured as a replica":
        advice = (
            f"`mysql-platform local list` shows its state and `mysql-platform local logs {server}` its log"
        )
    else:
        advice = f"see `mysql-platform local logs {server}`, and `mysql-platform local list` for its state"
    return f"replication to {server} is not running: {why}; {advice}"


def _primary_problems(primary: dict[str, Any] | None, state_dir: Path) -> list[str]:
    """Whether the primary takes writes (a primary that is not running is said by its process line)."""
    if not primary or primary.get("read_only") is False or primary.get("error") == "server is not running":
        return []
    name = primary["server"]
    if primary.get("read_only"):
        return [
            f"the primary {name} is read-only (fenced): every write through the writer port fails; "
            "run `mysql-platform local failover` to hand its role to a replica (nothing is lost), or "
            "`mysql-platform local down` then "
            f"`mysql-platform local up` to restart {name} writable"
        ]
    return [
        f"cannot tell whether the primary {name} takes writes: {primary.get('error')}; "
        f"see `mysql-platform local logs {name}` ({Paths(state_dir).error_log(name)})"
    ]
