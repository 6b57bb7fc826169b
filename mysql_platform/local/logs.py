"""Where an environment's logs live, and their last lines (``local logs``).

A server's error log is ``<state>/dbN/error.log``, HAProxy's ``<state>/haproxy/haproxy.log``, an
agent's ``<state>/agents/dbN.log`` and an etcd member's ``<state>/etcd/etcdN.log``.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from mysql_platform.local import autofailover, etcd
from mysql_platform.local.layout import Paths

GROUPS = ("agent", "etcd")


def locations(paths: Paths, servers: list[str]) -> dict[str, Path]:
    """Every log of the environment by name: its servers, haproxy, then agents and etcd members
    (those two only when auto-failover is on)."""
    found = {name: paths.error_log(name) for name in servers}
    found["haproxy"] = paths.haproxy_cfg.parent / "haproxy.log"
    settings = autofailover.load(paths.state_dir)
    if settings is not None:
        found.update({f"agent-{s}": autofailover.agent_dir(paths.state_dir) / f"{s}.log" for s in servers})
        found.update({m.name: etcd.log_path(paths.state_dir, m.name) for m in settings.members})
    return found


def select(known: dict[str, Path], which: str | None) -> dict[str, Path]:
    """The logs ``which`` names: a member (db1), ``agent`` or ``etcd`` (all of them), one of them
    (agent-db1, etcd2), ``haproxy``; every log when None. Raises KeyError when it names none."""
    if which is None:
        return known
    if which in known:
        return {which: known[which]}
    if which in GROUPS:
        chosen = {name: path for name, path in known.items() if name.startswith(which)}
        if chosen:
            return chosen
    raise KeyError(which)


def tail(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines (a deque: a long log is read once, never held whole)."""
    with path.open(errors="replace") as fh:
        return [line.rstrip("\n") for line in deque(fh, maxlen=lines)] if lines > 0 else []


def show(chosen: dict[str, Path], lines: int) -> list[str]:
    out = []
    for name, path in chosen.items():
        if not path.is_file():
            out.append(f"== {name}: {path} (not written yet)")
            continue
        out.append(f"== {name}: {path} ({path.stat().st_size:,} bytes, last {lines} lines)")
        out += tail(path, lines)
    return out
