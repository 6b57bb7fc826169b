"""dbTopology multi-az-cluster: one aws.rds.Cluster (no ClusterInstance), every property, the
outputs contract, alerts, and what AWS would refuse, refused first."""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.settings import ConfigError
from mysql_platform.core import contract, outputs
from tests.support.pulumi_harness import ProgramRun, shared_run
from tests.support.stacks import CLUSTER

CLUSTER_TYPE = "aws:rds/cluster:Cluster"


def prod_cluster(**changes: Any) -> ProgramRun:
    return shared_run(program, "prod", overrides={**CLUSTER, **changes})


def test_prod_cluster_is_one_cluster_and_no_instances() -> None:
    r = prod_cluster()
    (cluster,) = r.of_type(CLUSTER_TYPE)
    assert r.of_type("aws:rds/instance:Instance") == []
    assert r.of_type("aws:rds/clusterInstance:ClusterInstance") == []
    assert r.of_type("aws:rds/parameterGroup:ParameterGroup") == []
    p = cluster.plain
    assert (p("engine"), p("engineVersion"), p("dbClusterInstanceClass")) == ("mysql", "8.4", "db.m6gd.large")
    assert (p("storageType"), p("allocatedStorage"), p("iops")) == ("io1", 100, 1000)
    assert p("storageEncrypted") is True and p("port") == 3306
    assert p("engineLifecycleSupport") == "open-source-rds-extended-support-disabled"
    assert p("availabilityZones") is None  # drifts on this shape; the subnet group places it


def test_prod_cluster_keeps_the_day_2_protections() -> None:
    r = prod_cluster()
    (cluster,) = r.of_type(CLUSTER_TYPE)
    p = cluster.plain
    assert p("deletionProtection") is True and cluster.protect is True
    assert p("skipFinalSnapshot") is False
    ident = p("clusterIdentifier")
    assert ident.startswith("mysql-prod-cluster-") and len(ident) <= 52
    assert p("finalSnapshotIdentifier") == f"{ident}-final"
    assert p("backupRetentionPeriod") == 7 and p("copyTagsToSnapshot") is True
    assert p("performanceInsightsEnabled") is True and p("performanceInsightsRetentionPeriod") == 7
    assert p("enabledCloudwatchLogsExports") == ["error", "slowquery"]
    groups = sorted(g.plain("name") for g in r.of_type("aws:cloudwatch/logGroup:LogGroup"))
    assert groups == [f"/aws/rds/cluster/{ident}/error", f"/aws/rds/cluster/{ident}/slowquery"]
    assert p("publiclyAccessible") is False


def test_the_cluster_parameter_group_has_the_instance_groups_switches() -> None:
    r = prod_cluster()
    (group,) = r.of_type("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert group.plain("family") == "mysql8.4"
    params = {x["name"]: x["value"] for x in group.plain("parameters")}
    assert params["require_secure_transport"] == "ON"
    assert params["binlog_format"] == "ROW"
    assert params["log_bin_trust_function_creators"] == "1"
    assert params["slow_query_log"] == "1" and params["log_output"] == "FILE"
    (cluster,) = r.of_type(CLUSTER_TYPE)
    assert cluster.plain("dbClusterParameterGroupName") == r.outputs_of(group)["name"]


def test_the_subnet_group_spans_three_private_subnets() -> None:
    r = prod_cluster()
    (subnets,) = r.of_type("aws:rds/subnetGroup:SubnetGroup")
    by_id = {r.id_of(s): s for s in r.of_type("aws:ec2/subnet:Subnet")}
    ids = subnets.plain("subnetIds")
    assert len(ids) == 3
    assert len({by_id[i].plain("availabilityZone") for i in ids}) == 3
    assert not any(by_id[i].plain("mapPublicIpOnLaunch") for i in ids)


def test_the_contract_keeps_its_shape_with_the_cluster_endpoints() -> None:
    r = prod_cluster()
    (cluster,) = r.of_type(CLUSTER_TYPE)
    out = r.outputs_of(cluster)
    parsed = outputs.parse_outputs(r.exports)
    assert parsed.db.writer.host == out["endpoint"] and parsed.db.writer.port == 3306
    assert [e.host for e in parsed.db.readers] == [out["readerEndpoint"]]
    assert parsed.db.multi_az is True and parsed.db.topology == "multi-az-cluster"
    assert set(r.exports[contract.DB]) == set(contract.DB_KEYS)
    assert contract.DB_PASSWORD in r.secret_exports


def test_alerts_follow_the_cluster() -> None:
    r = prod_cluster()
    (subscription,) = r.of_type("aws:rds/eventSubscription:EventSubscription")
    (cluster,) = r.of_type(CLUSTER_TYPE)
    assert subscription.plain("sourceType") == "db-cluster"
    assert subscription.plain("sourceIds") == [cluster.plain("clusterIdentifier")]
    assert subscription.plain("eventCategories") == ["failover", "failure"]


@pytest.mark.parametrize("iops", [0, 3000])
def test_gp3_baseline_sends_no_iops_and_ignores_what_aws_reports(iops: int) -> None:
    # AWS refuses Iops for gp3 under 400 GiB, then reports 3,000, which the provider reads back
    # without marking it computed: without ignore_changes every later `up` shows iops 3000 -> null
    # and sends Iops=0 (terraform-provider-aws issues 41203 and 43442). 3000 is the issues' workaround.
    (cluster,) = prod_cluster(dbClusterStorageType="gp3", dbClusterIops=iops).of_type(CLUSTER_TYPE)
    assert cluster.plain("storageType") == "gp3" and cluster.plain("iops") is None
    assert cluster.ignore_changes == ["engineLifecycleSupport", "iops"]


def test_gp3_from_400_gib_takes_its_baseline_or_12000_to_64000_iops() -> None:
    big = {"dbClusterStorageType": "gp3", "dbAllocatedStorageGib": 400}
    (cluster,) = prod_cluster(**big, dbClusterIops=0).of_type(CLUSTER_TYPE)
    assert cluster.plain("iops") is None and "iops" in cluster.ignore_changes
    for wrong in (3000, 11999, 64001):
        with pytest.raises(ConfigError, match=f"dbClusterIops: got {wrong}; gp3 from 400 GiB takes 0"):
            prod_cluster(**big, dbClusterIops=wrong)
    (cluster,) = prod_cluster(**big, dbClusterIops=64000).of_type(CLUSTER_TYPE)
    assert cluster.plain("iops") == 64000


def test_the_cluster_keeps_the_extended_support_enrollment_it_was_created_with() -> None:
    # The provider's cluster update never sends engine_lifecycle_support (issues 40870, 44552).
    (cluster,) = prod_cluster().of_type(CLUSTER_TYPE)
    assert "engineLifecycleSupport" in cluster.ignore_changes


@pytest.mark.parametrize(
    ("changes", "sent"),
    [
        ({}, 1000),
        ({"dbClusterStorageType": "gp3", "dbAllocatedStorageGib": 400, "dbClusterIops": 12000}, 12000),
    ],
)
def test_provisioned_iops_are_sent_and_not_ignored(changes: dict[str, Any], sent: int) -> None:
    (cluster,) = prod_cluster(**changes).of_type(CLUSTER_TYPE)
    assert cluster.plain("iops") == sent
    assert cluster.ignore_changes == ["engineLifecycleSupport"]


def test_gtid_mode_off_leaves_the_cluster_familys_own_gtid_parameters() -> None:
    (group,) = prod_cluster(dbGtidMode="OFF").of_type("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    names = {x["name"] for x in group.plain("parameters")}
    assert not names & {"gtid-mode", "enforce_gtid_consistency"}


@pytest.mark.parametrize(
    ("mode", "consistency"), [("ON", "ON"), ("ON_PERMISSIVE", "ON"), ("OFF_PERMISSIVE", "WARN")]
)
def test_the_cluster_parameter_group_follows_db_gtid_mode(mode: str, consistency: str) -> None:
    (group,) = prod_cluster(dbGtidMode=mode).of_type("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    params = {x["name"]: x for x in group.plain("parameters")}
    assert params["gtid-mode"]["value"] == mode
    assert params["enforce_gtid_consistency"]["value"] == consistency
    # Static: RDS refuses `immediate` for it; both wait for the cluster's reboot together.
    assert {params[k]["applyMethod"] for k in ("gtid-mode", "enforce_gtid_consistency")} == {"pending-reboot"}


def test_the_proxy_splits_between_the_cluster_and_reader_endpoints() -> None:
    r = prod_cluster(proxyEnabled=True, proxyAllowedCidrs=["198.51.100.0/24"])
    (cluster,) = r.of_type(CLUSTER_TYPE)
    out = r.outputs_of(cluster)
    user_data = r.one("aws:ec2/instance:Instance", "host-instance").plain("userData")
    writer = user_data.split("listen mysql_writer", 1)[1].split("listen mysql_reader", 1)[0]
    reader = user_data.split("listen mysql_reader", 1)[1]
    assert f"server primary {out['endpoint']}:3306 check" in writer
    assert out["readerEndpoint"] not in writer
    assert f"server replica1 {out['readerEndpoint']}:3306 check" in reader
    assert f"server primary {out['endpoint']}:3306 check backup" in reader
    assert "resolvers sysdns" in user_data  # the endpoints move on failover: re-resolved
    assert r.exports[contract.PROXY]["writer_port"] == 3306


def test_a_second_run_registers_the_same_cluster() -> None:
    first = shared_run(program, "prod", overrides=CLUSTER)
    second = shared_run(program, "prod", overrides=CLUSTER, preview=True)
    (a,), (b,) = first.of_type(CLUSTER_TYPE), second.of_type(CLUSTER_TYPE)
    keys = ("clusterIdentifier", "dbClusterInstanceClass", "storageType", "iops", "finalSnapshotIdentifier")
    assert [a.plain(k) for k in keys] == [b.plain(k) for k in keys]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"dbInstanceClass": "db.t4g.medium"},
            "dbInstanceClass: got 'db.t4g.medium'; a Multi-AZ DB cluster runs on",
        ),
        (
            {"dbInstanceClass": "db.m6gd.medium"},
            "dbInstanceClass: got 'db.m6gd.medium'; a Multi-AZ DB cluster",
        ),
        (
            {"dbEngineVersion": "8.0.27", "dbEngineLifecycleSupport": "open-source-rds-extended-support"},
            "dbEngineVersion: got '8.0.27'; a Multi-AZ DB cluster needs MySQL 8.0.28 or newer",
        ),
        (
            {"dbClusterStorageType": "gp2"},
            "dbClusterStorageType: got 'gp2'; a Multi-AZ DB cluster takes io1, io2, gp3",
        ),
        ({"dbClusterIops": 40}, "dbClusterIops: got 40; io1 needs provisioned IOPS from 0.5 to 50 per GiB"),
        ({"dbClusterIops": 6000}, "dbClusterIops: got 6000; io1 needs provisioned IOPS"),
        (
            {"dbClusterStorageType": "gp3", "dbClusterIops": 4000},
            "dbClusterIops: got 4000; gp3 under 400 GiB has a fixed baseline (3,000 IOPS) and takes no other",
        ),
        ({"dbMaxAllocatedStorageGib": 200}, "dbMaxAllocatedStorageGib: got 200; not with dbTopology"),
        ({"dbReplicaCount": 1}, "dbReplicaCount: got 1; not with dbTopology multi-az-cluster"),
        ({"dbReplicaCount": 1, "dbPromoteReplica": 1}, "dbPromoteReplica: got 1; not with dbTopology"),
        (
            {"azCount": 2},
            "azCount: got 2; not with dbTopology multi-az-cluster: its subnet group must cover 3",
        ),
        ({"analyticsEnabled": True}, "analyticsEnabled: got True; not with dbTopology multi-az-cluster"),
        ({"dbTopology": "aurora"}, "dbTopology: got 'aurora'; expected one of instance, multi-az-cluster"),
    ],
)
def test_rejects_what_aws_would_refuse_in_a_cluster(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        prod_cluster(**changes)
    assert message in str(raised.value)


def test_rejects_a_region_without_multi_az_db_clusters() -> None:
    with pytest.raises(ConfigError, match="Multi-AZ DB clusters are not offered in us-west-1"):
        shared_run(program, "prod", overrides={**CLUSTER, "aws:region": "us-west-1"})


def test_the_cluster_takes_the_stack_credentials_windows_and_upgrade_policy() -> None:
    r = prod_cluster()
    (cluster,) = r.of_type(CLUSTER_TYPE)
    p = cluster.plain
    assert (p("masterUsername"), p("databaseName")) == ("admin", "app")
    assert cluster.is_secret("masterPassword") and contract.DB_PASSWORD in r.secret_exports
    assert (p("preferredBackupWindow"), p("preferredMaintenanceWindow")) == (
        "03:00-03:30",
        "sun:04:00-sun:05:00",
    )
    assert p("applyImmediately") is True and p("autoMinorVersionUpgrade") is True
    assert p("allowMajorVersionUpgrade") is False
    sg = r.one("aws:ec2/securityGroup:SecurityGroup", "db-sg")
    assert p("vpcSecurityGroupIds") == [r.id_of(sg)]


def test_a_dev_cluster_is_public_from_the_allowed_cidrs_only() -> None:
    r = shared_run(program, "dev", overrides={**CLUSTER, "dbClusterStorageType": "gp3", "dbClusterIops": 0})
    (cluster,) = r.of_type(CLUSTER_TYPE)
    assert cluster.plain("publiclyAccessible") is True
    assert cluster.plain("deletionProtection") is False and cluster.plain("skipFinalSnapshot") is True
    assert cluster.plain("finalSnapshotIdentifier") is None and cluster.protect is False
    ingress = [
        i
        for i in r.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if "db-from" in i.name
    ]
    assert sorted(i.plain("cidrIpv4") for i in ingress if i.plain("cidrIpv4")) == ["203.0.113.10/32"]
