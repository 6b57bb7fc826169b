"""Every failover and switchover of one environment, in ``<state dir>/history.jsonl``.

One JSON object a line, appended (never rewritten) by ``Replication.failover`` while it holds the
state lock: when (UTC, ISO 8601), what (``switchover``: the primary was alive and nothing was
lost; ``failover``: it was not), who (``command`` or an agent), why, the old and the new primary,
and the new primary's GTID position when it became writable. ``local history`` prints it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mysql_platform.local.layout import Paths

FILE = "history.jsonl"


@dataclass(frozen=True)
class Entry:
    at: str  # UTC, ISO 8601
    kind: str  # "switchover" (planned) or "failover"
    by: str  # "command", or "agent of dbN"
    reason: str
    old_primary: str
    new_primary: str
    gtid: str  # the new primary's gtid_current_pos when it became writable
    took_ms: float | None = None  # fence (or promotion) until HAProxy was repointed

    @classmethod
    def now(cls, **fields: Any) -> Entry:
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return cls(at=at, **fields)


def path(paths: Paths) -> Path:
    return paths.state_dir / FILE


def record(paths: Paths, entry: Entry) -> None:
    """Append one line; a single write of a whole line, so a reader never sees half of one."""
    line = (json.dumps(asdict(entry), sort_keys=True) + "\n").encode()
    fd = os.open(path(paths), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read(paths: Paths) -> list[dict[str, Any]]:
    """The entries, oldest first ([] when there is no history); a line that is not JSON (a
    crash mid-write, a hand edit) is kept as ``{"unreadable": line}`` rather than dropped."""
    try:
        text = path(paths).read_text()
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        entries.append(entry if isinstance(entry, dict) else {"unreadable": line})
    return entries


def lines(entries: list[dict[str, Any]]) -> list[str]:
    """The history as people read it, oldest first."""
    if not entries:
        return ["no failover or switchover yet"]
    out = []
    for e in entries:
        if "unreadable" in e:
            out.append(f"(unreadable line: {e['unreadable']})")
            continue
        took = f", {e['took_ms']:.0f} ms" if isinstance(e.get("took_ms"), int | float) else ""
        out.append(
            f"{e.get('at', '?')}  {e.get('kind', '?'):10}  {e.get('old_primary', '?')} -> "
            f"{e.get('new_primary', '?')}  gtid {e.get('gtid') or 'none'}  by {e.get('by', '?')}{took}: "
            f"{e.get('reason', '')}"
        )
    return out
