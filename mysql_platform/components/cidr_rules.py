"""Address rules the settings enforce: allowed-CIDR lists and the VPC's own range.

An allow-list is judged by its union, not entry by entry: 0.0.0.0/1 plus 128.0.0.0/1 is
the whole internet as surely as 0.0.0.0/0. Public ranges may be at most
:data:`MAX_PUBLIC_PREFIX_V4` / :data:`MAX_PUBLIC_PREFIX_V6` wide (a /16 is a large campus or
a cloud region's block; anything wider is not "my office"). Private ranges (RFC 1918, ULA)
may be as wide as the VPC's own peers need.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_PUBLIC_PREFIX_V4: Final = 16
MAX_PUBLIC_PREFIX_V6: Final = 48
# Ranges a VPC may use without shadowing someone's public addresses: RFC 1918 and the
# shared address space (RFC 6598) that AWS also accepts for VPCs.
VPC_RANGES: Final = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


def parse_cidr(cidr: str) -> IPNetwork:
    """A CIDR with a prefix length and no host bits set; raises ValueError saying why not."""
    if "/" not in cidr:
        # AWS takes CIDR notation only; a bare address is a likely typo for /32.
        raise ValueError("no prefix length; a single address is x.x.x.x/32")
    return ipaddress.ip_network(cidr, strict=True)


def _is_public(network: IPNetwork) -> bool:
    return not network.is_private


def _max_prefix(network: IPNetwork) -> int:
    return MAX_PUBLIC_PREFIX_V4 if network.version == 4 else MAX_PUBLIC_PREFIX_V6


def _describe(networks: Sequence[IPNetwork]) -> str:
    addresses = sum(n.num_addresses for n in networks)
    return f"{', '.join(str(n) for n in networks)} ({addresses:,} addresses)"


def allow_list_problems(key: str, networks: Sequence[IPNetwork]) -> list[str]:
    """What is wrong with a list of allowed sources, judged by the union of its entries."""
    problems: list[str] = []
    # Each entry becomes one ingress rule; EC2 refuses a second identical rule
    # (InvalidPermission.Duplicate), and the up would stop there.
    repeated = sorted(cidr for cidr, count in Counter(str(n) for n in networks).items() if count > 1)
    if repeated:
        problems.append(f"{key}: {', '.join(repeated)} listed twice; each source once (one rule each)")
    for version in (4, 6):
        same = [n for n in networks if n.version == version]
        got = [str(n) for n in same]
        union = list(ipaddress.collapse_addresses(same))  # type: ignore[type-var]
        if any(n.prefixlen == 0 for n in union):
            problems.append(
                f"{key}: got {got!r}; the whole internet is never allowed, and together they cover "
                f"all of IPv{version} ({_describe(union)}); name your own addresses, e.g. x.x.x.x/32"
            )
            continue
        wide = [n for n in union if _is_public(n) and n.prefixlen < _max_prefix(n)]
        if wide:
            bound = _max_prefix(wide[0])
            problems.append(
                f"{key}: got {got!r}; together they cover the public range {_describe(wide)}; "
                f"public sources may be at most /{bound} wide (IPv{version}); name your own addresses"
            )
    return problems


def vpc_range_problem(cidr: IPNetwork) -> str | None:
    if isinstance(cidr, ipaddress.IPv4Network) and any(cidr.subnet_of(r) for r in VPC_RANGES):
        return None
    ranges = ", ".join(str(r) for r in VPC_RANGES)
    return (
        f"vpcCidr: got {str(cidr)!r}; a public range would hide those internet addresses from everything "
        f"in the VPC: expected a private range inside {ranges}"
    )


# Amazon VPC quotas (Amazon VPC User Guide, "Amazon VPC quotas", Security groups): "Inbound or
# outbound rules per security group: 60", "enforced separately for IPv4 rules and IPv6 rules",
# and "A rule that references a security group or prefix list ID counts as one rule for IPv4 and
# one rule for IPv6". Adjustable up to 1,000 (Service Quotas code L-0EA8095F), traded against
# security groups per network interface (the product stays at most 1,000).
DEFAULT_RULES_PER_GROUP: Final = 60
MAX_RULES_PER_GROUP: Final = 1000
RULE_QUOTA_NAME: Final = "Inbound or outbound rules per security group"
QUOTA_KEY: Final = "securityGroupRuleQuota"


def rule_quota_problem(quota: int) -> str | None:
    if DEFAULT_RULES_PER_GROUP <= quota <= MAX_RULES_PER_GROUP:
        return None
    return (
        f"{QUOTA_KEY}: got {quota}; expected your account's Amazon VPC quota {RULE_QUOTA_NAME!r}, "
        f"{DEFAULT_RULES_PER_GROUP} (the default) to {MAX_RULES_PER_GROUP}"
    )


@dataclass(frozen=True)
class RuleSource:
    """What becomes inbound rules on a security group: one rule per source and port.

    ``cidrs`` are CIDR strings (an entry with ``:`` is IPv6, as
    :func:`mysql_platform.components.security.add_ingress`
    decides); ``group_refs`` counts security-group sources, each one rule for IPv4 and one for IPv6.
    ``key`` is the setting, or a description for a rule the program adds itself.
    """

    key: str
    ports: int
    cidrs: Sequence[str] = ()
    group_refs: int = 0
    is_setting: bool = True

    def rules(self, version: int) -> int:
        same = sum((":" in c) == (version == 6) for c in self.cidrs)
        return self.ports * (same + self.group_refs)


def inbound_rule_problems(group: str, sources: Sequence[RuleSource], quota: int) -> list[str]:
    """What AWS would refuse on ``group``: more inbound rules of one IP version than ``quota``."""
    problems: list[str] = []
    for version in (4, 6):
        count = sum(s.rules(version) for s in sources)
        if count <= quota:
            continue
        counted = [s for s in sources if s.rules(version)]
        parts = ", ".join(f"{s.key}: {s.rules(version)}" for s in counted)
        keys = ", ".join(s.key for s in counted if s.is_setting)
        problems.append(
            f"{keys}: got {count} inbound IPv{version} rules for {group} ({parts}; one rule per source "
            f"and port), over the quota of {quota} ({QUOTA_KEY}; Amazon VPC quota {RULE_QUOTA_NAME!r}, "
            f"default {DEFAULT_RULES_PER_GROUP}, counted apart for IPv4 and IPv6): drop sources worth "
            f"{count - quota} rules (merge neighbouring addresses into one prefix), or have the quota "
            f"raised in Service Quotas (L-0EA8095F) and set {QUOTA_KEY} to it"
        )
    return problems
