"""What AWS refuses in a Multi-AZ DB cluster for RDS for MySQL, checked before any resource exists.

Sources (Amazon RDS User Guide unless named):
- "Multi-AZ DB cluster deployments" (multi-az-db-clusters-concepts.html): instance classes
  db.m5d, db.m6gd, db.m6id, db.m6idn, db.r5d, db.r6gd, db.r6id, db.r6idn, db.x2iedn and db.c6gd;
  "The c6gd instance classes are supported only for Multi-AZ DB cluster deployments. They're the
  only instance class supported for Multi-AZ DB clusters that offer the medium instance size";
  engines RDS for MySQL and PostgreSQL only (no MariaDB); the subnet group must cover three AZs.
- "Limitations of Multi-AZ DB clusters" (multi-az-db-clusters-concepts-limitations.html): no
  storage autoscaling (max allocated storage), no option groups, no port change, no IPv6, no
  stop/start.
- "Supported Regions and DB engines for Multi-AZ DB clusters": RDS for MySQL 8.4 and 8.0 "All
  available versions" where offered; earlier releases of the page name 8.0.28 as the first 8.0.
  Not offered in US West (N. California), Asia Pacific (New Zealand, Taipei, Thailand): the list
  known here, which may be incomplete.
- RDS API, CreateDBCluster: StorageType "Multi-AZ DB clusters - io1 | io2 | gp3"; Iops "must be
  a multiple between .5 and 50 of the storage amount"; AllocatedStorage and Iops apply to each of
  the three instances; BackupRetentionPeriod 1-35 for Multi-AZ DB clusters.
- gp3 for MySQL under 400 GiB has a fixed baseline of 3,000 IOPS, and AWS refuses Iops there
  ("InvalidParameterCombination: You can't specify IOPS or storage throughput for engine ... and a
  storage size less than 400", quoted in terraform-provider-aws issue 41203 for a Multi-AZ DB
  cluster). So the program sends none; yet AWS then reports the baseline, the provider reads it
  back into ``iops`` (Optional, not Computed, in internal/service/rds/cluster.go), and every later
  plan shows ``iops 3000 -> null``: terraform-provider-aws issues 41203 and 43442, both open. The
  workaround those issues give is ``iops = 3000`` in the configuration once the cluster exists;
  here dbClusterIops 0 and 3000 both mean "the baseline", and the cluster ignores changes to
  ``iops`` (mysql_platform/components/multiaz_cluster.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from mysql_platform.core.contract import TOPOLOGIES, TOPOLOGY_CLUSTER

CLUSTER_CLASS_FAMILIES: Final = frozenset(
    {"m5d", "m6gd", "m6id", "m6idn", "r5d", "r6gd", "r6id", "r6idn", "x2iedn", "c6gd"}
)
_CLUSTER_SIZE = re.compile(r"^(medium|large|\d*xlarge|metal)$")
CLUSTER_STORAGE_TYPES: Final = ("io1", "io2", "gp3")
MIN_CLUSTER_AZS: Final = 3
MIN_MYSQL80_PATCH: Final = 28
GP3_IOPS_THRESHOLD_GIB: Final = 400
# What AWS gives gp3 under GP3_IOPS_THRESHOLD_GIB, and reports back as the cluster's Iops.
GP3_BASELINE_IOPS: Final = 3000
# gp3 for MySQL from GP3_IOPS_THRESHOLD_GIB: a 12,000 IOPS baseline, provisionable up to 64,000
# (RDS User Guide, "gp3 storage"); AWS refuses less than the baseline there.
GP3_LARGE_IOPS: Final = (12000, 64000)
IOPS_PER_GIB: Final = (0.5, 50)
# Regions without Multi-AZ DB clusters ("Supported Regions and DB engines for Multi-AZ DB clusters").
UNSUPPORTED_REGIONS: Final = frozenset({"us-west-1", "ap-southeast-6", "ap-east-2", "ap-southeast-7"})
CLUSTER = "dbTopology multi-az-cluster"


def topology_problem(value: str) -> str | None:
    if value in TOPOLOGIES:
        return None
    return f"dbTopology: got {value!r}; expected one of {', '.join(TOPOLOGIES)}"


def cluster_problems(values: Mapping[str, Any]) -> list[str]:
    """Everything AWS (or this program) refuses in a Multi-AZ DB cluster; [] for other topologies."""
    if values["dbTopology"] != TOPOLOGY_CLUSTER:
        return []
    problems = [p for p in (_class_problem(values["dbInstanceClass"]), _version_problem(values)) if p]
    problems += _storage_problems(values)
    problems += _combination_problems(values)
    return problems


def cluster_class_problem(value: str) -> str | None:
    return _class_problem(value)


def _class_problem(value: str) -> str | None:
    parts = value.split(".")
    ok = len(parts) == 3 and parts[0] == "db" and parts[1] in CLUSTER_CLASS_FAMILIES
    ok = ok and bool(_CLUSTER_SIZE.match(parts[2])) and (parts[2] != "medium" or parts[1] == "c6gd")
    if ok:
        return None
    families = ", ".join(f"db.{f}" for f in sorted(CLUSTER_CLASS_FAMILIES))
    return (
        f"dbInstanceClass: got {value!r}; a Multi-AZ DB cluster runs on {families} "
        "(the smallest is db.c6gd.medium, not offered in every region)"
    )


def _version_problem(values: Mapping[str, Any]) -> str | None:
    version = str(values["dbEngineVersion"])
    parts = version.split(".")
    if (
        len(parts) == 3
        and parts[:2] == ["8", "0"]
        and parts[2].isdigit()
        and int(parts[2]) < MIN_MYSQL80_PATCH
    ):
        return (
            f"dbEngineVersion: got {version!r}; a Multi-AZ DB cluster needs MySQL 8.0.{MIN_MYSQL80_PATCH} "
            "or newer (or 8.4)"
        )
    return None


def _storage_problems(values: Mapping[str, Any]) -> list[str]:
    kind, iops, gib = values["dbClusterStorageType"], values["dbClusterIops"], values["dbAllocatedStorageGib"]
    if kind not in CLUSTER_STORAGE_TYPES:
        return [
            f"dbClusterStorageType: got {kind!r}; a Multi-AZ DB cluster takes "
            f"{', '.join(CLUSTER_STORAGE_TYPES)}"
        ]
    if iops < 0:
        return [f"dbClusterIops: got {iops}; expected 0 (gp3's baseline) or a number of IOPS"]
    low, high = IOPS_PER_GIB
    if kind in ("io1", "io2") and not low * gib <= iops <= high * gib:
        return [
            f"dbClusterIops: got {iops}; {kind} needs provisioned IOPS from {low:g} to {high:g} per GiB "
            f"of dbAllocatedStorageGib ({gib}): {int(low * gib)}-{int(high * gib)}"
        ]
    if kind == "gp3" and gib < GP3_IOPS_THRESHOLD_GIB and iops not in (0, GP3_BASELINE_IOPS):
        return [
            f"dbClusterIops: got {iops}; gp3 under {GP3_IOPS_THRESHOLD_GIB} GiB has a fixed baseline "
            f"({GP3_BASELINE_IOPS:,} IOPS) and takes no other: use 0 or {GP3_BASELINE_IOPS} (both mean "
            f"the baseline), or {GP3_IOPS_THRESHOLD_GIB} GiB or more"
        ]
    low_large, high_large = GP3_LARGE_IOPS
    if kind == "gp3" and gib >= GP3_IOPS_THRESHOLD_GIB and iops and not low_large <= iops <= high_large:
        return [
            f"dbClusterIops: got {iops}; gp3 from {GP3_IOPS_THRESHOLD_GIB} GiB takes 0 (its baseline, "
            f"{low_large:,} IOPS) or {low_large:,}-{high_large:,} IOPS"
        ]
    return []


def sends_iops(storage_type: str, iops: int, gib: int) -> bool:
    """Whether the cluster's ``iops`` input carries ``iops``: not for gp3's baseline (0, or 3,000
    under 400 GiB), which AWS refuses to be given at create and fills in itself."""
    if storage_type != "gp3":
        return True
    return iops != 0 and not (gib < GP3_IOPS_THRESHOLD_GIB and iops == GP3_BASELINE_IOPS)


def _combination_problems(values: Mapping[str, Any]) -> list[str]:
    out = []
    for key, wrong, why in (
        ("dbReplicaCount", lambda v: v != 0, "its two standbys are the readers (reader endpoint); use 0"),
        ("dbPromoteReplica", lambda v: v != 0, "it fails over by itself; use 0"),
        ("dbMaxAllocatedStorageGib", lambda v: v != 0, "storage autoscaling is not offered; use 0"),
        ("dbBackupRetentionDays", lambda v: v < 1, "automated backups are required (1-35 days)"),
        ("azCount", lambda v: v < MIN_CLUSTER_AZS, f"its subnet group must cover {MIN_CLUSTER_AZS} AZs"),
        ("dbReplicaEngineVersion", bool, "there are no replicas of another version; leave it empty"),
        ("dbReplicaInstanceClass", bool, "its standbys run the writer's class; leave it empty"),
        (
            "analyticsEnabled",
            bool,
            "the export command exports DB instance snapshots, and a cluster has DB cluster "
            "snapshots; not supported yet",
        ),
    ):
        value = values[key]
        if wrong(value):
            out.append(f"{key}: got {value!r}; not with {CLUSTER}: {why}")
    return out


def region_problem(region: str) -> str | None:
    if region in UNSUPPORTED_REGIONS:
        return f"dbTopology: got 'multi-az-cluster'; Multi-AZ DB clusters are not offered in {region}"
    return None
