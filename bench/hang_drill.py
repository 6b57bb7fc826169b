"""Hang drill: a primary that stops answering while clients are connected to it.

    .venv/bin/python -m bench.hang_drill [--trials 20] [--lease-ttl 1] [--write-results bench/RESULTS.md]

Each trial starts a fresh environment with its agents (``local up --auto-failover``), opens
connections to the primary before anything happens (4 on its own port, as ``db.writer`` users
do; 4 through HAProxy's writer port; one router), SIGSTOPs the primary's mariadbd (and, for
"machine paused", its agent too, as a paused VM would be), sends one INSERT on each, waits for
the promotion, SIGCONTs, and then compares what the clients were told with what the new
primary holds. Then one ``local up`` must bring the old primary back as a replica.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.failover_drill import _auto_env, router_over
from bench.results_file import replace_section
from mysql_platform.local.auto_drills import HangResult, hang_drill

MODES = [(False, False), (True, False), (False, True), (True, True)]


def _label(semi_sync: bool, pause_agent: bool) -> tuple[str, str]:
    return ("semi-sync" if semi_sync else "async", "machine paused" if pause_agent else "server hung")


def _row(semi_sync: bool, pause_agent: bool, results: list[HangResult]) -> str:
    mode, pause = _label(semi_sync, pause_agent)
    failover = [r.failover_s * 1000 for r in results]
    return (
        f"| {mode} | {pause} | {len(results)} | {sum(r.sent for r in results)} "
        f"| {sum(r.acked for r in results)} | {sum(r.lost for r in results)} "
        f"| {sum(r.ambiguous for r in results)} ({sum(r.ambiguous_committed for r in results)}) "
        f"| {sum(r.old_primary_killed for r in results)} "
        f"| {statistics.median(failover):.0f} / {max(failover):.0f} "
        f"| {max(r.waited_max_s for r in results):.2f} | {sum(r.rejoined for r in results)} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hang_drill", description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials per mode (default 20)")
    parser.add_argument("--lease-ttl", type=int, default=1)
    parser.add_argument("--replication", choices=["async", "semi-sync", "both"], default="both")
    parser.add_argument(
        "--resume-after",
        type=float,
        metavar="S",
        help="SIGCONT after S seconds instead of after the promotion (a pause that ends mid-election)",
    )
    parser.add_argument("--write-results", type=Path, metavar="RESULTS.md")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="hang-") as tmp:
        for semi_sync, pause_agent in MODES:
            if args.replication != "both" and semi_sync != (args.replication == "semi-sync"):
                continue
            results = []
            for n in range(args.trials):
                env = _auto_env(
                    Path(tmp) / f"{semi_sync}-{pause_agent}-{n}", semi_sync=semi_sync, ttl_s=args.lease_ttl
                )
                try:
                    results.append(
                        hang_drill(
                            env,
                            pause_agent=pause_agent,
                            open_router=router_over(env),
                            resume_after_s=args.resume_after,
                        )
                    )
                finally:
                    env.down(purge=True)
                print(" ".join(_label(semi_sync, pause_agent)), results[-1], flush=True)
            rows.append(_row(semi_sync, pause_agent, results))
    table = [
        "| replication | what hangs | trials | INSERTs queued on it | acknowledged | acknowledged and lost "
        "| ambiguous (committed) | old primary killed | SIGSTOP to promotion ms p50 / max "
        "| longest client wait s | back as replica after one `up` |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    print("\n".join(table))
    if args.write_results:
        replace_section(
            args.write_results,
            "hang-drill"
            + (f"-{args.replication}" if args.replication != "both" else "")
            + (f"-resume-{args.resume_after:g}" if args.resume_after else ""),
            [
                "## Hung primary with clients connected (`bench/hang_drill.py"
                + (f" --resume-after {args.resume_after:g}" if args.resume_after else "")
                + "`)",
                "",
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs; one etcd "
                f"member, leader lease {args.lease_ttl} s. Per trial: 4 connections on the primary's own "
                "port, 4 through HAProxy and one router, all opened before the primary's mariadbd is "
                "SIGSTOPped (and its agent too, for a paused machine); one INSERT on each; SIGCONT "
                + (
                    f"{args.resume_after:g} s after the SIGSTOP"
                    if args.resume_after
                    else "after the promotion"
                )
                + ". Ambiguous: the client learnt no outcome (its connection was cut); "
                "committed: found on the new primary anyway. An acknowledged INSERT is one the router "
                "held back until it had found the new writer.",
                "",
                *table,
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
