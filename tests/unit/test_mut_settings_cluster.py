"""The Multi-AZ DB cluster's settings: what AWS refuses, with the exact problem each one reports.

Written against the survivors of a mutation run (tests/mutation/). The settings go through
their public API (tests/support/settings_api.py); the two answers the program reads beside the
settings (the Region, the iops it sends) are asked directly. Pure: no Pulumi runtime.
"""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.components import cluster_rules
from tests.support.settings_api import EXTENDED, problems, settings
from tests.support.stacks import CLUSTER

CLASSES = (
    "db.c6gd, db.m5d, db.m6gd, db.m6id, db.m6idn, db.r5d, db.r6gd, db.r6id, db.r6idn, db.x2iedn "
    "(the smallest is db.c6gd.medium, not offered in every region)"
)


def cluster_problems(**changes: Any) -> list[str]:
    return problems("prod", **{**CLUSTER, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"dbInstanceClass": "db.c6gd.medium"},
        {"dbInstanceClass": "db.r6idn.24xlarge"},
        {"dbInstanceClass": "db.m6gd.xlarge"},
        {"dbInstanceClass": "db.x2iedn.metal"},
        {"dbEngineVersion": "8.0.28", **EXTENDED},
        {"dbEngineVersion": "8.4"},
        {"dbEngineVersion": "8.4.3"},
        # io1/io2: 0.5 to 50 IOPS per GiB, both ends included
        {"dbClusterIops": 50},
        {"dbClusterIops": 5000},
        {"dbClusterStorageType": "io2", "dbClusterIops": 5000},
        # gp3: the baseline (0 or 3,000) under 400 GiB; 0 or 12,000-64,000 from 400 GiB
        {"dbClusterStorageType": "gp3", "dbClusterIops": 0},
        {"dbClusterStorageType": "gp3", "dbClusterIops": 3000},
        {"dbClusterStorageType": "gp3", "dbClusterIops": 3000, "dbAllocatedStorageGib": 399},
        {"dbClusterStorageType": "gp3", "dbClusterIops": 0, "dbAllocatedStorageGib": 400},
        {"dbClusterStorageType": "gp3", "dbClusterIops": 12000, "dbAllocatedStorageGib": 400},
        {"dbClusterStorageType": "gp3", "dbClusterIops": 64000, "dbAllocatedStorageGib": 2000},
        {"dbBackupRetentionDays": 1},
        {"azCount": 3},
    ],
)
def test_accepts_what_aws_takes_in_a_cluster(changes: dict[str, Any]) -> None:
    assert settings("prod", **{**CLUSTER, **changes}).db_topology == "multi-az-cluster"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"dbInstanceClass": "db.t4g.medium"},
            f"dbInstanceClass: got 'db.t4g.medium'; a Multi-AZ DB cluster runs on {CLASSES}",
        ),
        (
            {"dbInstanceClass": "db.m6gd.medium"},
            f"dbInstanceClass: got 'db.m6gd.medium'; a Multi-AZ DB cluster runs on {CLASSES}",
        ),
        (
            {"dbInstanceClass": "db.m6gd.huge"},
            f"dbInstanceClass: got 'db.m6gd.huge'; a Multi-AZ DB cluster runs on {CLASSES}",
        ),
        (
            {"dbInstanceClass": "db.m6gd.large.x"},
            f"dbInstanceClass: got 'db.m6gd.large.x'; a Multi-AZ DB cluster runs on {CLASSES}",
        ),
        (
            {"dbInstanceClass": "rds.m6gd.large"},
            f"dbInstanceClass: got 'rds.m6gd.large'; a Multi-AZ DB cluster runs on {CLASSES}",
        ),
        (
            {"dbInstanceClass": "db.m6gd.xlargex"},
            f"dbInstanceClass: got 'db.m6gd.xlargex'; a Multi-AZ DB cluster runs on {CLASSES}",
        ),
        (
            {"dbInstanceClass": "db.m6gd.xmedium"},
            f"dbInstanceClass: got 'db.m6gd.xmedium'; a Multi-AZ DB cluster runs on {CLASSES}",
        ),
        (
            {"dbEngineVersion": "8.0.27", **EXTENDED},
            "dbEngineVersion: got '8.0.27'; a Multi-AZ DB cluster needs MySQL 8.0.28 or newer (or 8.4)",
        ),
        (
            {"dbClusterStorageType": "gp2"},
            "dbClusterStorageType: got 'gp2'; a Multi-AZ DB cluster takes io1, io2, gp3",
        ),
        (
            {"dbClusterIops": 49},
            "dbClusterIops: got 49; io1 needs provisioned IOPS from 0.5 to 50 per GiB of "
            "dbAllocatedStorageGib (100): 50-5000",
        ),
        (
            {"dbClusterIops": 5001},
            "dbClusterIops: got 5001; io1 needs provisioned IOPS from 0.5 to 50 per GiB of "
            "dbAllocatedStorageGib (100): 50-5000",
        ),
        (
            {"dbClusterStorageType": "io2", "dbClusterIops": 0},
            "dbClusterIops: got 0; io2 needs provisioned IOPS from 0.5 to 50 per GiB of "
            "dbAllocatedStorageGib (100): 50-5000",
        ),
        (
            {"dbClusterStorageType": "gp3", "dbClusterIops": 4000},
            "dbClusterIops: got 4000; gp3 under 400 GiB has a fixed baseline (3,000 IOPS) and takes no "
            "other: use 0 or 3000 (both mean the baseline), or 400 GiB or more",
        ),
        (
            {"dbClusterStorageType": "gp3", "dbClusterIops": 3000, "dbAllocatedStorageGib": 400},
            "dbClusterIops: got 3000; gp3 from 400 GiB takes 0 (its baseline, 12,000 IOPS) or "
            "12,000-64,000 IOPS",
        ),
        (
            {"dbClusterStorageType": "gp3", "dbClusterIops": 11999, "dbAllocatedStorageGib": 500},
            "dbClusterIops: got 11999; gp3 from 400 GiB takes 0 (its baseline, 12,000 IOPS) or "
            "12,000-64,000 IOPS",
        ),
        (
            {"dbClusterStorageType": "gp3", "dbClusterIops": 64001, "dbAllocatedStorageGib": 2000},
            "dbClusterIops: got 64001; gp3 from 400 GiB takes 0 (its baseline, 12,000 IOPS) or "
            "12,000-64,000 IOPS",
        ),
        (
            {"dbReplicaCount": 1},
            "dbReplicaCount: got 1; not with dbTopology multi-az-cluster: its two standbys are the "
            "readers (reader endpoint); use 0",
        ),
        (
            {"dbMaxAllocatedStorageGib": 200},
            "dbMaxAllocatedStorageGib: got 200; not with dbTopology multi-az-cluster: storage "
            "autoscaling is not offered; use 0",
        ),
        (
            {"azCount": 2},
            "azCount: got 2; not with dbTopology multi-az-cluster: its subnet group must cover 3 AZs",
        ),
        (
            {"dbReplicaEngineVersion": "8.4"},
            "dbReplicaEngineVersion: got '8.4'; not with dbTopology multi-az-cluster: there are no "
            "replicas of another version; leave it empty",
        ),
        (
            {"dbReplicaInstanceClass": "db.m6gd.large"},
            "dbReplicaInstanceClass: got 'db.m6gd.large'; not with dbTopology multi-az-cluster: its "
            "standbys run the writer's class; leave it empty",
        ),
        (
            {"analyticsEnabled": True},
            "analyticsEnabled: got True; not with dbTopology multi-az-cluster: the export command "
            "exports DB instance snapshots, and a cluster has DB cluster snapshots; not supported yet",
        ),
        ({"dbTopology": "aurora"}, "dbTopology: got 'aurora'; expected one of instance, multi-az-cluster"),
    ],
)
def test_rejects_what_aws_refuses_in_a_cluster(changes: dict[str, Any], expected: str) -> None:
    assert expected in cluster_problems(**changes)


def test_rejects_a_promoted_replica_and_no_backups_each_with_its_reason() -> None:
    found = cluster_problems(dbReplicaCount=1, dbPromoteReplica=1, dbBackupRetentionDays=0)
    assert (
        "dbPromoteReplica: got 1; not with dbTopology multi-az-cluster: it fails over by itself; use 0"
        in found
    )
    assert (
        "dbBackupRetentionDays: got 0; not with dbTopology multi-az-cluster: automated backups are "
        "required (1-35 days)" in found
    )


def test_every_cluster_problem_is_reported_at_once_in_order() -> None:
    found = cluster_problems(
        dbInstanceClass="db.t4g.large",
        dbEngineVersion="8.0.20",
        dbClusterStorageType="gp2",
        azCount=2,
        **EXTENDED,
    )
    mine = [
        p
        for p in found
        if p.split(":")[0] in {"dbInstanceClass", "dbEngineVersion", "dbClusterStorageType", "azCount"}
    ]
    assert [p.split(":")[0] for p in mine] == [
        "dbInstanceClass",
        "dbEngineVersion",
        "dbClusterStorageType",
        "azCount",
    ]


def test_an_instance_topology_is_no_cluster() -> None:
    # The same values are fine for a DB instance: no cluster rule applies.
    assert settings("prod", dbClusterStorageType="gp2", dbClusterIops=-1).db_topology == "instance"


def test_rejects_negative_iops() -> None:
    assert "dbClusterIops: got -1; expected 0 (gp3's baseline) or a number of IOPS" in cluster_problems(
        dbClusterIops=-1
    )
    assert "dbClusterIops: got -1; expected 0 (gp3's baseline) or a number of IOPS" in cluster_problems(
        dbClusterStorageType="gp3", dbClusterIops=-1
    )


def test_the_class_check_on_its_own() -> None:
    assert cluster_rules.cluster_class_problem("db.c6gd.medium") is None
    assert cluster_rules.cluster_class_problem("db.t3.micro") == (
        f"dbInstanceClass: got 'db.t3.micro'; a Multi-AZ DB cluster runs on {CLASSES}"
    )


def test_regions_without_multi_az_db_clusters() -> None:
    for region in ("us-west-1", "ap-southeast-6", "ap-east-2", "ap-southeast-7"):
        assert cluster_rules.region_problem(region) == (
            f"dbTopology: got 'multi-az-cluster'; Multi-AZ DB clusters are not offered in {region}"
        )
    assert cluster_rules.region_problem("eu-west-1") is None


@pytest.mark.parametrize(
    ("storage_type", "iops", "gib", "sent"),
    [
        ("io1", 0, 100, True),
        ("io2", 3000, 100, True),
        ("gp3", 0, 100, False),
        ("gp3", 0, 400, False),
        ("gp3", 3000, 399, False),
        ("gp3", 3000, 400, True),
        ("gp3", 12000, 400, True),
        ("gp3", 4000, 100, True),
    ],
)
def test_which_iops_the_cluster_sends(storage_type: str, iops: int, gib: int, sent: bool) -> None:
    assert cluster_rules.sends_iops(storage_type, iops, gib) is sent


def test_a_clusters_replica_class_is_still_checked_as_a_class() -> None:
    assert cluster_problems(dbReplicaInstanceClass="db.bogus") == [
        "dbReplicaInstanceClass: got 'db.bogus'; expected an RDS class such as db.t4g.micro",
        "dbReplicaInstanceClass: got 'db.bogus'; not with dbTopology multi-az-cluster: its standbys run "
        "the writer's class; leave it empty",
    ]


def test_the_audit_log_is_one_problem_not_two() -> None:
    assert problems(dbLogExports=["audit"]) == [
        "dbLogExports: got 'audit'; the audit log needs an option group with the MariaDB audit plugin, "
        "which this program does not create: remove it, or add the option group first"
    ]
