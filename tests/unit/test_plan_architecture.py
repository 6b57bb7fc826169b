"""``plan --diagram``'s architecture view: zones, clients, ports and replication from the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_OK
from mysql_platform.planning import diagram
from mysql_platform.planning.architecture import (
    FLOW,
    INTERNET,
    REPLICATION,
    TRAFFIC,
    Architecture,
    architecture,
    node_id,
)
from mysql_platform.planning.plan import Plan, PlannedResource
from tests.support import docs
from tests.support.plans import plan as shared_plan
from tests.support.stacks import ALERT_EMAIL, ANALYTICS, APP_SG, CLUSTER, FEATURES, PROXY_CIDR, SSH_CIDR

pytestmark = pytest.mark.usefixtures("shared_plans")

PRIMARY, REPLICA, HOST = node_id("db-primary-instance"), node_id("db-replica-1"), node_id("host-instance")


def _as_overrides(values: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}


def _edges(a: Architecture, kind: str) -> dict[tuple[str, str], str]:
    return {(e.source, e.target): e.label for e in a.edges if e.kind == kind}


def _zone_of(a: Architecture, node: str) -> tuple[str, ...]:
    zones = {z.id: z for z in a.zones}
    return zones[next(n.zone for n in a.nodes if n.id == node)].label


def _public(a: Architecture) -> set[str]:
    return {n.id for n in a.nodes if n.public}


def test_dev_puts_the_db_in_the_public_zone_open_to_its_cidrs_on_3306() -> None:
    dev = architecture(shared_plan("dev"))
    traffic = _edges(dev, TRAFFIC)
    assert traffic[(node_id("src 203.0.113.10/32"), PRIMARY)] == "tcp 3306 MySQL"
    assert traffic[(HOST, PRIMARY)] == "tcp 3306 MySQL"  # the host's security group is admitted
    assert _zone_of(dev, PRIMARY)[0].startswith("public subnets")
    assert PRIMARY in _public(dev) and "publicly accessible" in next(
        n.label for n in dev.nodes if n.id == PRIMARY
    )
    assert not _edges(dev, REPLICATION)  # free tier: no replica, no standby


def test_the_clients_are_the_configured_cidrs_not_a_fixed_picture() -> None:
    other = architecture(shared_plan("dev", dbAllowedCidrs='["192.0.2.0/28", "10.40.9.0/24"]'))
    traffic = _edges(other, TRAFFIC)
    assert (node_id("src 192.0.2.0/28"), PRIMARY) in traffic
    assert not any(s == node_id("src 203.0.113.10/32") for s, _ in traffic)
    zones = {n.id: n.zone for n in other.nodes}
    # An address inside the VPC is no client on the internet.
    assert zones[node_id("src 10.40.9.0/24")] == node_id("network-vpc")
    assert zones[node_id("src 192.0.2.0/28")] == "z_internet"


def test_prod_keeps_the_db_private_with_async_replica_and_sync_standby() -> None:
    prod = architecture(shared_plan("prod"))
    traffic = _edges(prod, TRAFFIC)
    assert _zone_of(prod, PRIMARY)[0].startswith("private subnets")
    assert _zone_of(prod, REPLICA) == _zone_of(prod, PRIMARY)  # a replica takes its source's subnet group
    assert _zone_of(prod, HOST)[0].startswith("public subnets")
    assert {s for s, t in traffic if t in (PRIMARY, REPLICA)} == {HOST}  # no client reaches the DB
    assert _public(prod) == {HOST}
    replication = _edges(prod, REPLICATION)
    assert replication == {(PRIMARY, REPLICA): "async (binlog)", (PRIMARY, PRIMARY + "_standby"): "sync"}
    assert traffic[(HOST, INTERNET)] == "outbound all traffic"
    # No inbound rule reaches the prod host: its role lets Session Manager in.
    assert next(n for n in prod.nodes if n.id == HOST).label[-1] == "Session Manager"


def test_a_multi_az_cluster_is_a_writer_and_two_semi_sync_standbys() -> None:
    cluster = architecture(shared_plan("prod", **_as_overrides(CLUSTER)))
    writer = node_id("db-cluster")
    assert _edges(cluster, REPLICATION) == {
        (writer, f"{writer}_reader_1"): "semi-sync",
        (writer, f"{writer}_reader_2"): "semi-sync",
    }
    box = next(z for z in cluster.zones if z.id == writer + "_box")
    assert box.label[1] == "db.m6gd.large: 3 instances, three AZs"
    private = next(z for z in cluster.zones if z.id == box.parent)
    assert private.label[0].startswith("private subnets") and private.label[1].count("us-east-1") == 3
    assert _edges(cluster, TRAFFIC)[(HOST, writer)] == "tcp 3306 MySQL"
    assert not any(n.id in (PRIMARY, REPLICA) for n in cluster.nodes)


def test_the_proxy_ssh_alerts_and_analytics_come_from_the_configuration() -> None:
    values = {**FEATURES, "analyticsEnabled": True, "proxyWriterPort": 4406, "proxyReaderPort": 4407}
    a = architecture(shared_plan("dev", **_as_overrides(values)))
    traffic = _edges(a, TRAFFIC)
    assert traffic[(node_id(f"src {PROXY_CIDR}"), HOST)] == "tcp 4406 writes, tcp 4407 reads"
    assert traffic[(node_id(f"src {APP_SG}"), HOST)] == "tcp 4406 writes, tcp 4407 reads"
    assert traffic[(node_id(f"src {SSH_CIDR}"), HOST)] == "tcp 22 SSH"
    host = next(n for n in a.nodes if n.id == HOST)
    assert "HAProxy: writes :4406, reads :4407" in host.label and "Elastic IP" in host.label
    flow = _edges(a, FLOW)
    topic = node_id("alerts-topic")
    assert flow[(PRIMARY, topic)] == "RDS events, alarm FreeStorageSpace"
    assert (REPLICA, topic) in flow and flow[(PRIMARY, "a_analytics")] == "snapshot export"
    assert (REPLICA, "a_analytics") not in flow  # the export reads the primary's snapshots
    assert next(n for n in a.nodes if n.id == topic).label[1] == "SNS topic → email"
    assert ALERT_EMAIL not in json.dumps([n.label for n in a.nodes])
    analytics = next(n for n in a.nodes if n.id == "a_analytics")
    assert analytics.label[1] == "S3 exports/ (KMS) → Glue mysql_platform_dev → Athena"


def test_the_analytics_node_names_redshift_spectrum_when_its_role_exists() -> None:
    a = architecture(shared_plan("prod", **_as_overrides(ANALYTICS)))
    analytics = next(n for n in a.nodes if n.id == "a_analytics")
    assert analytics.label[1] == "S3 exports/ (KMS) → Glue mysql_platform_prod → Athena, Redshift Spectrum"


def _res(type_: str, name: str, **inputs: Any) -> PlannedResource:
    return PlannedResource(type_, name, "", False, inputs)


def test_a_subnet_is_public_by_its_route_to_an_internet_gateway_not_its_name() -> None:
    # A separate aws:ec2/route:Route to the gateway makes the table public; the name says nothing.
    resources = [
        _res("aws:ec2/vpc:Vpc", "v", cidrBlock="10.0.0.0/16"),
        _res("aws:ec2/internetGateway:InternetGateway", "gw", vpcId="-> v"),
        _res("aws:ec2/routeTable:RouteTable", "private-looking", vpcId="-> v"),
        _res("aws:ec2/route:Route", "r", routeTableId="-> private-looking", gatewayId="-> gw"),
        _res("aws:ec2/routeTable:RouteTable", "public-looking", vpcId="-> v"),
        _res("aws:ec2/subnet:Subnet", "a", vpcId="-> v", cidrBlock="10.0.1.0/24"),
        _res("aws:ec2/subnet:Subnet", "b", vpcId="-> v", cidrBlock="10.0.2.0/24"),
        _res(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "a-rta",
            subnetId="-> a",
            routeTableId="-> private-looking",
        ),
        _res(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "b-rta",
            subnetId="-> b",
            routeTableId="-> public-looking",
        ),
    ]
    a = architecture(Plan("t", "us-east-1", {}, resources, {}))
    labels = {z.id: z.label for z in a.zones}
    assert labels["a_v_public"][1].startswith("10.0.1.0/24") and labels["a_v_private"][1].startswith(
        "10.0.2.0/24"
    )


def test_the_plan_page_shows_the_dev_and_prod_architecture_the_plan_draws() -> None:
    text = docs.page("plan")
    for stack in ("dev", "prod"):
        opening = f"<!-- plan-diagram:{stack}-architecture:start -->\n```mermaid\n"
        start = text.index(opening) + len(opening)
        end = text.index(f"```\n<!-- plan-diagram:{stack}-architecture:end -->")
        assert text[start:end] == diagram.architecture_mermaid(shared_plan(stack)), (
            f"regenerate: mysql-platform plan {stack} --diagram x.mmd"
        )


def test_the_mermaid_and_dot_views_draw_zones_arrows_and_public_marks() -> None:
    prod = shared_plan("prod")
    mmd = diagram.architecture_mermaid(prod)
    assert mmd.startswith("flowchart LR\n")
    assert f'  {PRIMARY} ==>|"async (binlog)"| {REPLICA}' in mmd
    assert f'  {HOST} -->|"tcp 3306 MySQL"| {PRIMARY}' in mmd
    assert f"  class {HOST} public" in mmd
    dot = diagram.architecture_dot(prod)
    assert dot.startswith('digraph "prod architecture" {')
    assert f'{PRIMARY} -> {REPLICA} [label="async (binlog)", style=bold];' in dot
    assert f"{HOST} [label=" in dot and "color=red" in dot.split(f"{HOST} [label=")[1].split("\n")[0]
    assert "subgraph cluster_a_network_vpc_private {" in dot


def test_the_diagram_view_is_architecture_by_default_and_resources_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default, full = tmp_path / "a.mmd", tmp_path / "r.mmd"
    assert plan_cli.main(["prod", "--diagram", str(default)]) == EXIT_OK
    assert plan_cli.main(["prod", "--diagram", str(full), "--view", "resources"]) == EXIT_OK
    assert default.read_text() == diagram.architecture_mermaid(shared_plan("prod"))
    assert full.read_text() == diagram.mermaid(shared_plan("prod"))
    capsys.readouterr()
    assert plan_cli.main(["prod", "--diagram", str(default), "--view", "network"]) == EXIT_BAD_INPUT
    assert "invalid choice: 'network'" in capsys.readouterr().err
    with pytest.raises(
        diagram.DiagramError, match="--view 'network': expected one of architecture, resources"
    ):
        diagram.render(shared_plan("prod"), ".mmd", "network")


def test_edges_are_unique_and_sorted() -> None:
    a = architecture(shared_plan("prod"))
    assert list(a.edges) == sorted(a.edges, key=lambda e: (e.source, e.target, e.kind))
    assert len({(e.source, e.target, e.kind) for e in a.edges}) == len(a.edges)


def test_security_group_rules_and_inline_ingress_blocks_draw_arrows_too() -> None:
    resources = [
        _res("aws:ec2/vpc:Vpc", "v", cidrBlock="10.0.0.0/16"),
        _res(
            "aws:ec2/securityGroup:SecurityGroup",
            "db-sg",
            vpcId="-> v",
            ingress=[{"protocol": "tcp", "fromPort": 3306, "toPort": 3306, "cidrBlocks": ["192.0.2.1/32"]}],
        ),
        _res("aws:ec2/securityGroup:SecurityGroup", "app-sg", vpcId="-> v"),
        _res(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "from-app",
            type="ingress",
            protocol="tcp",
            fromPort=3300,
            toPort=3310,
            securityGroupId="-> db-sg",
            sourceSecurityGroupId="-> app-sg",
        ),
        _res(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "out",
            type="egress",
            protocol="-1",
            fromPort=0,
            toPort=0,
            securityGroupId="-> db-sg",
            cidrBlocks=["0.0.0.0/0"],
        ),
        _res("aws:rds/instance:Instance", "db", identifier="db-1", vpcSecurityGroupIds=["-> db-sg"]),
        _res("aws:ec2/instance:Instance", "app", instanceType="t3.micro", vpcSecurityGroupIds=["-> app-sg"]),
    ]
    drawn = architecture(Plan("t", "us-east-1", {}, resources, {}))
    assert next(n for n in drawn.nodes if n.id == node_id("app")).label == ("app", "EC2 t3.micro")
    traffic = _edges(drawn, TRAFFIC)
    assert traffic == {
        (node_id("src 192.0.2.1/32"), node_id("db")): "tcp 3306 MySQL",
        (node_id("app"), node_id("db")): "tcp 3300-3310",
    }


def test_a_public_cluster_marks_its_writer_and_both_standbys_public() -> None:
    cluster = _res(
        "aws:rds/cluster:Cluster", "c", dbClusterInstanceClass="db.m6gd.large", publiclyAccessible=True
    )
    drawn = architecture(Plan("t", "us-east-1", {}, [cluster], {}))
    assert _public(drawn) == {node_id("c"), node_id("c") + "_reader_1", node_id("c") + "_reader_2"}
