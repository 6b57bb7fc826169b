"""The router's pool: parked connections are kept for their session, and taken back when needed."""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.core.contract import Secret
from mysql_platform.db.connection import Target
from mysql_platform.router.pool import EndpointPool, PoolTimeout


class FakeConnection:
    closed = False

    def close(self) -> None:
        self.closed = True


def _pool(size: int) -> tuple[EndpointPool, list[FakeConnection]]:
    made: list[FakeConnection] = []

    def connect(target: Target, timeout_s: float, read_timeout_s: float) -> Any:
        made.append(FakeConnection())
        return made[-1]

    target = Target(host="127.0.0.1", port=1, user="u", password=Secret("p"), ssl_ca=None)
    pool = EndpointPool(
        target,
        max_size=size,
        connect_timeout_s=1,
        checkout_timeout_s=0.05,
        ping_after_s=3600,
        connect=connect,
    )
    return pool, made


def test_a_parked_connection_comes_back_to_its_session() -> None:
    pool, _made = _pool(2)
    conn = pool.acquire(verify=False)
    token = pool.park(conn)
    assert pool.sizes() == (0, 0, 1)
    assert pool.unpark(token, verify=False) is conn
    assert pool.unpark(token, verify=False) is None  # once
    pool.release(conn)
    assert pool.sizes() == (0, 1, 0)


def test_the_pool_takes_the_oldest_parked_connection_back_instead_of_waiting() -> None:
    pool, made = _pool(2)
    first, second = pool.acquire(verify=False), pool.acquire(verify=False)
    old, new = pool.park(first), pool.park(second)
    taken = pool.acquire(verify=False)
    assert taken is first and len(made) == 2
    assert pool.unpark(old, verify=False) is None  # its session lost it
    assert pool.unpark(new, verify=False) is second
    with pytest.raises(PoolTimeout):
        pool.acquire(verify=False)  # two out, none parked: the caller waits, then gives up


def test_closing_the_pool_closes_parked_connections() -> None:
    pool, made = _pool(1)
    token = pool.park(pool.acquire(verify=False))
    pool.close()
    assert made[0].closed and pool.unpark(token, verify=False) is None
    assert pool.sizes() == (0, 0, 0)
