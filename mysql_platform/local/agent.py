"""One agent per MariaDB server: the lease, the election and the fence.

    python -m mysql_platform.local.agent --agent-of=<state dir>/agents/<server>

Every ``POLL_S`` the agent probes its server over the unix socket, and while the server answers
it keeps its etcd lease alive and reports (health, role, GTID position, read_only).

- **Leader.** The primary's agent holds ``leader`` under its lease. A watchdog thread
  (:mod:`mysql_platform.local.watchdog`) fences the server when the lease has not been confirmed for
  half the TTL (its server hangs, or etcd is unreachable) and kills it at three quarters if
  the fence is not applied by then. The replicas cannot see the key vanish before a whole TTL
  has passed, so the fence or the kill always comes first. When it leads again it lifts the fence.
- **Election.** When ``leader`` is absent, each healthy agent reads the reports; the most
  advanced server by GTID wins (a tie goes to the current primary, then to the first name).
  The positions are checked against the servers themselves before anyone acts on them, so a
  forged or stale report cannot win. Only that agent tries the atomic create of ``leader``. If
  it is a replica, it first kills an old primary that does not answer (a paused machine cannot
  run its own watchdog; killing is the local form of STONITH), then promotes itself through
  ``LocalEnv.failover`` (relay log applied first; a primary that still answers
  is fenced and drained first, so nothing is lost), which repoints HAProxy and rewrites
  outputs.json, then publishes the topology.
- **Former primary.** A server the state calls a replica that is writable is fenced at once;
  then it rejoins as a replica of the new primary, or, if it holds writes the new primary
  lacks, stays read-only and reports ``diverged``.
- **No etcd, no decision.** Without an answer from etcd nobody is elected; the primary fences
  itself once its lease can no longer be confirmed: safety before availability, as Patroni
  does without its failsafe mode. It lifts the fence when etcd answers again.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from mysql_platform.local import autofailover, maintenance
from mysql_platform.local.consensus import Consensus, EtcdUnavailable
from mysql_platform.local.env import LocalEnv
from mysql_platform.local.fencer import Fencer
from mysql_platform.local.mariadb import parse_gtids
from mysql_platform.local.procs import LocalEnvError, runs, signal_if_ours
from mysql_platform.local.watchdog import Watchdog

POLL_S: Final = 0.05
PROBE_TIMEOUT_S: Final = 0.25
STONITH_TIMEOUT_S: Final = 10.0

log = logging.getLogger("agent")


def gtid_rank(position: str) -> int:
    """How far a server got: the sum of its seq_no over domains (one domain locally)."""
    return sum(seq for _, _, seq in parse_gtids(position, "gtid_current_pos")) if position else -1


def best_candidate(views: dict[str, dict[str, Any]]) -> str | None:
    healthy = [v for v in views.values() if v.get("healthy") and not v.get("diverged")]
    if not healthy:
        return None
    best = max(
        healthy, key=lambda v: (gtid_rank(v["gtid"]), v["role"] == "primary", [-ord(c) for c in v["name"]])
    )
    return str(best["name"])


class Agent:
    def __init__(self, state_dir: Path, name: str) -> None:
        settings = autofailover.load(state_dir)
        if settings is None:
            raise LocalEnvError(f"auto-failover is not set up in {state_dir}")
        self.name = name
        self.ttl = settings.lease_ttl_s
        self.env = LocalEnv(state_dir)
        self.consensus = Consensus(state_dir, settings.members)
        self.fencer = Fencer(self.env, name)
        self.watchdog = Watchdog(
            self.ttl,
            fence=self.fencer.fence,
            fenced=lambda: self.fencer.applied_at is not None,
            kill=self._kill_own_server,
        )
        self.lease: int | None = None
        self.conn: Any = None
        self.started = time.monotonic()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe")
        self._probing: concurrent.futures.Future[dict[str, Any] | None] | None = None

    # ----- the server --------------------------------------------------------------------

    def probe(self) -> dict[str, Any] | None:
        """read_only and gtid_current_pos, or None when the server does not answer in time.

        On a thread: a hung server can block even a connect (its socket accepts, it never
        greets), and the loop must keep its clock. While a probe is stuck, the server is unhealthy.
        """
        if self._probing is not None and not self._probing.done():
            return None
        self._probing = self._pool.submit(self._query_server)
        try:
            return self._probing.result(timeout=PROBE_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            return None

    def _query_server(self) -> dict[str, Any] | None:
        try:
            if self.conn is None:
                self.conn = self.env.servers.ops_connect(self.name, timeout=5)
            with contextlib.closing(self.conn.cursor()) as cur:
                cur.execute("SELECT @@GLOBAL.read_only, @@GLOBAL.gtid_current_pos")
                read_only, gtid = cur.fetchone()
            return {"read_only": bool(read_only), "gtid": str(gtid)}
        except Exception:
            with contextlib.suppress(Exception):
                if self.conn is not None:
                    self.conn.close()
            self.conn = None
            return None

    def reachable(self, other: str) -> bool:
        """Does ``other`` answer within the probe timeout (then a failover is a lossless switchover)?"""
        try:
            self.env.servers.ops_connect(other, timeout=PROBE_TIMEOUT_S).close()
            return True
        except Exception:
            return False

    def _kill_own_server(self, why: str) -> None:
        """The watchdog's last resort: SIGKILL our server (only if its pid still runs our config)."""
        self._kill(self.name, why)

    def _kill(self, server: str, why: str) -> bool:
        """SIGKILL ``server`` if it runs; True once it is gone."""
        pid = self.env.store.current().servers[server].pid
        marker = self.env.servers.marker(server)
        if pid is None or not runs(pid, marker):
            return True
        log.error("killing %s (pid %d): %s", server, pid, why)
        signal_if_ours(pid, marker, signal.SIGKILL)
        return self.env.children.wait_exit(pid, STONITH_TIMEOUT_S)

    # ----- one round -----------------------------------------------------------------------

    def step(self) -> None:
        state = self.env.store.load()
        if state is None:
            return
        role = state.role_of(self.name)
        needs_rejoin = state.servers[self.name].needs_rejoin
        probe = self.probe()
        if probe is not None and role == "primary":
            self.fencer.prepare()
        self._fence_if_writable_replica(role, probe)
        try:
            leader, renewed_at = self._keep_lease_and_report(role, probe)
        except EtcdUnavailable:
            leader, renewed_at = "?", None
        if leader == self.name and renewed_at is not None:  # the key, and a lease this round renewed
            self.watchdog.confirm(renewed_at)
            self._lead(role, probe, needs_rejoin)
        elif role == "replica" and leader != self.name:
            self.watchdog.disarm()
        if leader is None and probe is not None and not needs_rejoin and renewed_at is not None:
            self._elect(role, renewed_at)
        if role == "replica" and needs_rejoin and probe is not None and leader not in (None, "?", self.name):
            self._rejoin()

    _writable_rounds = 0

    def _fence_if_writable_replica(self, role: str, probe: dict[str, Any] | None) -> None:
        """A server the state calls a replica that takes writes is a former primary: fence it.
        Only when two probes in a row saw it and the state still says so after the second: a
        switchover makes its target writable a moment before it records the new roles."""
        if role != "replica" or probe is None or probe["read_only"]:
            self._writable_rounds = 0
            return
        self._writable_rounds += 1
        state = self.env.store.load()
        if self._writable_rounds >= 2 and state is not None and state.role_of(self.name) == "replica":
            self.fencer.fence("the state calls it a replica, yet it is writable (a former primary)")

    def _keep_lease_and_report(
        self, role: str, probe: dict[str, Any] | None
    ) -> tuple[str | None, float | None]:
        """The leader's name, and when the lease renewal that succeeded this round was sent
        (None: the server did not answer, so the lease was left to run out)."""
        renewed_at = None
        if probe is not None:
            sent = time.monotonic()
            if self.lease is None or self.consensus.refresh(self.lease) < 0:
                self.lease = self.consensus.grant(self.ttl)
            renewed_at = sent
            view = {
                "name": self.name,
                "healthy": True,
                "role": role,
                "gtid": probe["gtid"],
                "read_only": probe["read_only"],
                "diverged": self._diverged,
                "at": time.time(),
            }
            self.consensus.report(self.name, view, self.lease)
        found = self.consensus.leader()
        return (found.name if found else None), renewed_at

    _diverged = False

    def _lead(self, role: str, probe: dict[str, Any] | None, needs_rejoin: bool) -> None:
        if role == "replica":
            # A planned switchover made us a replica: hand the key over.
            self.consensus.resign(self.name)
            self.watchdog.disarm()
        elif probe is not None and not needs_rejoin and self.watchdog.fresh():
            # Only the fence this agent set (its lease was in doubt): a planned switchover's
            # fence belongs to whoever runs it. And only on a renewal sent less than the fence's
            # deadline ago: one that took longer (a slow etcd) leaves the lease in doubt still,
            # and the watchdog is fencing again.
            self.fencer.lift()

    def verified(self, views: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The reports, each checked against its server: a report for a server the state does not
        know is dropped, and a server that does not answer counts as unhealthy; the GTID position
        and read_only are the server's own, not what was written to etcd."""
        known = self.env.store.current().servers
        checked: dict[str, dict[str, Any]] = {}
        for key, view in views.items():
            if key not in known or view.get("name") != key:
                log.warning("ignoring a report for %r: no such server here", key)
                continue
            seen = self._position_of(key)
            if seen is None:
                checked[key] = {**view, "healthy": False}
            else:
                if seen["gtid"] != view.get("gtid"):
                    log.info(
                        "report of %s says gtid %s, the server says %s", key, view.get("gtid"), seen["gtid"]
                    )
                checked[key] = {**view, **seen}
        return checked

    def _position_of(self, server: str) -> dict[str, Any] | None:
        try:
            conn = self.env.servers.ops_connect(server, timeout=PROBE_TIMEOUT_S)
        except Exception:
            return None
        try:
            with contextlib.closing(conn.cursor()) as cur:
                cur.execute("SELECT @@GLOBAL.read_only, @@GLOBAL.gtid_current_pos")
                read_only, gtid = cur.fetchone()
            return {"read_only": bool(read_only), "gtid": str(gtid)}
        except Exception:
            return None
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def _elect(self, role: str, renewed_at: float) -> None:
        if self.lease is None:
            return
        if role == "replica" and maintenance.is_paused(self.env.state_dir):
            return  # `mysql-platform local pause`: no promotion (a primary may still take the lease back)
        views = self.verified(self.consensus.reports())
        if best_candidate(views) != self.name:
            return
        if role == "replica":
            # Only for a primary that is gone: its agent's report lasts as long as its lease,
            # and a newly started agent first waits out one lease so that every live one has
            # reported (else a replica starting first would take over a healthy primary).
            primary = self.env.store.current().roles.primary
            if views.get(primary, {}).get("healthy") or time.monotonic() - self.started < 2 * self.ttl:
                return
        noticed = time.monotonic()
        if not self.consensus.acquire(self.name, self.lease):
            return
        self.watchdog.confirm(renewed_at)
        log.warning("%s won the election (views: %s)", self.name, sorted(views))
        if role == "primary":
            return
        if maintenance.is_paused(self.env.state_dir):
            # `mysql-platform local pause` landed during the election: hand the key back, promote nothing.
            self.consensus.resign(self.name)
            self.watchdog.disarm()
            return
        state = self.env.store.current()
        old = state.roles.primary
        planned = self.reachable(old)
        # The promotion can outlast a lease (a replica's IO thread waits for a hung primary):
        # renew it meanwhile, or the new primary would fence itself when the step returns.
        with self._renewing():
            if not planned and not self._kill(old, "it holds no lease and does not answer: fencing it"):
                log.error("%s did not exit after SIGKILL: not promoting", old)
                self.consensus.resign(self.name)
                return
            self.env.failover(
                planned=planned,
                target=self.name,
                by=f"agent of {self.name}",
                reason=f"{old}'s leader lease expired"
                + ("" if planned else f"; {old} did not answer and was killed"),
            )
        promoted = time.monotonic()
        self.consensus.publish_topology(
            {
                "primary": self.name,
                "former": old,
                "planned": planned,
                "noticed_at": noticed,
                "promoted_at": promoted,
                "failovers": self.env.store.current().failovers,
            }
        )
        log.warning(
            "%s promoted in %.3f s (%s)", self.name, promoted - noticed, "planned" if planned else "unplanned"
        )

    @contextlib.contextmanager
    def _renewing(self) -> Iterator[None]:
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.ttl / 4):
                with contextlib.suppress(Exception):
                    sent = time.monotonic()
                    if self.lease is not None and self.consensus.refresh(self.lease) >= 0:
                        self.watchdog.confirm(sent)

        thread = threading.Thread(target=renew, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _rejoin(self) -> None:
        if self._diverged or self.fencer.pending:
            return
        try:
            self.env.rejoin(self.name)
            log.warning("%s rejoined as a replica", self.name)
        except LocalEnvError as exc:
            self._diverged = True
            log.error("%s stays read-only: %s", self.name, exc)

    def run(self, stop: threading.Event) -> None:
        config = autofailover.config_path(self.env.state_dir)
        self.watchdog.start()
        while not stop.is_set():
            if not config.is_file():
                # The state dir was deleted (or auto-failover removed) without `down`: nothing
                # is left to watch, and an agent must not outlive its environment.
                log.warning("%s is gone: the agent of %s exits", config, self.name)
                break
            try:
                self.step()
            except Exception:
                log.exception("agent round failed")
            stop.wait(POLL_S)
        self.watchdog.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mysql_platform.local.agent")
    parser.add_argument("--agent-of", required=True, type=Path, metavar="STATE_DIR/agents/SERVER")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    state_dir, name = args.agent_of.parent.parent, args.agent_of.name
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    Agent(state_dir, name).run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
