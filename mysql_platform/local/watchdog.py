"""The leader's watchdog: a primary whose agent cannot confirm its lease stops taking writes
before anyone else may promote, whatever its server or the agent's own loop is doing.

Patroni arms the kernel's watchdog so that a node which cannot renew its leader key in time is
reset. Here the agent arms a thread of its own, independent of its loop (which may be stuck in
an etcd call or a probe), with two deadlines counted from the moment the last successful lease
renewal was *sent* (etcd extends the lease at or after that moment, so the lease can only last
longer than the agent believes):

- at ``FENCE_FRACTION`` of the TTL, the fence: ``SET GLOBAL read_only = ON``;
- at ``KILL_FRACTION`` of the TTL, if the fence is not applied yet (the server hangs, or the
  fence waits behind a lock), SIGKILL of the server. A killed process never runs another
  instruction, so whatever queued on its connections is never acknowledged. The fence always
  gets that quarter of a lease to land first: an agent that was itself stalled past both
  deadlines (its process paused while its server ran on) fences a server that answers rather
  than killing it.

Both land before the lease can expire: the key vanishes no sooner than one whole TTL after that
renewal was sent, and only then may a replica be elected. What the watchdog cannot cover is its
own process being paused together with the server (a paused VM); the promoting agent covers that
by killing an old primary that does not answer before it promotes (see ``agent.Agent._elect``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

FENCE_FRACTION: Final = 0.5
KILL_FRACTION: Final = 0.75
TICK_S: Final = 0.01

log = logging.getLogger("agent.watchdog")


class Watchdog:
    """Armed while this agent leads; ``confirm`` after every renewal, ``disarm`` when it stops leading.

    ``fence`` starts the fence (it must not block); ``fenced`` says whether it has been applied;
    ``kill`` kills the server.
    """

    def __init__(
        self,
        ttl_s: float,
        *,
        fence: Callable[[str], None],
        fenced: Callable[[], bool],
        kill: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fence_after = FENCE_FRACTION * ttl_s
        self.kill_after = KILL_FRACTION * ttl_s
        self._fence, self._fenced, self._kill, self._clock = fence, fenced, kill, clock
        self._lock = threading.Lock()
        self._confirmed: float | None = None
        self._fence_sent: float | None = None
        self._killed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def armed(self) -> bool:
        return self._confirmed is not None

    def confirm(self, sent_at: float) -> None:
        """The lease was renewed by a request sent at ``sent_at`` (monotonic) and the key is ours."""
        with self._lock:
            if self._confirmed is None or sent_at > self._confirmed:
                self._confirmed = sent_at
            self._fence_sent, self._killed = None, False

    def fresh(self) -> bool:
        """Armed, and the last confirmed renewal was sent less than the fence's deadline ago."""
        with self._lock:
            return self._confirmed is not None and self._clock() - self._confirmed <= self.fence_after

    def disarm(self) -> None:
        with self._lock:
            self._confirmed = None
            self._fence_sent, self._killed = None, False

    def check(self) -> None:
        """One tick: fence or kill when a deadline has passed (the thread calls this)."""
        with self._lock:
            if self._confirmed is None:
                return
            now = self._clock()
            waited = now - self._confirmed
            fence = waited > self.fence_after and self._fence_sent is None
            if fence:
                self._fence_sent = now
            fence_had_time = (
                self._fence_sent is not None and now - self._fence_sent >= self.kill_after - self.fence_after
            )
            kill = waited > self.kill_after and fence_had_time and not self._killed and not self._fenced()
            self._killed |= kill
        if fence:
            self._fence(f"the leader lease was not confirmed for {waited:.2f} s")
        if kill:
            log.error("the lease was not confirmed for %.2f s and the fence is not applied: killing", waited)
            self._kill(f"lease unconfirmed for {waited:.2f} s, fence not applied")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                self.check()
            except Exception:  # the watchdog must outlive any one failure
                log.exception("watchdog tick failed")
