"""Drills for the automatic failover beyond the kill (``drill.run_drill(auto=True)``): a primary
that hangs and comes back, etcd going away, and a planned switchover under writes.

Each runs on a running environment with its agents (``up --auto-failover``) and returns what
it measured; the integration tests check the outcomes, ``bench/failover_drill.py --auto`` prints
the figures.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mysql.connector import errors

from mysql_platform.local import autofailover, etcd
from mysql_platform.local.env import LocalEnv

READ_ONLY_ERRNO = 1290


@dataclass(frozen=True)
class OutageResult:
    promoted: bool  # did anyone promote while etcd was down (must not)
    primary_fenced: bool  # the primary refused writes during the outage
    writable_again_s: float  # etcd back -> the primary takes writes again


def _wait(predicate: Any, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what} did not happen within {timeout} s")
        time.sleep(0.005)
    return time.monotonic() - started


def _direct_write(env: LocalEnv, role: Literal["primary", "replica"], table: str) -> bool:
    """One INSERT on the server in ``role``, on its own port as the admin user: True accepted,
    False refused (1290)."""
    conn = env.connect(role, connection_timeout=2)
    try:
        with contextlib.closing(conn.cursor()) as cur:
            cur.execute(f"INSERT INTO {table} () VALUES ()")
        return True
    except errors.Error as exc:
        if exc.errno == READ_ONLY_ERRNO:
            return False
        raise
    finally:
        conn.close()


@dataclass(frozen=True)
class HangResult:
    """One hang drill: clients connected before the hang each sent one INSERT into it."""

    failover_s: float  # SIGSTOP -> the state names the new primary (inf: no promotion happened)
    sent: int  # INSERTs sent to the hung primary (one per client)
    acked: int  # of those, acknowledged to the client
    lost: int  # acknowledged, yet absent from the new primary
    ambiguous: int  # the client never learnt the outcome (connection cut, timeout)
    ambiguous_committed: int  # of those, present on the new primary
    old_primary_killed: bool  # the old primary was gone when it would have resumed
    rejoined: bool  # after one `up`, it follows the new primary
    waited_max_s: float  # the longest a client waited for its answer


HANG_TABLE = "drill.hang"


def _hang_clients(env: LocalEnv, direct: int, proxied: int) -> list[tuple[str, Any]]:
    """Connections opened before the hang: on the primary's own port and through HAProxy.
    ``connection_timeout`` stays the socket's timeout for the connection's life, so no client
    waits longer than that on a server that never answers."""
    clients = [(f"direct{i}", env.connect("primary", connection_timeout=10)) for i in range(direct)]
    clients += [(f"proxy{i}", env.connect("writer", connection_timeout=10)) for i in range(proxied)]
    return clients


def _send_one(name: str, send: Any, value: int, outcomes: dict[int, str], waited: list[float]) -> None:
    started = time.monotonic()
    try:
        send(f"INSERT INTO {HANG_TABLE} (id, client) VALUES ({value}, '{name}')")
        outcomes[value] = "acked"
    except errors.Error as exc:
        # Refused before it ran (read-only) is a clean refusal; anything else: unknown outcome.
        outcomes[value] = "refused" if exc.errno == READ_ONLY_ERRNO else "ambiguous"
    except Exception:  # the router's AmbiguousWrite and friends
        outcomes[value] = "ambiguous"
    waited.append(time.monotonic() - started)


def hang_drill(
    env: LocalEnv,
    *,
    pause_agent: bool,
    direct: int = 4,
    proxied: int = 4,
    open_router: Callable[[], Any] | None = None,
    resume_after_s: float | None = None,
) -> HangResult:
    """SIGSTOP the primary (and its agent: a paused machine) with clients connected to it, send
    one INSERT on each, wait for the promotion, SIGCONT, and count what was acknowledged and lost.
    Then one `up` must bring the old primary back as a replica. ``open_router``: a router over the
    environment's outputs (``mysql_platform.router.connect``), one more client. ``resume_after_s``:
    SIGCONT after that long instead of after the promotion (a pause that ends mid-election)."""
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS drill")
        cur.execute(f"CREATE TABLE IF NOT EXISTS {HANG_TABLE} (id BIGINT PRIMARY KEY, client VARCHAR(32))")
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {HANG_TABLE}")
        (base,) = cur.fetchone()
    state = env.store.load()
    assert state is not None
    old = state.roles.primary
    pid = state.servers[old].pid
    assert pid is not None
    agent_pid = _agent_pid(env, old) if pause_agent else None
    clients = _hang_clients(env, direct, proxied)
    senders: list[tuple[str, Any]] = []
    for name, conn in clients:
        cur = conn.cursor()
        senders.append((name, cur.execute))
    routed = open_router() if open_router is not None else None
    if routed is not None:
        with routed.session() as warm:
            warm.execute("DO 0")  # its writer pool holds an idle connection to the primary now
        senders.append(("router", routed.execute))
    outcomes: dict[int, str] = {}
    waited: list[float] = []
    for sig_pid in (pid, agent_pid):
        if sig_pid is not None:
            os.kill(sig_pid, signal.SIGSTOP)
    threads = [
        threading.Thread(target=_send_one, args=(name, send, base + 1 + i, outcomes, waited), daemon=True)
        for i, (name, send) in enumerate(senders)
    ]
    stopped_at = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        if resume_after_s is not None:
            time.sleep(resume_after_s)
            for sig_pid in (pid, agent_pid):
                if sig_pid is not None:
                    os.kill(sig_pid, signal.SIGCONT)
        try:
            _wait(lambda: env.store.load().roles.primary != old, 30, "a promotion")  # type: ignore[union-attr]
            failover_s = time.monotonic() - stopped_at
        except RuntimeError:
            if resume_after_s is None:
                raise
            failover_s = float("inf")  # resumed in time: its agent took the lease back, no promotion
    finally:
        for sig_pid in (pid, agent_pid):
            if sig_pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(sig_pid, signal.SIGCONT)
    for thread in threads:
        thread.join(30)
    killed = not env.servers.alive(old)
    for _, conn in clients:
        with contextlib.suppress(Exception):
            conn.close()
    if routed is not None:
        routed.close()
    with contextlib.closing(env.connect("primary")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute(f"SELECT id FROM {HANG_TABLE} WHERE id > %s", (base,))
        present = {int(row[0]) for row in cur.fetchall()}
    acked = [v for v, o in outcomes.items() if o == "acked"]
    unknown = [v for v, o in outcomes.items() if o == "ambiguous"] + [
        base + 1 + i for i in range(len(senders)) if base + 1 + i not in outcomes
    ]
    env.up()
    rejoined = _wait_or_false(lambda: not env.store.load().servers[old].needs_rejoin, 15)  # type: ignore[union-attr]
    return HangResult(
        failover_s=failover_s,
        sent=len(senders),
        acked=len(acked),
        lost=sum(1 for v in acked if v not in present),
        ambiguous=len(unknown),
        ambiguous_committed=sum(1 for v in unknown if v in present),
        old_primary_killed=killed,
        rejoined=rejoined and env.servers.alive(old),
        waited_max_s=max(waited, default=float("inf")),
    )


def _agent_pid(env: LocalEnv, server: str) -> int:
    path = autofailover.agent_dir(env.state_dir) / f"{server}.pid"
    return int(path.read_text())


def _wait_or_false(predicate: Any, timeout: float) -> bool:
    with contextlib.suppress(RuntimeError):
        _wait(predicate, timeout, "it")
        return True
    return False


def etcd_outage_drill(env: LocalEnv, *, outage_s: float = 3.0) -> OutageResult:
    """Kill every etcd member for ``outage_s``, then start them again."""
    settings = autofailover.load(env.state_dir)
    assert settings is not None
    primary = env.store.load().roles.primary  # type: ignore[union-attr]
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS drill")
        cur.execute("CREATE TABLE IF NOT EXISTS drill.outage (id INT AUTO_INCREMENT PRIMARY KEY)")
    for member in settings.members:
        os.kill(int(etcd.pid_file(env.state_dir, member.name).read_text()), signal.SIGKILL)
    time.sleep(outage_s)
    fenced = not _direct_write(env, "primary", "drill.outage")
    promoted = env.store.load().roles.primary != primary  # type: ignore[union-attr]
    back = time.monotonic()
    autofailover.start(
        env.state_dir, settings, sorted(env.store.current().servers), env.children, primary=primary
    )

    def writable() -> bool:
        try:
            return _direct_write(env, "primary", "drill.outage")
        except errors.Error:
            return False

    _wait(writable, 15, "writes on the primary after etcd came back")
    return OutageResult(promoted, fenced, time.monotonic() - back)


def switchover_block(env: LocalEnv, *, load_s: float = 0.5) -> float:
    """The longest gap between acknowledged writes through the writer port around a planned
    ``failover()`` (both servers up): how long the switchover blocks writes."""
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS drill")
        cur.execute("CREATE TABLE IF NOT EXISTS drill.switch (id INT AUTO_INCREMENT PRIMARY KEY)")
    acks: list[float] = []
    stop = threading.Event()

    def write() -> None:
        conn: Any = None
        while not stop.is_set():
            try:
                if conn is None:
                    conn = env.connect("writer", connection_timeout=1)
                with contextlib.closing(conn.cursor()) as cur:
                    cur.execute("INSERT INTO drill.switch () VALUES ()")
                acks.append(time.monotonic())
            except errors.Error:
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
                time.sleep(0.002)
        if conn is not None:
            conn.close()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(load_s)
    started = time.monotonic()
    env.failover()
    time.sleep(load_s)
    stop.set()
    writer.join(5)
    around = [t for t in acks if t >= started - 0.2]
    return max(b - a for a, b in itertools.pairwise(around)) if len(around) > 1 else float("inf")


@dataclass(frozen=True)
class TwoReplicasResult:
    expected: str  # the replica that was ahead when the primary died
    winner: str  # the one the agents promoted
    follower_caught_up: bool  # the other replica follows the winner and has every write
    failover_s: float  # the kill until the state named the winner


def two_replicas_drill(env: LocalEnv) -> TwoReplicasResult:
    """On an environment with two replicas: hold one back (its SQL thread stopped), write, kill
    the primary. The more advanced replica must win, and the other must follow it."""
    state = env.store.load()
    if state is None or len(state.replicas) != 2:
        raise RuntimeError("the two-replica drill needs `mysql-platform local up --replicas 2`")
    behind, ahead = state.replicas
    with env.servers.ops_connection(behind) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("STOP SLAVE SQL_THREAD")
    with contextlib.closing(env.connect("primary")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS drill")
        cur.execute("CREATE TABLE IF NOT EXISTS drill.two (id INT AUTO_INCREMENT PRIMARY KEY)")
        cur.execute("INSERT INTO drill.two () VALUES (), (), ()")
        cur.execute("SELECT @@gtid_binlog_pos")
        (position,) = cur.fetchone()
    with env.servers.ops_connection(ahead) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("SELECT MASTER_GTID_WAIT(%s, 10)", (position,))
        if cur.fetchone() != (0,):
            raise RuntimeError(f"{ahead} did not reach {position}")
    time.sleep(0.2)  # the agents' reports carry the new positions
    old = state.roles.primary
    env.kill("primary")
    failover_s = _wait(lambda: env.store.load().roles.primary != old, 15, "a promotion")  # type: ignore[union-attr]
    winner = env.store.current().roles.primary
    caught_up = False
    with contextlib.suppress(Exception):
        with contextlib.closing(env.connect("primary")) as conn, contextlib.closing(conn.cursor()) as cur:
            cur.execute("SELECT @@gtid_binlog_pos")
            (position,) = cur.fetchone()
        with env.servers.ops_connection(behind) as conn, contextlib.closing(conn.cursor()) as cur:
            cur.execute("SELECT MASTER_GTID_WAIT(%s, 10)", (position,))
            caught_up = cur.fetchone() == (0,)
    return TwoReplicasResult(ahead, winner, caught_up, failover_s)
