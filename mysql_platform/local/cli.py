"""``mysql-platform local up|down|status|list|failover|...``: the local environment's command line.

It decides what people see: the library (:mod:`mysql_platform.local.env`) only logs, and its
warnings reach stderr through the logging set up here. Exit status: 0 done (for
``status``: healthy), 1 failed (``status``: not healthy), 2 usage error. The operations
commands (``list``, ``failover``/``switchover``, ``history``, ``pause``/``resume``, ``logs``)
are in :mod:`mysql_platform.local.commands`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from mysql_platform.core.command_names import prog
from mysql_platform.core.contract import StackOutputs
from mysql_platform.local import autofailover, commands, maintenance
from mysql_platform.local.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, exit_codes
from mysql_platform.local.env import DEFAULT_STATE_DIR, LocalEnv
from mysql_platform.local.outputs import client_command
from mysql_platform.local.procs import FoundProcess, LocalEnvError
from mysql_platform.local.provision import DEFAULT_DB_NAME
from mysql_platform.local.state import MAX_REPLICAS

_STATUS_HELP = """\
Report the processes, the roles, replication and HAProxy's view of its servers.
Exit status 0 when the environment is healthy; 1 when it is not (a process is
down, replication is not running, the primary is read-only, HAProxy's view
disagrees with the servers (its writer port not sent to the primary), with
auto-failover the leader lease not the primary's or its agent not reporting it
healthy, or there is no environment), each reason printed after "NOT HEALTHY:"
with what to run next. After `mysql-platform local down` it says one line: "stopped: run
`mysql-platform local up`".
"""

_JSON_HELP = (
    "print one JSON object instead (machine-readable, never a password): state_dir, initialized, "
    "semi_sync, db_name, roles {primary, replica}, paused (null, or {since, reason}), "
    "processes [{name, role, pid (null: not running), ports, alive}], primary {server, read_only "
    "(null: unknown), error}, replication {server, running, io_running, sql_running, "
    "seconds_behind_master (null: unknown), gtid_current_pos, last_error or error}, replicas [as "
    "replication, the other replicas], needs_rejoin [server], proxy [{backend, server, address, state}] "
    "(HAProxy's view), proxy_disagreements [str], auto_failover (with auto-failover), problems [str, "
    "each saying what to run next], healthy (bool); after `mysql-platform local down`, stopped (true) "
    "with one problem; same exit status"
)


def _unknown(value: Any) -> str:
    if isinstance(value, bool):
        return _yes(value)
    return "unknown" if value is None or value == "" else str(value)


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def roles_text(status: dict[str, Any]) -> str:
    """``primary db1, replicas db2, db3``: the roles, as words."""
    replicas = [p["name"] for p in status["processes"] if p["role"] == "replica"]
    noun = "replica" if len(replicas) == 1 else "replicas"
    return f"primary {status['roles']['primary']}, {noun} {', '.join(replicas) or 'none'}"


def status_lines(status: dict[str, Any]) -> list[str]:
    """The status as people read it; the last lines say whether it is healthy and why not."""
    lines = [f"state dir: {status['state_dir']}"]
    problems: list[str] = status.get("problems") or []
    if "roles" not in status:
        orphans = status.get("orphans") or []
        if orphans:
            which = ", ".join(f"{p['name']} pid {p['pid']}" for p in orphans)
            lines.append(
                f"no state file, yet processes of this state dir still run ({which}): "
                "run `mysql-platform local down`"
            )
        else:
            lines.append("no local environment here (run `mysql-platform local up`)")
        return lines
    if status.get("stopped"):
        return [problems[0]]
    lines.append(
        f"replication: {'semi-sync' if status['semi_sync'] else 'async'}; roles: {roles_text(status)}"
    )
    unset = "(none recorded: the next `mysql-platform local up` creates it)"
    lines.append(f"database: {status.get('db_name') or unset}")
    for p in status["processes"]:
        ports = ",".join(str(x) for x in p["ports"])
        pid = _unknown(p["pid"])
        state = "alive" if p["alive"] else "DOWN"
        lines.append(f"  {p['name']:8} {p['role']:8} pid={pid!s:8} port={ports:12} {state}")
    if not status["proxy"]:
        lines.append("  haproxy  (no view: HAProxy is not running)")
    for s in status["proxy"]:
        lines.append(f"  haproxy  {s['backend']}/{s['server']} -> {s['address']} {s['state']}")
    lines += [replica_line(repl) for repl in [status["replication"], *status.get("replicas", [])]]
    lines += auto_failover_lines(status.get("auto_failover"))
    lines += maintenance.status_line(status.get("paused"))
    if problems:
        lines.append("NOT HEALTHY:")
        lines += [f"  - {problem}" for problem in problems]
    else:
        lines.append("healthy")
    return lines


def replica_line(repl: dict[str, Any]) -> str:
    behind = repl.get("seconds_behind_master")
    return "  replica {server}: running={running} io={io} sql={sql} behind={behind} gtid={gtid} {err}".format(
        server=repl.get("server"),
        running=_yes(repl.get("running")),
        io=_unknown(repl.get("io_running")),
        sql=_unknown(repl.get("sql_running")),
        behind="unknown" if behind is None else f"{behind}s",
        gtid=_unknown(repl.get("gtid_current_pos")),
        err=repl.get("error") or repl.get("last_error") or "",
    ).rstrip()


def auto_failover_lines(auto: dict[str, Any] | None) -> list[str]:
    """The leader, its lease's remaining TTL, each etcd member and each agent's view."""
    if auto is None:
        return []
    ttl = auto.get("leader_ttl_left")
    leader = auto.get("leader") or "none"
    # etcd counts a lease's time left in whole seconds: 0 is "under a second".
    left = "" if ttl is None else f" (lease {'under 1' if ttl == 0 else ttl} s left of {auto['lease_ttl_s']})"
    lines = [f"auto-failover: leader {leader}{left}"]
    etcd_line = ", ".join(
        f"{m['name']} :{m['client_port']} {'alive' if m['alive'] else 'DOWN'}" for m in auto["etcd"]
    )
    lines.append(f"  etcd     {etcd_line}")
    for server, agent in auto["agents"].items():
        view = agent.get("view")
        seen = (
            "no report"
            if not view
            else f"{view['role']} gtid={view['gtid']} read_only={_yes(view['read_only'])}"
            + (" DIVERGED" if view.get("diverged") else "")
        )
        lines.append(f"  agent    {server} {'alive' if agent['alive'] else 'DOWN'}: {seen}")
    return lines


def up_lines(env: LocalEnv, outputs: StackOutputs, took: float) -> list[str]:
    db, proxy, cnf = outputs.db, outputs.proxy, env.client_cnf_path
    assert proxy is not None
    lines = [
        f"local environment up in {took:.2f} s ({env.state_dir})",
        f"  writer   {db.writer.host}:{db.writer.port}   (primary, {db.engine} {db.engine_version})",
        *(f"  reader   {r.host}:{r.port}   (replica)" for r in db.readers),
        f"  proxy    {proxy.host}:{proxy.writer_port} writes, {proxy.host}:{proxy.reader_port} reads",
        f"  database {db.database} (utf8mb4; db.database in the outputs)",
        f"  user     {db.username} (password in {env.outputs_path} and {cnf.name}, mode 0600)",
        f"  TLS CA   {outputs.ssl_ca}",
        "connect through the writer port (TLS verified; the password stays in the file):",
        f"  {client_command(cnf)}",
    ]
    return lines


def describe_stopped(stopped: list[FoundProcess]) -> str:
    if not stopped:
        return "nothing was running"
    noun = "process" if len(stopped) == 1 else "processes"
    return f"stopped {len(stopped)} {noun} (" + ", ".join(f"{p.name} pid {p.pid}" for p in stopped) + ")"


class Extension(Protocol):
    """More subcommands, from a layer above this package (``local export|query``)."""

    def add_commands(self, sub: Any) -> None: ...

    def run(self, args: argparse.Namespace) -> int | None:
        """The exit status when ``args.command`` is one of its commands; None otherwise."""


def build_parser(extension: Extension | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog("local"),
        description="Local MariaDB primary/replica + HAProxy + TLS on loopback, "
        "with the stack outputs contract.",
        epilog="exit status: 0 done (status: healthy); 1 failed (status: not healthy; failover: "
        "refused); 2 usage error. Each command's --help says what its own mean.",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help=f"where data, config, logs and outputs.json live (default: {DEFAULT_STATE_DIR})",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "up",
        help="start (or create) the environment; idempotent",
        description="Start (or create) the environment; idempotent. Prints the endpoints and a client "
        "command line whose option file (client-admin.cnf in the state dir, mode 0600) holds the password.",
        epilog=exit_codes("up", "failed (the message says why)"),
    )
    up.add_argument(
        "--semi-sync",
        action="store_true",
        help="semi-synchronous replication when the environment is created (default async); a later "
        "`mysql-platform local up` "
        "without it keeps the recorded mode, and with it on an async environment is refused (a mode never "
        "changes in place)",
    )
    up.add_argument(
        "--replicas",
        type=int,
        choices=range(1, MAX_REPLICAS + 1),
        metavar="N",
        help=f"replicas when the environment is created: 1 (default) to {MAX_REPLICAS}; kept by later runs "
        "of `mysql-platform local up`",
    )
    up.add_argument(
        "--auto-failover",
        action="store_true",
        help="etcd and one agent per server: the primary holds a lease, the replica takes over when it "
        "expires (kept on by later runs of `mysql-platform local up`)",
    )
    up.add_argument("--etcd-members", type=int, default=1, metavar="N", help="1, or 3 to show quorum (1)")
    up.add_argument(
        "--lease-ttl",
        type=int,
        default=autofailover.DEFAULT_TTL_S,
        metavar="S",
        help="the leader lease, s (1)",
    )
    up.add_argument(
        "--db-name",
        metavar="NAME",
        help=f"database to create, as RDS does with dbName (default {DEFAULT_DB_NAME}); chosen when the "
        "environment is created and kept by later commands (another name needs a new environment)",
    )
    down = sub.add_parser(
        "down",
        help="stop the processes this environment started",
        description="Stop the processes of this state dir (found by their command lines).",
        epilog=exit_codes("stopped (or nothing ran)", "something still listens on its ports"),
    )
    down.add_argument("--purge", action="store_true", help="also delete the state dir (data, TLS, outputs)")
    status = sub.add_parser(
        "status",
        help="processes, replication and HAProxy's view; exit 1 unless healthy (--json: machine-readable)",
        description=_STATUS_HELP,
        epilog=exit_codes("healthy", "not healthy"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("--json", action="store_true", help=_JSON_HELP)
    commands.add_commands(sub)
    if extension is not None:
        extension.add_commands(sub)
    return parser


def _auto_failover(env: LocalEnv, args: argparse.Namespace) -> None:
    """Start etcd and the agents when asked now or before (the settings file says so), then wait
    for the primary's agent to lead and every agent to report."""
    settings = env.start_auto_failover(
        enable=args.auto_failover, members=args.etcd_members, ttl_s=args.lease_ttl
    )
    if settings is None:
        return
    # Outside the lock: an agent whose server must rejoin takes it meanwhile, and must report.
    state = env.store.current()
    autofailover.wait_for_leader(env.state_dir, settings, state.roles.primary, state.names)


def _print(lines: list[str]) -> None:
    print("\n".join(lines))


def main(argv: list[str] | None = None, extension: Extension | None = None) -> int:
    try:
        args = build_parser(extension).parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed by argparse
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    # Warnings from the library (e.g. down working without a usable state file) reach the user.
    logging.basicConfig(level=logging.WARNING, format="local: %(message)s", stream=sys.stderr)
    if extension is not None and (code := extension.run(args)) is not None:
        return code
    env: LocalEnv | None = None
    try:
        env = LocalEnv(
            args.state_dir,
            # No flag: keep what the environment recorded (async when it creates one).
            semi_sync=True if getattr(args, "semi_sync", False) else None,
            db_name=getattr(args, "db_name", None),
            replicas=getattr(args, "replicas", None),
        )
        if args.command == "up":
            started = time.monotonic()
            if args.auto_failover:
                autofailover.check(args.etcd_members, args.lease_ttl)
            outputs = env.up()
            _auto_failover(env, args)
            _print(up_lines(env, outputs, time.monotonic() - started))
        elif args.command == "down":
            started = time.monotonic()
            stopped = env.down(purge=args.purge)
            print(
                f"local environment down in {time.monotonic() - started:.2f} s: {describe_stopped(stopped)}"
            )
        elif args.command == "status":
            status = env.status()
            _print([json.dumps(status, indent=2)] if args.json else status_lines(status))
            return EXIT_OK if status["healthy"] else EXIT_FAILED
        elif args.command in commands.RUNNERS:
            return commands.RUNNERS[args.command](env, args)
    except LocalEnvError as exc:
        print(f"local {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:
        # A server or HAProxy that stopped answering mid-command (a timeout, a lost connection):
        # one line that names it, never a traceback, never a password.
        if not (isinstance(exc, OSError) or type(exc).__module__.startswith("mysql.connector")):
            raise
        what = (env.servers.scrub(str(exc)) if env is not None else str(exc)) or type(exc).__name__
        print(
            f"local {args.command}: a server or HAProxy did not answer ({what}); "
            "`mysql-platform local status` says which, `mysql-platform local logs` shows their logs",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
