"""MySQL/MariaDB column types as Parquet (Arrow) types, following RDS's export conversions where
they are documented (RDS User Guide, "Data conversion when exporting to an Amazon S3 bucket"):
unsigned integers widen to the next signed type, BIGINT UNSIGNED becomes DECIMAL(20,0),
character types, ENUM, SET, JSON and TIME become strings, binary types bytes.

TIMESTAMP and DATETIME are written as timestamps without a zone; the export reads in UTC
(session time_zone '+00:00'), so TIMESTAMP values are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from mysql_platform.analytics.errors import BadInput

_SIGNED: Final = {
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "mediumint": pa.int32(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
}
_UNSIGNED: Final = {
    "tinyint": pa.int16(),
    "smallint": pa.int32(),
    "mediumint": pa.int32(),
    "int": pa.int64(),
    "integer": pa.int64(),
    "bigint": pa.decimal128(20, 0),
}
_TEXT: Final = frozenset(
    {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json", "time"}
)
_BINARY: Final = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})


@dataclass(frozen=True)
class Column:
    """One row of information_schema.COLUMNS."""

    name: str
    data_type: str
    column_type: str
    precision: int | None = None
    scale: int | None = None


def arrow_type(column: Column) -> pa.DataType:
    kind = column.data_type.lower()
    if kind in _SIGNED:
        unsigned = "unsigned" in column.column_type.lower()
        return (_UNSIGNED if unsigned else _SIGNED)[kind]
    if kind == "decimal":
        return pa.decimal128(column.precision or 10, column.scale or 0)
    if kind == "float":
        return pa.float32()
    if kind in ("double", "real"):
        return pa.float64()
    if kind == "bit":
        return pa.int64()
    if kind == "year":
        return pa.int16()
    if kind == "date":
        return pa.date32()
    if kind in ("datetime", "timestamp"):
        return pa.timestamp("us")
    if kind in _TEXT:
        return pa.string()
    if kind in _BINARY:
        return pa.binary()
    raise BadInput(
        f"column '{column.name}' has type {column.column_type}, which the export does not convert "
        "(spatial types, for one, are not exported by RDS either)"
    )


def schema(columns: list[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c)) for c in columns])
