"""Replication between the two servers: attach the replica, fail over (planned or not), rejoin.

GTID positions are MariaDB's (``domain-server_id-seq_no``, compared in
:mod:`mysql_platform.local.mariadb`); the replica connects to the primary's TCP port over
TLS, verifying the certificate against the environment's CA.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from mysql_platform.local import history
from mysql_platform.local.layout import Paths
from mysql_platform.local.mariadb import gtid_pos_reached, gtids_missing_from
from mysql_platform.local.procs import LOOPBACK, POLL_S, LocalEnvError
from mysql_platform.local.proxy import Proxy
from mysql_platform.local.servers import READY_TIMEOUT_S, Servers
from mysql_platform.local.state import REPL_USER, StateStore

log = logging.getLogger(__name__)

_PASSWORD_RE = re.compile(r"^[A-Za-z0-9_-]{20,}$")
# How often a switchover re-reads a position: each poll is a round trip on an open connection.
_DRAIN_POLL_S = 0.001


@dataclass(frozen=True)
class FailoverResult:
    old_primary: str
    new_primary: str
    planned: bool


class Replication:
    """Replication of one environment, and the role changes that move it."""

    def __init__(self, paths: Paths, store: StateStore, servers: Servers, proxy: Proxy) -> None:
        self.paths = paths
        self.store = store
        self.servers = servers
        self.proxy = proxy

    # ----- attaching ------------------------------------------------------------------

    def change_master_statements(self, primary: str, gtid_mode: str) -> tuple[str, str]:
        """``STOP SLAVE`` and the ``CHANGE MASTER TO`` that follows ``primary`` (no trailing ``;``)."""
        port = self.store.current().servers[primary].port
        password = self.store.secrets.repl
        if not _PASSWORD_RE.fullmatch(password):
            raise LocalEnvError("the replication password in secrets.json is not a generated one")
        return (
            "STOP SLAVE",
            f"CHANGE MASTER TO MASTER_HOST='{LOOPBACK}', MASTER_PORT={port}, "
            f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{password}', MASTER_SSL=1, "
            f"MASTER_SSL_CA='{self.paths.ca}', MASTER_SSL_VERIFY_SERVER_CERT=1, "
            f"MASTER_CONNECT_RETRY=1, MASTER_USE_GTID={gtid_mode}",
        )

    def change_master_sql(self, primary: str, gtid_mode: str) -> str:
        """:meth:`change_master_statements` as one script for the ``mariadb`` client."""
        return "".join(f"{statement};" for statement in self.change_master_statements(primary, gtid_mode))

    def attach(self, replica: str, primary: str) -> None:
        """A fresh replica follows ``primary`` from the position its datadir copy started at."""
        self.servers.root_sql(replica, self.change_master_sql(primary, "slave_pos") + "START SLAVE;")

    def wait_caught_up(self, timeout: float = READY_TIMEOUT_S) -> None:
        primary = self.servers.name_of("primary")
        pos = self.servers.root_sql(primary, "SELECT @@GLOBAL.gtid_binlog_pos;").strip()
        if not re.fullmatch(r"[0-9,-]*", pos):
            raise LocalEnvError(f"unexpected gtid_binlog_pos {pos!r} on the primary")
        for replica in self.store.current().replicas:
            # As root: the accounts this waits for may not have reached the replica yet.
            waited = self.servers.root_sql(replica, f"SELECT MASTER_GTID_WAIT('{pos}', {timeout});").strip()
            if waited != "0":
                raise LocalEnvError(
                    f"the replica {replica} did not reach the primary's GTID {pos} within {timeout:.0f} s: "
                    f"{self.servers.replication_status(replica)}"
                )

    # ----- failover ---------------------------------------------------------------------

    def failover(
        self,
        *,
        planned: bool | None = None,
        target: str | None = None,
        reason: str | None = None,
        by: str = "command",
    ) -> FailoverResult:
        """Promote ``target`` (default: the designated replica) and repoint HAProxy and the other
        replicas to it (see ``LocalEnv.failover``); the history records it (``reason``, ``by``).

        Every statement goes over an ops connection opened before the fence: between the fence
        and HAProxy's repointing (the writes' gap) nothing connects, authenticates or forks.
        """
        state = self.store.current()
        old_primary, new_primary = state.roles.primary, target or state.roles.replica
        if new_primary not in state.replicas:
            raise LocalEnvError(
                f"cannot fail over to {new_primary}: the replicas are {', '.join(state.replicas)}"
            )
        others = [n for n in state.replicas if n != new_primary and not state.servers[n].needs_rejoin]
        if not self.servers.alive(new_primary):
            raise LocalEnvError(f"cannot fail over: the replica ({new_primary}) is not running")
        if state.servers[new_primary].needs_rejoin:
            raise LocalEnvError(
                f"cannot fail over: {new_primary} is a former primary that has not rejoined as a replica"
            )
        if planned is None:
            planned = self.servers.alive(old_primary)
        started = time.monotonic()
        with contextlib.ExitStack() as opened:
            conn = opened.enter_context(self.servers.ops_connection(new_primary))
            old_conn = opened.enter_context(self.servers.ops_connection(old_primary)) if planned else None
            followers: dict[str, Any] = {old_primary: old_conn} if old_conn is not None else {}
            stopped = [name for name in others if not self.servers.alive(name)]
            for name in others:
                if name not in stopped:
                    followers[name] = opened.enter_context(self.servers.ops_connection(name))
            if old_conn is not None:
                self._fence_and_drain(old_conn, old_primary, conn, new_primary)
            position = self._promote(conn, new_primary, drained=planned)
            # The designated replica: the old primary after a switchover, else one that follows.
            state.roles.primary = new_primary
            state.roles.replica = old_primary if planned or not followers else next(iter(followers))
            state.servers[old_primary].needs_rejoin = not planned
            for name in stopped:
                # It follows the new primary when it starts again (`start` rejoins it).
                log.warning("%s is not running: it rejoins %s when it starts", name, new_primary)
                state.servers[name].needs_rejoin = True
            state.failovers += 1
            self.store.save()
            # Writes resume here; the followers attach right after (semi-sync waits for no replica
            # that is not connected: rpl_semi_sync_master_wait_no_slave=OFF).
            self.proxy.sync(cut_writer_sessions=planned)
            took = time.monotonic() - started
            with contextlib.closing(conn.cursor()) as cur:
                cur.execute("RESET SLAVE ALL")
            for follower in followers.values():
                with contextlib.closing(follower.cursor()) as cur:
                    for statement in self.change_master_statements(new_primary, "current_pos"):
                        cur.execute(statement)
                    cur.execute("START SLAVE")
        kind = "switchover" if planned else "failover"
        history.record(
            self.paths,
            history.Entry.now(
                kind=kind,
                by=by,
                reason=reason or ("planned" if planned else f"{old_primary} was not running"),
                old_primary=old_primary,
                new_primary=new_primary,
                gtid=position,
                took_ms=round(took * 1000, 1),
            ),
        )
        log.info("%s: %s is the primary now", kind, new_primary)
        return FailoverResult(old_primary=old_primary, new_primary=new_primary, planned=planned)

    def _fence_and_drain(
        self, old_conn: Any, old_primary: str, conn: Any, replica: str, timeout: float = 10.0
    ) -> None:
        """Stop writes on a live primary and wait until the replica has all of them."""
        with contextlib.closing(old_conn.cursor()) as cur:
            cur.execute("SET GLOBAL read_only = ON")
            cur.execute("SELECT @@GLOBAL.gtid_binlog_pos")
            pos = str(cur.fetchone()[0])
            stuck_at = self._wait_for_position(conn, replica, pos, timeout)
            if stuck_at is not None:
                # Give the writes back rather than promote a replica that lacks some.
                cur.execute("SET GLOBAL read_only = OFF")
                raise LocalEnvError(
                    f"switchover aborted: {replica} did not reach {old_primary}'s GTID position {pos} "
                    f"within {timeout:.0f} s (it is at {stuck_at or 'nothing'})"
                )

    def _wait_for_position(self, conn: Any, name: str, target: str, timeout: float) -> str | None:
        """Poll until ``name`` (on ``conn``) holds every transaction of GTID position ``target``.

        Returns None, or the position it was still at when ``timeout`` ran out. Its
        gtid_current_pos counts what it applied and what it wrote itself as a primary;
        MASTER_GTID_WAIT counts only the former, so after one failover it waited out its
        timeout for GTIDs (e.g. 0-1-21) that the former primary had written itself.
        """
        what = f"GTID position of {name}"
        deadline = time.monotonic() + timeout
        with contextlib.closing(conn.cursor()) as cur:
            while True:
                cur.execute("SELECT @@GLOBAL.gtid_current_pos")
                current = str(cur.fetchone()[0])
                if gtid_pos_reached(current, target, what):
                    return None
                if time.monotonic() > deadline:
                    return current
                time.sleep(_DRAIN_POLL_S)

    def _promote(self, conn: Any, name: str, *, drained: bool, timeout: float = 10.0) -> str:
        """Apply every received transaction (``drained``: a switchover's wait did), stop replicating
        and make the replica writable; its GTID position then. ``RESET SLAVE ALL`` is the caller's,
        once writes have moved."""
        with contextlib.closing(conn.cursor(dictionary=True)) as cur:
            if not drained:
                # No new events from the old primary while the relay log drains.
                cur.execute("STOP SLAVE IO_THREAD")
                deadline = time.monotonic() + timeout
                while True:
                    cur.execute("SHOW SLAVE STATUS")
                    row = cur.fetchone()
                    if row is None or row["Slave_SQL_Running"] != "Yes":
                        break
                    if "read all relay log" in str(row["Slave_SQL_Running_State"]):
                        break
                    if time.monotonic() > deadline:
                        raise LocalEnvError(f"{name} did not apply its relay log within {timeout:.0f} s")
                    time.sleep(_DRAIN_POLL_S)
                if row is not None and row["Last_SQL_Error"]:
                    raise LocalEnvError(
                        f"{name} cannot be promoted: its SQL thread failed: {row['Last_SQL_Error']}"
                    )
            cur.execute("STOP SLAVE")
            cur.execute("SELECT @@GLOBAL.gtid_current_pos AS pos")
            position = str(cur.fetchone()["pos"])
            cur.execute("SET GLOBAL read_only = OFF")
        return position

    # ----- keeping replicas replicating (``up``) --------------------------------------------

    def resume_replicas(self) -> None:
        """Every running replica replicates again: a former primary rejoins (a warning, not an
        error, when it cannot: ``status`` says why); threads someone stopped start again."""
        state = self.store.current()
        for name in state.replicas:
            if not self.servers.alive(name):
                continue
            if state.servers[name].needs_rejoin:
                try:
                    self.rejoin(name)
                except LocalEnvError as exc:
                    log.warning("%s", exc)
                continue
            with (
                self.servers.ops_connection(name) as conn,
                contextlib.closing(conn.cursor(dictionary=True)) as cur,
            ):
                cur.execute("SHOW SLAVE STATUS")
                row = cur.fetchone()
                stopped = row is not None and row["Slave_IO_Running"] == row["Slave_SQL_Running"] == "No"
                if stopped and not (row["Last_IO_Error"] or row["Last_SQL_Error"]):
                    cur.execute("START SLAVE")
                    log.warning("%s: its replica threads were stopped; started them again", name)

    # ----- rejoin ------------------------------------------------------------------------

    def rejoin(self, name: str, timeout: float = 10.0) -> None:
        """A former primary follows the new one, unless it holds writes the new one never got."""
        primary = self.servers.name_of("primary")
        cannot = f"{name} (former primary) restarted read-only but cannot rejoin as a replica of {primary}"
        advice = (
            f"it stays read-only with its data as it was, and {primary} and the other servers run on "
            f"without it; what it holds beyond {primary} was never replicated (its binlog has it, for "
            "`mariadb-binlog`). Making it a replica again means replacing its data with a copy of "
            f"{primary}'s, which this tool does not do in place; `mysql-platform local down --purge` "
            "would delete every server's data, the primary's too"
        )
        # What it would ask the primary for (current_pos) must be in the primary's binlog,
        # else it holds writes the failover lost. Checked here, not left to error 1236,
        # which may arrive only after the replica looked caught up.
        own = self.servers.root_sql(name, "SELECT @@GLOBAL.gtid_current_pos;").strip()
        logged = self.servers.root_sql(primary, "SELECT @@GLOBAL.gtid_binlog_state;").strip()
        lost = gtids_missing_from(own, logged, f"GTIDs of {name} and {primary}")
        if lost:
            raise LocalEnvError(f"{cannot}: it has {', '.join(lost)}, which {primary} lacks; {advice}")
        self.servers.root_sql(name, self.change_master_sql(primary, "current_pos") + "START SLAVE;")
        pos = self.servers.root_sql(primary, "SELECT @@GLOBAL.gtid_binlog_pos;").strip()
        deadline = time.monotonic() + timeout
        while True:
            status = self.servers.replication_status(name)
            caught_up = gtid_pos_reached(str(status.get("gtid_current_pos") or ""), pos, f"GTIDs of {name}")
            if (
                (caught_up and status.get("running"))
                or status.get("last_error")
                or time.monotonic() > deadline
            ):
                break
            time.sleep(POLL_S)
        if not caught_up or not status.get("running"):
            raise LocalEnvError(
                f"{cannot}: {status.get('last_error') or status.get('error') or 'did not catch up'}; {advice}"
            )
        self.store.current().servers[name].needs_rejoin = False
        self.store.save()
        self.proxy.sync()
        log.info("%s rejoined as a replica of %s", name, primary)
