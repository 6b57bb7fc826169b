"""Per-endpoint counters for ``Router.status()``, like ProxySQL's ``stats_mysql_connection_pool``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class EndpointStats:
    """Thread-safe counters of one endpoint, since the router started."""

    queries: int = 0
    # Statements the server answered with an error, or whose connection was lost.
    errors: int = 0
    # Times the endpoint left the rotation (readers) or was found read-only or unreachable (writer).
    ejections: int = 0
    # Read-your-writes waits run on this reader, their total time, and those that gave up
    # (the read then went to the writer).
    causal_waits: int = 0
    causal_wait_s: float = 0.0
    causal_gave_up: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def statement(self, *, failed: bool) -> None:
        with self._lock:
            self.queries += 1
            self.errors += failed

    def ejected(self) -> None:
        with self._lock:
            self.ejections += 1

    def causal_wait(self, seconds: float, *, caught_up: bool) -> None:
        with self._lock:
            self.causal_waits += 1
            self.causal_wait_s += seconds
            self.causal_gave_up += not caught_up

    def to_dict(self) -> dict[str, int | float]:
        with self._lock:
            return {
                "queries": self.queries,
                "errors": self.errors,
                "ejections": self.ejections,
                "causal_waits": self.causal_waits,
                "causal_wait_ms": round(self.causal_wait_s * 1000, 3),
                "causal_gave_up": self.causal_gave_up,
            }
