"""The router's knobs, with their defaults and why."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

CONSISTENCY_MODES = ("auto", "gtid", "heartbeat")


@dataclass(frozen=True)
class RouterSettings:
    # A reader further behind than this leaves the rotation; it returns at half of it.
    max_lag_s: float = 1.0
    # How often the monitor checks every endpoint: a stalled reader leaves within about
    # one interval plus one probe, well inside 2 s.
    check_interval_s: float = 0.25
    # Read-your-writes: how long a read waits for a reader to apply the session's writes
    # before it is sent to the writer instead.
    causal_wait_s: float = 0.5
    # How long a write waits for a writable server (a failover in progress) before
    # WriterUnavailable; nothing is sent meanwhile.
    writer_wait_s: float = 30.0
    # Connections per endpoint, and how long a caller waits for one when all are in use.
    pool_size: int = 8
    checkout_timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    # The longest a statement waits for the server's answer, rounded up to whole seconds: a hung
    # server holds a caller no longer than this (a write cut by it is reported ambiguous). Raise
    # it for statements that run longer.
    read_timeout_s: float = 30.0
    # Monitor checks give up after this (a hung server costs one timeout).
    probe_timeout_s: float = 1.0
    # The default of router.execute()/query() and of router.session().
    read_your_writes: bool = True
    # auto: GTID waits where the servers have GTIDs, else the heartbeat; or force one.
    consistency: str = "auto"
    # Where the heartbeat fallback writes (the bootstrap creates ops.heartbeat).
    heartbeat_schema: str = "ops"
    # Stored functions that only read, so a read calling them may go to a replica (every other
    # stored function sends a read to the writer): lower-case, as statements call them
    # ("f" or "db.f").
    read_only_functions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_s") and not _positive_seconds(value):
                raise ValueError(
                    f"router setting {f.name} must be a positive number of seconds, got {value!r}"
                )
        size = self.pool_size
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 1000:
            raise ValueError(f"router setting pool_size must be an integer from 1 to 1000, got {size!r}")
        if self.consistency not in CONSISTENCY_MODES:
            allowed = ", ".join(CONSISTENCY_MODES)
            raise ValueError(f"router setting consistency must be one of {allowed}, got {self.consistency!r}")
        names = self.read_only_functions
        if not isinstance(names, frozenset) or not all(isinstance(n, str) and n == n.lower() for n in names):
            raise ValueError(
                "router setting read_only_functions must be a frozenset of lower-case function names, "
                f"got {names!r}"
            )
        if not self.heartbeat_schema.replace("_", "").isalnum():
            raise ValueError(
                f"router setting heartbeat_schema must be a plain schema name, got {self.heartbeat_schema!r}"
            )


def _positive_seconds(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and value > 0
