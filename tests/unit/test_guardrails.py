"""Config guardrails: what would hurt a running system, or what AWS would refuse too late."""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.settings import ConfigError, parse_settings
from tests.support.pulumi_harness import RecordingMocks, RecordingMonitor, run_program, stack_config


def problems(stack: str = "dev", stack_file: str = "dev", **overrides: Any) -> list[str]:
    raw = stack_config(stack_file, overrides)
    with pytest.raises(ConfigError) as info:
        parse_settings(stack, lambda key: raw.get(f"mysql-platform:{key}"))
    return info.value.problems


def accepted(stack: str = "dev", stack_file: str = "dev", **overrides: Any) -> None:
    raw = stack_config(stack_file, overrides)
    parse_settings(stack, lambda key: raw.get(f"mysql-platform:{key}"))


def about(found: list[str], key: str, *fragments: str) -> bool:
    return any(p.startswith(f"{key}:") and all(f in p for f in fragments) for p in found)


# --- 7. the whole internet in pieces -----------------------------------------------------------


@pytest.mark.parametrize("key", ["dbAllowedCidrs", "sshAllowedCidrs", "proxyAllowedCidrs"])
@pytest.mark.parametrize(
    ("cidrs", "family"),
    [
        (["0.0.0.0/1", "128.0.0.0/1"], "IPv4"),
        (["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"], "IPv4"),
        (["::/1", "8000::/1"], "IPv6"),
    ],
)
def test_rejects_the_whole_internet_in_pieces(key: str, cidrs: list[str], family: str) -> None:
    found = problems(**{key: cidrs})
    assert about(found, key, "whole internet", f"all of {family}")


@pytest.mark.parametrize(
    ("cidr", "covered"),
    [
        ("8.0.0.0/8", "16,777,216 addresses"),
        ("203.0.0.0/15", "131,072 addresses"),
        ("2a00::/24", "2a00::/24"),
    ],
)
def test_rejects_public_ranges_wider_than_the_bound(cidr: str, covered: str) -> None:
    assert about(problems(dbAllowedCidrs=[cidr]), "dbAllowedCidrs", "public range", covered)


def test_rejects_a_wide_public_union_of_narrow_entries() -> None:
    halves = ["198.0.0.0/16", "198.1.0.0/16"]  # each allowed; together a /15
    assert about(problems(dbAllowedCidrs=halves), "dbAllowedCidrs", "198.0.0.0/15")


@pytest.mark.parametrize(
    "cidrs",
    [
        ["203.0.113.10/32"],
        ["198.51.0.0/16"],
        ["10.0.0.0/8"],
        ["2a00:1450:4001::/48"],
        ["192.168.0.0/16", "10.0.0.0/8"],
    ],
)
def test_accepts_own_addresses_and_private_ranges(cidrs: list[str]) -> None:
    accepted(dbAllowedCidrs=cidrs, sshAllowedCidrs=cidrs)


# --- 8. production by another name -------------------------------------------------------------


@pytest.mark.parametrize("stack", ["prod", "production", "production-eu", "prod-us", "Prod_2", "PRODUCTION"])
def test_any_stack_starting_with_prod_keeps_its_db_private(stack: str) -> None:
    assert about(problems(stack, "dev"), "dbPubliclyAccessible", "production stack")


@pytest.mark.parametrize("stack", ["dev", "staging", "qa-prod"])
def test_other_stacks_may_have_a_public_db(stack: str) -> None:
    accepted(stack, "dev")


# --- 9. what AWS would refuse after the VPC and host exist -------------------------------------


@pytest.mark.parametrize("cls", ["db.t2.micro", "db.m4.large", "db.q9.large", "db.t4g.huge", "db.t3"])
def test_rejects_instance_classes_rds_mysql_does_not_offer(cls: str) -> None:
    assert about(problems(dbInstanceClass=cls), "dbInstanceClass", repr(cls))
    assert about(problems(dbReplicaInstanceClass=cls), "dbReplicaInstanceClass", repr(cls))


@pytest.mark.parametrize("cls", ["db.t4g.micro", "db.r6g.2xlarge", "db.m7g.large", "db.r5.24xlarge"])
def test_accepts_current_classes(cls: str) -> None:
    accepted(dbInstanceClass=cls)


@pytest.mark.parametrize("name", ["select", "mysql", "sys", "order", "Table", "information_schema"])
def test_rejects_reserved_database_names(name: str) -> None:
    assert about(problems(dbName=name), "dbName", repr(name))


@pytest.mark.parametrize("name", ["select", "grant", "mysql"])
def test_rejects_reserved_user_names(name: str) -> None:
    assert about(problems(dbUsername=name), "dbUsername", repr(name))


@pytest.mark.parametrize("cidr", ["8.8.8.0/24", "1.0.0.0/16", "172.32.0.0/16"])
def test_rejects_a_public_vpc_range(cidr: str) -> None:
    assert about(problems(vpcCidr=cidr), "vpcCidr", repr(cidr), "private range")


@pytest.mark.parametrize("cidr", ["10.40.0.0/16", "172.16.0.0/20", "192.168.10.0/24", "100.64.0.0/16"])
def test_accepts_private_vpc_ranges(cidr: str) -> None:
    accepted(vpcCidr=cidr)


def test_nothing_is_registered_when_a_guardrail_trips() -> None:
    monitor = RecordingMonitor(RecordingMocks())
    with pytest.raises(ConfigError):
        run_program(program, "dev", overrides={"vpcCidr": "8.8.8.0/24"}, monitor=monitor)
    assert monitor.registered == [] and monitor.mocks.calls == []
