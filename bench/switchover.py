"""Planned switchover on the local environment: how long writes stop, as an outside client sees it.

    .venv/bin/python -m bench.switchover [--switchovers 10] [--semi-sync] [--auto] \\
        [--write-results bench/RESULTS.md]

One client process INSERTs continuously through HAProxy's writer port (reconnecting 2 ms after any
error, as ``auto_drills.switchover_block`` does) while this process runs ``LocalEnv.failover()``
with both servers up, back and forth. Per switchover: the write gap (the longest gap between two
acknowledged writes around it), how long ``failover()`` took, and at the end the acknowledged
writes the final primary lacks (lost). ``--auto``: the environment runs its agents too
(``up --auto-failover``), as when a person runs ``local failover`` beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import multiprocessing
import os
import queue
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mysql.connector import errors

from bench.results_file import replace_section
from mysql_platform.cli import local as local_cli
from mysql_platform.local.env import LocalEnv

RESULTS_NAME = "switchover"
RECONNECT_S = 0.002


@dataclass(frozen=True)
class Switchover:
    gap_s: float  # the longest gap between acknowledged writes around it
    failover_s: float  # how long failover() took (the command's own time)

    def line(self) -> str:
        return f"write gap {self.gap_s * 1000:6.1f} ms   failover() {self.failover_s * 1000:6.1f} ms"


def _client(state_dir: str, system_cas: bool, ready: Any, stop: Any, out: Any) -> None:
    """INSERT seq 1, 2, ... through the writer port until told to stop; a process of its own, so
    that it does not share an interpreter (and a GIL) with the switchover. ``system_cas``: as a
    default mysql-connector client, which loads the system CA bundle on every connect (twice);
    otherwise it trusts only the environment's CA, and reconnects fast."""
    if system_cas:
        os.environ.pop("SSL_CERT_FILE", None)
    else:
        os.environ["SSL_CERT_FILE"] = os.devnull
    env = LocalEnv(Path(state_dir))
    acks: list[tuple[int, float]] = []
    conn: Any = None
    for seq in itertools.count(1):
        if stop.is_set():
            break
        try:
            if conn is None:
                conn = env.connect("writer", connection_timeout=1)
            with contextlib.closing(conn.cursor()) as cur:
                cur.execute("INSERT INTO bench_switch.w (seq) VALUES (%s)", (seq,))
            acks.append((seq, time.monotonic()))
            ready.set()
        except errors.Error:
            with contextlib.suppress(Exception):
                conn.close()
            conn = None
            time.sleep(RECONNECT_S)
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()
    out.put(acks)


def _gap(acks: list[float], started: float, until: float) -> float:
    around = [t for t in acks if started - 0.1 <= t <= until]
    return max(b - a for a, b in itertools.pairwise(around)) if len(around) > 1 else float("inf")


def run(
    env: LocalEnv, switchovers: int, *, settle_s: float = 0.4, system_cas: bool = False
) -> tuple[list[Switchover], int, int]:
    """``switchovers`` planned failovers under writes; the results, acknowledged writes, lost ones."""
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS bench_switch")
        cur.execute("CREATE TABLE IF NOT EXISTS bench_switch.w (seq INT PRIMARY KEY)")
    ctx = multiprocessing.get_context("spawn")
    ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    proc = ctx.Process(
        target=_client, args=(str(env.state_dir), system_cas, ready, stop, out), name="switch-client"
    )
    proc.start()
    windows: list[tuple[float, float]] = []
    acks: list[tuple[int, float]] = []
    try:
        if not ready.wait(30):
            raise RuntimeError("the client could not write through the writer port")
        time.sleep(settle_s)
        for _ in range(switchovers):
            started = time.monotonic()
            env.failover()
            windows.append((started, time.monotonic()))
            time.sleep(settle_s)
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            acks = out.get(timeout=30)
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    times = [t for _, t in acks]
    # Each window ends halfway to the next switchover (writes have long resumed by then).
    results = [Switchover(_gap(times, a, b + settle_s / 2), b - a) for a, b in windows]
    with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("SELECT seq FROM bench_switch.w")
        present = {row[0] for row in cur.fetchall()}
    lost = sum(1 for seq, _ in acks if seq not in present)
    return results, len(acks), lost


def _fresh(path: Path, *, semi_sync: bool, auto: bool) -> LocalEnv:
    if not auto:
        env = LocalEnv(path, semi_sync=semi_sync)
        env.up()
        return env
    argv = ["--state-dir", str(path), "up", "--auto-failover", *(["--semi-sync"] if semi_sync else [])]
    with contextlib.redirect_stdout(io.StringIO()):
        code = local_cli.main(argv)
    if code != 0:
        LocalEnv(path).down(purge=True)
        raise SystemExit(f"local up --auto-failover failed ({code})")
    return LocalEnv(path, semi_sync=semi_sync)


def summary(label: str, results: list[Switchover], acked: int, lost: int) -> str:
    gaps = [r.gap_s * 1000 for r in results]
    took = [r.failover_s * 1000 for r in results]
    return (
        f"| {label} | {len(results)} | {statistics.median(gaps):.0f} / {min(gaps):.0f} / {max(gaps):.0f} "
        f"| {statistics.median(took):.0f} / {min(took):.0f} / {max(took):.0f} | {lost} of {acked} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.switchover", description=__doc__.split("\n")[0])
    parser.add_argument("--switchovers", type=int, default=10, help="planned failovers to run (10)")
    parser.add_argument("--semi-sync", action="store_true", help="semi-synchronous replication")
    parser.add_argument("--auto", action="store_true", help="with etcd and the agents (up --auto-failover)")
    parser.add_argument(
        "--system-cas",
        action="store_true",
        help="the client loads the system CA bundle on every connect, as a default mysql-connector client",
    )
    parser.add_argument("--write-results", type=Path, help="update this RESULTS.md with a section of our own")
    args = parser.parse_args(argv)
    os.environ["SSL_CERT_FILE"] = os.devnull
    label = (
        f"{'semi-sync' if args.semi_sync else 'async'}{', agents' if args.auto else ''}"
        f"{', client with system CAs' if args.system_cas else ''}"
    )
    with tempfile.TemporaryDirectory(prefix="switch-") as tmp:
        env = _fresh(Path(tmp) / "env", semi_sync=args.semi_sync, auto=args.auto)
        try:
            results, acked, lost = run(env, args.switchovers, system_cas=args.system_cas)
        finally:
            env.down(purge=True)
    for n, result in enumerate(results, 1):
        print(f"switchover {n:2}: {result.line()}")
    header = [
        "| mode | switchovers | write gap ms (median / min / max) | failover() ms (median / min / max) "
        "| acked writes lost |",
        "|---|---|---|---|---|",
    ]
    line = summary(label, results, acked, lost)
    print("\n".join([*header, line]))
    if args.write_results:
        replace_section(
            args.write_results,
            f"{RESULTS_NAME}-{label.replace(', ', '-').replace(' ', '-')}",
            [
                f"## Planned switchover, {label} (`bench/switchover.py`)",
                "",
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs (load average "
                f"{os.getloadavg()[0]:.1f} at the end). One client process INSERTs through HAProxy's writer "
                "port, reconnecting 2 ms after an error (trusting only the environment's CA, unless the mode "
                "says the system CAs too); `LocalEnv.failover()` runs with both servers up. "
                "Write gap: the longest gap between acknowledged writes around a switchover.",
                "",
                *header,
                line,
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
