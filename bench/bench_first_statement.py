"""Benchmark: time to the first statement, ``migrate`` against the ``mariadb`` client.

    .venv/bin/python -m bench.bench_first_statement [--repeat 11]

One fresh local environment (bench/mariadb_client.py reaches its writer), the server's general
log written to the table ``mysql.general_log``, whose ``event_time`` has microseconds and is
stamped when the server receives a command. Per round, alternating:

- the runner as a user runs it (``python -m mysql_platform.cli.main migrate migrate --outputs ... --sql-dir
  DIR``, what the ``mysql-platform`` console script runs; a new process: interpreter start,
  imports, reading the outputs and the files, TLS connect, history and lock) on a directory of
  one-statement files of which only the newest is pending (the everyday case: the history exists
  and a new file was added), that file being ``SELECT 'marker'``;
- ``mariadb ... -e "SELECT 'marker'"`` (same TLS options, the password in a 0600 option file).

Time to the first statement: from just before the process is spawned (``time.time()``) to the
``event_time`` of the marker (the same clock: one machine). Also each process's wall time, and
the commands the runner sent before the marker in the last round, each with the time since the
one before (each is one round trip; connecting and the TLS handshake come before the first and
are not logged).

The interpreter writes bytecode to a cache of its own (``PYTHONPYCACHEPREFIX``), as an installed
copy has it compiled; ``--no-bytecode`` measures with compiling on every start instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.bench_dump import REPO_ROOT, RUNNER, measure, python_env
from bench.mariadb_client import client_options, target
from mysql_platform.core.contract import StackOutputs
from mysql_platform.db import connection as db
from mysql_platform.local.env import start_fresh


@dataclass(frozen=True)
class Round:
    variant: str
    first_statement_s: float
    wall_s: float


def marker_time(outputs: StackOutputs, marker: str) -> tuple[float, int]:
    """The server's receipt time of the query holding ``marker`` (epoch seconds), and its thread."""
    with db.connection(target(outputs), db.Backoff(deadline_s=30)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT UNIX_TIMESTAMP(event_time), thread_id FROM mysql.general_log "
            "WHERE command_type = 'Query' AND argument LIKE %s ORDER BY event_time LIMIT 1",
            (f"%{marker}%",),
        )
        row = cur.fetchone()
    if row is None:
        raise RuntimeError(f"the general log holds no query with {marker!r}")
    return float(str(row[0])), int(str(row[1]))


def commands_before(outputs: StackOutputs, thread_id: int, marker: str) -> list[str]:
    """The commands the thread sent up to the marker, in order: one line each."""
    with db.connection(target(outputs), db.Backoff(deadline_s=30)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT command_type, CONVERT(argument USING utf8mb4), TIMESTAMPDIFF(MICROSECOND, "
            "LAG(event_time) OVER (ORDER BY event_time), event_time) FROM mysql.general_log "
            "WHERE thread_id = %s ORDER BY event_time",
            (thread_id,),
        )
        lines = []
        for kind, argument, gap_us in cur.fetchall():
            text = " ".join(str(argument).split())
            since = "" if gap_us is None else f"+{int(str(gap_us)) / 1000:.1f} ms "
            lines.append(f"{since}{kind}: {text[:130]}")
            if marker in text:
                break
    return lines


def run_round(
    variant: str, i: int, outputs: StackOutputs, outputs_path: Path, sql_dir: Path, src: Path
) -> Round:
    marker = f"first-statement-{variant}-{i}"
    if variant == "runner":
        # Version i + 2: the warm-up applied V001, the earlier rounds the ones between.
        (sql_dir / f"V{i + 2:03d}__round_{i}.sql").write_text(f"SELECT '{marker}';\n")
        argv = [*RUNNER, "--outputs", str(outputs_path), "--sql-dir", str(sql_dir)]
        started = time.time()
        code, wall, _rss, _out, err = measure(argv, cwd=src)
    else:
        with client_options(outputs) as opts:
            argv = ["mariadb", *opts, "-e", f"SELECT '{marker}'"]
            started = time.time()
            code, wall, _rss, _out, err = measure(argv)
    if code != 0:
        raise RuntimeError(f"{variant} exited {code}: {err.strip()[-2000:]}")
    received, _thread = marker_time(outputs, marker)
    return Round(variant, received - started, wall)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--repeat", type=int, default=11, help="rounds of each (the medians are quoted)")
    p.add_argument("--no-bytecode", action="store_true", help="compile the sources on every start")
    p.add_argument(
        "--only-env-ca", action="store_true",
        help="SSL_CERT_FILE=/dev/null: what the runner would take if the connector did not load the "
        "system CA bundle (twice) on connect, which it does beside the outputs' CA",
    )  # fmt: skip
    p.add_argument(
        "--runner-src", type=Path, default=REPO_ROOT,
        help="run the runner from this directory, e.g. another commit's "
        "`git archive COMMIT scripts mysql_platform.core | tar -x -C DIR`; default: this checkout",
    )  # fmt: skip
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-first-", dir="/tmp") as tmp:
        work = Path(tmp)
        python_env(work, bytecode=not args.no_bytecode)
        if args.only_env_ca:
            os.environ["SSL_CERT_FILE"] = os.devnull  # inherited by the runner's processes
        env = start_fresh(work / "env")
        try:
            outputs = env.up()
            # As the OS-authenticated root over the unix socket: the admin user has no SUPER (as on RDS).
            primary = env.servers.name_of("primary")
            env.servers.root_sql(primary, "SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1;")
            sql_dir = work / "sql"
            sql_dir.mkdir()
            (sql_dir / "V001__warm_up.sql").write_text("SELECT 'warm-up';\n")
            # Warm-up: creates the history, fills the page cache and the bytecode cache.
            src = args.runner_src.resolve()
            run_round("client", -1, outputs, env.outputs_path, sql_dir, src)
            measure([*RUNNER, "--outputs", str(env.outputs_path), "--sql-dir", str(sql_dir)], cwd=src)
            rounds = []
            for i in range(args.repeat):
                order = ("runner", "client") if i % 2 == 0 else ("client", "runner")
                for variant in order:
                    rounds.append(run_round(variant, i, outputs, env.outputs_path, sql_dir, src))
            last = args.repeat - 1
            _t, thread = marker_time(outputs, f"first-statement-runner-{last}")
            sent = commands_before(outputs, thread, f"first-statement-runner-{last}")
        finally:
            env.down(purge=True)
    report(rounds, sent, args)
    return 0


def report(rounds: list[Round], sent: list[str], args: argparse.Namespace) -> None:
    cache = "compiled on every start" if args.no_bytecode else "bytecode cached"
    if args.only_env_ca:
        cache += ", SSL_CERT_FILE=/dev/null (no system CA bundle)"
    print(f"runner from {args.runner_src.resolve()}")
    print(f"{args.repeat} rounds each, alternating; Python {sys.version.split()[0]}, {cache}")
    print(f"{'':8} {'first statement ms (min/median/max)':>38} {'process wall ms (median)':>26}")
    medians = {}
    for variant in ("runner", "client"):
        mine = [r for r in rounds if r.variant == variant]
        first = sorted(r.first_statement_s * 1000 for r in mine)
        wall = statistics.median(r.wall_s * 1000 for r in mine)
        medians[variant] = statistics.median(first)
        spread = f"{first[0]:.0f} / {medians[variant]:.0f} / {first[-1]:.0f}"
        print(f"{variant:8} {spread:>38} {wall:>26.0f}")
    runner = [r for r in rounds if r.variant == "runner"]
    client = [r for r in rounds if r.variant == "client"]
    ratios = [a.first_statement_s / b.first_statement_s for a, b in zip(runner, client, strict=True)]
    ratio = statistics.median(ratios)
    print(f"ratio runner/client, time to first statement (median of per-round ratios): {ratio:.2f}")
    print(f"the runner's commands up to its first statement ({len(sent) - 2} before it, each a round trip):")
    for line in sent:
        print(f"  {line}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
