"""argparse types of the analytics options: a value the command cannot use is refused before
anything runs (exit 2, argparse's one error line naming the option), never read as something else
(``--batch-rows 0`` as an empty table) nor left to fail later with a traceback."""

from __future__ import annotations

import argparse
import re
from typing import Final

# DuckDB's memory_limit: a number and a unit, decimal (KB..TB) or binary (KiB..TiB), case ignored.
SIZE: Final = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", re.IGNORECASE)


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least {least}")
    return value


def at_least_one(text: str) -> int:
    """A count that must be 1 or more (rows per batch: 0 would read as the end of the table)."""
    return _whole(text, 1)


def at_least_zero(text: str) -> int:
    """A count that may be 0 (rows shown)."""
    return _whole(text, 0)


def memory_size(text: str) -> str:
    """A size DuckDB takes as its memory limit, e.g. 1GB, 512MB, 2GiB."""
    if not SIZE.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a size: expected a number and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), "
            "e.g. 1GB"
        )
    return text.strip()
