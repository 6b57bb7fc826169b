"""The plan's monthly estimate from the vendored prices."""

from __future__ import annotations

import json

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.planning import cost, prices
from mysql_platform.planning.plan import make_plan
from tests.support import docs
from tests.support.plans import plan as shared_plan
from tests.support.stacks import ANALYTICS, CLUSTER

pytestmark = pytest.mark.usefixtures("shared_plans")


@pytest.mark.parametrize(
    ("key", "usd"),
    [
        # The classes and items the committed stacks use, as read from the price list (us-east-1).
        ("rds:db.t4g.micro:single-az", 0.016),
        ("rds:db.t4g.medium:single-az", 0.065),
        ("rds:db.t4g.medium:multi-az", 0.129),
        ("rds:gp3:single-az", 0.115),
        ("rds:gp3:multi-az", 0.23),
        ("ec2:t3.micro", 0.0104),
        ("ebs:gp3", 0.08),
        ("vpc:public-ipv4", 0.005),
        # Usage-based: bytes scanned, as Athena bills them.
        ("athena:scan", 5.0),
        ("redshift:spectrum-scan", 5.0),
    ],
)
def test_the_prices_the_stacks_use_are_pinned_with_their_source(key: str, usd: float) -> None:
    found = prices.price("us-east-1", key)
    assert found is not None and found.usd == usd and found.source


def test_dev_is_its_machines_its_two_public_addresses_and_its_storage_alarm() -> None:
    est = cost.estimate(shared_plan("dev"))
    assert [(x.resource, x.what, x.monthly) for x in est.lines] == [
        ("alerts-low-storage-1", "CloudWatch alarm, standard resolution", 0.10),
        ("host-instance", "EC2 t3.micro", 7.59),
        ("host-instance", "EBS 8 GB gp3", 0.64),
        ("host-instance", "public IPv4 address", 3.65),
        ("db-primary-instance", "RDS db.t4g.micro single-az", 11.68),
        ("db-primary-instance", "RDS storage 20 GB gp3 single-az", 2.30),
        ("db-primary-instance", "public IPv4 address", 3.65),
    ]
    assert est.total == 29.61 and est.missing == []
    assert any(line.startswith("logs:ingestion: $0.5 per GB") for line in est.usage_based)


def test_a_replica_adds_its_instance_storage_and_address() -> None:
    with_replica = cost.estimate(shared_plan("dev", dbReplicaCount="1"))
    # Its instance, storage and address, and its own low-storage alarm.
    assert round(with_replica.total - 29.61, 2) == 17.73


def test_prod_counts_multi_az_at_its_own_rate() -> None:
    est = cost.estimate(shared_plan("prod"))
    primary = {x.what: x.monthly for x in est.lines if x.resource == "db-primary-instance"}
    assert primary["RDS db.t4g.medium multi-az"] == 94.17
    assert primary["RDS storage 50 GB gp3 multi-az"] == 11.50
    assert primary["Database Insights Standard (7 days)"] == 0
    assert est.total == 170.95
    # Detailed monitoring on the prod host: no vendored price, so said, not counted as zero.
    assert est.missing == ["host-instance: EC2 detailed monitoring (no price for ec2:detailed-monitoring)"]


def test_extended_support_is_priced_when_chosen() -> None:
    plan = make_plan(
        "dev", {"dbEngineVersion": "8.0", "dbEngineLifecycleSupport": "open-source-rds-extended-support"}
    )
    lines = {x.what: x.monthly for x in cost.estimate(plan).lines}
    assert lines["Extended Support 2 vCPU x 1"] == 146.0  # 730 h x 2 vCPU x $0.10


EXTENDED = {"dbEngineVersion": "8.0", "dbEngineLifecycleSupport": "open-source-rds-extended-support"}
# 730 h x 2 vCPU (db.t4g.medium) x $0.10 a vCPU-hour, per DB instance.
EXTENDED_PER_INSTANCE = 730 * 2 * 0.10


def test_extended_support_is_billed_on_the_standby_and_every_replica_too() -> None:
    est = cost.estimate(shared_plan("prod", **EXTENDED))
    extended = [(x.resource, x.what, x.monthly) for x in est.lines if x.what.startswith("Extended")]
    assert extended == [
        ("db-primary-instance", "Extended Support 2 vCPU x 2", round(2 * EXTENDED_PER_INSTANCE, 2)),
        ("db-replica-1", "Extended Support 2 vCPU x 1", round(EXTENDED_PER_INSTANCE, 2)),
    ]
    assert est.total == round(170.95 + 3 * EXTENDED_PER_INSTANCE, 2)


def test_a_replica_moved_to_84_first_pays_no_extended_support() -> None:
    upgrading = {**EXTENDED, "dbReplicaEngineVersion": "8.4", "dbAllowMajorVersionUpgrade": "true"}
    est = cost.estimate(shared_plan("prod", **upgrading))
    assert [x.resource for x in est.lines if x.what.startswith("Extended")] == ["db-primary-instance"]


def test_a_cluster_on_80_lists_extended_support_for_its_three_instances() -> None:
    cluster = {**{k: str(v) for k, v in CLUSTER.items()}, **EXTENDED}
    est = cost.estimate(shared_plan("prod", **cluster))
    assert "db-cluster: Extended Support db.m6gd.large x 3 (no vCPU count for db.m6gd.large)" in est.missing


def test_a_region_without_data_says_so_instead_of_zero() -> None:
    est = cost.estimate(shared_plan("dev", **{"aws:region": "eu-west-3"}))
    assert est.lines == [] and est.missing == ["no price data for region eu-west-3 (the table has us-east-1)"]
    assert "this stack is unpriced in eu-west-3, so how long they last is not known" in cost.free_tier(est)[1]


def test_the_credit_runway_is_an_upper_bound_and_names_what_its_total_leaves_out() -> None:
    dev, prod = cost.estimate(shared_plan("dev")), cost.estimate(shared_plan("prod"))
    assert (
        f"at most {200 / 29.61:.1f} months of this stack (the usage-based items would shorten it)"
        in (cost.free_tier(dev)[1])
    )
    # Prod's detailed monitoring has no price: its total is a floor, the runway a ceiling.
    assert prod.missing and (
        f"at most {200 / 170.95:.1f} months of this stack: its $170.95 leaves out 1 unpriced item(s) "
        "and the usage-based ones" in cost.free_tier(prod)[1]
    )


def test_an_unpriced_region_reads_unpriced_never_zero_or_inf(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_cli.main(["dev", "--set", "aws:region=eu-west-3"]) == 0
    out = capsys.readouterr().out
    assert "  total  unpriced" in out
    assert "0.00" not in out and "inf" not in out.split()
    assert "this stack is unpriced in eu-west-3" in out
    assert plan_cli.main(["dev", "--set", "aws:region=eu-west-3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cost"]["monthly_total"] is None


def test_the_cost_is_in_the_json_and_the_docs_quote_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_cli.main(["dev", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cost"]["monthly_total"] == 29.61
    readme = docs.section("aws", "Stacks")
    for figure in ("$29.61", "$17.73", "$170.95", "$7.30", f"at most {200 / 29.61:.1f} months"):
        assert figure in readme, figure


def test_analytics_adds_its_key_and_lists_what_depends_on_use() -> None:
    est = cost.estimate(shared_plan("dev", analyticsEnabled="true"))
    assert [(x.resource, x.what, x.monthly) for x in est.lines if x.resource == "analytics-key"] == [
        ("analytics-key", "KMS customer managed key", 1.0)
    ]
    assert round(est.total - 29.61, 2) == 1.0
    listed = " ".join(est.usage_based)
    for key in (
        "s3:standard: $0.023 per GB-month",
        "glue:crawler: $0.44 per DPU-hour",
        "athena:scan: $5.0 per TB scanned",
    ):
        assert key in listed
    assert "redshift" not in listed  # no Spectrum role: nothing scans for Redshift


def test_the_spectrum_role_adds_spectrum_scans_to_the_usage_based_lines_and_nothing_to_the_total() -> None:
    # A role costs nothing; Redshift Spectrum bills the bytes its queries scan (prices.py cites it).
    est = cost.estimate(shared_plan("prod", **{k: "true" for k in ANALYTICS}))
    listed = [line for line in est.usage_based if line.startswith("redshift:")]
    assert listed == [
        "redshift:spectrum-scan: $5.0 per TB scanned by a provisioned cluster (Serverless: its RPU-hours)"
    ]
    assert "athena:scan: $5.0 per TB scanned" in est.usage_based
    assert round(est.total - cost.estimate(shared_plan("prod")).total, 2) == 1.0  # the key only


def test_a_cluster_is_three_instances_plus_storage_and_iops_at_its_own_rates() -> None:
    est = cost.estimate(shared_plan("prod", **{k: str(v) for k, v in CLUSTER.items()}))
    wanted = [
        "db-cluster: RDS db.m6gd.large x 3 (Multi-AZ DB cluster) "
        "(no price for rds:db.m6gd.large:multi-az-cluster)",
        "db-cluster: RDS storage 100 GB io1 x 3 (Multi-AZ DB cluster) "
        "(no price for rds:io1:multi-az-cluster)",
        "db-cluster: RDS provisioned IOPS 1000 io1 x 3 (Multi-AZ DB cluster) "
        "(no price for rds:iops:io1:multi-az-cluster)",
    ]
    assert [m for m in est.missing if m.startswith("db-cluster")] == wanted
    assert not [line for line in est.lines if line.resource.startswith("db-primary")]


def test_a_cluster_prices_a_storage_alarm_per_member_instance() -> None:
    # One low-storage alarm for each of the cluster's three instances, $0.10 a month each.
    est = cost.estimate(shared_plan("prod", **{k: str(v) for k, v in CLUSTER.items()}))
    alarms = [(x.resource, x.monthly) for x in est.lines if x.what == "CloudWatch alarm, standard resolution"]
    assert alarms == [(f"alerts-low-storage-{i}", 0.10) for i in (1, 2, 3)]
