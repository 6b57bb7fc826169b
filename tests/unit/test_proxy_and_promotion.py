"""The read/write-split proxy on the host and replica promotion, under Pulumi mocks."""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.settings import ConfigError
from mysql_platform.core import contract
from mysql_platform.core.outputs import parse_outputs
from tests.support.pulumi_harness import ProgramRun, shared_run
from tests.support.stacks import APP_SG, FEATURES, PROXY_CIDR, SSH_CIDR

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RDS = "aws:rds/instance:Instance"
EC2 = "aws:ec2/instance:Instance"


def run(stack: str, preview: bool = False, **overrides: Any) -> ProgramRun:
    return shared_run(program, stack, preview=preview, overrides=overrides)


def host_rules(r: ProgramRun) -> list[Any]:
    return [x for x in r.of_type(INGRESS) if x.plain("securityGroupId") == "host-sg-id"]


def address(r: ProgramRun, name: str) -> str:
    return str(r.outputs_of(r.one(RDS, name))["address"])


@pytest.mark.parametrize("preview", [False, True])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_proxy_ports_admit_only_the_allowed_cidrs_and_groups(stack: str, preview: bool) -> None:
    r = run(stack, preview, **FEATURES)
    rules = host_rules(r)
    by_port: dict[int, set[str]] = {}
    for rule in rules:
        source = rule.plain("cidrIpv4") or rule.plain("referencedSecurityGroupId")
        by_port.setdefault(rule.plain("fromPort"), set()).add(source)
    assert by_port == {22: {SSH_CIDR}, 3306: {PROXY_CIDR, APP_SG}, 3307: {PROXY_CIDR, APP_SG}}
    # The DB still admits exactly the host.
    db_rules = [x for x in r.of_type(INGRESS) if x.plain("securityGroupId") == "db-primary-sg-id"]
    assert "host-sg-id" in {x.plain("referencedSecurityGroupId") for x in db_rules}


@pytest.mark.parametrize("preview", [False, True])
def test_user_data_installs_haproxy_with_the_rendered_split(preview: bool) -> None:
    r = run("prod", preview, **FEATURES)
    user_data = r.one(EC2, "host-instance").plain("userData")
    primary, replica = address(r, "db-primary-instance"), address(r, "db-replica-1")
    assert "dnf install -y haproxy" in user_data
    assert "systemctl enable --now haproxy" in user_data
    assert "haproxy -c -f /etc/haproxy/haproxy.cfg" in user_data
    writer = user_data.split("listen mysql_writer", 1)[1].split("listen mysql_reader", 1)[0]
    reader = user_data.split("listen mysql_reader", 1)[1]
    assert "bind 0.0.0.0:3306" in writer
    assert f"server primary {primary}:3306 check" in writer
    assert replica not in writer
    assert "bind 0.0.0.0:3307" in reader
    assert f"server replica1 {replica}:3306 check" in reader
    assert f"server primary {primary}:3306 check backup" in reader
    # TCP checks only (mysql-check cannot log in with TLS required) and fast detection.
    assert "mysql-check" not in user_data
    assert "observe layer4" in user_data and "on-error mark-down" in user_data
    # RDS endpoints move on Multi-AZ failover: HAProxy must re-resolve them.
    assert "resolvers sysdns" in user_data
    assert "mysql-platform stack prod" in user_data
    assert "stats socket /var/lib/haproxy/admin.sock" in user_data
    assert user_data.index("install -d -o haproxy") < user_data.index("systemctl enable --now haproxy")
    assert "Gen3rated" not in user_data, "no secret belongs in user data"


def test_proxy_is_exported_in_the_contract() -> None:
    r = run("dev", **FEATURES)
    proxy = r.exports[contract.PROXY]
    assert set(proxy) == set(contract.PROXY_KEYS)
    assert proxy["host"] == r.exports[contract.HOST]["public_dns"]
    assert (proxy["writer_port"], proxy["reader_port"]) == (3306, 3307)
    parsed = parse_outputs(r.exports)
    assert parsed.proxy is not None and parsed.proxy.reader_port == 3307


def test_without_proxy_nothing_listens_and_nothing_is_exported() -> None:
    r = run("dev")
    assert contract.PROXY not in r.exports
    assert "haproxy" not in r.one(EC2, "host-instance").plain("userData")
    assert host_rules(r) == []


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({**FEATURES, "proxyAllowedCidrs": ["0.0.0.0/0"]}, "proxyAllowedCidrs", "whole internet"),
        (
            {**FEATURES, "proxyAllowedSecurityGroupIds": ["default"]},
            "proxyAllowedSecurityGroupIds",
            "sg-0123",
        ),
        ({**FEATURES, "proxyReaderPort": 3306}, "proxyReaderPort", "different from proxyWriterPort"),
        ({**FEATURES, "proxyWriterPort": 22}, "proxyWriterPort", "got 22"),
        ({**FEATURES, "dbReplicaCount": 0}, "proxyEnabled", "needs at least one replica"),
    ],
)
def test_rejects_bad_proxy_config(overrides: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        run("dev", **overrides)
    assert any(p.startswith(f"{key}:") and fragment in p for p in info.value.problems), info.value.problems


# --- promotion ------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True])
def test_promoting_a_replica_makes_it_a_standalone_writer_with_backups(preview: bool) -> None:
    r = run("prod", preview, dbPromoteReplica=1)
    promoted = r.one(RDS, "db-replica-1")
    assert promoted.plain("replicateSourceDb") is None
    assert promoted.plain("backupRetentionPeriod") == 7
    assert promoted.plain("skipFinalSnapshot") is False
    identifier = promoted.plain("identifier")
    assert identifier.startswith("mysql-prod-replica-1-")
    assert promoted.plain("finalSnapshotIdentifier") == f"{identifier}-final"
    # Same logical name: Pulumi updates (promotes) it in place rather than replacing it.
    assert promoted.urn.endswith("::db-replica-1")
    # The old primary is kept as it was, protected: nothing is deleted by a promotion.
    old = r.one(RDS, "db-primary-instance")
    assert old.protect is True and old.plain("deletionProtection") is True
    db = r.exports[contract.DB]
    assert db["writer"]["host"] == address(r, "db-replica-1")
    assert db["readers"] == []


def test_promotion_repoints_the_proxy_writer() -> None:
    r = run("dev", dbPromoteReplica=1, **FEATURES)
    user_data = r.one(EC2, "host-instance").plain("userData")
    writer = user_data.split("listen mysql_writer", 1)[1].split("listen mysql_reader", 1)[0]
    assert f"server primary {address(r, 'db-replica-1')}:3306 check" in writer
    assert address(r, "db-primary-instance") not in user_data


def test_promotion_with_two_replicas_keeps_the_other_out_of_the_readers() -> None:
    r = run("dev", dbReplicaCount=2, dbPromoteReplica=2)
    assert (
        r.one(RDS, "db-replica-1").plain("replicateSourceDb")
        == r.outputs_of(r.one(RDS, "db-primary-instance"))["identifier"]
    )
    assert r.exports[contract.DB]["writer"]["host"] == address(r, "db-replica-2")
    assert r.exports[contract.DB]["readers"] == []


@pytest.mark.parametrize("index", [-1, 2])
def test_rejects_promoting_a_replica_that_does_not_exist(index: int) -> None:
    with pytest.raises(ConfigError) as info:
        run("dev", dbReplicaCount=1, dbPromoteReplica=index)
    assert any(p.startswith("dbPromoteReplica:") and f"got {index}" in p for p in info.value.problems)
