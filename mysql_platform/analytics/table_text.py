"""A query result as people read it (aligned columns) or as scripts read it (JSON)."""

from __future__ import annotations

import decimal
import json
from collections.abc import Sequence
from typing import Any

from mysql_platform.analytics.display import printable, shown

NULL = "NULL"


def _cell(value: object) -> str:
    if value is None:
        return NULL
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)


def aligned(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell, a rule under the header, numbers as they came; control
    characters in names and values escaped (``\\x1b``), as a terminal would otherwise obey them."""
    columns = [shown(c) for c in columns]
    text = [[printable(_cell(v)) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in text)]) for i, c in enumerate(columns)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
        *("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in text),
    ]
    return "\n".join(lines)


def _json_value(value: object) -> object:
    """Numbers stay numbers (an integral DECIMAL too); other values as text, exact."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal) and value.is_finite() and value.as_tuple().exponent == 0:
        return int(value)
    return _cell(value)


def as_json(columns: Sequence[str], rows: Sequence[Sequence[object]], **extra: Any) -> str:
    """``{"columns": [...], "rows": [{column: value}], ...extra}``; values JSON can't hold as text."""
    records = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    return json.dumps({"columns": list(columns), "rows": records, **extra}, indent=2, default=str)
