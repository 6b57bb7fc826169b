"""Benchmark: the unit suite, whole process, against pytest's own floor for as many tests.

    .venv/bin/python -m bench.bench_unit_suite [--repeat 5] [--write]

Per round, alternating (so a drift in the machine's speed touches both alike):

- the suite as a developer runs it: ``python -m pytest tests/unit -q -p no:cacheprovider`` from
  the checkout, interpreter start, imports and collection included;
- the floor: the same interpreter and pytest, with the same installed plugins, running a
  generated suite of as many tests, each ``assert True``, in a scratch directory (no conftest).

It prints the medians (wall and CPU, the CPU of the finished child from the OS), the ratio of the
suite to the floor, and the floor per test: what a test costs before it does anything. The
figures are the machine's; ``--write`` puts them in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.results_file import replace_section

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTS_PER_FILE = 100
SUITE = [sys.executable, "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider"]


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


def collected(argv: Sequence[str]) -> int:
    """How many tests ``argv`` (a pytest command line) would run."""
    argv = [*argv, "--collect-only"]
    done = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    match = re.search(r"(\d+) tests? collected", done.stdout)
    if match is None:
        raise SystemExit(f"bench_unit_suite: no test count in pytest's output: {done.stdout[-300:]!r}")
    return int(match.group(1))


def write_floor(directory: Path, count: int) -> None:
    """``count`` tests that do nothing, :data:`TESTS_PER_FILE` to a file."""
    for first in range(0, count, TESTS_PER_FILE):
        tests = range(first, min(first + TESTS_PER_FILE, count))
        body = "".join(f"def test_{i}() -> None:\n    assert True\n\n\n" for i in tests)
        (directory / f"test_floor_{first // TESTS_PER_FILE:03d}.py").write_text(body)


def timed(argv: Sequence[str], cwd: Path) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"bench_unit_suite: {' '.join(argv)} failed:\n{done.stdout[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu)


def median(timings: list[Timing], field: str) -> float:
    return statistics.median(float(getattr(t, field)) for t in timings)


def report(count: int, suite: list[Timing], floor: list[Timing]) -> list[str]:
    ratio = statistics.median(s.wall_s / f.wall_s for s, f in zip(suite, floor, strict=True))
    return [
        f"{count} unit tests; medians of {len(suite)} whole-process runs, alternating",
        "",
        "| | wall s | CPU s |",
        "|---|---:|---:|",
        f"| `pytest tests/unit` | {median(suite, 'wall_s'):.2f} | {median(suite, 'cpu_s'):.2f} |",
        f"| floor: {count} empty tests | {median(floor, 'wall_s'):.2f} | {median(floor, 'cpu_s'):.2f} |",
        "",
        f"suite / floor (wall, pair by pair): {ratio:.2f}; "
        f"floor per test: {1000 * median(floor, 'wall_s') / count:.2f} ms",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_unit_suite", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="rounds, each one suite run and one floor run")
    parser.add_argument("--write", action="store_true", help="write the figures to bench/RESULTS.md")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat: got {args.repeat}; expected 1 or more")
    count = collected(SUITE)
    suite: list[Timing] = []
    floor: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="unit-floor-") as scratch:
        write_floor(Path(scratch), count)
        floor_argv = [sys.executable, "-m", "pytest", scratch, "-q", "-p", "no:cacheprovider"]
        timed(SUITE, REPO_ROOT)  # warm-up: bytecode caches and the page cache, not counted
        timed(floor_argv, Path(scratch))
        for _ in range(args.repeat):
            suite.append(timed(SUITE, REPO_ROOT))
            floor.append(timed(floor_argv, Path(scratch)))
    lines = report(count, suite, floor)
    print("\n".join(lines))
    if args.write:
        command = f"python -m bench.bench_unit_suite --repeat {args.repeat}"
        heading = f"## Unit suite against pytest's floor (`{command}`)"
        replace_section(REPO_ROOT / "bench" / "RESULTS.md", "unit-suite", [heading, "", *lines])
    return 0


if __name__ == "__main__":
    sys.exit(main())
