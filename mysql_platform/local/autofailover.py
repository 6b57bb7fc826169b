"""Automatic failover for the local environment: etcd members and one agent per MariaDB server.

``local up --auto-failover`` starts them after the servers; ``down`` stops the agents first (so
none reacts to its server stopping), then the rest. The settings live in
``<state dir>/autofailover.json``; once there, every ``up`` starts what is missing.

What the agents do is in :mod:`mysql_platform.local.agent`; this module starts, finds and reports them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mysql_platform.local import etcd
from mysql_platform.local.procs import (
    Children,
    LocalEnvError,
    ProcessMarker,
    alive,
    find_processes,
    pick_ports,
    runs,
    stop_all,
)

CONFIG: Final = "autofailover.json"
DEFAULT_TTL_S: Final = 1
AGENT_PREFIX: Final = "agent-"
LEADER_TIMEOUT_S: Final = 15.0
# How long `up` holds the replicas' agents back for the primary's first report: an agent reports
# within a second of starting on a quiet machine, and within a few on a loaded one. A primary
# whose server does not answer never reports; its replicas then start as without this wait.
PRIMARY_REPORT_TIMEOUT_S: Final = 5.0
STOP_TIMEOUT_S: Final = 30.0


@dataclass(frozen=True)
class Settings:
    lease_ttl_s: int
    members: list[etcd.Member]
    # False: made before etcd required client certificates (see ``upgrade_to_tls``).
    tls: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "lease_ttl_s": self.lease_ttl_s,
            "members": [m.__dict__ for m in self.members],
            "tls": self.tls,
        }


def config_path(state_dir: Path) -> Path:
    return state_dir / CONFIG


def load(state_dir: Path) -> Settings | None:
    """The settings, or None when auto-failover was never turned on here."""
    path = config_path(state_dir)
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text())
        members = [etcd.Member(**m) for m in doc["members"]]
        return Settings(int(doc["lease_ttl_s"]), members, tls=doc.get("tls") is True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LocalEnvError(
            f"{path} is not usable ({exc}): delete it and run `mysql-platform local up --auto-failover` again"
        ) from None


def check(members: int, ttl_s: int) -> None:
    """Refuse what etcd or the design cannot do, before anything starts."""
    if members not in (1, 3):
        raise LocalEnvError(f"--etcd-members: got {members}; expected 1, or 3 to show quorum")
    if ttl_s < 1:
        raise LocalEnvError(f"--lease-ttl: got {ttl_s}; etcd grants leases of 1 s and more")


def create(state_dir: Path, *, members: int, ttl_s: int, taken: set[int]) -> Settings:
    check(members, ttl_s)
    ports = pick_ports(2 * members, taken)
    cluster = [etcd.Member(f"etcd{i + 1}", ports[2 * i], ports[2 * i + 1]) for i in range(members)]
    settings = Settings(ttl_s, cluster)
    config_path(state_dir).write_text(json.dumps(settings.to_json(), indent=2))
    return settings


def agent_dir(state_dir: Path) -> Path:
    return state_dir / "agents"


def agent_argument(state_dir: Path, server: str) -> str:
    return f"--agent-of={agent_dir(state_dir) / server}"


def agent_marker(state_dir: Path, server: str) -> ProcessMarker:
    # The interpreter's real executable: what /proc/PID/exe names.
    return ProcessMarker(Path(os.path.realpath(sys.executable)).name, agent_argument(state_dir, server))


def markers(state_dir: Path, servers: list[str]) -> dict[str, ProcessMarker]:
    """Agents first: ``down`` stops them before anything they watch."""
    found = {f"{AGENT_PREFIX}{s}": agent_marker(state_dir, s) for s in servers}
    found.update({f"etcd{i}": etcd.marker(state_dir, f"etcd{i}") for i in (1, 2, 3)})
    return found


def upgrade_to_tls(state_dir: Path, settings: Settings, servers: list[str], children: Children) -> Settings:
    """An environment whose etcd took plain HTTP from anyone: stop its agents and members and
    start etcd again from nothing, with TLS. etcd holds only leases, reports and the last
    topology, all rebuilt within a lease by the agents; the servers keep running."""
    found = find_processes(markers(state_dir, servers))
    stop_all(found, lambda name: markers(state_dir, servers)[name], children, STOP_TIMEOUT_S)
    shutil.rmtree(state_dir / "etcd", ignore_errors=True)
    upgraded = Settings(settings.lease_ttl_s, settings.members, tls=True)
    config_path(state_dir).write_text(json.dumps(upgraded.to_json(), indent=2))
    return upgraded


def start(
    state_dir: Path, settings: Settings, servers: list[str], children: Children, *, primary: str | None = None
) -> None:
    """Start every etcd member and agent that is not running; wait for the first leader.

    ``primary``'s agent starts first, and the others only once it has reported (or after
    ``PRIMARY_REPORT_TIMEOUT_S``, when its server does not answer). A replica's agent takes over a
    primary whose agent has not reported within two leases of its own start, as it must when
    that agent died; on a slow machine, started together, it would take over a healthy one."""
    if not settings.tls:
        settings = upgrade_to_tls(state_dir, settings, servers, children)
    for member in settings.members:
        etcd.start(state_dir, member, settings.members, children)
    etcd.wait_healthy(state_dir, settings.members)
    agent_dir(state_dir).mkdir(exist_ok=True)
    first = [primary] if primary in servers else []
    for server in first + [s for s in servers if s not in first]:
        if _start_agent(state_dir, server, children) and server in first:
            _wait_reported(state_dir, settings, server, PRIMARY_REPORT_TIMEOUT_S)


def _start_agent(state_dir: Path, server: str, children: Children) -> bool:
    """Spawn ``server``'s agent unless it runs; True when spawned now."""
    pid_path = agent_dir(state_dir) / f"{server}.pid"
    old = int(pid_path.read_text()) if pid_path.is_file() and pid_path.read_text().isdigit() else None
    if runs(old, agent_marker(state_dir, server)):
        return False
    argv = [sys.executable, "-m", "mysql_platform.local.agent", agent_argument(state_dir, server)]
    pid = children.spawn(f"{AGENT_PREFIX}{server}", argv, agent_dir(state_dir) / f"{server}.log")
    pid_path.write_text(str(pid))
    return True


def _wait_reported(state_dir: Path, settings: Settings, server: str, timeout: float) -> bool:
    """Until ``server``'s agent has reported; False after ``timeout``."""
    from mysql_platform.local.consensus import Consensus, EtcdUnavailable

    consensus = Consensus(state_dir, settings.members)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if server in consensus.reports():
                return True
        except EtcdUnavailable:
            pass
        time.sleep(0.05)
    return False


def wait_for_leader(
    state_dir: Path, settings: Settings, expected: str, servers: list[str], timeout: float = LEADER_TIMEOUT_S
) -> None:
    """Until ``expected`` holds the leader lease and every agent has reported (then ``status``
    right after ``up`` shows them all)."""
    from mysql_platform.local.consensus import Consensus, EtcdUnavailable

    consensus = Consensus(state_dir, settings.members)
    deadline = time.monotonic() + timeout
    while True:
        try:
            leader = consensus.leader()
            reported = set(consensus.reports())
        except EtcdUnavailable:
            leader, reported = None, set()
        silent = [name for name in servers if name not in reported]
        if leader is not None and leader.name == expected and not silent:
            return
        if time.monotonic() > deadline:
            raise LocalEnvError(
                _not_ready(state_dir, expected, leader.name if leader else None, silent, timeout)
            )
        time.sleep(0.05)


def _not_ready(state_dir: Path, expected: str, leader: str | None, silent: list[str], timeout: float) -> str:
    """Why :func:`wait_for_leader` gave up: the lease, or the agents that never reported (an agent
    reports only while its server answers), each with the log to read."""
    logs = agent_dir(state_dir)
    if leader is not None and leader != expected:
        return (
            f"the agent of {leader} holds the leader lease, not {expected}'s: {expected} did not answer "
            f"while `mysql-platform local up` waited, and {leader} took over "
            "(`mysql-platform local history` says when and why). "
            f"Run `mysql-platform local up` again to bring {expected} back as a replica; see {logs}/*.log"
        )
    if leader != expected:
        return (
            f"no agent took the leader lease for {expected} within {timeout:.0f} s "
            f"(leader: {leader or 'none'}); see {logs}/*.log"
        )
    return (
        f"{expected} holds the leader lease, but the agents of {', '.join(silent)} did not report within "
        f"{timeout:.0f} s (an agent reports only while its server answers); see "
        + ", ".join(f"{logs / name}.log" for name in silent)
    )


def report(state_dir: Path, servers: list[str]) -> dict[str, Any] | None:
    """For ``status``: the leader and its lease's TTL, each agent's view, each etcd member."""
    settings = load(state_dir)
    if settings is None:
        return None
    from mysql_platform.local.consensus import Consensus, EtcdUnavailable

    members = [
        {"name": m.name, "client_port": m.client_port, "alive": _pid_alive(state_dir, m.name)}
        for m in settings.members
    ]
    agents: dict[str, dict[str, Any]] = {
        s: {"alive": runs(_agent_pid(state_dir, s), agent_marker(state_dir, s))} for s in servers
    }
    out: dict[str, Any] = {"lease_ttl_s": settings.lease_ttl_s, "etcd": members, "agents": agents}
    try:
        consensus = Consensus(state_dir, settings.members)
        leader = consensus.leader_with_ttl()
        views = consensus.reports()
    except EtcdUnavailable:
        out.update(leader=None, leader_ttl_left=None, etcd_reachable=False)
        return out
    out.update(
        leader=leader.name if leader else None,
        leader_ttl_left=leader.ttl_left if leader else None,
        etcd_reachable=True,
    )
    for server in servers:
        agents[server]["view"] = views.get(server)
    return out


def _agent_pid(state_dir: Path, server: str) -> int | None:
    path = agent_dir(state_dir) / f"{server}.pid"
    text = path.read_text() if path.is_file() else ""
    return int(text) if text.isdigit() else None


def _pid_alive(state_dir: Path, name: str) -> bool:
    path = etcd.pid_file(state_dir, name)
    text = path.read_text() if path.is_file() else ""
    return text.isdigit() and alive(int(text)) and runs(int(text), etcd.marker(state_dir, name))


def add_to_status(status: dict[str, Any], state_dir: Path, servers: list[str]) -> dict[str, Any]:
    """``status`` with an ``auto_failover`` section and its problems, when it is on."""
    summary = report(state_dir, servers)
    if summary is not None:
        status["auto_failover"] = summary
        status["problems"] += problems(summary, status["roles"]["primary"], state_dir)
        status["healthy"] = not status["problems"]
    return status


def problems(summary: dict[str, Any] | None, primary: str, state_dir: Path) -> list[str]:
    """What keeps the automatic failover from working: etcd or an agent down, or a leader lease
    that is not the state's primary's, held by an agent that reports it healthy."""
    if summary is None:
        return []
    found = [
        f"etcd member {m['name']} is not running: run `mysql-platform local up` to start it"
        for m in summary["etcd"]
        if not m["alive"]
    ]
    found += [
        f"the agent of {s} is not running: run `mysql-platform local up` to start it"
        for s, a in summary["agents"].items()
        if not a["alive"]
    ]
    if not summary.get("etcd_reachable"):
        found.append(
            "no etcd member answers: no failover can happen, and the primary fences itself; "
            "run `mysql-platform local up` to start the members that are down, "
            "`mysql-platform local logs etcd` says why"
        )
        return found
    leader = summary.get("leader")
    if leader is None:
        found.append(
            "no agent holds the leader lease: no failover can happen; see `mysql-platform local logs agent`"
        )
    elif leader != primary:
        found.append(
            f"the leader lease is {leader}'s but the primary is {primary}: a failover may be under way "
            "(run `mysql-platform local status` again in a few seconds); "
            "if it lasts, see `mysql-platform local logs agent`"
        )
    agent = summary["agents"].get(primary, {})
    view = agent.get("view") or {}
    if agent.get("alive") and not view.get("healthy"):
        # An agent reports only while its server answers; the report lapses with its lease.
        found.append(
            f"the agent of the primary {primary} does not report it healthy (its server does not answer "
            f"the agent); see `mysql-platform local logs agent` and `mysql-platform local logs {primary}`"
        )
    return found
