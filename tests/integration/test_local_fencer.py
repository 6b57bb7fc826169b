"""The agent's fence and its lifting on a real MariaDB server: they never interleave, and a lift
never waits on a fence that is stuck on a hung server."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from mysql_platform.local.env import LocalEnv
from mysql_platform.local.fencer import Fencer


def _read_only(env: LocalEnv, name: str) -> bool:
    with env.servers.ops_connection(name) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("SELECT @@GLOBAL.read_only")
        return bool(cur.fetchone()[0])


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class _HeldCursor:
    """A real cursor whose ``read_only = OFF`` waits until the test lets it go."""

    def __init__(self, cursor: Any, entered: threading.Event, release: threading.Event) -> None:
        self._cursor, self._entered, self._release = cursor, entered, release

    def execute(self, sql: str) -> None:
        if "OFF" in sql:
            self._entered.set()
            assert self._release.wait(10)
        self._cursor.execute(sql)

    def close(self) -> None:
        self._cursor.close()


class _HeldServers:
    """``env.servers`` whose connections for the lift hold its statement (the fence's are real)."""

    def __init__(self, servers: Any) -> None:
        self._servers = servers
        self.entered, self.release = threading.Event(), threading.Event()

    def ops_connect(self, name: str, *, timeout: float = 5.0) -> Any:
        return self._servers.ops_connect(name, timeout=timeout)

    @contextlib.contextmanager
    def ops_connection(self, name: str) -> Iterator[Any]:
        with self._servers.ops_connection(name) as conn:
            yield SimpleNamespace(cursor=lambda: _HeldCursor(conn.cursor(), self.entered, self.release))


def test_a_fence_asked_for_during_a_lift_lands_after_it_and_stays_liftable(env: LocalEnv) -> None:
    primary = env.store.current().roles.primary
    servers = _HeldServers(env.servers)
    fencer = Fencer(SimpleNamespace(servers=servers), primary)  # type: ignore[arg-type]
    try:
        fencer.fence("test: first fence")
        _wait(lambda: fencer.applied_at is not None)
        assert _read_only(env, primary)

        lifted: list[bool] = []
        lifter = threading.Thread(target=lambda: lifted.append(fencer.lift()))
        lifter.start()
        assert servers.entered.wait(10)  # the lift is about to send OFF
        fencer.fence("test: the lease is in doubt again")
        time.sleep(0.3)  # the fence's thread gets every chance to run ahead of the held OFF
        servers.release.set()
        lifter.join(10)
        assert lifted == [True]

        _wait(lambda: fencer.applied_at is not None, timeout=3)
        assert _read_only(env, primary), "the second fence must land after the lift's OFF"
        # ...and it is recorded, so the next round's lift can take it off again.
        assert fencer.lift() and not _read_only(env, primary)
    finally:
        servers.release.set()
        with env.servers.ops_connection(primary) as conn, contextlib.closing(conn.cursor()) as cur:
            cur.execute("SET GLOBAL read_only = OFF")


def test_a_lift_does_not_wait_for_a_fence_stuck_on_a_hung_server(env: LocalEnv) -> None:
    primary = env.store.current().roles.primary
    pid = env.store.current().servers[primary].pid
    assert pid is not None
    fencer = Fencer(env, primary)
    fencer.prepare()
    os.kill(pid, signal.SIGSTOP)
    try:
        fencer.fence("test: server hung")
        started = time.monotonic()
        assert not fencer.lift()
        assert time.monotonic() - started < 0.5
        assert fencer.applied_at is None
    finally:
        os.kill(pid, signal.SIGCONT)
    _wait(lambda: fencer.applied_at is not None)
    assert _read_only(env, primary)
    assert fencer.lift() and not _read_only(env, primary)
