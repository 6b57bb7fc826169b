"""Reader lag from sampled writer positions, and the rotation rule."""

from __future__ import annotations

import pytest

from mysql_platform import router
from mysql_platform.core.contract import Endpoint, StackOutputs
from mysql_platform.core.outputs import parse_outputs
from mysql_platform.router.gtid import MARIADB
from mysql_platform.router.health import EndpointHealth, LagClock, judge
from mysql_platform.router.settings import RouterSettings


def clock_with(samples: list[tuple[float, str]]) -> LagClock:
    clock = LagClock(MARIADB, keep_s=10.0)
    for at, text in samples:
        clock.add(at, MARIADB.parse(text))
    return clock


def test_lag_is_the_age_of_the_oldest_write_the_reader_lacks() -> None:
    clock = clock_with([(100.0, "0-1-10"), (100.25, "0-1-12"), (100.5, "0-1-15")])
    assert clock.lag(100.6, MARIADB.parse("0-1-15")) == 0.0
    assert clock.lag(100.6, MARIADB.parse("0-1-12")) == pytest.approx(0.1)
    assert clock.lag(100.6, MARIADB.parse("0-1-9")) == pytest.approx(0.6)
    assert LagClock(MARIADB, keep_s=1).lag(1.0, {}) is None


def test_a_stopped_replica_lags_more_with_every_check_while_the_writer_takes_writes() -> None:
    clock = LagClock(MARIADB, keep_s=3.0)
    lags = []
    for i in range(12):
        clock.add(i * 0.25, MARIADB.parse(f"0-1-{100 + i}"))
        lags.append(clock.lag(i * 0.25, MARIADB.parse("0-1-100")))
    assert lags[0] == 0.0 and lags[1] == pytest.approx(0.0) and lags[-1] == pytest.approx(2.5)
    assert lags == sorted(lags)


def test_old_samples_are_dropped_but_a_far_behind_reader_stays_far_behind() -> None:
    clock = LagClock(MARIADB, keep_s=1.0)
    for i in range(100):
        clock.add(i * 0.25, MARIADB.parse(f"0-1-{i + 1}"))
    assert len(clock._samples) <= 7
    assert clock.lag(24.75, MARIADB.parse("0-1-0")) > 1.0


def health(**kwargs: object) -> EndpointHealth:
    base: dict[str, object] = {"reachable": True, "read_only": True, "replicating": True, "lag_s": 0.0}
    base.update(kwargs)
    return EndpointHealth(Endpoint("127.0.0.1", 3307), "reader", **base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "keep", "reason"),
    [
        ({}, True, "ok"),
        ({"lag_s": None}, True, "ok (lag unknown: no GTIDs)"),
        ({"reachable": False, "reason": "unreachable: error 2003"}, False, "unreachable: error 2003"),
        ({"read_only": False}, False, "writable: not a replica (promoted, or the writer itself)"),
        ({"replicating": False}, False, "replication stopped"),
        ({"lag_s": 1.5, "in_rotation": True}, False, "lag 1.50 s > 1 s"),
        ({"lag_s": 0.7, "in_rotation": True}, True, "ok"),
        ({"lag_s": 0.7, "in_rotation": False}, False, "catching up: lag 0.70 s (back at 0.5 s)"),
        ({"lag_s": 0.4, "in_rotation": False}, True, "ok"),
    ],
)
def test_rotation_rule(kwargs: dict[str, object], keep: bool, reason: str) -> None:
    assert judge(health(**kwargs), max_lag_s=1.0) == (keep, reason)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_lag_s": 0}, "max_lag_s must be a positive number of seconds, got 0"),
        ({"check_interval_s": float("nan")}, "check_interval_s must be a positive number of seconds"),
        ({"causal_wait_s": True}, "causal_wait_s must be a positive number of seconds, got True"),
        ({"pool_size": 0}, "pool_size must be an integer from 1 to 1000, got 0"),
        ({"consistency": "strong"}, "consistency must be one of auto, gtid, heartbeat, got 'strong'"),
        ({"heartbeat_schema": "ops`; DROP"}, "heartbeat_schema must be a plain schema name"),
        ({"read_only_functions": {"f"}}, "read_only_functions must be a frozenset of lower-case"),
        ({"read_only_functions": frozenset({"App.F"})}, "read_only_functions must be a frozenset"),
    ],
)
def test_rejects_bad_router_settings(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RouterSettings(**change)  # type: ignore[arg-type]


def outputs(ssl_ca: str | None) -> StackOutputs:
    data = {
        "environment": "dev",
        "vpc_id": "vpc-1",
        "host": {"instance_id": "i-1", "public_ip": "", "public_dns": "", "ssh_user": "ec2-user"},
        "db": {
            "engine": "mysql",
            "engine_version": "8.4.7",
            "writer": {"host": "db.example.com", "port": 3306},
            "readers": [],
            "database": "app",
            "username": "admin",
            "publicly_accessible": False,
            "multi_az": False,
        },
        "db_password": "s3cret-value",
    }
    if ssl_ca:
        data["ssl_ca"] = ssl_ca
    return parse_outputs(data)


def test_rejects_connecting_without_a_ca_before_any_connection() -> None:
    with pytest.raises(router.RouterError, match="no CA to verify the servers with: pass ssl_ca"):
        router.connect(outputs(None))


def test_rejects_another_user_without_its_password() -> None:
    with pytest.raises(router.RouterError, match="no password for user 'app'") as raised:
        router.connect(outputs("ca.pem"), user="app")
    assert "s3cret-value" not in str(raised.value)
