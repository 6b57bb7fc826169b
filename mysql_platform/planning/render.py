"""A plan as text: the resource tree under its components, key properties, and the exports."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from mysql_platform.planning import cost as cost_estimate
from mysql_platform.planning import policy_rules
from mysql_platform.planning.plan import Plan, PlannedResource

# What a reader looks for first, per type: (label, input).
KEY_PROPERTIES: dict[str, tuple[tuple[str, str], ...]] = {
    "aws:ec2/vpc:Vpc": (("cidr", "cidrBlock"),),
    "aws:ec2/subnet:Subnet": (
        ("cidr", "cidrBlock"),
        ("az", "availabilityZone"),
        ("public ip", "mapPublicIpOnLaunch"),
    ),
    "aws:ec2/instance:Instance": (
        ("type", "instanceType"),
        ("subnet", "subnetId"),
        ("public ip", "associatePublicIpAddress"),
    ),
    "aws:rds/instance:Instance": (
        ("class", "instanceClass"),
        ("engine", "engineVersion"),
        ("storage GiB", "allocatedStorage"),
        ("up to GiB", "maxAllocatedStorage"),
        ("storage", "storageType"),
        ("multi-AZ", "multiAz"),
        ("public", "publiclyAccessible"),
        ("replica of", "replicateSourceDb"),
        ("backups days", "backupRetentionPeriod"),
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        ("port", "fromPort"),
        ("from", "cidrIpv4"),
        ("from group", "referencedSecurityGroupId"),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (("to", "cidrIpv4"),),
    "aws:cloudwatch/logGroup:LogGroup": (("retention days", "retentionInDays"),),
    "aws:rds/parameterGroup:ParameterGroup": (("family", "family"),),
}


def tree(plan: Plan) -> list[str]:
    """The resources under their parents, components first, each with its key properties."""
    children: dict[str, list[PlannedResource]] = {}
    for r in plan.resources:
        children.setdefault(r.parent, []).append(r)
    custom = sum(not r.component for r in plan.resources)
    components = len(plan.resources) - custom
    head = f"stack {plan.stack} ({plan.region}): {custom} resources in {components} components"
    if plan.overrides:
        head += " with " + ", ".join(f"{k}={v}" for k, v in sorted(plan.overrides.items()))
    return [head, *_lines(children, "", 1)]


def _lines(children: Mapping[str, list[PlannedResource]], parent: str, depth: int) -> Iterator[str]:
    for r in sorted(children.get(parent, []), key=lambda r: (not r.component, r.type, r.name)):
        flags = [f for f, on in (("protected", r.protect), ("retained on delete", r.retain_on_delete)) if on]
        if r.ignore_changes:
            flags.append(f"ignores changes to {', '.join(r.ignore_changes)}")
        details = [
            f"{label} {_short(r.inputs[key])}"
            for label, key in KEY_PROPERTIES.get(r.type, ())
            if r.inputs.get(key) not in (None, "", [])
        ]
        text = "  ".join([r.type, r.name, *details] + ([f"[{', '.join(flags)}]"] if flags else []))
        yield "  " * depth + text
        yield from _lines(children, r.key, depth + 1)


def _short(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(_short(v) for v in value)
    return str(value)


def exports(plan: Plan) -> list[str]:
    """The stack outputs, secrets masked, one JSON document."""
    return ["exports (secrets masked):", *json.dumps(plan.exports, indent=2, sort_keys=True).splitlines()]


def policy(violations: list[policy_rules.Violation]) -> list[str]:
    """The policy rules' verdict: all passed, or each violation with its enforcement."""
    head = f"policy: {len(policy_rules.RULES)} rules"
    if not violations:
        return [f"{head}, all passed"]
    return [
        f"{head}, {len(violations)} violations:",
        *(f"  [{v.enforcement}] {v.rule}: {v.message}" for v in violations),
    ]


def cost(est: cost_estimate.Estimate) -> list[str]:
    """The monthly estimate, line by line, then the usage-based prices and the free tiers."""
    lines = [
        f"cost ({est.region}, USD per month, On-Demand list prices; sources: "
        "mysql_platform/planning/prices.py):"
    ]
    width = max((len(f"{x.resource}  {x.what}") for x in est.lines), default=0)
    lines += [f"  {f'{x.resource}  {x.what}':<{width}}  {x.monthly:8.2f}" for x in est.lines]
    total = f"{est.total:8.2f}" if est.priced else "unpriced"
    lines.append(f"  {'total':<{width}}  {total}")
    lines += [f"  no price data: {m}" for m in est.missing]
    if est.usage_based:
        lines.append("  usage-based, not in the total: " + "; ".join(est.usage_based))
    return lines + [f"  {line}" for line in cost_estimate.free_tier(est)]
