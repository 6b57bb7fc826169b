"""Names as the analytics commands print them: MariaDB accepts control characters in a table's
name (an escape sequence, a newline, U+202E), and printed raw they would rewrite the terminal or
the line they are on."""

from __future__ import annotations

import unicodedata


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(name: str) -> str:
    """``name`` with every control, format, surrogate, private-use or unassigned character (Unicode
    category C*) written as ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``, and a backslash as ``\\\\`` (so a
    name holding the text ``\\x1b`` does not print as one holding ESC); other characters as they are."""
    return "\\\\".join(printable(part) for part in name.split("\\"))


def shown_table(database: str, table: str) -> str:
    """``database.table`` as :func:`shown` prints names."""
    return f"{shown(database)}.{shown(table)}"


def printable(text: str) -> str:
    """``text`` (a query's value, a DuckDB message quoting one) with the characters :func:`shown`
    escapes escaped, and its backslashes as they are: values read as they were stored."""
    return "".join(_escaped(c) if unicodedata.category(c).startswith("C") else c for c in text)
