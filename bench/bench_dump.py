"""Benchmark: the migration runner vs the native ``mariadb`` client on a real ``mariadb-dump``.

    .venv/bin/python -m bench.bench_dump [--sizes-mb 0.1,1,3,30 | --rows 300000] [--repeat 5]
        [--big-gb 1] [--ascii-only] [--only-env-ca] [--no-bytecode]

For each dump size (about 0.1, 1, 3 and 30 MB by default; ``--rows N``: one corpus of N rows)
builds a corpus (bench/dump_corpus.py: populate schema ``shop`` on a fresh local
environment, ``mariadb-dump --databases shop --routines --triggers --events``, down), then
per round applies the dump on fresh environments (primary with binlog + replica, writing to
the primary directly; the order rotates between rounds)

- with the runner through its command line (``python -m mysql_platform.cli.main migrate migrate --outputs
  ... --sql-dir ...``, what the ``mysql-platform`` console script runs, the dump as the one
  migration ``V001__dump.sql``), so its peak RSS is measured from outside (``os.wait4``):
  process start and imports, discovery (read, split, checksum), TLS connect, history, lock, apply;
- with ``mariadb --default-character-set=utf8mb4 ... < dump.sql`` (same TLS options, the
  password in a 0600 option file).

Prints per round wall times and peak RSS, the medians, the median of the per-round ratios
runner/native, and whether the databases are the same (dump_corpus.fingerprint: CHECKSUM
TABLE, row counts, SHOW CREATE of every object); the first difference when not; at the end a
table of the sizes: medians, ratio (median and range), rounds with identical databases.
The runner's interpreter runs from a bytecode cache of its own (see :func:`python_env`) and
loads the system CA bundle as a user's does (``--only-env-ca``: SSL_CERT_FILE=/dev/null).
``--big-gb N`` grows the dump to N GB (copies of the data tables) and applies it once with
the runner (``--big-native``: with the client too), to show how peak RSS follows the file size.

A runner that refuses the dump is reported with its exit code and stderr; the native client
is timed all the same. mariadb-dump writes BLOB and BIT bytes raw into string literals, so a
real dump is not UTF-8, and random bytes hold "${" now and then, which the runner reads as a
malformed placeholder. To test the rest of the path:

- ``--ascii-only``: printable BLOB bytes without "$", BIT < 128: a UTF-8 dump;
- ``--no-dollar-brace``: random (not UTF-8) BLOB bytes that never hold "${";
- ``--edge-cases``: also a trigger and a view with "*/" in a string literal (the dump wraps
  both in ``/*!50003 ... */``);
- ``--runner-src DIR``: run the runner's process from another tree (e.g. ``git archive HEAD``);
- ``--script-conf KEY=VALUE``: lines of ``V001__dump.sql.conf`` beside the migration (Flyway's
  per-script settings, e.g. ``placeholderReplacement=false``), for a runner that reads them.

The runner's process gets an address-space limit (``--runner-mem-limit-gb``, default 8), so a
runner that reads the whole file fails with MemoryError instead of calling the OOM killer.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import dump_corpus as corpus
from bench import dump_report as report
from bench.corpus_data import DEFAULT_ROWS
from bench.dump_grow import grow
from bench.mariadb_client import client_options, target
from mysql_platform.db import connection as db
from mysql_platform.local.env import start_fresh

REPO_ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("runner", "native")
MIGRATION_NAME = "V001__dump.sql"
# What `mysql-platform migrate migrate` runs (the console script's entry point, mysql_platform.cli.main),
# from the runner's tree rather than wherever the console script was installed from.
RUNNER = (sys.executable, "-m", "mysql_platform.cli.main", "migrate", "migrate")


@dataclass
class Applied:
    """One apply: how long the process ran, its peak RSS, how it ended, what it left."""

    variant: str
    seconds: float  # wall time, process start to exit
    peak_rss_kb: int
    exit_code: int
    stderr: str
    fingerprint: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
        rss = f"peak RSS {self.peak_rss_kb / 1024:.0f} MB"
        if not self.ok:
            return f"{self.variant} FAILED (exit {self.exit_code}) after {self.seconds:.2f} s, {rss}"
        return f"{self.variant} {self.seconds:.2f} s, {rss}"


def measure(
    argv: list[str], *, stdin: Path | None = None, mem_limit_bytes: int = 0, cwd: Path = REPO_ROOT
) -> tuple[int, float, int, str, str]:
    """Run ``argv``; (exit code, wall seconds, peak RSS in KiB of that child, stdout, stderr)."""

    def limit() -> None:
        if mem_limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (mem_limit_bytes, mem_limit_bytes))

    with (
        open(stdin if stdin is not None else os.devnull, "rb") as inp,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=inp, stdout=out, stderr=err, cwd=cwd, preexec_fn=limit)
        _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, not all children's
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (
            proc.returncode,
            elapsed,
            usage.ru_maxrss,  # KiB on Linux
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def python_env(work: Path, *, bytecode: bool = True) -> None:
    """The runner's interpreter (inherited by its processes): bytecode in a cache under ``work``.

    An installed copy runs compiled bytecode (pip compiles it at install, a checkout writes
    ``__pycache__`` on its first run); a shell with ``PYTHONDONTWRITEBYTECODE`` set and no
    ``__pycache__`` in the checkout or site-packages times compiling those modules on every start
    instead (about 2x the imports here). ``bytecode=False`` measures exactly that: the standard
    library's own bytecode, nothing else written.
    """
    if bytecode:
        os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        os.environ.pop("PYTHONPYCACHEPREFIX", None)
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"


def apply_once(
    variant: str,
    dump_path: Path,
    work: Path,
    name: str,
    *,
    fingerprint: bool = True,
    mem_limit_bytes: int = 0,
    runner_src: Path = REPO_ROOT,
    script_conf: Sequence[str] = (),
) -> Applied:
    """Apply the dump with ``variant`` on a fresh environment, then tear it down."""
    env = start_fresh(work / name)
    try:
        outputs = env.up()
        if variant == "runner":
            sql_dir = work / f"{name}-sql"
            sql_dir.mkdir()
            (sql_dir / MIGRATION_NAME).symlink_to(dump_path)
            if script_conf:  # Flyway-style per-script settings: V001__dump.sql.conf
                (sql_dir / f"{MIGRATION_NAME}.conf").write_text("".join(f"{kv}\n" for kv in script_conf))
            # What a user runs: the console script's code path, process start and imports included.
            argv = [*RUNNER, "--outputs", str(env.outputs_path), "--sql-dir", str(sql_dir)]
            code, seconds, rss, _out, err = measure(argv, mem_limit_bytes=mem_limit_bytes, cwd=runner_src)
            result = Applied(variant, seconds, rss, code, err)
        else:
            with client_options(outputs) as opts:
                argv = ["mariadb", *opts, "--default-character-set=utf8mb4"]
                code, seconds, rss, _out, err = measure(argv, stdin=dump_path)
            result = Applied(variant, seconds, rss, code, err)
        if fingerprint and result.ok:
            with db.connection(target(outputs), db.Backoff(deadline_s=30)) as conn:
                result.fingerprint = corpus.fingerprint(conn)
        return result
    finally:
        env.down(purge=True)


def big_run(
    dump_path: Path,
    work: Path,
    gb: float,
    mem_limit_bytes: int,
    small: dict[str, list[Applied]],
    runner_src: Path = REPO_ROOT,
    variants: Sequence[str] = ("runner",),
    script_conf: Sequence[str] = (),
) -> None:
    """Grow the dump to ``gb`` GB, apply it once with each of ``variants``, compare peak RSS."""
    big = work / "big.sql"
    started = time.perf_counter()
    size = grow(dump_path, big, int(gb * 1e9))
    print(f"\ngrew the dump to {size / 1e9:.2f} GB in {time.perf_counter() - started:.1f} s", flush=True)
    print(f"  {report.describe_dump(big)}")
    results = {}
    for variant in variants:
        result = apply_once(
            variant,
            big,
            work,
            f"big-{variant}",
            fingerprint=False,
            mem_limit_bytes=mem_limit_bytes,
            runner_src=runner_src,
            script_conf=script_conf,
        )
        results[variant] = result
        print(f"  {result.describe()}", flush=True)
        if not result.ok:
            print(report.first_lines(result.stderr))
    big.unlink()
    print("\npeak RSS, small dump vs big dump (the goal: flat whatever the file size):")
    limit = f" (address-space limit {mem_limit_bytes / 2**30:.0f} GiB)" if mem_limit_bytes else ""
    for variant in variants:
        small_rss = statistics.median(a.peak_rss_kb for a in small[variant]) / 1024
        r = results[variant]
        big_rss = r.peak_rss_kb / 1024
        hit = limit if "MemoryError" in r.stderr else ""
        note = "" if r.ok else f"  [failed, exit {r.exit_code}{hit}]"
        print(f"  {variant:<7} {small_rss:9.0f} MB -> {big_rss:9.0f} MB{note}")
    if len(results) == len(VARIANTS) and all(r.ok for r in results.values()):
        print(f"  big dump time: runner/native {results['runner'].seconds / results['native'].seconds:.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument(
        "--sizes-mb", default="0.1,1,3,30",
        help="dump sizes to build and apply, about, in MB (comma-separated; default: %(default)s)",
    )  # fmt: skip
    p.add_argument(
        "--rows", type=int,
        help=f"instead of --sizes-mb: one corpus of this many rows ({DEFAULT_ROWS} make 27 MB)",
    )  # fmt: skip
    p.add_argument(
        "--no-bytecode", action="store_true", help="the runner compiles its sources on every start"
    )
    p.add_argument(
        "--only-env-ca", action="store_true",
        help="SSL_CERT_FILE=/dev/null for the runner: the connector loads no system CA bundle",
    )  # fmt: skip
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--big-gb", type=float, default=1.0, help="grow the dump to N GB and apply it once; 0 skips"
    )
    p.add_argument("--ascii-only", action="store_true", help="printable BLOB bytes, BIT < 128: a UTF-8 dump")
    p.add_argument(
        "--big-native", action="store_true",
        help="also apply the big dump with the mariadb client (about 100 s per GB here)",
    )  # fmt: skip
    p.add_argument(
        "--runner-mem-limit-gb", type=float, default=8.0,
        help="address-space limit (RLIMIT_AS) of the runner process, so a runner that reads the "
        "whole file fails with MemoryError instead of pushing the machine into the OOM killer; 0: none",
    )  # fmt: skip
    p.add_argument(
        "--no-dollar-brace", action="store_true",
        help="random BLOB bytes (not UTF-8) that never contain '${', which the runner takes for a "
        "placeholder: tests the raw-bytes path on its own",
    )  # fmt: skip
    p.add_argument(
        "--edge-cases", action="store_true",
        help="also a trigger and a view with '*/' inside a string literal (dumped inside /*!50003 */)",
    )  # fmt: skip
    p.add_argument(
        "--script-conf", action="append", default=[], metavar="KEY=VALUE",
        help=f"a line of {MIGRATION_NAME}.conf beside the dump (the runner's Flyway-style per-script "
        "settings, where it has them), e.g. placeholderReplacement=false, executeInTransaction=false",
    )  # fmt: skip
    p.add_argument("--keep-dump", type=Path, help="also copy the corpus dump here")
    p.add_argument(
        "--runner-src", type=Path, default=REPO_ROOT,
        help="run the runner's process from this directory (it needs scripts/ and mysql_platform/core/), "
        "e.g. an export of another commit: `git archive HEAD scripts mysql_platform.core | tar -x -C DIR`; "
        "default: this checkout",
    )  # fmt: skip
    args = p.parse_args(argv)
    mem_limit = int(args.runner_mem_limit_gb * 2**30)
    src = args.runner_src.resolve()
    if src != REPO_ROOT:
        print(f"runner from {src}")
    conf: list[str] = args.script_conf
    if conf:
        print(f"{MIGRATION_NAME}.conf: {', '.join(conf)}")
    sizes = [None] if args.rows else [float(x) for x in args.sizes_mb.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-dump-", dir="/tmp") as tmp:
        work = Path(tmp)
        python_env(work, bytecode=not args.no_bytecode)
        if args.only_env_ca:
            # Trust only the environment's CA: the connector then loads no system bundle on
            # connect (it loads it twice beside the CA it is given). Inherited by the runner.
            os.environ["SSL_CERT_FILE"] = os.devnull
        rows: list[report.Row] = []
        for size_mb in sizes:
            n_rows = args.rows or rows_for(size_mb or 0)
            here = work / f"rows-{n_rows}"
            here.mkdir()
            dump_path = here / "dump.sql"
            row, rounds = one_size(dump_path, n_rows, here, args, mem_limit, src, conf)
            rows.append(row)
        report.print_table(rows)
        if args.big_gb > 0:  # grown from the largest dump
            by_variant = {v: [r[v] for r in rounds] for v in VARIANTS}
            variants = VARIANTS if args.big_native else ("runner",)
            big_run(dump_path, work, args.big_gb, mem_limit, by_variant, src, variants, conf)
    return 0


def rows_for(size_mb: float) -> int:
    """Corpus rows for a dump of about ``size_mb``: 300,572 rows dumped to 27.2 MB (RESULTS.md)."""
    return max(200, round(size_mb * 1e6 / 90.5))


def one_size(
    dump_path: Path,
    n_rows: int,
    work: Path,
    args: argparse.Namespace,
    mem_limit: int,
    src: Path,
    conf: list[str],
) -> tuple[report.Row, list[dict[str, Applied]]]:
    """Build a corpus of ``n_rows``, apply it ``args.repeat`` times with each variant, report."""
    facts = corpus.build(
        dump_path,
        n_rows,
        args.seed,
        ascii_only=args.ascii_only,
        work=work,
        no_dollar_brace=args.no_dollar_brace,
        edge_cases=args.edge_cases,
    )
    print(f"\ncorpus of {n_rows} rows: {facts['counts']}")
    print(
        f"  populate {facts['populate_s']:.1f} s, dump {facts['dump_s']:.1f} s; "
        f"{report.describe_dump(dump_path)}",
        flush=True,
    )
    if args.keep_dump:
        args.keep_dump.write_bytes(dump_path.read_bytes())
    rounds: list[dict[str, Applied]] = []
    for i in range(args.repeat):
        order = VARIANTS[i % 2 :] + VARIANTS[: i % 2]
        done = {
            v: apply_once(
                v, dump_path, work, f"{v}-{i}", mem_limit_bytes=mem_limit, runner_src=src, script_conf=conf
            )
            for v in order
        }
        rounds.append(done)
        line = " | ".join(done[v].describe() for v in VARIANTS)
        if done["runner"].ok and done["native"].ok:
            line += f" | ratio {done['runner'].seconds / done['native'].seconds:.2f}"
        print(f"round {i + 1}: {line}", flush=True)
        for v in VARIANTS:
            if not done[v].ok and i == 0:
                print(f"  {v} stderr:\n{report.first_lines(done[v].stderr)}")
    size_mb = dump_path.stat().st_size / 1e6
    return report.summarize(rounds, facts["fingerprint"], args.repeat, size_mb), rounds


if __name__ == "__main__":
    sys.exit(main())
