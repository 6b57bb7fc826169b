"""The local environment's view of its etcd: who leads, under which lease, what each agent sees.

Keys live under ``/mysql-platform/<cluster id>/``:

- ``leader``: the server whose agent holds the leader lease; it vanishes when the lease expires;
- ``members/<server>``: each agent's last report (health, role, GTID position, fenced), under
  that agent's own lease, so a dead agent's report vanishes too;
- ``topology``: the roles after the last promotion, and when each step of it happened.

The client is etcd3gw (etcd's gRPC gateway, JSON over HTTPS, showing the client certificate).
With several members it tries each in turn: any member forwards a write to the Raft leader,
and a partitioned one answers no linearizable request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from etcd3gw import exceptions as etcd_errors
from etcd3gw.client import Etcd3Client
from etcd3gw.lease import Lease

from mysql_platform.local import etcd
from mysql_platform.local.etcd import Member

REQUEST_TIMEOUT_S: Final = 0.5
_T = TypeVar("_T")


class EtcdUnavailable(Exception):
    """No member answered: consensus cannot be reached, so nothing may be decided."""


@dataclass(frozen=True)
class LeaderInfo:
    name: str
    lease_id: int
    ttl_left: int | None


def cluster_id(state_dir: Path) -> str:
    return hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:12]


class Consensus:
    def __init__(self, state_dir: Path, members: list[Member]) -> None:
        self.prefix = f"/mysql-platform/{cluster_id(state_dir)}/"
        self.clients = [etcd.client(state_dir, m, REQUEST_TIMEOUT_S) for m in members]
        self._current = 0

    def _call(self, action: Callable[[Etcd3Client], _T]) -> _T:
        """``action`` on the member that answered last, then on the others; EtcdUnavailable if none."""
        count = len(self.clients)
        for step in range(count):
            index = (self._current + step) % count
            try:
                result = action(self.clients[index])
            except (etcd_errors.ConnectionFailedError, etcd_errors.ConnectionTimeoutError,
                    etcd_errors.InternalServerError):  # fmt: skip
                continue
            self._current = index
            return result
        raise EtcdUnavailable("no etcd member answered")

    # ----- leases -----------------------------------------------------------------------

    def grant(self, ttl: int) -> int:
        return self._call(lambda c: c.lease(ttl=ttl)).id

    def refresh(self, lease_id: int) -> int:
        """The lease's new TTL; -1 when it had already expired."""
        return self._call(lambda c: Lease(lease_id, client=c).refresh())

    def ttl_left(self, lease_id: int) -> int:
        """Whole seconds left (-1: expired). The gateway leaves a zero out of its JSON, so 0 is
        read from an absent field rather than through etcd3gw's Lease.ttl(), which fails on it."""
        answer = self._call(lambda c: c.post(c.get_url("/kv/lease/timetolive"), json={"ID": lease_id}))
        return int(answer.get("TTL", 0))

    def revoke(self, lease_id: int) -> None:
        self._call(lambda c: Lease(lease_id, client=c).revoke())

    # ----- the leader key ---------------------------------------------------------------

    def leader(self) -> LeaderInfo | None:
        found = self._call(lambda c: c.get(self.prefix + "leader", metadata=True))
        if not found:
            return None
        value, meta = found[0]
        lease_id = int(meta.get("lease") or 0)
        return LeaderInfo(value.decode(), lease_id, None)

    def leader_with_ttl(self) -> LeaderInfo | None:
        found = self.leader()
        if found is None or not found.lease_id:
            return found
        return LeaderInfo(found.name, found.lease_id, self.ttl_left(found.lease_id))

    def acquire(self, name: str, lease_id: int) -> bool:
        """Become leader if nobody is: an atomic create under ``lease_id``."""
        return self._call(lambda c: c.create(self.prefix + "leader", name, lease=Lease(lease_id, client=c)))

    def resign(self, name: str) -> None:
        """Give up the leader key if it is ours (a planned switchover)."""
        key = self.prefix + "leader"
        txn = {
            "compare": [{"key": _b64(key), "result": "EQUAL", "target": "VALUE", "value": _b64(name)}],
            "success": [{"request_delete_range": {"key": _b64(key)}}],
            "failure": [],
        }
        self._call(lambda c: c.transaction(txn))

    # ----- reports and topology ---------------------------------------------------------

    def report(self, name: str, view: dict[str, Any], lease_id: int) -> None:
        body = json.dumps(view, sort_keys=True)
        self._call(lambda c: c.put(self.prefix + f"members/{name}", body, lease=Lease(lease_id, client=c)))

    def reports(self) -> dict[str, dict[str, Any]]:
        found = self._call(lambda c: c.get_prefix(self.prefix + "members/"))
        views = {}
        for value, _meta in found:
            view = json.loads(value)
            views[str(view["name"])] = view
        return views

    def publish_topology(self, topology: dict[str, Any]) -> None:
        self._call(lambda c: c.put(self.prefix + "topology", json.dumps(topology, sort_keys=True)))

    def topology(self) -> dict[str, Any] | None:
        found = self._call(lambda c: c.get(self.prefix + "topology"))
        return json.loads(found[0]) if found else None


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()
