"""The failover drill: kill the primary under write load, fail over, count the damage.

Client processes write continuously through HAProxy's writer port, reconnecting with a short
backoff on errors as an application must; the primary is SIGKILLed, ``LocalEnv.failover()``
runs as soon as HAProxy has marked it down, and what the clients were told was committed is
compared with what the new primary holds. ``bench/failover_drill.py`` runs it in rounds and
prints the figures; the integration tests run it once per replication mode.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysql.connector import errors

from mysql_platform.core.haproxy_config import WRITER_SECTION
from mysql_platform.local.env import LocalEnv


@dataclass(frozen=True)
class DrillResult:
    mode: str
    clients: int
    acked_before_kill: int
    acked_after_failover: int
    lost_acked: int
    ambiguous: int
    ambiguous_committed: int
    client_errors: int
    downtime_s: float
    detect_s: float
    promote_s: float
    semi_sync_status_at_kill: str | None
    #: "env CA": clients trust only the environment's CA; "system+env CA": the
    #: connector also loads the system bundle on every connect, as it does by default.
    trust: str = "env CA"
    #: Promoted by the agents (etcd lease), not by a failover() call.
    auto: bool = False

    @property
    def routing_s(self) -> float:
        """From the promotion to the first acknowledged write: HAProxy and the clients' reconnect."""
        return self.downtime_s - self.detect_s - self.promote_s

    def line(self) -> str:
        if self.auto:
            return (
                f"auto {self.mode:9} x{self.clients:<2} downtime {self.downtime_s * 1000:7.1f} ms "
                f"(lease expiry {self.detect_s * 1000:6.1f} ms, "
                f"election+promotion {self.promote_s * 1000:5.1f} ms, "
                f"routing {self.routing_s * 1000:5.1f} ms)  acked {self.acked_before_kill:5d} before / "
                f"{self.acked_after_failover:5d} after  lost {self.lost_acked}  ambiguous {self.ambiguous} "
                f"({self.ambiguous_committed} committed)"
            )
        return (
            f"{self.mode:9} x{self.clients:<2} {self.trust:13} downtime {self.downtime_s * 1000:7.1f} ms "
            f"(detect {self.detect_s * 1000:6.1f} ms, promote {self.promote_s * 1000:5.1f} ms)  "
            f"acked {self.acked_before_kill:5d} before / {self.acked_after_failover:5d} after  "
            f"lost {self.lost_acked}  ambiguous {self.ambiguous} ({self.ambiguous_committed} committed)  "
            f"client errors {self.client_errors}"
        )


@dataclass
class _Writes:
    """What one client saw: acknowledged writes, writes of unknown outcome, errors."""

    acks: list[tuple[int, float]] = field(default_factory=list)
    ambiguous: list[int] = field(default_factory=list)
    errors: int = 0


def _write_until_stopped(
    state_dir: str, first: int, step: int, system_cas: bool, ready: Any, stop: Any, out: Any
) -> None:
    """One client process: write first, first + step, ... through the writer port until told to stop.

    A process, not a thread: the clients must not compete with the failover for
    one interpreter's GIL. time.monotonic() is system-wide, so timestamps compare.
    """
    if system_cas:
        # OpenSSL's default bundle, which mysql-connector loads on every connect.
        os.environ.pop("SSL_CERT_FILE", None)
    else:
        # Trust only the environment's CA (ssl_ca): no system bundle to load per connect.
        os.environ["SSL_CERT_FILE"] = os.devnull
    env = LocalEnv(Path(state_dir))
    seen = _Writes()
    seq = first - step
    backoff = 0.002
    conn: Any = None
    while not stop.is_set():
        seq += step
        sent = False
        try:
            if conn is None:
                conn = env.connect("writer", connection_timeout=1)
            cur = conn.cursor()
            sent = True
            cur.execute("INSERT INTO drill.w (seq) VALUES (%s)", (seq,))
            cur.close()
            seen.acks.append((seq, time.monotonic()))
            backoff = 0.002
            ready.set()
        except errors.Error:
            seen.errors += 1
            if sent:
                # Cut after the INSERT went out: committed or not, nobody told us.
                seen.ambiguous.append(seq)
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            conn = None
            # Back off like a well-behaved client (2 ms doubling to 20 ms): a tight
            # reconnect loop from every client would starve the failover of CPU.
            time.sleep(backoff)
            backoff = min(backoff * 2, 0.02)
    if conn is not None:
        conn.close()
    out.put((seen.acks, seen.ambiguous, seen.errors))


def _exec(env: LocalEnv, target: str, sql: str, *args: Any) -> list[Any]:
    with contextlib.closing(env.connect(target)) as conn, contextlib.closing(conn.cursor()) as cur:  # type: ignore[arg-type]
        cur.execute(sql, args or None)
        return list(cur.fetchall()) if cur.with_rows else []


def _writer_down(env: LocalEnv) -> bool:
    # "show servers state" columns: be_id be_name srv_id srv_name srv_addr srv_op_state ...
    for line in env.haproxy_command(f"show servers state {WRITER_SECTION}").splitlines():
        cols = line.split()
        if len(cols) > 5 and cols[1] == WRITER_SECTION and cols[3] == "primary":
            return cols[5] == "0"
    return False


def _wait_for_agents(env: LocalEnv, t_kill: float, timeout: float) -> tuple[float, float]:
    """When the winning agent noticed the lease gone and when it had promoted (its monotonic
    clock is this machine's, so the times compare with ours)."""
    from mysql_platform.local import autofailover
    from mysql_platform.local.consensus import Consensus

    settings = autofailover.load(env.state_dir)
    if settings is None:
        raise RuntimeError("auto drill on an environment without auto-failover")
    consensus = Consensus(env.state_dir, settings.members)
    while True:
        topology = consensus.topology()
        if topology is not None and topology["noticed_at"] > t_kill:
            return float(topology["noticed_at"]), float(topology["promoted_at"])
        if time.monotonic() - t_kill > timeout:
            raise RuntimeError(f"no agent promoted a replica within {timeout} s of the kill")
        time.sleep(0.005)


def run_drill(
    env: LocalEnv,
    *,
    clients: int = 1,
    system_cas: bool = False,
    load_s: float = 0.5,
    after_s: float = 0.3,
    detect_timeout_s: float = 5.0,
    auto: bool = False,
) -> DrillResult:
    """Run one drill on a fresh, running ``env`` (it is left failed-over).

    ``auto``: the environment runs its agents (``up --auto-failover``) and nobody calls
    ``failover()``: detect is the kill until the winning agent saw the leader lease gone,
    promote its election and promotion, both as the agent published them in etcd.
    """
    # The recorded mode: an `env` made for an existing environment may have asked for none.
    env.store.load()
    semi_sync = env.store.current().semi_sync
    _exec(env, "writer", "CREATE DATABASE IF NOT EXISTS drill")
    _exec(env, "writer", "CREATE TABLE IF NOT EXISTS drill.w (seq INT PRIMARY KEY)")
    gtid = _exec(env, "writer", "SELECT @@last_gtid")[0][0]
    _exec(env, "replica", "SELECT MASTER_GTID_WAIT(%s, 5)", gtid)

    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    out: Any = ctx.Queue()
    readies = [ctx.Event() for _ in range(clients)]
    procs = [
        ctx.Process(
            target=_write_until_stopped,
            args=(str(env.state_dir), i + 1, clients, system_cas, readies[i], stop, out),
            name=f"drill-writer-{i}",
        )
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    seen = _Writes()
    try:
        deadline = time.monotonic() + 30
        while not all(r.is_set() for r in readies):
            dead = [p.name for p in procs if not p.is_alive()]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"drill clients could not start writing (exited: {dead or 'none'})")
            time.sleep(0.01)
        time.sleep(load_s)
        semi = None
        if semi_sync:
            rows = _exec(env, "primary", "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'")
            semi = str(rows[0][1])
        t_kill = time.monotonic()
        env.kill("primary")
        if auto:
            t_detect, t_promoted = _wait_for_agents(env, t_kill, detect_timeout_s)
        else:
            while not _writer_down(env):
                if time.monotonic() - t_kill > detect_timeout_s:
                    raise RuntimeError(f"HAProxy did not mark the primary down within {detect_timeout_s} s")
                time.sleep(0.001)
            t_detect = time.monotonic()
            env.failover()
            t_promoted = time.monotonic()
        time.sleep(after_s)
    finally:
        stop.set()
        for _ in procs:
            with contextlib.suppress(queue.Empty):
                acks, ambiguous, errs = out.get(timeout=30)
                seen.acks += acks
                seen.ambiguous += ambiguous
                seen.errors += errs
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    acks, ambiguous = seen.acks, seen.ambiguous

    present = {row[0] for row in _exec(env, "writer", "SELECT seq FROM drill.w")}
    # Split at detection, not at the kill: the old primary may still acknowledge
    # a write between our timestamp and the SIGKILL, and the new primary takes
    # none before it is promoted.
    before = [at for _, at in acks if at < t_detect]
    after = [at for _, at in acks if at >= t_detect]
    if not before or not after:
        raise RuntimeError(f"drill needs writes on both sides: {len(before)} before, {len(after)} after")
    return DrillResult(
        mode="semi-sync" if semi_sync else "async",
        clients=clients,
        acked_before_kill=len(before),
        acked_after_failover=len(after),
        lost_acked=sum(1 for s, _ in acks if s not in present),
        ambiguous=len(ambiguous),
        ambiguous_committed=sum(1 for s in ambiguous if s in present),
        client_errors=seen.errors,
        downtime_s=min(after) - max(before),
        detect_s=t_detect - t_kill,
        promote_s=t_promoted - t_detect,
        semi_sync_status_at_kill=semi,
        trust="system+env CA" if system_cas else "env CA",
        auto=auto,
    )
