"""Limits AWS enforces on what the settings turn into: security-group rule counts and tags.

The rule counts are checked twice: by the settings (pure) and against what the program really
registers under the mocks, so the count the settings make cannot drift from the rules built.
"""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.settings import ConfigError
from tests.support.pulumi_harness import ProgramRun, shared_run
from tests.support.settings_api import problems, settings

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
QUOTA = "'Inbound or outbound rules per security group'"


def v4(n: int, start: int = 0) -> list[str]:
    """``n`` distinct public /32s (ipaddress calls the documentation ranges private)."""
    return [f"203.{(start + i) // 256}.{(start + i) % 256}.7/32" for i in range(n)]


def v6(n: int) -> list[str]:
    return [f"2001:db8:{i:x}::/48" for i in range(n)]


def rules_on(run: ProgramRun, sg: str) -> list[Any]:
    return [r for r in run.of_type(INGRESS) if r.plain("securityGroupId") == f"{sg}-id"]


# --- the DB's security group ---------------------------------------------------------------------


@pytest.mark.parametrize("count", [100, 1000])
def test_rejects_more_allowed_cidrs_than_the_db_group_can_hold(count: int) -> None:
    found = problems("dev", dbPubliclyAccessible=True, dbAllowedCidrs=v4(count))
    assert found == [
        f"dbAllowedCidrs: got {count + 1} inbound IPv4 rules for the DB's security group (the host's "
        f"security group: 1, dbAllowedCidrs: {count}; one rule per source and port), over the quota of "
        f"60 (securityGroupRuleQuota; Amazon VPC quota {QUOTA}, default 60, counted apart for IPv4 and "
        f"IPv6): drop sources worth {count + 1 - 60} rules (merge neighbouring addresses into one "
        "prefix), or have the quota raised in Service Quotas (L-0EA8095F) and set securityGroupRuleQuota "
        "to it"
    ]


def test_the_db_group_holds_exactly_the_quota_the_settings_allow() -> None:
    # 59 CIDRs and the host's group: 60 rules, the most AWS takes by default; one more is refused.
    run = shared_run(program, "dev", overrides={"dbAllowedCidrs": v4(59)})
    assert len(rules_on(run, "db-primary-sg")) == 60
    with pytest.raises(ConfigError, match="got 61 inbound IPv4 rules for the DB's security group"):
        shared_run(program, "dev", overrides={"dbAllowedCidrs": v4(60)})


def test_allowed_cidrs_of_a_private_db_make_no_rules_and_are_not_counted() -> None:
    assert settings("dev", dbPubliclyAccessible=False, dbAllowedCidrs=v4(100)).db_allowed_cidrs


def test_ipv4_and_ipv6_rules_are_counted_apart_and_a_group_counts_in_both() -> None:
    # 59 of each and the host's group: 60 IPv4 and 60 IPv6 rules, both at the quota.
    assert settings("dev", dbPubliclyAccessible=True, dbAllowedCidrs=v4(59) + v6(59))
    (found,) = problems("dev", dbPubliclyAccessible=True, dbAllowedCidrs=v4(10) + v6(60))
    assert found.startswith("dbAllowedCidrs: got 61 inbound IPv6 rules for the DB's security group")


def test_a_raised_quota_is_honoured_and_a_quota_below_the_default_is_refused() -> None:
    many = {"dbPubliclyAccessible": True, "dbAllowedCidrs": v4(100)}
    assert settings("dev", securityGroupRuleQuota=101, **many).security_group_rule_quota == 101
    assert problems("dev", securityGroupRuleQuota=59) == [
        "securityGroupRuleQuota: got 59; expected your account's Amazon VPC quota "
        f"{QUOTA}, 60 (the default) to 1000"
    ]
    assert problems("dev", securityGroupRuleQuota=1001)[0].startswith("securityGroupRuleQuota: got 1001")


# --- the host's security group -------------------------------------------------------------------

PROXY = {"proxyEnabled": True, "dbReplicaCount": 1}


def test_every_proxy_source_counts_once_per_proxy_port_with_the_ssh_rules() -> None:
    # 1 SSH rule + 2 ports x (25 CIDRs + 4 groups) = 59, + 1 SSH CIDR = 60: AWS takes it.
    groups = [f"sg-{i:017x}" for i in range(4)]
    at_quota = {
        **PROXY,
        "sshAllowedCidrs": v4(2, 500),
        "proxyAllowedCidrs": v4(25),
        "proxyAllowedSecurityGroupIds": groups,
    }
    run = shared_run(program, "prod", overrides=at_quota)
    assert len(rules_on(run, "host-sg")) == 60
    (found,) = problems("prod", **{**at_quota, "sshAllowedCidrs": v4(3, 500)})
    assert found.startswith(
        "sshAllowedCidrs, proxyAllowedCidrs, proxyAllowedSecurityGroupIds: got 61 inbound IPv4 rules for "
        "the host's security group (sshAllowedCidrs: 3, proxyAllowedCidrs: 50, "
        "proxyAllowedSecurityGroupIds: 8;"
    )


# --- tags ----------------------------------------------------------------------------------------

CHARACTERS = "RDS takes letters, digits, spaces and _ . : / = + - @ only"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (
            {"rds:team": "x"},
            "tags: got key 'rds:team'; rds: is reserved by RDS, which refuses a key that starts with it",
        ),
        ({"RDS:Team": "x"}, "tags: got key 'RDS:Team'; rds: is reserved by RDS, which refuses a key that"),
        ({"team": "aws:x"}, "tags: got value 'aws:x' for key 'team'; RDS refuses a value that starts with"),
        ({"team": "rds:x"}, "tags: got value 'rds:x' for key 'team'; RDS refuses a value that starts with"),
        ({"a<b": "v"}, f"tags: got key 'a<b'; '<' (U+003C) not allowed: {CHARACTERS}"),
        ({"k": "line\nbreak"}, "tags: got value 'line\\nbreak' for key 'k'; '\\n' (U+000A) not allowed"),
        ({"k": "nul\x00"}, "tags: got value 'nul\\x00' for key 'k'; '\\x00' (U+0000) not allowed"),
        ({"k\t": "v"}, "tags: got key 'k\\t'; '\\t' (U+0009) not allowed"),
        ({"k": "a;b*c"}, "tags: got value 'a;b*c' for key 'k'; ';' (U+003B), '*' (U+002A) not allowed"),
    ],
)
def test_rejects_tags_rds_refuses(tags: dict[str, str], expected: str) -> None:
    (found,) = problems("dev", tags=tags)
    assert found.startswith(expected)


def test_accepts_every_character_rds_documents_for_tags() -> None:
    # Letters and digits of any script, white-space (a space, a no-break space) and the symbols.
    tags = {"Cost Center": "", "café_名.1:/=+-@": "Ünïcode ٣ 50\u00a0% off".replace("%", "")}
    assert settings("dev", tags=tags).tags == tags
