"""A monthly estimate of a plan from the vendored prices (:mod:`mysql_platform.planning.prices`).

Counted: RDS instance hours per class (Multi-AZ at its own rate), RDS storage (gp3 GB-month,
Multi-AZ at its own rate), a Multi-AZ DB cluster's three instances, storage and IOPS at that
deployment's rates (the vendored table has none yet: they are listed as missing, with
quantities), Extended Support on every enrolled MySQL 8.0 instance (primary, standby, replicas,
a cluster's three) when the stack chooses it, Database Insights
Standard (free), the EC2 host's hours and root volume, public IPv4 addresses (the host's, and
each publicly accessible RDS instance's), the low-storage CloudWatch alarms, and the analytics key.
The host's detailed monitoring has no vendored price: it is listed as missing.
Usage-based items (backup beyond
the free allowance, log ingestion and storage, data transfer; with analytics, S3 storage, KMS
requests, crawler DPU-hours and Athena's bytes scanned; with the Redshift Spectrum role, Spectrum's
bytes scanned) are listed with their unit prices, never
guessed into the total. A price the table lacks is said so, not counted as zero. A month is 730 hours, as AWS
prices a month.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mysql_platform.components.analytics_access import SPECTRUM_SERVICES
from mysql_platform.planning import prices
from mysql_platform.planning.plan import Plan, PlannedResource

HOURS = 730
# vCPUs per class, for Extended Support (billed per vCPU-hour): RDS User Guide, "Hardware
# specifications for DB instance classes".
VCPUS = {"db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.r6g.large": 2}
EXTENDED_SUPPORT = "open-source-rds-extended-support"
# The line past its end of standard support (2026-07-31) whose enrolled instances pay Extended Support.
EXTENDED_LINE = "8.0"


@dataclass(frozen=True)
class Line:
    resource: str
    what: str
    quantity: float
    unit_price: float
    monthly: float


@dataclass
class Estimate:
    region: str
    lines: list[Line] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what has no price data
    usage_based: list[str] = field(default_factory=list)

    @property
    def priced(self) -> bool:
        """Whether the vendored table has this region's prices: without them there is no total."""
        return self.region in prices.PRICES

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "currency": "USD",
            "monthly_total": self.total if self.priced else None,  # null: unpriced, not free
            "lines": [vars(line) for line in self.lines],
            "missing": self.missing,
            "usage_based": self.usage_based,
        }


def estimate(plan: Plan) -> Estimate:
    est = Estimate(plan.region)
    if plan.region not in prices.PRICES:
        est.missing.append(
            f"no price data for region {plan.region} (the table has {', '.join(prices.PRICES)})"
        )
        return est
    by_identifier = {
        r.inputs.get("identifier"): r for r in plan.resources if r.type == "aws:rds/instance:Instance"
    }
    for r in plan.resources:
        if r.type == "aws:rds/instance:Instance":
            _rds(est, r, by_identifier)
        elif r.type == "aws:rds/cluster:Cluster":
            _cluster(est, r)
        elif r.type == "aws:ec2/instance:Instance":
            _host(est, r, has_eip=any(x.type == "aws:ec2/eip:Eip" for x in plan.resources))
        elif r.type == "aws:cloudwatch/metricAlarm:MetricAlarm":
            _add(est, r.name, "CloudWatch alarm, standard resolution", "cloudwatch:alarm", 1)
        elif r.type == "aws:kms/key:Key":
            _add(est, r.name, "KMS customer managed key", "kms:key", 1)
    usage = ["rds:backup", "logs:ingestion", "logs:storage", "transfer:out"]
    if any(r.type == "aws:athena/workgroup:Workgroup" for r in plan.resources):
        usage += ["s3:standard", "kms:requests", "glue:crawler", "athena:scan"]
    if any(_trusts(r, SPECTRUM_SERVICES[0]) for r in plan.resources):
        usage.append("redshift:spectrum-scan")
    for key in usage:
        found = prices.price(plan.region, key)
        if found is not None:
            est.usage_based.append(f"{key}: ${found.usd} per {found.unit}")
    return est


def _trusts(r: PlannedResource, service: str) -> bool:
    """Whether ``r`` is an IAM role that ``service`` may assume (its trust policy names it)."""
    if r.type != "aws:iam/role:Role":
        return False
    try:
        document = json.loads(str(r.inputs.get("assumeRolePolicy") or "{}"))
    except ValueError:
        return False
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return any(
        isinstance(s, dict)
        and isinstance(s.get("Principal"), dict)
        and service in _names(s["Principal"].get("Service"))
        for s in statements
    )


def _names(service: object) -> list[object]:
    """A trust's Service: one name as a string, or a list of them (IAM takes both)."""
    return service if isinstance(service, list) else [service]


def _add(est: Estimate, resource: str, what: str, key: str, quantity: float) -> None:
    found = prices.price(est.region, key)
    if found is None:
        est.missing.append(f"{resource}: {what} (no price for {key})")
        return
    est.lines.append(Line(resource, what, quantity, found.usd, round(quantity * found.usd, 2)))


def _rds(est: Estimate, r: PlannedResource, by_identifier: dict[Any, PlannedResource]) -> None:
    cls, multi = r.inputs.get("instanceClass"), bool(r.inputs.get("multiAz"))
    az = "multi-az" if multi else "single-az"
    _add(est, r.name, f"RDS {cls} {az}", f"rds:{cls}:{az}", HOURS)
    source = by_identifier.get(r.inputs.get("replicateSourceDb"))
    storage = r.inputs.get("allocatedStorage") or (source.inputs.get("allocatedStorage") if source else None)
    kind = r.inputs.get("storageType") or (source.inputs.get("storageType") if source else "gp3")
    if storage:
        _add(est, r.name, f"RDS storage {storage} GB {kind} {az}", f"rds:{kind}:{az}", float(storage))
    # A replica sets no engineLifecycleSupport: it takes its source's enrollment (README, Day 2).
    lifecycle = r.inputs.get("engineLifecycleSupport") or (
        source.inputs.get("engineLifecycleSupport") if source else None
    )
    _extended_support(est, r, str(r.inputs.get("engineVersion") or ""), lifecycle, 2 if multi else 1)
    if r.inputs.get("performanceInsightsEnabled") and r.inputs.get("databaseInsightsMode") == "standard":
        _add(est, r.name, "Database Insights Standard (7 days)", "rds:database-insights:standard-7d", 0)
    if r.inputs.get("publiclyAccessible"):
        _add(est, r.name, "public IPv4 address", "vpc:public-ipv4", HOURS)


# A Multi-AZ DB cluster is three instances (a writer and two standbys), and its allocated storage
# and IOPS are per instance (RDS API, CreateDBCluster), all at the "Multi-AZ DB cluster" deployment's
# own rates ("multi-az-cluster" keys).
CLUSTER_INSTANCES = 3


def _extended_support(
    est: Estimate, r: PlannedResource, version: str, lifecycle: Any, instances: int
) -> None:
    """Extended Support for ``instances`` DB instances of one resource, when enrolled on 8.0.

    RDS User Guide, "Amazon RDS Extended Support charges": charges apply to every enrolled DB
    instance, "RDS Extended Support charges apply to standby instances in Multi-AZ deployments";
    RDS for MySQL pricing bills it per vCPU-hour of each instance. So a Multi-AZ primary pays
    twice, each replica (a DB instance of its own) once, a Multi-AZ DB cluster three times.
    """
    cls = r.inputs.get("instanceClass") or r.inputs.get("dbClusterInstanceClass")
    what = f"Extended Support {cls} x {instances}"
    if version.startswith("-> ") and lifecycle == EXTENDED_SUPPORT:
        # The plan shows a value equal to another resource's output as a reference to it.
        est.missing.append(f"{r.name}: {what} (engine version {version!r} not known in the plan)")
        return
    if not version.startswith(EXTENDED_LINE):
        return
    if lifecycle is None:
        # A promoted replica names no enrollment and no source: it keeps the one it was created with.
        est.missing.append(f"{r.name}: {what} (enrollment unknown: it keeps its former source's)")
        return
    if lifecycle != EXTENDED_SUPPORT:
        return
    vcpus = VCPUS.get(str(cls))
    if vcpus is None:
        est.missing.append(f"{r.name}: {what} (no vCPU count for {cls})")
        return
    what = f"Extended Support {vcpus} vCPU x {instances}"
    _add(est, r.name, what, "rds:extended-support:yr1-2", HOURS * vcpus * instances)


def _cluster(est: Estimate, r: PlannedResource) -> None:
    cls, kind = r.inputs.get("dbClusterInstanceClass"), r.inputs.get("storageType") or "io1"
    n = CLUSTER_INSTANCES
    _add(est, r.name, f"RDS {cls} x {n} (Multi-AZ DB cluster)", f"rds:{cls}:multi-az-cluster", HOURS * n)
    storage = r.inputs.get("allocatedStorage")
    if storage:
        what = f"RDS storage {storage} GB {kind} x {n} (Multi-AZ DB cluster)"
        _add(est, r.name, what, f"rds:{kind}:multi-az-cluster", float(storage) * n)
    iops = r.inputs.get("iops")
    if iops:
        what = f"RDS provisioned IOPS {iops} {kind} x {n} (Multi-AZ DB cluster)"
        _add(est, r.name, what, f"rds:iops:{kind}:multi-az-cluster", float(iops) * n)
    version, lifecycle = str(r.inputs.get("engineVersion") or ""), r.inputs.get("engineLifecycleSupport")
    _extended_support(est, r, version, lifecycle, n)


def _host(est: Estimate, r: PlannedResource, *, has_eip: bool) -> None:
    kind = r.inputs.get("instanceType")
    _add(est, r.name, f"EC2 {kind}", f"ec2:{kind}", HOURS)
    root = r.inputs.get("rootBlockDevice") or {}
    if root.get("volumeSize"):
        _add(
            est,
            r.name,
            f"EBS {root['volumeSize']} GB {root.get('volumeType', 'gp3')}",
            "ebs:gp3",
            float(root["volumeSize"]),
        )
    if r.inputs.get("monitoring"):
        _add(est, r.name, "EC2 detailed monitoring", "ec2:detailed-monitoring", 1)
    if has_eip or r.inputs.get("associatePublicIpAddress"):
        _add(est, r.name, "public IPv4 address", "vpc:public-ipv4", HOURS)


def free_tier(est: Estimate) -> list[str]:
    """What the free tiers do for this estimate, from the vendored facts (never subtracted)."""
    legacy, credits = prices.FREE_TIER["legacy-12-month"], prices.FREE_TIER["credit-plan"]
    total_credits = sum(a.amount for a in credits.allowances.values())
    return [
        f"free tier: the 12-month allowances (accounts {legacy.accounts}) have ended for every account"
        " by now: not subtracted",
        f"free tier: an account {credits.accounts} gets up to ${total_credits:.0f} in credits, "
        f"{runway(est, total_credits)} (the Free plan lasts 6 months at most)",
    ]


def runway(est: Estimate, credits: float) -> str:
    """How long ``credits`` last, never more precise than the total: usage-based items are never in
    it, so the runway is an upper bound, and an unpriced line makes the total a floor only."""
    if not est.priced:
        return f"this stack is unpriced in {est.region}, so how long they last is not known"
    if est.missing and not est.lines:
        return "how long they last is unknown: nothing in this stack is priced"
    if not est.total:
        return "how long they last is unknown: the priced total is $0.00 (usage-based items only)"
    months = credits / est.total
    if est.missing:
        return (
            f"at most {months:.1f} months of this stack: its ${est.total:.2f} leaves out "
            f"{len(est.missing)} unpriced item(s) and the usage-based ones"
        )
    return f"at most {months:.1f} months of this stack (the usage-based items would shorten it)"
