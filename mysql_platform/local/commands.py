"""The operations commands of the local CLI: ``list``, ``failover``/``switchover``, ``history``,
``pause``/``resume`` and ``logs`` (their parsers and what each runs). :mod:`mysql_platform.local.cli`
adds them beside ``up``/``down``/``status``; the logic is in :mod:`mysql_platform.local.members`,
:mod:`~mysql_platform.local.history`, :mod:`~mysql_platform.local.maintenance`
and :mod:`~mysql_platform.local.logs`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from mysql_platform.local import autofailover, history, logs, maintenance
from mysql_platform.local import members as members_report
from mysql_platform.local.env import LocalEnv
from mysql_platform.local.procs import LocalEnvError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def exit_codes(ok: str, failed: str) -> str:
    """The epilog every command's help ends with."""
    return f"exit status: 0 {ok}; 1 {failed}; 2 usage error"


_LIST_JSON = (
    "print one JSON object instead: state_dir, paused, auto_failover (bool), members [{member, role, "
    "state, alive, pid, port, read_only, gtid, gtid_received, behind_trx, behind_s, io_running, "
    "sql_running, last_error, needs_rejoin, diverged, leader, lease_ttl_s, agent}], the same keys for "
    "every member (null: unknown or does not apply)"
)
_FAILOVER_HELP = """\
Promote a replica to primary, repoint HAProxy and the other replicas to it, and rewrite
outputs.json. With the primary running it is a switchover: the primary turns read-only, the
candidate catches up, nothing is lost, and the old primary becomes a replica. With the primary
down, the candidate applies what it received and the old primary rejoins when it starts.

Refused (exit 1, naming the candidate) when the candidate is not a replica, is not running, has
diverged or is a former primary that has not rejoined, does not replicate, or lags beyond the
bounds (with the primary down: lacks transactions that another replica received).
`mysql-platform local switchover` is the same command.
"""


def add_commands(sub: Any) -> None:
    lst = sub.add_parser(
        "list",
        help="one row per member: role, state, lag, GTID (and the leader lease with auto-failover)",
        description="One row per member (primary first): role, state (running, fenced, replicating, "
        "connecting, not replicating, broken, needs rejoin, diverged, writable, stopped, not answering), "
        "lag behind the primary in transactions (GTID seq_no) and seconds, GTID position; with "
        "auto-failover, each agent and the leader lease's time left.",
        epilog=exit_codes("listed", "no environment"),
    )
    lst.add_argument("--json", action="store_true", help=_LIST_JSON)
    for name in ("failover", "switchover"):
        cmd = sub.add_parser(
            name,
            help="promote a replica (the designated one, or --to) and repoint HAProxy to it"
            + ("" if name == "failover" else "; same as failover"),
            description=_FAILOVER_HELP,
            epilog=exit_codes("done", "refused or failed (the message says why)"),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cmd.add_argument(
            "--to",
            type=_member_name,
            metavar="dbN",
            help="the replica to promote (default: the designated one)",
        )
        cmd.add_argument(
            "--max-lag-s",
            type=int,
            default=members_report.DEFAULT_MAX_LAG_S,
            metavar="S",
            help=f"refuse a candidate further behind, in seconds ({members_report.DEFAULT_MAX_LAG_S})",
        )
        cmd.add_argument(
            "--max-lag-trx",
            type=int,
            default=members_report.DEFAULT_MAX_LAG_TRX,
            metavar="N",
            help=f"refuse a candidate further behind, in transactions ({members_report.DEFAULT_MAX_LAG_TRX})",
        )
    hist = sub.add_parser(
        "history",
        help="every failover and switchover: when (UTC), why, old and new primary, GTID",
        description="Every failover and switchover of this environment, oldest first: when (UTC, "
        "ISO 8601), switchover (planned, the primary was running) or failover, by a command or an agent, "
        "why, the old and the new primary, the new primary's GTID position when it became writable. "
        "Kept in <state dir>/history.jsonl.",
        epilog=exit_codes("printed (also when empty)", "no environment"),
    )
    hist.add_argument("--json", action="store_true", help="print a JSON array of the entries instead")
    pause = sub.add_parser(
        "pause",
        help="maintenance mode: no automatic failover until `mysql-platform local resume`",
        description="Maintenance mode: while paused, no agent promotes a replica (the primary keeps "
        "its lease and its writes); `mysql-platform local failover` still works. "
        "The flag is <state dir>/paused.",
        epilog=exit_codes("paused (or already was)", "no environment"),
    )
    pause.add_argument("--reason", default="local pause", help="recorded with the flag (status shows it)")
    sub.add_parser(
        "resume",
        help="end maintenance mode: automatic failover again",
        description="End maintenance mode: the agents elect and promote again (at once, if the "
        "primary's lease expired while paused).",
        epilog=exit_codes("resumed (or was not paused)", "no environment"),
    )
    lg = sub.add_parser(
        "logs",
        help="where each log lives, and its last lines",
        description="Print each log's path and its last lines: a server's error log "
        "(<state>/dbN/error.log), HAProxy's (<state>/haproxy/haproxy.log), the agents' "
        "(<state>/agents/dbN.log) and etcd's (<state>/etcd/etcdN.log). Every log when no NAME.",
        epilog=exit_codes("printed", "no environment"),
    )
    lg.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="dbN, haproxy, agent (every agent) or agent-dbN, etcd (every member) or etcdN",
    )
    lg.add_argument("-n", type=_line_count, default=20, metavar="N", help="lines of each log, 1 or more (20)")


def _require_env(env: LocalEnv) -> None:
    if env.store.load() is None:
        raise LocalEnvError(f"no local environment in {env.state_dir}; run `mysql-platform local up`")


def run_list(env: LocalEnv, args: argparse.Namespace) -> int:
    _require_env(env)
    found = env.members()
    auto = autofailover.load(env.state_dir) is not None
    paused = maintenance.details(env.state_dir)
    if args.json:
        doc = {
            "state_dir": str(env.state_dir),
            "paused": paused is not None,
            "auto_failover": auto,
            "members": [m.to_json() for m in found],
        }
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join([*members_report.table(found, auto=auto), *maintenance.status_line(paused)]))
    return EXIT_OK


def run_failover(env: LocalEnv, args: argparse.Namespace) -> int:
    if args.max_lag_s < 0 or args.max_lag_trx < 0:
        print(f"local {args.command}: --max-lag-s and --max-lag-trx must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    started = time.monotonic()
    reason = f"`mysql-platform local {args.command}" + (f" --to {args.to}`" if args.to else "`")
    outputs = env.checked_failover(
        args.to, max_lag_s=args.max_lag_s, max_lag_trx=args.max_lag_trx, reason=reason
    )
    took = time.monotonic() - started
    last = history.read(env.paths)[-1]
    print(
        f"failover done in {took:.2f} s ({last.get('kind')}: {last.get('old_primary')} -> "
        f"{last.get('new_primary')}); the writer is now port {outputs.db.writer.port}"
    )
    return EXIT_OK


def run_history(env: LocalEnv, args: argparse.Namespace) -> int:
    _require_env(env)
    entries = history.read(env.paths)
    print(json.dumps(entries, indent=2) if args.json else "\n".join(history.lines(entries)))
    return EXIT_OK


def run_pause(env: LocalEnv, args: argparse.Namespace) -> int:
    _require_env(env)
    newly = maintenance.pause(env.state_dir, args.reason)
    note = "" if autofailover.load(env.state_dir) else " (no agents run here: nothing fails over by itself)"
    print(
        ("paused" if newly else "already paused")
        + f": no automatic failover until `mysql-platform local resume`{note}"
    )
    return EXIT_OK


def run_resume(env: LocalEnv, args: argparse.Namespace) -> int:
    _require_env(env)
    print(
        "resumed: automatic failover is on again" if maintenance.resume(env.state_dir) else "was not paused"
    )
    return EXIT_OK


def run_logs(env: LocalEnv, args: argparse.Namespace) -> int:
    state = env.store.load()
    if state is None:
        raise LocalEnvError(f"no local environment in {env.state_dir}; run `mysql-platform local up`")
    known = logs.locations(env.paths, state.names)
    try:
        chosen = logs.select(known, args.name)
    except KeyError:
        names = ", ".join([*known, *(g for g in logs.GROUPS if any(n.startswith(g) for n in known))])
        print(f"local logs: no log named {args.name!r}; choose one of: {names}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(logs.show(chosen, max(0, args.n))))
    return EXIT_OK


RUNNERS: dict[str, Callable[[LocalEnv, argparse.Namespace], int]] = {
    "list": run_list,
    "failover": run_failover,
    "switchover": run_failover,
    "history": run_history,
    "pause": run_pause,
    "resume": run_resume,
    "logs": run_logs,
}


def _member_name(text: str) -> str:
    """argparse type of ``--to``: a member's name, never empty (an empty one meant the default)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "expected a member's name, e.g. db2 (`mysql-platform local list` names them)"
        )
    return text


def _line_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of lines, 1 or more; got {text!r}")
    return count
