"""The ``no-internet-ingress`` rule: no port admits the whole internet, also not in pieces.

Ingress reaches a security group in three forms, and the rule reads all of them:

- ``aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule``: one ``cidrIpv4`` or ``cidrIpv6``;
- ``aws:ec2/securityGroupRule:SecurityGroupRule`` with ``type: ingress``: ``cidrBlocks`` and
  ``ipv6CidrBlocks`` lists;
- inline ``ingress`` blocks of ``aws:ec2/securityGroup:SecurityGroup``, with the same two lists.

The CIDRs are pooled per protocol and port across all groups, not per group: an instance may carry
several groups (what reaches it is their union), and at preview the group ids of a new stack are
unknown, so grouping by them would either drop the rule or guess. tcp and udp pool apart (half the
internet on tcp and the other half on udp is nobody's whole internet); protocol ``-1``/``all`` (all
traffic) joins every pool on every port, and so does a protocol that is unknown. An unknown port
covers every port. ICMP's ports are its type and code, so an ICMP rule covers all of ICMP.
A CIDR that is unknown at preview is a violation:
the rule cannot show it is not the whole internet. A security group's ``ingress`` that is unknown
as a whole is not: in the stack view CrossGuard hands the pack the resources' outputs (pulumi
``step_generator.go`` AnalyzeResources: "AnalyzeStack is called on the final outputs"), and the
provider computes ``ingress`` from every rule of the group (pulumi-aws ``SecurityGroup.ingress`` is
an always-present output), so on a new stack it is unknown even when nothing is inline; that is
said as an undecided note.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mysql_platform.planning.policy_values import UNKNOWN, Undecided, Unknown, items, lookup, unknown_message

if TYPE_CHECKING:
    from mysql_platform.planning.policy_rules import Resource

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ALL_PORTS = (0, 65535)
ALL_PROTOCOLS = "all"
# The provider and EC2 take a protocol by name or number (IANA): the same pool either way.
_PROTOCOL_NAMES = {"-1": ALL_PROTOCOLS, "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
_ICMP = ("icmp", "icmpv6")
_INTERNET = [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
_NEEDS = "the rule cannot show it is not the whole internet"


@dataclass(frozen=True)
class Source:
    """One CIDR admitted on a port range, and where it comes from."""

    low: int
    high: int
    cidr: str
    origin: str
    protocol: str = ALL_PROTOCOLS


def covers_the_internet(cidrs: Iterable[str]) -> bool:
    """True if the CIDRs together are all addresses of a family (``0.0.0.0/1`` + ``128.0.0.0/1``)."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    for internet in _INTERNET:
        same = [n for n in nets if n.version == internet.version]
        if same and internet in ipaddress.collapse_addresses(same):  # type: ignore[type-var]
            return True
    return False


def no_internet_ingress(resources: list[Resource]) -> Iterator[str | Undecided]:
    sources: list[Source] = []
    for r in resources:
        for found in _sources(r):
            if isinstance(found, Source):
                sources.append(found)
            else:
                yield found
    yield from _open_ranges(sources)


def _sources(r: Resource) -> Iterator[Source | str | Undecided]:
    if r.type == INGRESS:
        cidrs = [lookup(r.inputs, "cidrIpv4"), lookup(r.inputs, "cidrIpv6")]
        yield from _rule(r.name, r.inputs, "ipProtocol", [c for c in cidrs if c is not None])
    elif r.type == SECURITY_GROUP_RULE and lookup(r.inputs, "type") in ("ingress", UNKNOWN):
        yield from _rule(r.name, r.inputs, "protocol", _cidr_lists(r.name, r.inputs))
    elif r.type == SECURITY_GROUP:
        blocks = items(lookup(r.inputs, "ingress"))
        if isinstance(blocks, Unknown):
            yield Undecided(f"{r.name}: ingress is unknown at preview (AWS computes it)")
            return
        for i, block in enumerate(blocks):
            origin = f"{r.name}.ingress[{i}]"
            if block is UNKNOWN:
                yield Undecided(f"{origin} is unknown at preview")
            else:
                yield from _rule(origin, block, "protocol", _cidr_lists(origin, block))


def _cidr_lists(origin: str, rule: Any) -> list[Any]:
    cidrs: list[Any] = []
    for key in ("cidrBlocks", "ipv6CidrBlocks"):
        listed = items(lookup(rule, key))
        cidrs += [UNKNOWN] if isinstance(listed, Unknown) else listed
    return cidrs


def _rule(origin: str, rule: Any, protocol_key: str, cidrs: list[Any]) -> Iterator[Source | str]:
    low, high = _ports(rule, protocol_key)
    protocol = _protocol(lookup(rule, protocol_key))
    for cidr in cidrs:
        if cidr is UNKNOWN:
            yield f"{origin}: " + unknown_message("an ingress CIDR", _NEEDS)
        elif _is_cidr(cidr):
            yield Source(low, high, str(cidr), origin, protocol)
        else:
            yield f"{origin}: ingress CIDR {cidr!r} is not a CIDR block"


def _protocol(value: Any) -> str:
    """The pool a rule's protocol joins; unknown counts as all traffic."""
    if value is UNKNOWN or value is None:
        return ALL_PROTOCOLS
    name = str(value).strip().lower()
    return _PROTOCOL_NAMES.get(name, name)


def _ports(rule: Any, protocol_key: str) -> tuple[int, int]:
    protocol = _protocol(lookup(rule, protocol_key))
    low, high = lookup(rule, "fromPort"), lookup(rule, "toPort")
    # The provider reads "ALL", "all" and "-1" alike: every protocol, every port.
    if protocol == ALL_PROTOCOLS or protocol in _ICMP:
        return ALL_PORTS
    if not isinstance(low, int | float) or not isinstance(high, int | float) or low < 0 or high < 0:
        return ALL_PORTS  # unknown, absent, or ICMP's -1 (every type)
    return int(low), int(high)


def _is_cidr(value: Any) -> bool:
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return False
    return True


def _open_ranges(sources: list[Source]) -> Iterator[str]:
    """Per protocol, the port ranges whose admitted CIDRs together are the whole internet, adjacent
    ones merged; all traffic joins every protocol's pool (each finding said once)."""
    protocols = sorted({s.protocol for s in sources} - {ALL_PROTOCOLS}) or [ALL_PROTOCOLS]
    said: list[str] = []
    for protocol in protocols:
        pool = [s for s in sources if s.protocol in (protocol, ALL_PROTOCOLS)]
        said += [m for m in _open_ranges_of(pool) if m not in said]
    yield from said


def _open_ranges_of(sources: list[Source]) -> Iterator[str]:
    bounds = sorted({s.low for s in sources} | {s.high + 1 for s in sources})
    open_: list[tuple[int, int, list[Source]]] = []
    for low, next_low in itertools.pairwise(bounds):
        covering = [s for s in sources if s.low <= low and s.high >= next_low - 1]
        if not covering or not covers_the_internet(s.cidr for s in covering):
            continue
        if open_ and open_[-1][1] == low - 1:
            first, _, seen = open_.pop()
            open_.append((first, next_low - 1, seen + [s for s in covering if s not in seen]))
        else:
            open_.append((low, next_low - 1, covering))
    for low, high, covering in open_:
        listed = ", ".join(f"{s.cidr} ({s.origin})" for s in covering)
        yield f"ports {low}-{high} admit the whole internet: {listed}"
