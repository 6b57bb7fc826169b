"""Where the writer and the readers are: read from the outputs contract, re-read when it changes.

A source gives the current :class:`StackOutputs`:

- :class:`OutputsFile`: a ``pulumi stack output --json --show-secrets`` file or the local
  environment's ``outputs.json``, which its ``failover`` rewrites; re-read when the file's
  modification time or size changes (one ``stat`` per health check);
- :class:`FixedOutputs`: outputs already parsed, e.g. from the Automation API;
- :class:`OutputsCallable`: a function, e.g. ``lambda: automation.outputs("prod", opts)``,
  called again only when the writer fails (it may take seconds).

Endpoints are also checked by role (``@@read_only``): a writer that turned read-only was
demoted, and a writable server among the known endpoints is where writes go next.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mysql_platform.core import outputs as outputs_parser
from mysql_platform.core.contract import Endpoint, StackOutputs


@dataclass(frozen=True)
class Topology:
    writer: Endpoint
    readers: tuple[Endpoint, ...]

    @classmethod
    def of(cls, outputs: StackOutputs) -> Topology:
        return cls(outputs.db.writer, tuple(outputs.db.readers))

    def endpoints(self) -> tuple[Endpoint, ...]:
        return (self.writer, *(r for r in self.readers if r != self.writer))


class TopologySource(Protocol):
    def load(self) -> StackOutputs:
        """The outputs now (may raise OutputsError)."""

    def changed(self) -> bool:
        """Cheap: whether :meth:`load` would give something new."""


class FixedOutputs:
    def __init__(self, outputs: StackOutputs) -> None:
        self._outputs = outputs

    def load(self) -> StackOutputs:
        return self._outputs

    def changed(self) -> bool:
        return False


class OutputsCallable:
    def __init__(self, fn: Callable[[], StackOutputs]) -> None:
        self._fn = fn

    def load(self) -> StackOutputs:
        return self._fn()

    def changed(self) -> bool:
        return False


class OutputsFile:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._seen: tuple[int, int] | None = None

    def _signature(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def load(self) -> StackOutputs:
        signature = self._signature()
        outputs = outputs_parser.from_json_file(self.path)
        self._seen = signature
        return outputs

    def changed(self) -> bool:
        signature = self._signature()
        return signature is not None and signature != self._seen


def source_of(outputs: StackOutputs | str | Path | Callable[[], StackOutputs]) -> TopologySource:
    if isinstance(outputs, StackOutputs):
        return FixedOutputs(outputs)
    if isinstance(outputs, (str, Path)):
        return OutputsFile(outputs)
    if callable(outputs):
        return OutputsCallable(outputs)
    raise TypeError(f"outputs must be StackOutputs, a path or a function, got {type(outputs).__name__}")
