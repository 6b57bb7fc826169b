"""The fence an agent sets on its own server: ``SET GLOBAL read_only = ON``, until it is applied,
and its lifting when the agent's lease is confirmed again.

The watchdog (:mod:`mysql_platform.local.watchdog`) starts the fence when the leader lease is in doubt,
and the agent when a server the state calls a replica takes writes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from mysql_platform.local.env import LocalEnv

log = logging.getLogger("agent")


class Fencer:
    """Sends ``SET GLOBAL read_only = ON`` until it is applied, on a thread of its own: a hung
    server must not hold up the agent's loop.

    It sends the statement on a connection opened and authenticated while the server was
    healthy: a hung server then runs it the moment it resumes, ahead of any client, which first
    needs a handshake. A new connection would queue behind theirs.

    The fence and its lifting never interleave. Each statement runs under one lock, and a lift
    gives up when a fence was asked for or is still on its way. Without that, a fence asked for
    while a lift was running could land between the lift's ``read_only = OFF`` and its
    bookkeeping: the server would stay read-only with nothing recorded that this agent fenced
    it, so nothing would ever lift it.
    """

    def __init__(self, env: LocalEnv, name: str) -> None:
        self.env, self.name = env, name
        self._thread: threading.Thread | None = None
        self._state = threading.Lock()  # guards applied_at and the decision to lift
        self._statement = threading.Lock()  # held while ON or OFF is sent
        self.applied_at: float | None = None
        self._ready: Any = None

    def prepare(self) -> None:
        """Keep one idle authenticated connection for the fence (while the server answers)."""
        if self._ready is not None or self.pending:
            return
        with contextlib.suppress(Exception):
            self._ready = self.env.servers.ops_connect(self.name, timeout=120)

    def fence(self, why: str) -> None:
        with self._state:
            self.applied_at = None
            if self.pending:
                return
            log.warning("fencing %s: %s", self.name, why)
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def lift(self) -> bool:
        """``read_only = OFF`` if this fencer's fence is applied and no new one is wanted; True
        once lifted. Never waits: a fence on its way (its server may hang) leaves it for a later
        round."""
        if not self._statement.acquire(blocking=False):
            return False
        try:
            with self._state:
                if self.pending or self.applied_at is None:
                    return False
            with self.env.servers.ops_connection(self.name) as conn, contextlib.closing(conn.cursor()) as cur:
                cur.execute("SET GLOBAL read_only = OFF")
            with self._state:
                self.applied_at = None
            log.warning("%s leads again: read_only = OFF", self.name)
            return True
        finally:
            self._statement.release()

    def _run(self) -> None:
        conn, self._ready = self._ready, None
        while True:
            try:
                if conn is None:
                    conn = self.env.servers.ops_connect(self.name, timeout=5)
                with self._statement, contextlib.closing(conn.cursor()) as cur:
                    cur.execute("SET GLOBAL read_only = ON")
                    with self._state:
                        self.applied_at = time.monotonic()
                log.warning("fenced %s: read_only = ON", self.name)
                return
            except Exception as exc:  # down or hung: try again; it runs once the server does
                log.info("fence of %s not applied yet: %s", self.name, exc)
                time.sleep(0.1)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
                conn = None

    @property
    def pending(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
