"""No false failover under stress: both cores busy and the primary's disk stalled, for minutes.

    .venv/bin/python -m bench.stress_drill [--minutes 10] [--lease-ttl 1] [--stall-every 60]
        [--stall-s 5] [--write-results bench/RESULTS.md]

Root only (it mounts a loop device). The primary's server directory (datadir, binlogs, error
log) lives on an ext4 file system of its own on a loop device, so that ``fsfreeze`` stalls every
write to it, as a saturated or failing EBS volume would, while etcd and the replica keep their
disks. Meanwhile one CPU hog per core runs at the agents' priority and a client writes through
HAProxy's writer port without pause. Reported: promotions (each one a false failover: the
primary never failed), fences the watchdog set, and the longest gap between acknowledged writes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import multiprocessing
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results_file import replace_section
from mysql_platform.cli import local as local_cli
from mysql_platform.local import autofailover
from mysql_platform.local.env import LocalEnv


@dataclass(frozen=True)
class StressResult:
    lease_ttl_s: int
    minutes: float
    stalls: int
    stall_s: float
    promotions: int
    fences: int
    kills: int
    longest_write_gap_s: float
    acked_writes: int

    def line(self) -> str:
        return (
            f"lease {self.lease_ttl_s} s, {self.minutes:g} min, {self.stalls} stalls of {self.stall_s:g} s: "
            f"promotions {self.promotions}, fences {self.fences}, kills {self.kills}, "
            f"longest write gap {self.longest_write_gap_s:.2f} s, {self.acked_writes} writes acked"
        )


def _hog(stop: Any) -> None:
    while not stop.is_set():
        for _ in range(100_000):
            pass


@contextlib.contextmanager
def _busy_cores() -> Iterator[None]:
    stop = multiprocessing.Event()
    hogs = [
        multiprocessing.Process(target=_hog, args=(stop,), daemon=True) for _ in range(os.cpu_count() or 2)
    ]
    for hog in hogs:
        hog.start()
    try:
        yield
    finally:
        stop.set()
        for hog in hogs:
            hog.join(5)
            if hog.is_alive():
                hog.kill()


@contextlib.contextmanager
def _own_disk(mountpoint: Path, size_mb: int = 512) -> Iterator[None]:
    mountpoint.parent.mkdir(parents=True, exist_ok=True)
    image = mountpoint.parent.parent / f"{mountpoint.name}.img"
    subprocess.run(["truncate", "-s", f"{size_mb}M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
    mountpoint.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)], check=True)
    try:
        yield
    finally:
        subprocess.run(["fsfreeze", "-u", str(mountpoint)], check=False, capture_output=True)
        for _ in range(50):
            if subprocess.run(["umount", str(mountpoint)], check=False, capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        image.unlink(missing_ok=True)


def _writer(env: LocalEnv, stop: threading.Event, acks: list[float]) -> None:
    conn: Any = None
    while not stop.is_set():
        try:
            if conn is None:
                conn = env.connect("writer", connection_timeout=30)
            with contextlib.closing(conn.cursor()) as cur:
                cur.execute("INSERT INTO drill.stress () VALUES ()")
            acks.append(time.monotonic())
        except Exception:
            with contextlib.suppress(Exception):
                conn.close()
            conn = None
            time.sleep(0.01)
    with contextlib.suppress(Exception):
        conn.close()


def _count(pattern: str, logs: list[Path]) -> int:
    regex = re.compile(pattern)
    return sum(len(regex.findall(p.read_text(errors="replace"))) for p in logs if p.is_file())


def run(state_dir: Path, *, minutes: float, ttl_s: int, stall_every_s: float, stall_s: float) -> StressResult:
    with _own_disk(state_dir / "db1"):
        argv = ["--state-dir", str(state_dir), "up", "--auto-failover", "--lease-ttl", str(ttl_s)]
        with contextlib.redirect_stdout(io.StringIO()):
            if local_cli.main(argv) != 0:
                raise SystemExit("local up --auto-failover failed")
        env = LocalEnv(state_dir)
        try:
            with contextlib.closing(env.connect("writer")) as conn, contextlib.closing(conn.cursor()) as cur:
                cur.execute("CREATE DATABASE IF NOT EXISTS drill")
                cur.execute("CREATE TABLE drill.stress (id BIGINT AUTO_INCREMENT PRIMARY KEY)")
            before = env.store.load().failovers  # type: ignore[union-attr]
            acks: list[float] = []
            stop = threading.Event()
            writer = threading.Thread(target=_writer, args=(env, stop, acks), daemon=True)
            stalls = 0
            with _busy_cores():
                writer.start()
                started = time.monotonic()
                next_stall = started + min(stall_every_s, 30.0)
                while time.monotonic() - started < minutes * 60:
                    if time.monotonic() >= next_stall:
                        subprocess.run(["fsfreeze", "-f", str(state_dir / "db1")], check=True)
                        time.sleep(stall_s)
                        subprocess.run(["fsfreeze", "-u", str(state_dir / "db1")], check=True)
                        stalls += 1
                        next_stall += stall_every_s
                    time.sleep(0.1)
                stop.set()
                writer.join(60)
            promotions = env.store.load().failovers - before  # type: ignore[union-attr]
            logs = sorted(autofailover.agent_dir(state_dir).glob("*.log"))
            gaps = [b - a for a, b in itertools.pairwise(acks)]
            return StressResult(
                lease_ttl_s=ttl_s,
                minutes=minutes,
                stalls=stalls,
                stall_s=stall_s,
                promotions=promotions,
                fences=_count(r"fencing db\d", logs),
                kills=_count(r"killing db\d", logs),
                longest_write_gap_s=max(gaps, default=float("inf")),
                acked_writes=len(acks),
            )
        finally:
            env.down()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stress_drill", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--lease-ttl", type=int, nargs="+", default=[1], help="one run per lease TTL (s)")
    parser.add_argument("--stall-every", type=float, default=60.0, help="s between disk stalls (60)")
    parser.add_argument("--stall-s", type=float, default=5.0, help="length of each disk stall (5)")
    parser.add_argument("--write-results", type=Path, metavar="RESULTS.md")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("needs root: it mounts a loop device and freezes it")
    results = []
    for ttl in args.lease_ttl:
        with tempfile.TemporaryDirectory(prefix="stress-") as tmp:
            result = run(
                Path(tmp) / "env", minutes=args.minutes, ttl_s=ttl, stall_every_s=args.stall_every,
                stall_s=args.stall_s,
            )  # fmt: skip
        print(result.line(), flush=True)
        results.append(result)
    if args.write_results:
        replace_section(
            args.write_results,
            f"stress-drill-{'-'.join(str(t) for t in args.lease_ttl)}",
            [
                f"## No false failover under stress (`bench/stress_drill.py --minutes {args.minutes:g}`)",
                "",
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs: one CPU hog "
                f"per core, a client writing through HAProxy without pause, and every {args.stall_every:g} s "
                f"the primary's disk frozen (fsfreeze) for {args.stall_s:g} s.",
                "",
                "| lease TTL s | minutes | disk stalls | promotions (false failovers) | watchdog fences | "
                "watchdog kills | longest write gap s |",
                "|---|---|---|---|---|---|---|",
                *(
                    f"| {r.lease_ttl_s} | {r.minutes:g} | {r.stalls} x {r.stall_s:g} s | {r.promotions} "
                    f"| {r.fences} | {r.kills} | {r.longest_write_gap_s:.2f} |"
                    for r in results
                ),
            ],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
