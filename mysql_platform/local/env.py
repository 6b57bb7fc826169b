"""The local environment: real MariaDB primary/replica + HAProxy + TLS on loopback.

``mysql-platform local up|down|status|list|failover|history|pause|resume|logs`` (see
``--help``; the CLI is :mod:`~mysql_platform.local.cli`).
:class:`LocalEnv` is the facade the CLI, the tests and the
benchmarks use.

It produces the same outputs contract as a Pulumi stack, so the bootstrap and
the tests run the whole path on a machine without an AWS account:

- ``db.writer`` / ``db.readers`` are the servers themselves, as RDS endpoints
  are: a reader is a real replica, so a replication check against it fails when
  the replica is down instead of silently reading the primary through the proxy;
- ``proxy`` is HAProxy's writer and reader ports (the EC2 host's role on AWS);
- ``db.engine`` is ``"mariadb"`` (an RDS engine name too) so that callers that
  need engine-specific SQL (``MASTER_GTID_WAIT`` vs ``WAIT_FOR_EXECUTED_GTID_SET``)
  can choose; ``db.engine_version`` is the server's real version (``10.11.19``);
- ``ssl_ca`` is the CA that signed the server certificate;
- ``db.database`` is a database ``up`` creates on the primary (utf8mb4), as RDS
  creates ``dbName``: ``app`` unless ``up --db-name NAME`` chose another when the
  environment was created; the state remembers it, so later commands keep it.

Every process is a plain child started with ``start_new_session`` (it outlives the CLI) and
recorded by pid in ``state.json``. A pid counts as ours only while it runs our own program with our
own configuration file (pids get reused), and ``down`` finds the processes by exactly that in
/proc, so a deleted or corrupt state file never leaves a server running.

Beside it, one concern each: ``access`` (what it lends tests: ports, pids, connections),
``state`` (typed state, secrets, lock), ``layout`` (paths),
``procs`` (binaries, pids, ports, children), ``sockets``, ``servers`` (MariaDB processes),
``proxy`` (the HAProxy process), ``replication`` (replica, failover, rejoin), ``provision``
(a new environment), ``outputs`` (outputs.json, client option file), ``status``, ``tls``,
``mariadb`` (my.cnf, datadirs, GTIDs), ``haproxy`` (runtime API client), ``cli`` and
``commands`` (the operations commands), ``members`` (``list``, a candidate's refusal), ``history``
(every failover), ``maintenance`` (``pause``), ``logs``, and the automatic failover:
``autofailover`` (settings, starting, reporting), ``etcd`` (its members), ``consensus``
(the keys in etcd), ``agent`` (lease, election), ``watchdog`` and ``fencer`` (the fence), ``auto_drills``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from mysql_platform.core.contract import StackOutputs
from mysql_platform.local import autofailover, maintenance, provision, sockets
from mysql_platform.local import members as members_report
from mysql_platform.local import outputs as outputs_files
from mysql_platform.local import status as status_report
from mysql_platform.local.access import Accessors
from mysql_platform.local.layout import Paths, check_private
from mysql_platform.local.members import Member
from mysql_platform.local.procs import (
    Children,
    FoundProcess,
    ProcessMarker,
    find_processes,
    listening,
    port_free,
    stop_all,
)
from mysql_platform.local.provision import DEFAULT_DB_NAME
from mysql_platform.local.proxy import Proxy
from mysql_platform.local.replication import Replication
from mysql_platform.local.servers import STOP_TIMEOUT_S, Servers
from mysql_platform.local.state import HAPROXY, SERVER_NAMES, Secrets, State, StateStore, UnusableStateError
from mysql_platform.project import writable_dir

# Re-exported: what tests, bench and other scripts import from here.
from mysql_platform.local.procs import LocalEnvError as LocalEnvError  # isort: skip
from mysql_platform.local.procs import find_binary as find_binary  # isort: skip
from mysql_platform.local.procs import missing_binaries as missing_binaries  # isort: skip
from mysql_platform.local.state import ADMIN_USER as ADMIN_USER  # isort: skip
from mysql_platform.local.state import Role as Role  # isort: skip

log = logging.getLogger(__name__)

# In the project directory (never in an installed package), else in the current directory.
DEFAULT_STATE_DIR = writable_dir() / ".local"

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _exclusive(method: Callable[Concatenate[LocalEnv, _P], _R]) -> Callable[Concatenate[LocalEnv, _P], _R]:
    """Serialize state-changing calls on one state dir, across processes (two `up`s at once)."""

    @functools.wraps(method)
    def locked(env: LocalEnv, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with env.store.lock():
            return method(env, *args, **kwargs)

    return locked


class LocalEnv(Accessors):
    """One local topology: its state dir holds data, config, TLS, logs and state."""

    def __init__(
        self,
        state_dir: Path,
        *,
        semi_sync: bool | None = None,
        db_name: str | None = None,
        replicas: int | None = None,
    ) -> None:
        """``semi_sync``, ``db_name``, ``replicas``: what a new environment creates (async, app, 1
        when None); for a recorded one, None keeps what it recorded and another value is refused."""
        if db_name is not None:
            provision.check_db_name(db_name)
        self.paths = Paths(Path(state_dir).resolve())
        self.state_dir = self.paths.state_dir
        self.semi_sync = semi_sync
        self.db_name = db_name
        self.replicas = replicas
        self.outputs_path = self.paths.outputs
        self.state_path = self.paths.state
        self.secrets_path = self.paths.secrets
        self.client_cnf_path = self.paths.client_cnf
        self.tls_dir = self.paths.tls_dir
        self.ca_path = self.paths.ca
        self.haproxy_cfg = self.paths.haproxy_cfg
        self.store = StateStore(self.paths)
        self.children = Children()
        self.servers = Servers(self.paths, self.store, self.children)
        self.proxy = Proxy(self.paths, self.store, self.children, self.servers)
        self.replication = Replication(self.paths, self.store, self.servers, self.proxy)

    # ----- lifecycle ---------------------------------------------------------------

    @_exclusive
    def up(self) -> StackOutputs:
        """Start whatever is not running; create everything on first use. Idempotent."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        check_private(self.state_dir)
        state = self.store.load()
        if state is None or not state.initialized:
            self._initialize(half_made=state is not None)
        else:
            provision.check_matches(
                self.paths, state, semi_sync=self.semi_sync, db_name=self.db_name, replicas=self.replicas
            )
            sockets.ensure_socket_dir(self.paths, self.store)
            # Every recorded server, the primary first (a former primary rejoins it): not only the
            # two roles, or a second replica, or a former primary beside it, never started again.
            for name in (state.roles.primary, *state.replicas):
                self._start_server(name)
            if not self.proxy.alive():
                self.proxy.start()
            else:
                # Now, not at HAProxy's next health check, and whatever moved it: `status` agrees.
                self.proxy.sync()
            self.replication.resume_replicas()
            if not state.db_name:
                self._adopt_db_name()
        outputs = self._write_outputs()
        outputs_files.write_client_cnf(self.paths, self.store.current(), self.store.secrets)
        return outputs

    @_exclusive
    def start_auto_failover(
        self, *, enable: bool, members: int = 1, ttl_s: int = autofailover.DEFAULT_TTL_S
    ) -> autofailover.Settings | None:
        """Start etcd and the agents that are not running, when turned on now (``enable``: settings
        from ``members`` and ``ttl_s``) or before (its settings file); None when it is off. Under
        the lock, as ``up``: two `up`s at once would each pick ports and start etcd and agents."""
        self.store.load()
        settings = autofailover.load(self.state_dir)
        if settings is None and enable:
            taken = set(self.store.current().all_ports())
            settings = autofailover.create(self.state_dir, members=members, ttl_s=ttl_s, taken=taken)
        if settings is not None:
            state = self.store.current()
            autofailover.start(
                self.state_dir, settings, state.names, self.children, primary=state.roles.primary
            )
        return settings

    def down(self, *, purge: bool = False) -> list[FoundProcess]:
        """Stop every process of this state dir and return them; ``purge`` also deletes all data.
        They are found in /proc by program and config file: a lost state file orphans none."""
        with self.store.lock(create=False):
            state = self._load_if_usable()
            # The agents first: none may react to its server stopping.
            agents = [p for p in self.processes() if p.name.startswith(autofailover.AGENT_PREFIX)]
            stop_all(agents, self._marker, self.children, STOP_TIMEOUT_S)
            found = [*agents, *self.processes()]
            # Before they exit: a long state dir's sockets live in a temp dir only they name.
            socket_dirs = sockets.tmp_socket_dirs(self.paths, found)
            stop_all(found[len(agents) :], self._marker, self.children, STOP_TIMEOUT_S)
            for tmp in socket_dirs:
                shutil.rmtree(tmp, ignore_errors=True)
            still: list[int] = []
            if state is not None:
                ours = (HAPROXY, *state.names)
                ports = [port for p in found if p.name in ours for port in state.ports_of(p.name)]
                for name in ours:
                    state.set_pid(name, None)
                self.store.save()
                sockets.remove_tmp_socket_dir(self.paths, self.store)
                still = [p for p in ports if listening(p)]
            if purge:
                shutil.rmtree(self.state_dir, ignore_errors=True)
                self.store.forget()
            if still:
                raise LocalEnvError(f"after down, something still listens on ports {still}")
            return found

    def processes(self) -> list[FoundProcess]:
        """The live processes of this state dir (HAProxy first), found by their command lines."""
        names = (HAPROXY, *SERVER_NAMES, *autofailover.markers(self.state_dir, list(SERVER_NAMES)))
        return find_processes({name: self._marker(name) for name in names})

    def status(self) -> dict[str, Any]:
        """Processes, roles, replication, HAProxy's view, ``healthy`` and ``problems``; never a password.
        After ``down`` (nothing of it runs) one problem only: it is stopped."""
        state = self.store.load()
        if state is None:
            return status_report.not_initialized(self.paths, self.processes())
        if state.initialized and not self.processes():
            return status_report.stopped(self.paths, state)
        report = status_report.collect(self.paths, state, self.servers, self.proxy)
        report["paused"] = maintenance.details(self.state_dir)
        return autofailover.add_to_status(report, self.state_dir, state.names)

    def members(self) -> list[Member]:
        """Every server as ``local list`` shows it, the primary first."""
        state = self.store.load()
        if state is None:
            raise LocalEnvError(f"no local environment in {self.state_dir}; run `mysql-platform local up`")
        return members_report.collect(state, self.servers, autofailover.report(self.state_dir, state.names))

    @_exclusive
    def checked_failover(
        self,
        target: str | None = None,
        *,
        max_lag_s: int = members_report.DEFAULT_MAX_LAG_S,
        max_lag_trx: int = members_report.DEFAULT_MAX_LAG_TRX,
        reason: str | None = None,
    ) -> StackOutputs:
        """:meth:`failover`, after refusing a candidate that is not a running replica, lags beyond
        the bounds or has diverged (the message names it); ``local failover`` runs this."""
        state = self.store.load()
        if state is None:
            raise LocalEnvError(f"no local environment in {self.state_dir}; run `mysql-platform local up`")
        candidate = target or state.roles.replica
        refused = members_report.refusal(
            self.members(), candidate, max_lag_s=max_lag_s, max_lag_trx=max_lag_trx
        )
        if refused is not None:
            raise LocalEnvError(f"refused to promote {candidate}: {refused}")
        return self.failover(target=candidate, reason=reason)

    @_exclusive
    def kill(self, role: Role) -> None:
        """SIGKILL the server in ``role`` and wait until it has really exited."""
        self._halt(role, signal.SIGKILL, 10.0, "did not exit {timeout:.0f} s after SIGKILL")

    @_exclusive
    def stop(self, role: Role) -> None:
        """Shut the server in ``role`` down cleanly."""
        self._halt(role, signal.SIGTERM, STOP_TIMEOUT_S, "did not shut down within {timeout:.0f} s")

    def _halt(self, role: Role, sig: signal.Signals, timeout: float, failure: str) -> None:
        self.store.load()
        name = self.servers.name_of(role)
        if not self.servers.halt(name, sig, timeout):
            raise LocalEnvError(f"{role} ({name}) " + failure.format(timeout=timeout))

    @_exclusive
    def start(self, role: Role) -> None:
        """(Re)start the server in ``role`` on its datadir and port; a replica resumes replicating."""
        self.store.load()
        self._start_server(self.servers.name_of(role))

    def _start_server(self, name: str) -> bool:
        """Start ``name`` unless it runs (True when it was started); a replica resumes replicating,
        a former primary (restarted read-only) rejoins the primary, which must run."""
        if self.servers.alive(name):
            return False
        sockets.ensure_socket_dir(self.paths, self.store)
        state = self.store.current()
        rec, role = state.servers[name], state.role_of(name)
        if not port_free(rec.port):
            raise LocalEnvError(f"cannot start {role} ({name}): port {rec.port} is taken by another process")
        self.servers.launch(name)
        self.servers.wait_ready(name)
        if self.store.current().role_of(name) == "replica" and rec.needs_rejoin:
            self.replication.rejoin(name)
            self._write_outputs()
        return True

    @_exclusive
    def failover(
        self,
        *,
        planned: bool | None = None,
        target: str | None = None,
        reason: str | None = None,
        by: str = "command",
    ) -> StackOutputs:
        """Promote the replica to primary, repoint HAProxy and rewrite outputs.json.

        Primary dead (the drill): the replica applies everything it received, then is promoted;
        the old primary is fenced (it restarts read-only) and rejoins as a replica on its next
        ``start("replica")``, which raises if it holds writes the new primary never got.
        Primary alive (a planned switchover): it is made read-only first and the replica catches
        up with it, so nothing is lost and it becomes the new replica at once. ``planned``: the
        latter (default: when its process is alive; an agent that finds it hung says False).
        ``reason`` and ``by`` (``command`` or an agent) go to the history (``local history``).
        """
        self.store.load()
        self.replication.failover(planned=planned, target=target, reason=reason, by=by)
        return self._write_outputs()

    @_exclusive
    def rejoin(self, name: str) -> StackOutputs:
        """A running former primary follows the new one (see ``Replication.rejoin``)."""
        self.store.load()
        if self.store.current().servers[name].needs_rejoin:
            # Else an `up` that restarted it rejoined it while its agent waited for the lock.
            self.replication.rejoin(name)
        return self._write_outputs()

    # ----- creation ----------------------------------------------------------------

    def _initialize(self, *, half_made: bool) -> None:
        if half_made:
            # A previous up failed half-way: start from nothing.
            self.down()
            provision.wipe_generated(self.paths)
        else:
            self._refuse_orphans()
        state = provision.new_state(bool(self.semi_sync), self.db_name or DEFAULT_DB_NAME, self.replicas or 1)
        self.store.create(state, Secrets.generate())
        sockets.ensure_socket_dir(self.paths, self.store)
        try:
            provision.build(self.paths, self.store, self.servers, self.replication, self.proxy)
        except BaseException:
            with contextlib.suppress(Exception):
                self.down()
            raise
        self.store.current().initialized = True
        self.store.save()

    def _refuse_orphans(self) -> None:
        """No state file, yet processes of this state dir run: a new topology would join the orphans."""
        orphans = self.processes()
        if orphans:
            which = ", ".join(f"{p.name} pid {p.pid}" for p in orphans)
            raise LocalEnvError(
                f"{self.state_path} is missing but processes of {self.state_dir} still run ({which}); "
                "run `mysql-platform local down` to stop them, then `mysql-platform local up`"
            )

    def _adopt_db_name(self) -> None:
        """An environment made before db.database was filled in: give it its database now."""
        self.store.current().db_name = self.db_name or DEFAULT_DB_NAME
        provision.create_database(self.paths, self.store, self.servers, self.servers.name_of("primary"))
        self.store.save()

    def _write_outputs(self) -> StackOutputs:
        outputs = outputs_files.build_outputs(self.paths, self.store.current(), self.store.secrets)
        outputs_files.write_outputs(self.outputs_path, outputs)
        return outputs

    # ----- state and markers ----------------------------------------------------------

    def _load_if_usable(self) -> State | None:
        """Load the state for ``down``: None, with a warning, when it is missing or corrupt."""
        try:
            return self.store.load()
        except UnusableStateError as exc:
            log.warning(
                "cannot use the state in %s (%s); stopping the processes found by their command lines",
                self.state_dir,
                exc.problem,
            )
            self.store.forget()
            return None

    def _marker(self, name: str) -> ProcessMarker:
        if name == HAPROXY:
            return self.proxy.marker()
        if name in SERVER_NAMES:
            return self.servers.marker(name)
        return autofailover.markers(self.state_dir, list(SERVER_NAMES))[name]


def start_fresh(state_dir: Path, *, semi_sync: bool = False, db_name: str | None = None) -> LocalEnv:
    """A running environment in ``state_dir``; if ``up`` fails, nothing is left running or on disk."""
    env = LocalEnv(state_dir, semi_sync=semi_sync, db_name=db_name)
    try:
        env.up()
    except BaseException:
        env.down(purge=True)
        raise
    return env
