"""Maintenance mode: while ``<state dir>/paused`` exists, no agent promotes a replica.

``local pause`` creates the file (when and why, as JSON), ``local resume`` deletes it. An agent
checks for it before an election, by existence alone: a file it cannot read still means paused,
so a half-written or hand-edited one never lets a failover through. A planned ``local failover``
still works while paused, and a primary's agent keeps (or takes back) the leader lease, so its
server keeps taking writes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from mysql_platform.local.layout import write_private

FILE = "paused"


def flag(state_dir: Path) -> Path:
    return state_dir / FILE


def is_paused(state_dir: Path) -> bool:
    return flag(state_dir).exists()


def pause(state_dir: Path, reason: str) -> bool:
    """Pause; False when it already was (the first pause's time and reason are kept)."""
    if is_paused(state_dir):
        return False
    since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    write_private(flag(state_dir), json.dumps({"since": since, "reason": reason}) + "\n")
    return True


def resume(state_dir: Path) -> bool:
    """Resume; False when it was not paused."""
    try:
        flag(state_dir).unlink()
    except FileNotFoundError:
        return False
    return True


def details(state_dir: Path) -> dict[str, Any] | None:
    """``{"since", "reason"}`` while paused (``unknown`` for what the file does not say); None otherwise."""
    path = flag(state_dir)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        doc = {}
    doc = doc if isinstance(doc, dict) else {}
    return {"since": str(doc.get("since") or "unknown"), "reason": str(doc.get("reason") or "unknown")}


def status_line(paused: dict[str, Any] | None) -> list[str]:
    if paused is None:
        return []
    return [
        f"maintenance: PAUSED since {paused['since']} ({paused['reason']}): no automatic failover; "
        "`mysql-platform local resume` ends it"
    ]
