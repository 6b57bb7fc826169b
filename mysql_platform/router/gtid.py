"""GTID positions of both servers the router meets, and the SQL that reads and waits for them.

MariaDB: a position is one GTID ``domain-server-seq`` per replication domain
(``@@gtid_binlog_pos`` on the writer, ``@@gtid_slave_pos`` on a replica);
``MASTER_GTID_WAIT(pos, timeout)`` returns 0 once the replica has applied it, -1 on timeout.
GTIDs are always on where the binary log is.

MySQL: a position is a GTID set ``uuid:1-5:7,uuid2:1-3`` (``@@GLOBAL.gtid_executed``);
``WAIT_FOR_EXECUTED_GTID_SET(set, timeout)`` returns 0 once it is applied, 1 on timeout. It
needs ``gtid_mode`` ON or ON_PERMISSIVE (the parameter group's ``gtid-mode``).

A session's reads wait for the writer's whole position read after its writes: it holds them
(and perhaps a few more of other sessions'), and reading it only when a replica must show it
costs a session that only writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

_MARIADB_GTID_RE = re.compile(r"^(\d+)-(\d+)-(\d+)$")
_UUID_RE = re.compile(r"^[0-9a-fA-F-]{36}$")


class Dialect(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def writer_position_sql(self) -> str: ...
    @property
    def reader_position_sql(self) -> str: ...
    @property
    def wait_sql(self) -> str: ...

    def parse(self, text: str) -> object: ...

    def covers(self, have: object, need: object) -> bool: ...

    def render(self, position: object) -> str: ...

    def waited(self, result: object) -> bool: ...


MariaPosition = dict[int, tuple[int, int]]  # domain -> (server_id, seq)
MySqlPosition = dict[str, list[tuple[int, int]]]  # source uuid -> sorted closed intervals


@dataclass(frozen=True)
class MariaDbGtid:
    name: str = "mariadb"
    writer_position_sql: str = "SELECT @@GLOBAL.gtid_binlog_pos"
    reader_position_sql: str = "SELECT @@GLOBAL.gtid_slave_pos"
    wait_sql: str = "SELECT MASTER_GTID_WAIT(%s, %s)"

    def parse(self, text: str) -> MariaPosition:
        out: MariaPosition = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            match = _MARIADB_GTID_RE.match(part)
            if not match:
                raise ValueError(f"not a MariaDB GTID: {part!r}")
            domain, server, seq = (int(g) for g in match.groups())
            out[domain] = (server, seq)
        return out

    def covers(self, have: object, need: object) -> bool:
        assert isinstance(have, dict) and isinstance(need, dict)
        return all(domain in have and have[domain][1] >= seq for domain, (_, seq) in need.items())

    def render(self, position: object) -> str:
        assert isinstance(position, dict)
        return ",".join(f"{d}-{s}-{n}" for d, (s, n) in sorted(position.items()))

    def waited(self, result: object) -> bool:
        return result == 0


@dataclass(frozen=True)
class MySqlGtid:
    name: str = "mysql"
    writer_position_sql: str = "SELECT @@GLOBAL.gtid_executed"
    reader_position_sql: str = "SELECT @@GLOBAL.gtid_executed"
    wait_sql: str = "SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)"

    def parse(self, text: str) -> MySqlPosition:
        out: MySqlPosition = {}
        for part in filter(None, (p.strip() for p in text.replace("\n", "").split(","))):
            uuid, *ranges = part.split(":")
            if not _UUID_RE.match(uuid) or not ranges:
                raise ValueError(f"not a MySQL GTID set entry: {part!r}")
            intervals = out.setdefault(uuid.lower(), [])
            for item in ranges:
                low, _, high = item.partition("-")
                intervals.append((int(low), int(high or low)))
            intervals.sort()
        return out

    def covers(self, have: object, need: object) -> bool:
        assert isinstance(have, dict) and isinstance(need, dict)
        for uuid, wanted in need.items():
            held = have.get(uuid, [])
            for low, high in wanted:
                if not any(a <= low and high <= b for a, b in held):
                    return False
        return True

    def render(self, position: object) -> str:
        assert isinstance(position, dict)
        return ",".join(
            uuid + "".join(f":{a}" if a == b else f":{a}-{b}" for a, b in intervals)
            for uuid, intervals in sorted(position.items())
        )

    def waited(self, result: object) -> bool:
        return result == 0


MARIADB = MariaDbGtid()
MYSQL = MySqlGtid()
