"""Failover drill on the local environment: kill the primary under write load, fail over, count the damage.

    .venv/bin/python -m bench.failover_drill [--rounds 5] [--clients 1 8] [--write-results bench/RESULTS.md]

Each round starts a fresh environment (async, then semi-sync) and client
processes that write continuously through HAProxy's writer port, reconnecting
with a short backoff on errors (2013/2003...) as an application must. The
primary is SIGKILLed; as soon as HAProxy has marked it down (detection),
``LocalEnv.failover()`` runs (the replica drains its relay log, is promoted and
HAProxy is repointed through its runtime API); the clients keep writing for a
while, then what they were told was committed is compared with what the new
primary holds.

Reported per round:
- downtime: last acknowledged write before the failure -> first one after the failover;
- detect / promote: kill -> HAProxy marks the primary down; failover() duration;
- lost: writes acknowledged to a client that the new primary does not have;
- ambiguous: writes whose outcome the client never learnt (connection cut mid-commit).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.results_file import replace_section
from mysql_platform import router
from mysql_platform.cli import local as local_cli
from mysql_platform.local import auto_drills
from mysql_platform.local.drill import DrillResult, run_drill
from mysql_platform.local.env import LocalEnv

RESULTS_NAME = "failover-drill"


def _summary(results: list[DrillResult]) -> list[str]:
    lines = [
        "| mode | clients | client trust store | rounds | write downtime ms (median / max) "
        "| detect ms (median) | promote ms (median) | acked writes lost (total) | ambiguous (committed) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups = sorted({(r.trust, r.clients, r.mode) for r in results})
    for trust, clients, mode in groups:
        rs = [r for r in results if (r.trust, r.clients, r.mode) == (trust, clients, mode)]
        down = [r.downtime_s * 1000 for r in rs]
        lines.append(
            f"| {mode} | {clients} | {trust} | {len(rs)} | {statistics.median(down):.0f} / {max(down):.0f} "
            f"| {statistics.median(r.detect_s * 1000 for r in rs):.0f} "
            f"| {statistics.median(r.promote_s * 1000 for r in rs):.0f} "
            f"| {sum(r.lost_acked for r in rs)} of {sum(r.acked_before_kill for r in rs)} "
            f"| {sum(r.ambiguous for r in rs)} ({sum(r.ambiguous_committed for r in rs)}) |"
        )
    return lines


def _write_results(path: Path, results: list[DrillResult]) -> None:
    """Replace only our own section of RESULTS.md (other benchmarks write theirs)."""
    replace_section(
        path,
        RESULTS_NAME,
        [
            "## Local failover drill (`bench/failover_drill.py`)",
            "",
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs "
            f"(load average {os.getloadavg()[0]:.1f} at the end). Client processes write "
            "continuously through HAProxy's writer port (reconnecting on errors), the primary is "
            "SIGKILLed, HAProxy marks it down (detect), `LocalEnv.failover()` drains the replica's "
            "relay log, promotes it and repoints HAProxy through its runtime API (promote). "
            "Downtime: last acknowledged write before the failure to the first one after. "
            "Lost: acknowledged, yet absent from the new primary. Ambiguous: the connection was cut "
            "mid-commit, so the client never learnt the outcome (committed: found on the new primary).",
            "",
            *_summary(results),
            "",
            "Reading it: async replication can lose writes the client was told were committed (the "
            "primary acknowledges before the replica has received them); semi-sync with "
            "`rpl_semi_sync_master_wait_point=AFTER_SYNC` acknowledges only once the replica has the "
            "transaction, and the promotion applies the replica's whole relay log first, so none is "
            "lost. Ambiguous writes exist in both modes: a connection cut mid-commit leaves the "
            "outcome unknown, so a client retrying must make its writes idempotent. Detection is "
            "HAProxy's `observe layer4` (first failed connection), promotion is the local "
            "`failover()`; the rest of the downtime is the clients' reconnect (backoff 2-20 ms "
            "and a TLS handshake; the 'system+env CA' rows show mysql-connector loading the "
            "system CA bundle on every connect, about +95 ms per reconnect). A former primary "
            "that lost writes refuses to rejoin (GTID error 1236) and is reported, not silently resynced.",
            "",
            "Per round:",
            "",
            "```",
            *(r.line() for r in results),
            "```",
        ],
    )


def _write_auto_results(path: Path, results: list[DrillResult], lines: list[str], ttl_s: int) -> None:
    replace_section(
        path,
        "failover-drill-auto",
        [
            "## Local automatic failover (`bench/failover_drill.py --auto`)",
            "",
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs; one etcd member, "
            f"leader lease {ttl_s} s, agents polling every 50 ms. One client writes continuously through "
            "HAProxy's writer port and the primary is SIGKILLed; nobody runs a command. Lease expiry: the "
            "kill until the winning agent saw the leader key gone; election+promotion: until it had "
            "promoted its server, repointed HAProxy and rewritten outputs.json; routing: until the "
            "client's next acknowledged write. The other columns: a planned `failover()` under writes "
            "(the longest gap between acknowledged writes), a primary SIGSTOPped with clients connected "
            "that each sent it one INSERT (`bench/hang_drill.py` has the full drill), and every etcd "
            "member killed for 3 leases (promotions, and whether the primary refused writes "
            "meanwhile), and two replicas with one held back (its SQL thread stopped) when the "
            "primary is killed.",
            "",
            *lines,
            "",
            "Per trial:",
            "",
            "```",
            *(r.line() for r in results),
            "```",
        ],
    )


def _auto_env(path: Path, *, semi_sync: bool, ttl_s: int, replicas: int = 1) -> LocalEnv:
    """A fresh environment with its agents, as `local up --auto-failover` makes it."""
    argv = [
        "--state-dir",
        str(path),
        "up",
        "--auto-failover",
        "--lease-ttl",
        str(ttl_s),
        "--replicas",
        str(replicas),
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        code = local_cli.main(argv + (["--semi-sync"] if semi_sync else []))
    if code != 0:
        LocalEnv(path).down(purge=True)
        raise SystemExit(f"local up --auto-failover failed ({code})")
    return LocalEnv(path, semi_sync=semi_sync)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _auto_summary(results: list[DrillResult], extras: dict[str, list[str]]) -> list[str]:
    lines = [
        "| mode | trials | write downtime ms p50 / p95 / max | lease expiry ms (p50) "
        "| election+promotion ms (p50) | routing ms (p50) | acked writes lost "
        "| planned switchover: writes blocked ms (max) | hung primary, writes queued on it: acked / lost "
        "| etcd down: promoted / primary fenced | two replicas: the advanced one won / the other followed |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mode in ("async", "semi-sync"):
        rs = [r for r in results if r.mode == mode]
        if not rs:
            continue
        down = [r.downtime_s * 1000 for r in rs]
        lines.append(
            f"| {mode} | {len(rs)} "
            f"| {_percentile(down, 0.5):.0f} / {_percentile(down, 0.95):.0f} / {max(down):.0f} "
            f"| {statistics.median(r.detect_s * 1000 for r in rs):.0f} "
            f"| {statistics.median(r.promote_s * 1000 for r in rs):.0f} "
            f"| {statistics.median(r.routing_s * 1000 for r in rs):.0f} "
            f"| {sum(r.lost_acked for r in rs)} of {sum(r.acked_before_kill for r in rs)} | "
            + " | ".join(extras[mode])
            + " |"
        )
    return lines


def router_over(env: LocalEnv) -> Callable[[], router.Router]:
    """One more client of the hang drill: a router over the environment's outputs."""
    return lambda: router.connect(env.outputs_path, user="admin", password=env.admin_password)


def run_auto(trials: int, ttl_s: int, tmp: Path) -> tuple[list[DrillResult], dict[str, list[str]]]:
    results: list[DrillResult] = []
    extras: dict[str, list[str]] = {}
    for semi_sync in (False, True):
        mode = "semi-sync" if semi_sync else "async"
        for n in range(trials):
            env = _auto_env(tmp / f"auto-{mode}-{n}", semi_sync=semi_sync, ttl_s=ttl_s)
            try:
                result = run_drill(env, auto=True, detect_timeout_s=15)
            finally:
                env.down(purge=True)
            print(result.line(), flush=True)
            results.append(result)
        twos = []
        for n in range(3):
            env = _auto_env(tmp / f"two-{mode}-{n}", semi_sync=semi_sync, ttl_s=ttl_s, replicas=2)
            try:
                twos.append(auto_drills.two_replicas_drill(env))
            finally:
                env.down(purge=True)
            print(f"auto {mode}: two replicas: {twos[-1]}")
        blocks, stalls, outages = [], [], []
        for n in range(3):
            env = _auto_env(tmp / f"drills-{mode}-{n}", semi_sync=semi_sync, ttl_s=ttl_s)
            try:
                blocks.append(auto_drills.switchover_block(env))
                stalls.append(auto_drills.hang_drill(env, pause_agent=False, open_router=router_over(env)))
                outages.append(auto_drills.etcd_outage_drill(env, outage_s=3 * ttl_s))
            finally:
                env.down(purge=True)
            print(f"auto {mode}: switchover blocked {blocks[-1] * 1000:.0f} ms; {stalls[-1]}; {outages[-1]}")
        extras[mode] = [
            f"{max(blocks) * 1000:.0f}",
            f"{sum(s.acked for s in stalls)} / {sum(s.lost for s in stalls)} "
            f"of {sum(s.sent for s in stalls)} (rejoined {sum(s.rejoined for s in stalls)} of {len(stalls)})",
            f"{sum(o.promoted for o in outages)} / {sum(o.primary_fenced for o in outages)} "
            f"of {len(outages)}",
            f"{sum(t.winner == t.expected for t in twos)} / {sum(t.follower_caught_up for t in twos)} "
            f"of {len(twos)}",
        ]
    return results, extras


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.failover_drill", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds per mode and client count (default 5)")
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[1, 8], help="client process counts to run (default: 1 8)"
    )
    parser.add_argument(
        "--system-cas-rounds",
        type=int,
        default=0,
        help="extra rounds (1 client) whose clients also load the system CA bundle on every connect",
    )
    parser.add_argument("--write-results", type=Path, help="update this RESULTS.md with a section of our own")
    parser.add_argument(
        "--auto",
        action="store_true",
        help="the automatic failover (etcd lease, agents) instead of failover()",
    )
    parser.add_argument("--trials", type=int, default=20, help="--auto: kill drills per mode (default 20)")
    parser.add_argument("--lease-ttl", type=int, default=1, help="--auto: the leader lease, s (default 1)")
    args = parser.parse_args(argv)
    if args.auto:
        os.environ["SSL_CERT_FILE"] = os.devnull
        with tempfile.TemporaryDirectory(prefix="drill-") as tmp:
            auto_results, extras = run_auto(args.trials, args.lease_ttl, Path(tmp))
        lines = _auto_summary(auto_results, extras)
        print("\n".join(lines))
        if args.write_results:
            _write_auto_results(args.write_results, auto_results, lines, args.lease_ttl)
        return 0
    # This process connects too (setup, checks): trust only the environment's CA.
    os.environ["SSL_CERT_FILE"] = os.devnull
    plan = [(clients, False) for clients in args.clients for _ in range(args.rounds)]
    plan += [(1, True)] * args.system_cas_rounds
    results: list[DrillResult] = []
    with tempfile.TemporaryDirectory(prefix="drill-") as tmp:
        for n, (clients, system_cas) in enumerate(plan):
            for semi_sync in (False, True):
                env = LocalEnv(Path(tmp) / f"{n}-{'semi' if semi_sync else 'async'}", semi_sync=semi_sync)
                try:
                    env.up()
                    result = run_drill(env, clients=clients, system_cas=system_cas)
                finally:
                    env.down(purge=True)
                print(result.line(), flush=True)
                results.append(result)
    print("\n".join(_summary(results)))
    if args.write_results:
        _write_results(args.write_results, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
