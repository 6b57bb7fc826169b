"""The dump corpus's data: rows of mixed types, written into schema ``shop`` by :func:`populate`.

Strings with quotes, backslashes, ``;``, ``--``, newlines, tabs, NUL, ``\\x1a``, accents, CJK
and emoji; BLOB/VARBINARY with random bytes; DECIMAL, DATE, DATETIME(6), DOUBLE, BIT, ENUM,
JSON, NULLs. The tables, views, triggers, routines and event come from bench/corpus_schema.py.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from mysql.connector.connection import MySQLConnection

from bench.corpus_schema import EDGE_CASES_SQL, OBJECTS_SQL, SCHEMA, TABLES_DDL
from bench.mariadb_client import run_client, target
from mysql_platform.core.contract import StackOutputs
from mysql_platform.db import connection as db
from mysql_platform.local.env import LocalEnv

DEFAULT_ROWS = 300_000
INSERT_BATCH = 2000

# Share of the rows per table (audit_log gets a few rows from the triggers).
_SHARES = {"customers": 0.08, "products": 0.02, "orders": 0.30}

FRAGMENTS = (
    "plain text",
    "it's",
    "l'été",
    'say "hello"',
    "back\\slash",
    "C:\\path\\to\\file",
    "semi;colon",
    "two;;semis",
    "line one\nline two",
    "tab\tseparated",
    "crlf\r\nline",
    "café crème",
    "naïve façade",
    "日本語のテキスト",
    "東京",
    "emoji 😀",
    "🎉🚀",
    "-- not a comment",
    "# not a comment either",
    "/* not a comment */",
    "*/ closing",
    "DELIMITER ;;",
    "END;;",
    "100% sure",
    "under_score",
    "'); DROP TABLE orders; --",
    "NULL",
    "\\N",
    "zero\x00byte",
    "ctrl-z \x1a",
)
FIRST_NAMES = ("Zoë", "José", "Łukasz", "Amélie", "Søren", "山田", "Nguyễn", "Anna", "John", "Ana-María")
LAST_NAMES = ("O'Brien", "D'Angelo", "Müller", "Ærøskøbing", "太郎", "Smith", 'the "Rock"', "Back\\slash")
COUNTRIES = ("FR", "JP", "DE", "US", "DK", "PL", "VN", "ES", "IE")
# Random bytes, or (--ascii-only) the same bytes mapped onto printable ASCII (' " \ ; included)
# except "$": the runner substitutes Flyway-style ${name} placeholders in the whole file, string
# literals included, so "${" in a value fails discovery ("malformed placeholder").
_ASCII = bytes(c for c in range(32, 127) if c != ord("$"))
_PRINTABLE = bytes(_ASCII[b % len(_ASCII)] for b in range(256))


class _Gen:
    """Row generators; one Random so a seed gives the same database."""

    def __init__(self, seed: int, ascii_only: bool, no_dollar_brace: bool = False) -> None:
        self.rng = random.Random(seed)
        self.ascii_only = ascii_only
        self.no_dollar_brace = no_dollar_brace
        rng = self.rng
        self.texts = [" ".join(rng.sample(FRAGMENTS, rng.randint(1, 4))) for _ in range(4096)]
        self.long_texts = [" | ".join(rng.sample(FRAGMENTS, rng.randint(4, 12))) for _ in range(1024)]
        self.base = datetime(2015, 1, 1)

    def blob(self, low: int, high: int) -> bytes:
        data = self.rng.randbytes(self.rng.randint(low, high))
        if self.ascii_only:
            return data.translate(_PRINTABLE)
        # Values are quoted one by one in the dump: a "${" can only come from inside one.
        return data.replace(b"${", b"$_") if self.no_dollar_brace else data

    def when(self) -> datetime:
        rng = self.rng
        return self.base + timedelta(
            seconds=rng.randrange(300_000_000), microseconds=rng.randrange(1_000_000)
        )

    def money(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randint(low, high)).scaleb(-2)

    def maybe(self, value: Any, null_share: float) -> Any:
        return None if self.rng.random() < null_share else value

    def prefs(self) -> str:
        rng = self.rng
        value = {
            "lang": rng.choice(["fr", "ja", "en", "de"]),
            "note": rng.choice(self.texts),
            "tags": rng.sample(["a;b", 'q"t', "x\\y", "日本", "😀", "--"], 2),
            "n": rng.randint(-5, 10**6),
        }
        return json.dumps(value, ensure_ascii=False)

    def customer(self, i: int) -> tuple[Any, ...]:
        rng = self.rng
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {i}"
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(25_000))
        return (
            i,
            f"user{i}+{rng.choice(['shop', 'x', 'é'])}@example.com",
            name,
            self.maybe(rng.choice(self.long_texts), 0.2),
            rng.choice(COUNTRIES),
            self.money(-100_000, 10_000_000),
            self.maybe(born, 0.1),
            self.when(),
            rng.choice(["active", "active", "blocked", "deleted"]),
            # BIT goes into the dump as a raw byte in quotes: >= 0x80 is not UTF-8 either.
            rng.randrange(128 if self.ascii_only else 256),
            self.maybe(self.prefs(), 0.3),
            self.maybe(self.blob(0, 200), 0.2),
        )

    def product(self, i: int) -> tuple[Any, ...]:
        rng = self.rng
        return (
            i,
            f"SKU-{i:07d}",
            f"{rng.choice(self.texts)[:180]} #{i}",
            self.maybe(rng.choice(self.long_texts), 0.1),
            self.money(1, 10_000_000),
            rng.uniform(0.001, 50.0),
            self.maybe(self.prefs(), 0.5),
            self.maybe(self.blob(0, 64), 0.3),
            rng.random() < 0.9,
        )

    def order(self, i: int, customers: int) -> tuple[Any, ...]:
        rng = self.rng
        return (
            i,
            rng.randint(1, customers),
            self.when(),
            self.money(0, 5_000_000),
            rng.choice(["new", "new", "paid", "shipped", "cancelled"]),
            self.maybe(rng.choice(self.texts), 0.5),
            self.blob(16, 16),
            self.maybe(rng.random(), 0.6),
        )

    def item(self, order_id: int, line: int, products: int) -> tuple[Any, ...]:
        rng = self.rng
        return (
            order_id,
            line,
            rng.randint(1, products),
            rng.randint(1, 20),
            self.money(1, 100_000),
            self.maybe(rng.choice(self.texts)[:250], 0.9),
        )


def table_sizes(rows: int) -> dict[str, int]:
    """Rows per data table for about ``rows`` rows in all."""
    sizes = {name: max(1, int(rows * share)) for name, share in _SHARES.items()}
    sizes["order_items"] = max(1, rows - sum(sizes.values()))
    return sizes


_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", "\0": "\\0", "\n": "\\n", "\r": "\\r", "\x1a": "\\Z"})


def sql_literal(value: object) -> str:
    """A value as SQL text: strings escaped as mariadb-dump does, bytes as X'..' (exact)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same double
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    if isinstance(value, datetime | date):
        return f"'{value.isoformat(sep=' ') if isinstance(value, datetime) else value.isoformat()}'"
    return "'" + str(value).translate(_ESCAPES) + "'"


def _insert(conn: MySQLConnection, table: str, rows: Iterator[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs of ``INSERT_BATCH`` rows, sent with ``cmd_query``.

    Not ``cursor.execute``/``executemany``: mysql-connector 26.10's cursor runs every
    statement through its client-side script splitter when the text contains
    ``delimiter `` outside what its regex takes for quotes (it does not know backslash
    escapes), and that splitter strips "comments" from inside string values: a value
    like ``'DELIMITER ;; | it\\'s | # x'`` arrives truncated at the ``#``.
    """
    head = f"INSERT INTO {SCHEMA}.{table} VALUES ".encode()
    batch: list[str] = []

    def send() -> None:
        conn.cmd_query(head + ",".join(batch).encode())

    for row in rows:
        batch.append("(" + ",".join(sql_literal(v) for v in row) + ")")
        if len(batch) >= INSERT_BATCH:
            send()
            batch = []
    if batch:
        send()


def populate(
    conn_or_env: LocalEnv | StackOutputs,
    rows: int = DEFAULT_ROWS,
    seed: int = 42,
    *,
    ascii_only: bool = False,
    no_dollar_brace: bool = False,
    edge_cases: bool = False,
) -> dict[str, int]:
    """Create and fill schema ``shop``; return rows per table.

    ``ascii_only``: BLOB bytes printable ASCII without "$", BIT values < 128: the dump is UTF-8.
    ``no_dollar_brace``: random BLOB bytes that never contain "${" (which the runner takes for a
    placeholder); real data can. ``edge_cases``: also :data:`EDGE_CASES_SQL`.

    Tables through mysql-connector (multi-row INSERTs), views, triggers, routines and the
    event through the ``mariadb`` client.
    """
    outputs = conn_or_env.up() if isinstance(conn_or_env, LocalEnv) else conn_or_env
    gen = _Gen(seed, ascii_only, no_dollar_brace)
    sizes = table_sizes(rows)
    with db.connection(target(outputs), db.Backoff(deadline_s=30)) as conn:
        with conn.cursor() as cur:
            for statement in TABLES_DDL.split(";\n"):
                cur.execute(statement)
        n_cust, n_prod, n_ord, n_items = (
            sizes[t] for t in ("customers", "products", "orders", "order_items")
        )
        _insert(conn, "customers", (gen.customer(i) for i in range(1, n_cust + 1)))
        _insert(conn, "products", (gen.product(i) for i in range(1, n_prod + 1)))
        _insert(conn, "orders", (gen.order(i, n_cust) for i in range(1, n_ord + 1)))
        # (order, line) unique: line k of every order before line k + 1 of any.
        items = (gen.item(1 + i % n_ord, 1 + i // n_ord, n_prod) for i in range(n_items))
        _insert(conn, "order_items", items)
    run_client(outputs, OBJECTS_SQL + (EDGE_CASES_SQL if edge_cases else ""))
    with db.connection(target(outputs), db.Backoff(deadline_s=30)) as conn:
        counts = {t: int(str(db.fetch_rows(conn, f"SELECT COUNT(*) FROM {SCHEMA}.{t}")[0][0])) for t in sizes}
        counts["audit_log"] = int(str(db.fetch_rows(conn, f"SELECT COUNT(*) FROM {SCHEMA}.audit_log")[0][0]))
    return counts
