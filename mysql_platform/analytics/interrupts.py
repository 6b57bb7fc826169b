"""Ctrl-C and SIGTERM during ``local export`` and ``local query``: the same handling as ``migrate``
and ``bootstrap`` (:func:`mysql_platform.cli.db_options.interruptible`): the database sockets shut
first, then KeyboardInterrupt (:class:`~mysql_platform.errors.Terminated` for SIGTERM), so every
``finally`` runs (the partial export and the query's link folder are removed) and the command
returns 130 or 143 with one line.

DuckDB catches the KeyboardInterrupt a handler raises while a query runs, and raises
``RuntimeError('Query interrupted')`` in its place; :class:`Caught` keeps what was raised so the
command can raise it again."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mysql_platform.errors import Terminated


class Caught:
    """The interruption a signal raised, if one did."""

    def __init__(self) -> None:
        self.interruption: KeyboardInterrupt | None = None

    def raise_if_interrupted(self) -> None:
        """Raise the interruption again, in place of what it turned into (DuckDB's RuntimeError, a
        lost connection's error, a rollback that failed on the shut socket)."""
        if self.interruption is not None:
            raise self.interruption from None


@contextmanager
def interruptible(abort: Callable[[], None] = lambda: None) -> Iterator[Caught]:
    """SIGINT and SIGTERM call ``abort`` (shut the database sockets) and raise the interruption."""
    caught = Caught()
    if threading.current_thread() is not threading.main_thread():
        yield caught  # signal handlers can only be set from the main thread
        return

    def interrupted(signum: int, _frame: object) -> None:
        abort()
        caught.interruption = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        raise caught.interruption

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
