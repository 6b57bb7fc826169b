"""The servers behind the router: the topology, a pool per endpoint, the health monitor.

Sessions (:mod:`mysql_platform.router.session`) decide what a statement needs; a cluster
answers with connections: the writer's (waiting through a failover), a healthy reader's, or
none. A monitor thread checks every endpoint each ``check_interval_s``, moves readers in and
out of the rotation, follows a rewritten outputs file, and finds the writer again when it
went away or turned read-only.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import mysql.connector
from mysql.connector.connection import MySQLConnection

from mysql_platform.core.contract import Endpoint, Secret
from mysql_platform.db.connection import Target
from mysql_platform.router.errors import RouterError, WriterUnavailable
from mysql_platform.router.gtid import Dialect
from mysql_platform.router.health import EndpointHealth, LagClock, judge
from mysql_platform.router.pool import EndpointPool
from mysql_platform.router.probe import ProbeFailed, Prober
from mysql_platform.router.settings import RouterSettings
from mysql_platform.router.stats import EndpointStats
from mysql_platform.router.topology import Topology, TopologySource

log = logging.getLogger(__name__)

# Rediscovery at most this often: a burst of failing writes does not stampede the servers.
_DISCOVERY_MIN_INTERVAL_S = 0.1
# A refused connection costs nothing; a failover takes tens of milliseconds locally.
_WRITER_RETRY_S = 0.02


@dataclass(frozen=True)
class Credentials:
    user: str
    password: Secret
    database: str | None
    ssl_ca: str | None
    verify_identity: bool = True


class Cluster:
    """The endpoints and their connections; thread-safe."""

    def __init__(self, source: TopologySource, credentials: Credentials, settings: RouterSettings) -> None:
        self.settings = settings
        self._source = source
        self._creds = credentials
        self._lock = threading.RLock()
        self._discovery_lock = threading.Lock()
        self._last_discovery = 0.0
        self._pools: dict[Endpoint, EndpointPool] = {}
        self._prober = Prober(self.target, settings.probe_timeout_s)
        self._topology = Topology.of(source.load())
        self._writer = EndpointHealth(self._topology.writer, "writer")
        self._readers: dict[Endpoint, EndpointHealth] = {}
        self._rotation: tuple[Endpoint, ...] = ()
        self._rr = itertools.count()
        self._stop = threading.Event()
        # Wakes the monitor before its interval: stop, or a writer a caller found in trouble.
        self._wake = threading.Event()
        self._suspect: tuple[Endpoint, str] | None = None
        self._set_readers(self._topology.readers)
        self.dialect: Dialect | None = self._detect()
        keep = settings.max_lag_s * 2 + settings.check_interval_s * 4
        self._clock = LagClock(self.dialect, keep) if self.dialect is not None else None
        self.check_now()
        self._thread = threading.Thread(target=self._run, name="mysql-router-monitor", daemon=True)
        self._thread.start()
        self._finalizer = weakref.finalize(self, _shutdown, self._stop, self._wake, self._pools, self._prober)

    # ----- lifecycle -----------------------------------------------------------------

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the monitor and close every connection (also run at interpreter exit)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=self.settings.probe_timeout_s * 4)
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    @property
    def monitoring(self) -> bool:
        """Whether the health monitor's thread runs."""
        return self._thread.is_alive()

    # ----- endpoints -----------------------------------------------------------------

    def target(self, endpoint: Endpoint) -> Target:
        c = self._creds
        return Target(
            host=endpoint.host,
            port=endpoint.port,
            user=c.user,
            password=c.password,
            ssl_ca=c.ssl_ca,
            database=c.database,
            verify_identity=c.verify_identity,
        )

    def pool(self, endpoint: Endpoint) -> EndpointPool:
        pool = self._pools.get(endpoint)
        if pool is not None:
            return pool
        with self._lock:
            pool = self._pools.get(endpoint)
            if pool is None:
                if self.closed:
                    raise RouterError("the router is closed")
                s = self.settings
                pool = EndpointPool(
                    self.target(endpoint),
                    max_size=s.pool_size,
                    connect_timeout_s=s.connect_timeout_s,
                    checkout_timeout_s=s.checkout_timeout_s,
                    read_timeout_s=s.read_timeout_s,
                )
                self._pools[endpoint] = pool
            return pool

    def stats(self, endpoint: Endpoint) -> EndpointStats:
        return self.pool(endpoint).stats

    @property
    def writer_endpoint(self) -> Endpoint:
        return self._topology.writer

    @property
    def writer_writable(self) -> bool:
        """Whether the writer was last seen accepting writes (not read-only)."""
        return not self._writer.read_only

    def pick_reader(self, exclude: frozenset[Endpoint] = frozenset()) -> Endpoint | None:
        """A reader in rotation (round robin), or None: then the writer serves the read."""
        healthy = self._rotation  # replaced whole under the lock, read without it
        if exclude:
            healthy = tuple(e for e in healthy if e not in exclude)
        if not healthy:
            return None
        return healthy[next(self._rr) % len(healthy)]

    def reader_position(self, endpoint: Endpoint) -> object | None:
        """The reader's applied GTID position at its last check (parsed), if known."""
        with self._lock:
            health = self._readers.get(endpoint)
            return None if health is None else health.position

    def eject(self, endpoint: Endpoint, reason: str) -> None:
        """A query found this reader broken: out of rotation until the monitor sees it well."""
        with self._lock:
            health = self._readers.get(endpoint)
            if health is not None and health.in_rotation:
                self._flip(health, False, reason)
        self.pool(endpoint).discard_idle()

    def acquire_writer(self) -> tuple[Endpoint, MySQLConnection]:
        """A connection to a writable server, waiting up to ``writer_wait_s`` through a failover.

        Raises :class:`WriterUnavailable` (nothing was sent) when none answers in time.
        """
        deadline = time.monotonic() + self.settings.writer_wait_s
        last = "not tried"
        while True:
            endpoint = self._topology.writer
            if self._writer.read_only:
                last = "it is read-only"
            else:
                try:
                    return endpoint, self.pool(endpoint).acquire()
                except mysql.connector.Error as exc:
                    last = self.pool(endpoint).describe_error(exc)
            if self._source.changed():
                # A rewritten outputs file (the local failover's) names the new writer at once.
                self.reload()
            else:
                self.writer_trouble(endpoint, last)
            if time.monotonic() >= deadline:
                raise WriterUnavailable(
                    f"no writable server answered within {self.settings.writer_wait_s:g} s "
                    f"(last tried {endpoint.host}:{endpoint.port}: {last}); nothing was sent"
                )
            time.sleep(_WRITER_RETRY_S)

    def writer_refused(self, endpoint: Endpoint) -> None:
        """``endpoint`` refused a write as read-only: no writes go there until it is writable again."""
        with self._lock:
            if self._writer.endpoint == endpoint:
                self._writer.read_only = True
        self.stats(endpoint).ejected()
        self.writer_trouble(endpoint, "it refused a write as read-only")

    def release(self, endpoint: Endpoint, conn: MySQLConnection, *, broken: bool = False) -> None:
        self.pool(endpoint).release(conn, broken=broken)

    @contextmanager
    def borrowed_writer(self) -> Iterator[MySQLConnection]:
        """A writer connection for the router's own statements, back to the pool afterwards
        (closed instead when the statement failed)."""
        endpoint, conn = self.acquire_writer()
        broken = True
        try:
            yield conn
            broken = False
        finally:
            self.release(endpoint, conn, broken=broken)

    # ----- health -----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The writer, each reader (in rotation or why not, lag), the consistency mode, and per
        endpoint its pool (in use, idle, parked) and counters (see :class:`EndpointStats`)."""
        with self._lock:
            readers = [h.to_dict() for h in self._readers.values()]
            writer = self._writer.to_dict()
            pools = {f"{e.host}:{e.port}": _pool_sizes(p) for e, p in self._pools.items()}
            stats = {f"{e.host}:{e.port}": p.stats.to_dict() for e, p in self._pools.items()}
        mode = f"gtid ({self.dialect.name})" if self.dialect is not None else "heartbeat"
        return {
            "writer": writer,
            "readers": readers,
            "read_your_writes": mode,
            "pools": pools,
            "stats": stats,
        }

    def check_now(self) -> None:
        """One round of checks (the monitor runs this every ``check_interval_s``)."""
        if self._source.changed():
            self.reload()
        now = time.monotonic()
        self._check_writer(now)
        with self._lock:
            readers = list(self._readers.values())
        for health in readers:
            self._check_reader(health, now)

    def reload(self) -> None:
        """Re-read the topology from its source now."""
        try:
            topology = Topology.of(self._source.load())
        except Exception as exc:
            log.warning("router: cannot re-read the topology: %s", exc)
            return
        self._apply(topology)

    def writer_trouble(self, endpoint: Endpoint, reason: str) -> None:
        """The writer failed or refused a write: find the writable server again (rate-limited)."""
        if not self._discovery_lock.acquire(blocking=False):
            return
        try:
            if time.monotonic() - self._last_discovery < _DISCOVERY_MIN_INTERVAL_S:
                return
            log.info("router: writer %s:%s: %s; looking for the writer", endpoint.host, endpoint.port, reason)
            self._discover()
            self._last_discovery = time.monotonic()
        finally:
            self._discovery_lock.release()

    def suspect_writer(self, endpoint: Endpoint, reason: str) -> None:
        """A caller lost its writer connection: the monitor looks for the writer now.

        Not in the caller's thread: probing a hung server costs up to ``probe_timeout_s`` per
        endpoint, and the caller already has its answer (the error it is about to raise).
        """
        self._suspect = (endpoint, reason)
        self._wake.set()

    def _run(self) -> None:
        interval = self.settings.check_interval_s
        while True:
            woken = self._wake.wait(interval)
            if self._stop.is_set():
                return
            try:
                suspect, self._suspect = self._suspect, None
                if woken:
                    self._wake.clear()
                if suspect is not None:
                    self.writer_trouble(*suspect)
                else:
                    self.check_now()
            except Exception:
                log.exception("router: health check failed")

    def _detect(self) -> Dialect | None:
        last = ""
        for endpoint in self._topology.endpoints():
            try:
                return self._prober.detect(endpoint, consistency=self.settings.consistency)
            except ProbeFailed as exc:
                last = f"{endpoint.host}:{endpoint.port}: {exc}"
        raise RouterError(f"router: no endpoint of the outputs answered ({last})")

    def _check_writer(self, now: float) -> None:
        health = self._writer
        try:
            seen = self._prober.observe(health.endpoint, writer=True)
        except ProbeFailed as exc:
            health.reachable, health.reason, health.checked_at = False, f"unreachable: {exc}", now
            self.writer_trouble(health.endpoint, health.reason)
            return
        health.reachable, health.read_only, health.checked_at = True, seen.read_only, now
        health.reason = "read-only (demoted?)" if seen.read_only else "ok"
        health.in_rotation = not seen.read_only
        if seen.read_only:
            self.writer_trouble(health.endpoint, health.reason)
        elif self._clock is not None and self.dialect is not None and seen.position is not None:
            self._clock.add(now, self.dialect.parse(seen.position))

    def _check_reader(self, health: EndpointHealth, now: float) -> None:
        try:
            seen = self._prober.observe(health.endpoint, writer=False)
        except ProbeFailed as exc:
            health.reachable, health.reason = False, f"unreachable: {exc}"
            health.lag_s = health.replicating = None
        else:
            health.reachable, health.read_only, health.replicating = True, seen.read_only, seen.replicating
            health.position = None
            health.lag_s = None
            if self.dialect is not None and seen.position is not None and self._clock is not None:
                health.position = self.dialect.parse(seen.position)
                health.lag_s = self._clock.lag(now, health.position)
        health.checked_at = now
        keep, reason = judge(health, max_lag_s=self.settings.max_lag_s)
        with self._lock:
            if keep != health.in_rotation:
                self._flip(health, keep, reason)
            health.reason = reason
        if not health.reachable:
            self.pool(health.endpoint).discard_idle()

    def _flip(self, health: EndpointHealth, keep: bool, reason: str) -> None:
        health.in_rotation, health.reason, health.changed_at = keep, reason, time.monotonic()
        if not keep:
            self.stats(health.endpoint).ejected()
        self._rotation = tuple(e for e, h in self._readers.items() if h.in_rotation)
        if keep:
            log.info("router: reader %s in rotation: %s", health.describe(), reason)
        else:
            log.warning("router: reader %s out of rotation: %s", health.describe(), reason)

    def _discover(self) -> None:
        try:
            topology = Topology.of(self._source.load())
        except Exception as exc:
            log.warning("router: cannot re-read the topology: %s", exc)
            topology = self._topology
        candidates = list(dict.fromkeys((*topology.endpoints(), *self._topology.endpoints())))
        for endpoint in candidates:
            try:
                writable = not self._prober.observe(endpoint, writer=True).read_only
            except ProbeFailed:
                continue
            if writable:
                others = tuple(e for e in topology.endpoints() if e != endpoint)
                self._apply(topology if endpoint == topology.writer else Topology(endpoint, others))
                return
        self._apply(topology)

    def _apply(self, topology: Topology) -> None:
        with self._lock:
            if topology == self._topology:
                return
            old = self._topology
            self._topology = topology
            if topology.writer != old.writer:
                log.warning(
                    "router: the writer is now %s:%s (was %s:%s)",
                    topology.writer.host, topology.writer.port, old.writer.host, old.writer.port,
                )  # fmt: skip
                self._writer = EndpointHealth(topology.writer, "writer", reachable=True, read_only=False)
                if self._clock is not None:
                    self._clock.reset()
                if old.writer in self._pools:
                    self._pools[old.writer].discard_idle()
            self._set_readers(topology.readers)

    def _set_readers(self, readers: tuple[Endpoint, ...]) -> None:
        with self._lock:
            kept = {e: self._readers[e] for e in readers if e in self._readers}
            for endpoint in readers:
                # A new reader serves only once the monitor has seen it healthy.
                kept.setdefault(endpoint, EndpointHealth(endpoint, "reader"))
            self._readers = kept
            self._rotation = tuple(e for e, h in kept.items() if h.in_rotation)


def _shutdown(
    stop: threading.Event, wake: threading.Event, pools: dict[Endpoint, EndpointPool], prober: Prober
) -> None:
    stop.set()
    wake.set()
    for pool in list(pools.values()):
        with suppress(Exception):
            pool.close()
    prober.close()


def _pool_sizes(pool: EndpointPool) -> dict[str, int]:
    in_use, idle, parked = pool.sizes()
    return {"in_use": in_use, "idle": idle, "parked": parked}
