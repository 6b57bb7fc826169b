"""Read ahead: produce an iterator's items in a background thread while the caller works.

The migration runner waits for the server after every statement (the socket read releases the
GIL); meanwhile this thread reads, decodes and splits the next statements, so the file's parsing
overlaps the server's work instead of adding to it, as in the ``mariadb`` client, whose parsing
is too fast to matter. At most ``depth`` items wait in the queue, so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()
_POLL_S = 0.1


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Prefetched(Generic[T]):
    """Iterate over ``source`` from a thread; its exceptions are raised here, in order."""

    def __init__(self, source: Iterable[T], depth: int = 2) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, args=(source,), name="prefetch", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, source: Iterable[T]) -> None:
        try:
            for item in source:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(_Failure(exc))
            return
        self._put(_DONE)

    def __iter__(self) -> Iterator[T]:
        try:
            while True:
                item = self._queue.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    raise item.exc
                yield item  # type: ignore[misc]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the thread (the caller stopped early, or failed) and wait for it."""
        self._stop.set()
        self._thread.join()
