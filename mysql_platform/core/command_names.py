"""The console script's name, the one place that spells it, and the usage line of each subcommand.

Every parser takes its ``prog`` from :func:`prog`, so ``--help`` and argparse's errors say
``usage: mysql-platform migrate ...`` whether the command was started as ``mysql-platform migrate``
or through one of the checkout's ``scripts/`` shims: one name to type, whichever way it ran.
Shared (not in :mod:`mysql_platform.cli`) because the local environment builds its own parser.
"""

from __future__ import annotations

from typing import Final

PROGRAM: Final = "mysql-platform"


def prog(*words: str) -> str:
    """``mysql-platform`` followed by the subcommand path, e.g. ``prog("migrate")``."""
    return " ".join((PROGRAM, *words))
