"""The members of an environment, one uniform row each (``local list``), and whether a replica may
be promoted (``local failover --to``).

:func:`collect` asks every running server over its unix socket (read_only, GTID position, its
replica threads); the rest is pure: a member's state, its lag, the table people read and the
reason a candidate is refused.

A member's state: ``stopped`` (no process), ``not answering`` (its process runs, its socket does
not answer); a primary is ``running`` or ``fenced`` (read-only); a replica is ``replicating``,
``connecting`` (its IO thread has no primary yet), ``not replicating`` (threads stopped),
``broken`` (a replication error, or its IO thread gave up), ``needs rejoin`` (a former primary
that has not rejoined), ``diverged`` (it holds writes the primary lacks) or ``writable`` (a
replica accepting writes).
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any

from mysql_platform.local.mariadb import gtids_missing_from, parse_gtids
from mysql_platform.local.procs import LocalEnvError
from mysql_platform.local.servers import Servers
from mysql_platform.local.state import State

# A planned switchover blocks writes while the candidate catches up: refuse one further behind.
DEFAULT_MAX_LAG_S = 5
DEFAULT_MAX_LAG_TRX = 1000
CONNECT_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Member:
    """One server as ``local list`` shows it; None where a value is unknown or does not apply."""

    member: str
    role: str  # primary | replica
    state: str
    alive: bool
    pid: int | None
    port: int
    read_only: bool | None
    gtid: str | None  # gtid_current_pos
    gtid_received: str | None  # a replica's Gtid_IO_Pos: what it received (applied or not)
    behind_trx: int | None  # transactions (GTID seq_no) behind the primary's binlog position
    behind_s: int | None  # Seconds_Behind_Master
    io_running: str | None
    sql_running: str | None
    last_error: str | None
    needs_rejoin: bool
    diverged: bool
    leader: bool | None  # auto-failover only: holds the leader lease
    lease_ttl_s: int | None  # auto-failover only: the leader lease's seconds left (on the leader)
    agent: str | None  # auto-failover only: "alive" or "down"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Probe:
    """What a server said about itself (None: it did not answer)."""

    read_only: bool
    gtid: str
    binlog_state: str
    slave: dict[str, Any] | None  # SHOW SLAVE STATUS, None when not a replica


def probe(servers: Servers, name: str) -> Probe | str:
    """Ask ``name`` over its socket; the error (scrubbed) when it does not answer."""
    try:
        conn = servers.ops_connect(name, timeout=CONNECT_TIMEOUT_S)
        with contextlib.closing(conn), contextlib.closing(conn.cursor(dictionary=True)) as cur:
            cur.execute("SHOW SLAVE STATUS")
            slave = cur.fetchone()
            cur.execute(
                "SELECT @@GLOBAL.read_only AS ro, @@GLOBAL.gtid_current_pos AS pos, "
                "@@GLOBAL.gtid_binlog_state AS state"
            )
            row = cur.fetchone()
    except Exception as exc:  # a list reports, it does not crash
        return servers.scrub(str(exc)) or exc.__class__.__name__
    return Probe(bool(row["ro"]), str(row["pos"] or ""), str(row["state"] or ""), slave)


def collect(state: State, servers: Servers, auto: dict[str, Any] | None) -> list[Member]:
    """Every member, the primary first; ``auto``: ``autofailover.report`` (None when it is off)."""
    names = [state.roles.primary, *state.replicas]
    # The replicas first: a replica asked after the primary could hold a write that the
    # primary's (older) answer lacks, and would look diverged.
    probes = {name: probe(servers, name) if servers.alive(name) else None for name in reversed(names)}
    primary = probes[state.roles.primary]
    primary_probe = primary if isinstance(primary, Probe) else None
    return [member_row(name, state.role_of(name), state, probes[name], primary_probe, auto) for name in names]


def member_row(
    name: str,
    role: str,
    state: State,
    found: Probe | str | None,
    primary: Probe | None,
    auto: dict[str, Any] | None,
) -> Member:
    rec = state.servers[name]
    answered = found if isinstance(found, Probe) else None
    slave = answered.slave if answered is not None else None
    views = {} if auto is None else {s: a.get("view") or {} for s, a in auto["agents"].items()}
    diverged = bool(views.get(name, {}).get("diverged"))
    if answered is not None and primary is not None and role == "replica":
        with contextlib.suppress(LocalEnvError):
            diverged = diverged or bool(gtids_missing_from(answered.gtid, primary.binlog_state, name))
    error = None
    if isinstance(found, str):
        error = found
    elif slave is not None:
        error = slave["Last_IO_Error"] or slave["Last_SQL_Error"] or None
    leader = None if auto is None else auto.get("leader") == name
    return Member(
        member=name,
        role=role,
        state=member_state(role, found, rec.needs_rejoin, diverged),
        alive=found is not None,
        pid=rec.pid if found is not None else None,
        port=rec.port,
        read_only=answered.read_only if answered is not None else None,
        gtid=answered.gtid if answered is not None else None,
        gtid_received=(slave["Gtid_IO_Pos"] or None) if slave is not None else None,
        behind_trx=(
            behind(answered.gtid, primary.gtid)
            if answered is not None and primary is not None and role == "replica"
            else (0 if role == "primary" and answered is not None else None)
        ),
        behind_s=slave["Seconds_Behind_Master"] if slave is not None else None,
        io_running=slave["Slave_IO_Running"] if slave is not None else None,
        sql_running=slave["Slave_SQL_Running"] if slave is not None else None,
        last_error=error,
        needs_rejoin=rec.needs_rejoin,
        diverged=diverged,
        leader=leader,
        lease_ttl_s=auto.get("leader_ttl_left") if auto is not None and leader else None,
        agent=None if auto is None else ("alive" if auto["agents"].get(name, {}).get("alive") else "down"),
    )


def member_state(role: str, found: Probe | str | None, needs_rejoin: bool, diverged: bool) -> str:
    if found is None:
        return "stopped"
    if isinstance(found, str):
        return "not answering"
    if role == "primary":
        return "fenced" if found.read_only else "running"
    if diverged:
        return "diverged"
    if needs_rejoin:
        return "needs rejoin"
    if not found.read_only:
        return "writable"
    slave = found.slave
    if slave is None:
        return "not replicating"
    # An IO error while its thread still retries (``Connecting``) is a primary away, not a failure.
    if slave["Last_SQL_Error"] or (slave["Last_IO_Error"] and slave["Slave_IO_Running"] == "No"):
        return "broken"
    if slave["Slave_IO_Running"] == "Yes" and slave["Slave_SQL_Running"] == "Yes":
        return "replicating"
    if slave["Slave_IO_Running"] == "Connecting" and slave["Slave_SQL_Running"] == "Yes":
        return "connecting"
    return "not replicating"


def behind(position: str, ahead: str) -> int | None:
    """Transactions ``position`` lacks to reach ``ahead``: per domain, the seq_no difference
    (a domain's numbers only grow, whoever wrote them), summed; None if either is unreadable."""
    try:
        have = {domain: seq for domain, _, seq in parse_gtids(position, "gtid position")}
        want = {domain: seq for domain, _, seq in parse_gtids(ahead, "gtid position")}
    except LocalEnvError:
        return None
    return sum(max(0, seq - have.get(domain, 0)) for domain, seq in want.items())


# ----- the candidate of a failover ---------------------------------------------------------------


def refusal(
    members: list[Member],
    candidate: str,
    *,
    max_lag_s: int = DEFAULT_MAX_LAG_S,
    max_lag_trx: int = DEFAULT_MAX_LAG_TRX,
) -> str | None:
    """Why ``candidate`` must not be promoted now, naming it; None when it may be.

    With the primary running (a switchover) the candidate must replicate and be within the
    bounds (the primary stays read-only while it catches up). With the primary down it must
    not lack transactions that another replica received: promoting it would lose them.
    """
    by_name = {m.member: m for m in members}
    replicas = [m.member for m in members if m.role == "replica"]
    others = ", ".join(replicas) or "none"
    m = by_name.get(candidate)
    if m is None:
        return f"{candidate} is not a member of this environment (its replicas: {others})"
    if m.role != "replica":
        return f"{candidate} is the primary already; choose a replica ({others})"
    if not m.alive:
        return (
            f"{candidate} is not running: start it with `mysql-platform local up`, or choose another replica"
        )
    if m.state == "not answering":
        return f"{candidate} does not answer ({m.last_error}); see `mysql-platform local logs {candidate}`"
    if m.diverged:
        return f"{candidate} has diverged: it holds writes the primary lacks, so it cannot be promoted"
    if m.needs_rejoin:
        return (
            f"{candidate} is a former primary that has not rejoined yet: "
            "run `mysql-platform local up` to rejoin it first"
        )
    if m.state in ("broken", "writable"):
        why = m.last_error or "it accepts writes as a replica"
        return f"{candidate} cannot be promoted: {why}"
    primary = next((p for p in members if p.role == "primary"), None)
    if primary is not None and primary.alive:
        if m.state != "replicating":
            return (
                f"{candidate} is {m.state} (io={m.io_running or 'unknown'}, "
                f"sql={m.sql_running or 'unknown'}): it would not catch up with the primary; "
                "`mysql-platform local status` says what to run"
            )
        if m.behind_trx is not None and m.behind_trx > max_lag_trx:
            return (
                f"{candidate} is {m.behind_trx} transactions behind the primary (the bound is {max_lag_trx})"
            )
        if m.behind_s is not None and m.behind_s > max_lag_s:
            return f"{candidate} is {m.behind_s} s behind the primary (the bound is {max_lag_s} s)"
        return None
    if m.sql_running != "Yes":
        return (
            f"{candidate}'s SQL thread is not running: promoted now, it would drop what it received "
            "but has not applied; choose another replica"
        )
    for other in members:
        if other.role != "replica" or other.member == candidate or not other.alive or other.diverged:
            continue
        missing = behind(_received(m), _received(other))
        if missing:
            return (
                f"{candidate} lacks {missing} transaction(s) that {other.member} received: promoting it "
                f"would lose them; choose {other.member} "
                f"(`mysql-platform local failover --to {other.member}`)"
            )
    return None


def _received(m: Member) -> str:
    """What a replica holds or will hold once its relay log is applied."""
    positions = [p for p in (m.gtid, m.gtid_received) if p]
    if len(positions) == 2 and behind(positions[0], positions[1]) == 0:
        return positions[0]
    return positions[-1] if positions else ""


# ----- the table ------------------------------------------------------------------------------


def _dash(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def lease_text(ttl: int | None) -> str:
    # etcd counts a lease's time left in whole seconds: 0 is "under a second".
    if ttl is None:
        return "-"
    return "under 1 s" if ttl == 0 else f"{ttl} s"


def table(members: list[Member], *, auto: bool) -> list[str]:
    """The members as people read them: one row each, ``-`` where a value does not apply."""
    header = ["MEMBER", "ROLE", "STATE", "LAG (trx)", "LAG (s)", "GTID"]
    if auto:
        header += ["AGENT", "LEADER LEASE"]
    rows = [header]
    for m in members:
        row = [m.member, m.role, m.state, _dash(m.behind_trx), _dash(m.behind_s), _dash(m.gtid)]
        if auto:
            row += [_dash(m.agent), lease_text(m.lease_ttl_s) if m.leader else "-"]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    problems = [f"{m.member}: {m.last_error}" for m in members if m.last_error]
    return lines + [f"  {p}" for p in problems]
