"""Reading a plan for :mod:`mysql_platform.planning.architecture`: references and ingress rules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mysql_platform.planning.plan import Plan, PlannedResource

_SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def ref(value: Any) -> str | None:
    """The logical name a plan input refers to (``-> name`` or ``-> name.attribute``)."""
    if isinstance(value, str) and value.startswith("-> "):
        return value[3:].split(".", 1)[0]
    return None


def of_type(plan: Plan, suffix: str) -> list[PlannedResource]:
    return [r for r in plan.resources if not r.component and r.type.endswith(suffix)]


def ingress_rules(plan: Plan) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ingress rule as (its group's name, one source in ``SecurityGroupIngressRule`` form):
    rule resources, ``SecurityGroupRule``s of type ingress and a group's inline ``ingress``
    blocks, which all become the group's ingress permissions."""
    for r in of_type(plan, _SG_INGRESS):
        yield ref(r.inputs.get("securityGroupId")) or "", dict(r.inputs)
    for r in of_type(plan, "ec2/securityGroupRule:SecurityGroupRule"):
        if r.inputs.get("type") == "ingress":
            group = ref(r.inputs.get("securityGroupId")) or ""
            yield from _split(group, r.inputs, [r.inputs.get("sourceSecurityGroupId")])
    for sg in of_type(plan, "ec2/securityGroup:SecurityGroup"):
        for block in sg.inputs.get("ingress") or []:
            yield from _split(sg.name, block, block.get("securityGroups") or [])


def _split(
    group: str, rule: Mapping[str, Any], groups: Iterable[Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """A multi-source rule (cidrBlocks, ipv6CidrBlocks, prefixListIds, groups, self) as one a source."""
    ports = {
        "ipProtocol": rule.get("protocol"),
        "fromPort": rule.get("fromPort"),
        "toPort": rule.get("toPort"),
    }
    for key, one in (
        ("cidrBlocks", "cidrIpv4"),
        ("ipv6CidrBlocks", "cidrIpv6"),
        ("prefixListIds", "prefixListId"),
    ):
        for value in rule.get(key) or []:
            yield group, {**ports, one: value}
    sources = [g for g in groups if g] + ([f"-> {group}"] if rule.get("self") else [])
    for g in sources:
        yield group, {**ports, "referencedSecurityGroupId": g}
