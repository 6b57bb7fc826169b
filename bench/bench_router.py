"""What the read/write router costs per query, and how its clients ride through a failover.

    .venv/bin/python -m bench.bench_router [--runs 5] [--queries 2000] [--rounds 5]
        [--load quiet|busy|both] [--hogs N] [--write-results bench/RESULTS.md]

Overhead: one client thread, a fresh local environment (primary + 2 replicas, TLS), the
application user. Each scenario runs the same statements over a direct connection (made the
way the router makes its own: TLS verified against the environment's CA) and through the
router, alternately, ``--runs`` times ``--queries`` statements; per run the p50, p95 and p99
latency and the queries per second. Overhead: router minus direct of each run's percentile,
its median over the runs; the QPS ratio: router/direct of each run, its median. The A/A row
runs the direct read on both sides: its "overhead" is the noise floor of the figures.

Load: quiet (nothing else running), and busy: ``--hogs`` CPU hogs (a loop on ``os.getppid()``
processes, one per core by default, each in a session of its own like any other program on the
machine) started before the phase and killed after it; the load average is read at the end of
each phase.

Failover: per round a fresh environment (async, then semi-sync), one client thread writing a new
row and reading it back through the router (read-your-writes), the primary SIGKILLed and
``LocalEnv.failover()`` run at once, as in ``bench/failover_drill.py``. Downtime: the last
acknowledged write before the kill to the first after. Lost: acknowledged, yet absent from the
new primary. Ambiguous: the router raised AmbiguousWrite (committed: found on the new primary).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mysql.connector.connection import MySQLConnection

from bench.results_file import replace_section
from mysql_platform import router
from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.core.contract import Endpoint, Secret
from mysql_platform.core.outputs import from_json_file as load_outputs
from mysql_platform.db.connection import Target
from mysql_platform.local.env import LocalEnv
from mysql_platform.router import AmbiguousWrite, RouterSettings, WriteNotApplied
from mysql_platform.router.pool import connect_for_statements, cursor_for

RESULTS_NAME = "router"
_HOG = "import os\nwhile os.getppid() == {parent}: pass"
READ = "SELECT stock FROM products WHERE id = %s"
WRITE = "UPDATE products SET stock = %s WHERE id = %s"


def start(path: Path, *, replicas: int = 2, semi_sync: bool = False) -> LocalEnv:
    env = LocalEnv(path, replicas=replicas, semi_sync=semi_sync)
    env.up()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        if bootstrap_cli.main(["--outputs", str(env.outputs_path)]) != 0:
            raise RuntimeError("the bootstrap failed")
    return env


def app_password(env: LocalEnv) -> Secret:
    return Secret((env.state_dir / "local-app.password").read_text().strip())


def open_router(env: LocalEnv, settings: RouterSettings | None = None) -> router.Router:
    return router.connect(env.outputs_path, user="app", password=app_password(env), settings=settings)


def direct(env: LocalEnv, endpoint: Endpoint) -> MySQLConnection:
    outputs = load_outputs(env.outputs_path)
    target = Target(
        endpoint.host, endpoint.port, "app", app_password(env), outputs.ssl_ca, outputs.db.database
    )
    return connect_for_statements(target, 5.0, 30.0)


def run_sql(conn: MySQLConnection, sql: str, params: tuple[object, ...]) -> None:
    """The fastest direct use: one cursor for every statement, as the router does."""
    cur = cursor_for(conn)
    cur.execute(sql, params)
    if cur.description:
        cur.fetchall()


def run_sql_new_cursor(conn: MySQLConnection, sql: str, params: tuple[object, ...]) -> None:
    """The common direct use: a cursor per statement (the connector pings before each)."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        if cur.description:
            cur.fetchall()


# ----- overhead ---------------------------------------------------------------------------------


PERCENTILES = (50, 95, 99)


@dataclass
class Figures:
    # Per run: percentile -> latency in ms.
    ms: list[dict[int, float]] = field(default_factory=list)
    qps: list[float] = field(default_factory=list)

    def add(self, latencies: list[float], total_s: float) -> None:
        ordered = sorted(latencies)
        self.ms.append(
            {p: ordered[min(len(ordered) - 1, len(ordered) * p // 100)] * 1000 for p in PERCENTILES}
        )
        self.qps.append(len(latencies) / total_s)

    def median(self, p: int) -> float:
        return statistics.median(run[p] for run in self.ms)


def timed(step: Callable[[], None], n: int) -> tuple[list[float], float]:
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        step()
        latencies.append(time.perf_counter() - t)
    return latencies, time.perf_counter() - started


BLOCK = 50


def interleaved(
    a: Callable[[], None], b: Callable[[], None], n: int
) -> tuple[tuple[list[float], float], tuple[list[float], float]]:
    """``n`` statements of each, in alternate blocks of 50, so both see the same machine."""
    lat_a: list[float] = []
    lat_b: list[float] = []
    total_a = total_b = 0.0
    for _ in range(max(n // BLOCK, 1)):
        la, ta = timed(a, BLOCK)
        lb, tb = timed(b, BLOCK)
        lat_a += la
        lat_b += lb
        total_a += ta
        total_b += tb
    return (lat_a, total_a), (lat_b, total_b)


@dataclass
class Scenario:
    name: str
    direct: Callable[[], None]
    routed: Callable[[], None]
    a: Figures = field(default_factory=Figures)
    b: Figures = field(default_factory=Figures)
    ratios: list[float] = field(default_factory=list)

    def overhead_ms(self, p: int) -> float:
        """Router minus direct at percentile ``p``, per run (both measured in the same run), the median."""
        return statistics.median(b[p] - a[p] for a, b in zip(self.a.ms, self.b.ms, strict=True))

    def row(self, load: str) -> str:
        cells = " | ".join(f"{self.a.median(p):.3f} | {self.overhead_ms(p):+.3f}" for p in PERCENTILES)
        med = statistics.median
        return (
            f"| {load} | {self.name} | {cells} | {med(self.a.qps):,.0f} | {med(self.b.qps):,.0f} "
            f"| {med(self.ratios):.3f} |"
        )


@dataclass
class Phase:
    load: str
    hogs: int
    loadavg: tuple[float, float, float]
    scenarios: list[Scenario]

    def describe(self) -> str:
        what = "nothing else running" if not self.hogs else f"{self.hogs} CPU hogs"
        one, five, _ = self.loadavg
        return f"{self.load}: {what}, load average {one:.1f} (1 min) / {five:.1f} (5 min) at its end"


@contextlib.contextmanager
def cpu_hogs(n: int) -> Iterator[None]:
    """``n`` busy-looping processes, each in a session of its own, killed on the way out."""
    hogs = [
        # Each hog spins until its parent is gone, so a bench that is killed leaves no hog behind.
        subprocess.Popen([sys.executable, "-c", _HOG.format(parent=os.getpid())], start_new_session=True)
        for _ in range(n)
    ]
    try:
        time.sleep(2.0)  # every core busy before the first statement
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def overhead(env: LocalEnv, runs: int, queries: int, load: str) -> list[Scenario]:
    outputs = load_outputs(env.outputs_path)
    writer_conn = direct(env, outputs.db.writer)
    reader_conn = direct(env, outputs.db.readers[0])
    db = open_router(env)
    try:
        db.execute(
            "INSERT INTO products (sku, title, price_cents, stock) VALUES ('bench', 'bench', 1, 0) "
            "ON DUPLICATE KEY UPDATE stock = 0"
        )
        with db.writer() as conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM products WHERE sku = 'bench'")
            row = cur.fetchone()
        product = int(row[0])  # type: ignore[index, arg-type]
        plain, ryw = db.session(read_your_writes=False), db.session(read_your_writes=True)

        def value() -> int:
            return random.randrange(1 << 30)

        def direct_write_read() -> None:
            run_sql(writer_conn, WRITE, (value(), product))
            run_sql(reader_conn, READ, (product,))

        def routed_write_read() -> None:
            ryw.execute(WRITE, (value(), product))
            ryw.execute(READ, (product,))

        scenarios = [
            Scenario(
                "A/A: direct read on both sides (noise floor)",
                lambda: run_sql(reader_conn, READ, (product,)),
                lambda: run_sql(reader_conn, READ, (product,)),
            ),
            Scenario(
                "read, direct with a cursor per statement",
                lambda: run_sql_new_cursor(reader_conn, READ, (product,)),
                lambda: db.query(READ, (product,)),
            ),
            Scenario(
                "read (replica)",
                lambda: run_sql(reader_conn, READ, (product,)),
                lambda: db.query(READ, (product,)),
            ),
            Scenario(
                "write, read-your-writes off",
                lambda: run_sql(writer_conn, WRITE, (value(), product)),
                lambda: plain.execute(WRITE, (value(), product)) and None,
            ),
            Scenario(
                "write, read-your-writes on",
                lambda: run_sql(writer_conn, WRITE, (value(), product)),
                lambda: ryw.execute(WRITE, (value(), product)) and None,
            ),
            Scenario("write then read it back", direct_write_read, routed_write_read),
        ]
        for scenario in scenarios:
            timed(scenario.direct, queries // 10)  # warm-up: pools filled, statements cached
            timed(scenario.routed, queries // 10)
            for _ in range(runs):
                (lat_a, total_a), (lat_b, total_b) = interleaved(scenario.direct, scenario.routed, queries)
                scenario.a.add(lat_a, total_a)
                scenario.b.add(lat_b, total_b)
                scenario.ratios.append(scenario.b.qps[-1] / scenario.a.qps[-1])
            print(scenario.row(load), flush=True)
        return scenarios
    finally:
        db.close()
        writer_conn.close()
        reader_conn.close()


# ----- failover ---------------------------------------------------------------------------------


@dataclass
class Round:
    mode: str
    downtime_s: float
    acked: int
    lost: int
    ambiguous: int
    ambiguous_committed: int
    not_applied: int
    stale: int

    def line(self) -> str:
        return (
            f"{self.mode:<9} downtime {self.downtime_s * 1000:7.1f} ms  acked {self.acked:5d}  "
            f"lost {self.lost}  "
            f"ambiguous {self.ambiguous} ({self.ambiguous_committed} committed)  "
            f"not applied {self.not_applied}  stale reads {self.stale}"
        )


@dataclass
class Client:
    db: router.Router
    stop: threading.Event = field(default_factory=threading.Event)
    acked: list[tuple[float, str]] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    not_applied: int = 0
    # Reads that missed the row just written: stale if the row exists afterwards, else it was lost.
    missed: list[str] = field(default_factory=list)

    def run(self) -> None:
        session = self.db.session(read_your_writes=True)
        n = 0
        while not self.stop.is_set():
            n += 1
            email = f"bench-{n}@example.com"
            try:
                session.execute("INSERT INTO customers (email, display_name) VALUES (%s, 'bench')", (email,))
            except AmbiguousWrite:
                self.ambiguous.append(email)
                continue
            except WriteNotApplied:
                self.not_applied += 1
                continue
            self.acked.append((time.monotonic(), email))
            if session.query("SELECT 1 FROM customers WHERE email = %s", (email,)) != [(1,)]:
                self.missed.append(email)


def failover_round(path: Path, semi_sync: bool) -> Round:
    env = start(path, replicas=1, semi_sync=semi_sync)
    try:
        with open_router(env, RouterSettings(writer_wait_s=20.0)) as db:
            client = Client(db)
            worker = threading.Thread(target=client.run, daemon=True)
            worker.start()
            while len(client.acked) < 300:
                time.sleep(0.01)
            env.kill("primary")  # returns once the process has exited
            dead = time.monotonic()
            env.failover()
            while not client.acked or client.acked[-1][0] < dead or len(client.acked) < 600:
                time.sleep(0.01)
            client.stop.set()
            worker.join(timeout=10)
            before = max(t for t, _ in client.acked if t < dead)
            after = min(t for t, _ in client.acked if t > dead)

            def present(email: str) -> bool:
                return db.execute("SELECT 1 FROM customers WHERE email = %s FOR UPDATE", (email,)).rows == [
                    (1,)
                ]

            lost = sum(not present(e) for _, e in client.acked)
            committed = sum(present(e) for e in client.ambiguous)
            stale = sum(present(e) for e in client.missed)
    finally:
        env.down(purge=True)
    return Round(
        "semi-sync" if semi_sync else "async", after - before, len(client.acked), lost,
        len(client.ambiguous), committed, client.not_applied, stale,
    )  # fmt: skip


# ----- report -----------------------------------------------------------------------------------

OVERHEAD_HEADER = [
    "| load | scenario | direct p50 ms | p50 overhead ms | direct p95 ms | p95 overhead ms "
    "| direct p99 ms | p99 overhead ms | direct QPS | router QPS | QPS ratio |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
]


def failover_table(rounds: list[Round]) -> list[str]:
    lines = [
        "| mode | rounds | write downtime ms (median / max) | acked writes lost (total) "
        "| ambiguous (committed) | refused, not applied | stale reads |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode in ("async", "semi-sync"):
        rs = [r for r in rounds if r.mode == mode]
        if not rs:
            continue
        down = [r.downtime_s * 1000 for r in rs]
        lines.append(
            f"| {mode} | {len(rs)} | {statistics.median(down):.0f} / {max(down):.0f} "
            f"| {sum(r.lost for r in rs)} of {sum(r.acked for r in rs)} "
            f"| {sum(r.ambiguous for r in rs)} ({sum(r.ambiguous_committed for r in rs)}) "
            f"| {sum(r.not_applied for r in rs)} | {sum(r.stale for r in rs)} |"
        )
    return lines


def write_results(path: Path, phases: list[Phase], rounds: list[Round], runs: int, queries: int) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Read/write router (`bench/bench_router.py`)",
        "",
        f"{now}, {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the end). "
        "One client thread, the application user over TLS, primary + 2 replicas. Direct: one "
        "connection to the writer or a replica made as the router makes its own. Router: "
        f"`mysql_platform.router`. Medians over {runs} runs of {queries} statements each, direct and "
        f"router in alternate blocks of {BLOCK}. Overhead: router minus direct of each run's percentile, "
        "its median over the runs; the QPS ratio is router/direct per run, its median. The A/A row runs "
        "the direct read on both sides: the noise floor. Load: "
        + "; ".join(phase.describe() for phase in phases)
        + " (hogs: processes spinning on `os.getppid()`, each in a session of its own, killed after"
        " the phase).",
        "",
        *OVERHEAD_HEADER,
        *(s.row(phase.load) for phase in phases for s in phase.scenarios),
        "",
        "Failover through the router: one client writes a new row and reads it back (read-your-writes), the "
        "primary is SIGKILLed and `LocalEnv.failover()` runs at once (as in the failover drill); the router "
        "finds the new writer in the rewritten outputs.",
        "",
        *failover_table(rounds),
    ]
    replace_section(path, RESULTS_NAME, lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_router", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per scenario (default 5)")
    parser.add_argument("--queries", type=int, default=2000, help="statements per run (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="failover rounds per mode (default 5; 0 skips)")
    parser.add_argument(
        "--load",
        choices=("quiet", "busy", "both"),
        default="both",
        help="overhead with nothing else running, with CPU hogs, or both (default)",
    )
    parser.add_argument(
        "--hogs", type=int, default=os.cpu_count() or 2, help="CPU hogs when busy (default: one per core)"
    )
    parser.add_argument("--write-results", type=Path, help="update this RESULTS.md with a section of our own")
    args = parser.parse_args(argv)
    loads = ("quiet", "busy") if args.load == "both" else (args.load,)
    # Trust only the environment's CA: the connector would load the system bundle on every connect.
    os.environ["SSL_CERT_FILE"] = os.devnull
    with tempfile.TemporaryDirectory(prefix="router-bench-") as tmp:
        env = start(Path(tmp) / "overhead")
        try:
            print("\n".join(OVERHEAD_HEADER), flush=True)
            phases = []
            for load in loads:
                hogs = args.hogs if load == "busy" else 0
                with cpu_hogs(hogs):
                    scenarios = overhead(env, args.runs, args.queries, load)
                    phases.append(Phase(load, hogs, os.getloadavg(), scenarios))
                print(phases[-1].describe(), flush=True)
        finally:
            env.down(purge=True)
        rounds = []
        for n in range(args.rounds):
            for semi_sync in (False, True):
                result = failover_round(Path(tmp) / f"fo-{n}-{semi_sync}", semi_sync)
                print(result.line(), flush=True)
                rounds.append(result)
    print("\n".join(failover_table(rounds)))
    if args.write_results:
        write_results(args.write_results, phases, rounds, args.runs, args.queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
