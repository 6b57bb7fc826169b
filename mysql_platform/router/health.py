"""Each endpoint's health as the router's monitor sees it, and the rule that keeps readers in rotation.

Lag without privileges: the application user may not run ``SHOW REPLICA STATUS``, but anyone
may read GTID positions. The monitor samples the writer's position on every check; a reader's
lag is the age of the oldest sample it has not applied yet (0 when it has them all). That is a
lower bound on how stale its answers are, within one check interval, and it grows while the
replica's SQL thread is stopped and the writer takes writes. MariaDB also tells anyone whether
replication runs (``Slave_running`` in ``information_schema.GLOBAL_STATUS``); a replica whose
threads are stopped leaves the rotation at once, as ProxySQL does with a NULL lag.

A reader leaves when it is unreachable, writable (promoted: not a replica any more), not
replicating, or behind by more than ``max_lag_s``; it returns when it answers, replicates and
is behind by at most half of that (so a reader near the bound does not flap).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from mysql_platform.core.contract import Endpoint
from mysql_platform.router.gtid import Dialect


@dataclass
class EndpointHealth:
    endpoint: Endpoint
    role: str
    reachable: bool = False
    read_only: bool | None = None
    replicating: bool | None = None
    lag_s: float | None = None
    position: object | None = None
    in_rotation: bool = False
    reason: str = "not checked yet"
    checked_at: float = 0.0
    changed_at: float = field(default_factory=time.monotonic)

    def describe(self) -> str:
        return f"{self.endpoint.host}:{self.endpoint.port}"

    def to_dict(self) -> dict[str, object]:
        return {
            "endpoint": self.describe(),
            "role": self.role,
            "in_rotation": self.in_rotation,
            "reason": self.reason,
            "reachable": self.reachable,
            "read_only": self.read_only,
            "replicating": self.replicating,
            "lag_s": None if self.lag_s is None else round(self.lag_s, 3),
            "checked_s_ago": round(time.monotonic() - self.checked_at, 3) if self.checked_at else None,
        }


class LagClock:
    """The writer's positions over the last ``keep_s`` seconds, oldest first."""

    def __init__(self, dialect: Dialect, keep_s: float) -> None:
        self._dialect = dialect
        self._keep_s = keep_s
        self._samples: deque[tuple[float, object]] = deque()

    def add(self, at: float, position: object) -> None:
        self._samples.append((at, position))
        while len(self._samples) > 2 and at - self._samples[1][0] > self._keep_s:
            self._samples.popleft()

    def reset(self) -> None:
        self._samples.clear()

    def latest(self) -> object | None:
        return self._samples[-1][1] if self._samples else None

    def lag(self, now: float, reader_position: object) -> float | None:
        """Seconds since the oldest sampled writer position the reader lacks; None without samples."""
        if not self._samples:
            return None
        # One writer's position only grows (the clock is reset when the writer changes), so a
        # reader holding the newest sample holds them all: the usual case costs one comparison
        # instead of one per sample, in the monitor's every check of every reader.
        if self._dialect.covers(reader_position, self._samples[-1][1]):
            return 0.0
        for at, position in self._samples:
            if not self._dialect.covers(reader_position, position):
                return max(now - at, 0.0)
        return 0.0


def judge(health: EndpointHealth, *, max_lag_s: float) -> tuple[bool, str]:
    """Whether a reader belongs in the rotation, and why (the reason ``status()`` shows)."""
    if not health.reachable:
        return False, health.reason
    if health.read_only is False:
        return False, "writable: not a replica (promoted, or the writer itself)"
    if health.replicating is False:
        return False, "replication stopped"
    lag = health.lag_s
    if lag is not None and lag > max_lag_s:
        return False, f"lag {lag:.2f} s > {max_lag_s:g} s"
    if not health.in_rotation and lag is not None and lag > max_lag_s / 2:
        return False, f"catching up: lag {lag:.2f} s (back at {max_lag_s / 2:g} s)"
    return True, "ok" if lag is not None else "ok (lag unknown: no GTIDs)"
