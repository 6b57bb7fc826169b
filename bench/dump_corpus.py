"""A real ``mariadb-dump`` corpus for the migration benchmark (bench/bench_dump.py).

    .venv/bin/python -m bench.dump_corpus build OUT.sql [--rows 300000] [--seed 42] [--ascii-only]
        [--no-dollar-brace] [--edge-cases]
    .venv/bin/python -m bench.dump_corpus grow IN.sql OUT.sql --gb 1

``build`` populates schema ``shop`` on a fresh local environment (bench/corpus_data.py: rows
of mixed types; bench/corpus_schema.py: views, triggers, procedures, functions and an event,
created through the ``mariadb`` client with ``DELIMITER`` and ``--comments``, so the stored
bodies keep their ``-- x``, ``# x`` and ``/* x */`` comments and the dump carries them),
fingerprints it and dumps it.

``dump`` runs ``mariadb-dump --databases shop --routines --triggers --events`` with its
defaults (extended INSERTs, ``DELIMITER ;;`` blocks, ``/*!...*/`` executable comments, no
``--hex-blob``: BLOB bytes go raw into string literals, so the file is not valid UTF-8).

``grow`` (bench/dump_grow.py) makes a bigger dump of a real one. ``fingerprint`` is what
"same database" means.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mysql.connector.connection import MySQLConnection

from bench.corpus_data import DEFAULT_ROWS, populate
from bench.corpus_schema import SCHEMA
from bench.dump_grow import grow
from bench.mariadb_client import client_options, target
from mysql_platform.core.contract import StackOutputs
from mysql_platform.db import connection as db
from mysql_platform.local.env import start_fresh

# ----- dump -------------------------------------------------------------------------------------


def dump(env_outputs: StackOutputs, path: Path, *extra: str) -> int:
    """``mariadb-dump`` of ``shop`` into ``path`` with the defaults that matter; its size in bytes."""
    with client_options(env_outputs) as opts, open(path, "wb") as out:
        argv = ["mariadb-dump", *opts, "--databases", SCHEMA, "--routines", "--triggers", "--events", *extra]
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"mariadb-dump exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return path.stat().st_size


# ----- fingerprint ------------------------------------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    return str(value)


def _show(conn: MySQLConnection, sql: str, skip: tuple[str, ...] = ()) -> str:
    """One SHOW CREATE row as ``column: value`` lines (columns in ``skip`` left out)."""
    with conn.cursor() as cur:
        cur.execute(sql)
        names = [d[0] for d in cur.description or ()]
        row = cur.fetchone()
    if not isinstance(row, tuple):
        return "<missing>"
    return "\n".join(f"{n}: {_text(v)}" for n, v in zip(names, row, strict=True) if n not in skip)


def fingerprint(conn: MySQLConnection, schema: str = SCHEMA) -> dict[str, str]:
    """What "same database" means: per table CHECKSUM TABLE, row count and SHOW CREATE TABLE;
    SHOW CREATE of every view, trigger, procedure, function and event (bodies as stored).

    Left out: a trigger's ``Created`` time and an event's ``Created``/``Modified`` (not in
    SHOW CREATE EVENT anyway), which say when the object was made, not what it is.
    """
    fp: dict[str, str] = {}
    q = f"`{schema}`"
    tables = db.fetch_rows(
        conn,
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %s "
        "ORDER BY table_name",
        (schema,),
    )
    for name_, kind in tables:
        name = _text(name_)
        if _text(kind) == "VIEW":
            fp[f"view {name}"] = _show(conn, f"SHOW CREATE VIEW {q}.`{name}`")
            continue
        checksum = db.fetch_rows(conn, f"CHECKSUM TABLE {q}.`{name}`")[0][1]
        count = db.fetch_rows(conn, f"SELECT COUNT(*) FROM {q}.`{name}`")[0][0]
        fp[f"table {name}"] = f"rows={count} checksum={checksum}"
        fp[f"create table {name}"] = _show(conn, f"SHOW CREATE TABLE {q}.`{name}`")
    for (trigger,) in db.fetch_rows(
        conn, "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = %s", (schema,)
    ):
        fp[f"trigger {_text(trigger)}"] = _show(
            conn, f"SHOW CREATE TRIGGER {q}.`{_text(trigger)}`", ("Created",)
        )
    for name_, kind in db.fetch_rows(
        conn, "SELECT routine_name, routine_type FROM information_schema.routines WHERE routine_schema = %s",
        (schema,),
    ):  # fmt: skip
        what = _text(kind).upper()
        fp[f"{what.lower()} {_text(name_)}"] = _show(conn, f"SHOW CREATE {what} {q}.`{_text(name_)}`")
    for (event,) in db.fetch_rows(
        conn, "SELECT event_name FROM information_schema.events WHERE event_schema = %s", (schema,)
    ):
        fp[f"event {_text(event)}"] = _show(conn, f"SHOW CREATE EVENT {q}.`{_text(event)}`")
    return dict(sorted(fp.items()))


def first_difference(a: dict[str, str], b: dict[str, str], names: tuple[str, str] = ("a", "b")) -> str | None:
    """None if equal; else the first differing key, with both values around the first change."""
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            where = names[0] if key not in a else names[1]
            return f"{key}: missing in {where}"
        va, vb = a[key], b[key]
        if va == vb:
            continue
        at = next((i for i, (x, y) in enumerate(zip(va, vb, strict=False)) if x != y), min(len(va), len(vb)))
        lo = max(0, at - 120)
        return (
            f"{key}: differs at character {at}\n"
            f"  {names[0]}: {va[lo : at + 120]!r}\n"
            f"  {names[1]}: {vb[lo : at + 120]!r}"
        )
    return None


def differing_keys(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


# ----- CLI --------------------------------------------------------------------------------------


def build(
    out: Path,
    rows: int,
    seed: int,
    *,
    ascii_only: bool,
    work: Path,
    no_dollar_brace: bool = False,
    edge_cases: bool = False,
) -> dict[str, Any]:
    """Fresh environment -> populate -> fingerprint -> dump -> down. Returns phase times and facts."""
    env = start_fresh(work / "source")
    try:
        started = time.perf_counter()
        counts = populate(
            env, rows, seed, ascii_only=ascii_only, no_dollar_brace=no_dollar_brace, edge_cases=edge_cases
        )
        populated = time.perf_counter()
        size = dump(env.up(), out)
        dumped = time.perf_counter()
        with db.connection(target(env.up()), db.Backoff(deadline_s=30)) as conn:
            fp = fingerprint(conn)
    finally:
        env.down(purge=True)
    return {
        "counts": counts,
        "size": size,
        "populate_s": populated - started,
        "dump_s": dumped - populated,
        "fingerprint": fp,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="populate a fresh local environment and dump it")
    b.add_argument("out", type=Path)
    b.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    b.add_argument("--seed", type=int, default=42)
    b.add_argument("--ascii-only", action="store_true", help="printable BLOB bytes, BIT < 128: a UTF-8 dump")
    b.add_argument("--no-dollar-brace", action="store_true", help="random BLOB bytes without '${'")
    b.add_argument("--edge-cases", action="store_true", help="also '*/' in strings of a trigger and a view")
    g = sub.add_parser("grow", help="append copies of the data tables up to a size")
    g.add_argument("dump", type=Path)
    g.add_argument("out", type=Path)
    g.add_argument("--gb", type=float, required=True)
    args = p.parse_args(argv)
    if args.command == "grow":
        size = grow(args.dump, args.out, int(args.gb * 1e9))
        print(f"{args.out}: {size / 1e6:.1f} MB")
        return 0
    # The connector loads the system CA bundle per connection; the environment's CA is all we trust.
    with tempfile.TemporaryDirectory(prefix="bench-corpus-", dir="/tmp") as tmp:
        empty = Path(tmp) / "no-system-cas.pem"
        empty.touch()
        os.environ["SSL_CERT_FILE"] = str(empty)
        facts = build(
            args.out,
            args.rows,
            args.seed,
            ascii_only=args.ascii_only,
            work=Path(tmp),
            no_dollar_brace=args.no_dollar_brace,
            edge_cases=args.edge_cases,
        )
    print(f"rows {facts['counts']}")
    print(f"populate {facts['populate_s']:.1f} s, dump {facts['dump_s']:.1f} s, {facts['size'] / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
