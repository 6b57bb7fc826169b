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
from dataclasses import dataclass
from typing import Any, Literal

from mysql.connector import errors

from scripts.local import autofailover, etcd
from scripts.local.env import LocalEnv

READ_ONLY_ERRNO = 1290


@dataclass(frozen=True)
class StallResult:
    failover_s: float  # SIGSTOP -> the state names the new primary
    accepted_after_resume: int  # writes the old primary took on its own port after SIGCONT
    refused_after_s: float  # SIGCONT -> its first refused write
    rejoined: bool  # it follows the new primary again


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


def stall_drill(env: LocalEnv, *, stall_s: float = 3.0) -> StallResult:
    """SIGSTOP the primary for ``stall_s`` (longer than the lease), SIGCONT it, write to it directly."""
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS drill")
        cur.execute("CREATE TABLE IF NOT EXISTS drill.stall (id INT AUTO_INCREMENT PRIMARY KEY)")
    state = env.store.load()
    assert state is not None
    old = state.roles.primary
    pid = state.servers[old].pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        failover_s = _wait(lambda: env.store.load().roles.primary != old, 15, "a promotion")  # type: ignore[union-attr]
        time.sleep(max(0.0, stall_s - failover_s))
    finally:
        os.kill(pid, signal.SIGCONT)
    resumed = time.monotonic()
    accepted = 0
    # The failover made the old primary the designated replica.
    while _direct_write(env, "replica", "drill.stall"):
        accepted += 1
        if time.monotonic() - resumed > 5:
            break
    refused_after = time.monotonic() - resumed
    with contextlib.suppress(RuntimeError):
        _wait(lambda: not env.store.load().servers[old].needs_rejoin, 10, "the rejoin")  # type: ignore[union-attr]
    rejoined = not env.store.load().servers[old].needs_rejoin  # type: ignore[union-attr]
    return StallResult(failover_s, accepted, refused_after, rejoined)


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
    autofailover.start(env.state_dir, settings, sorted(env.store.current().servers), env.children)

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
        raise RuntimeError("the two-replica drill needs `up --replicas 2`")
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
