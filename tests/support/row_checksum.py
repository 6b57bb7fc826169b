"""An order-independent checksum of a table's rows, computed the same way over MariaDB's rows
and over DuckDB's rows of the exported Parquet, so the two can be compared.

Values are put in one text form per kind: integers (and integral decimals) as digits, other
decimals normalised, FLOAT columns at single precision (what the column holds), doubles by
``repr``, dates and times in ISO form, bytes in hex, NULL apart from every string.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import struct
from collections.abc import Iterable, Sequence

NULL = "\\N"


def canonical(value: object, *, single: bool = False) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, float):
        return repr(struct.unpack("f", struct.pack("f", value))[0] if single else value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return "s:" + str(value)


def checksum(
    rows: Iterable[Sequence[object]], single_columns: frozenset[int] = frozenset()
) -> tuple[int, str]:
    """(row count, sha256 over the sorted canonical rows)."""
    lines = sorted(
        "\x1f".join(canonical(v, single=i in single_columns) for i, v in enumerate(row)) for row in rows
    )
    digest = hashlib.sha256("\x1e".join(lines).encode()).hexdigest()
    return len(lines), digest
