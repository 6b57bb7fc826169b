"""The stack as an architecture picture, derived from a plan: who reaches what, on which port.

:mod:`mysql_platform.planning.diagram` draws every resource; this module reduces the same plan to what
a reviewer asks about: the network zones (a subnet is public when its route table routes to an
internet gateway, as the VPC User Guide defines it), the components placed in them (the EC2 host
and its proxy, the DB instances or the Multi-AZ DB cluster, alerts, analytics), the clients and
the internet, an arrow per (source, target) from the security-group ingress rules with their
ports, and the replication arrows. Nothing is named per stack: a plan with other resources gives
another picture.

AWS facts the picture relies on:

- A read replica in its source's region takes no ``db_subnet_group_name`` and "defaults to the
  Subnet Group Name of the source DB" (pulumi-aws ``rds.Instance`` docs, ``dbSubnetGroupName``;
  RDS refuses one: ``DBSubnetGroupNotAllowedFault``), so it sits in its source's zone. It replays
  the source's binlog asynchronously (RDS User Guide, "Working with DB instance read replicas").
- ``multi_az`` on an instance adds a standby in another AZ that RDS "synchronously replicates"
  to and that serves no reads (RDS User Guide, "Multi-AZ DB instance deployments").
- A Multi-AZ DB cluster (``aws.rds.Cluster`` with ``db_cluster_instance_class``) is one writer
  and two readable standbys in three AZs with semi-synchronous replication (RDS User Guide,
  "Multi-AZ DB cluster deployments"; see mysql_platform/components/multiaz_cluster.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mysql_platform.planning.architecture_rules import ingress_rules, of_type, ref
from mysql_platform.planning.plan import Plan, PlannedResource

TRAFFIC, REPLICATION, FLOW = "traffic", "replication", "flow"
INTERNET = "internet"
INTERNET_ZONE = "z_internet"
_IGW = "aws:ec2/internetGateway:InternetGateway"
_SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
_WELL_KNOWN = {22: "SSH", 3306: "MySQL"}


@dataclass(frozen=True)
class Zone:
    id: str
    label: tuple[str, ...]
    parent: str  # a zone id, "" at the top


@dataclass(frozen=True)
class Node:
    id: str
    label: tuple[str, ...]
    zone: str
    public: bool = False  # reachable from outside the VPC (a public IP or publicly accessible)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    kind: str  # TRAFFIC, REPLICATION or FLOW


@dataclass(frozen=True)
class Architecture:
    stack: str
    zones: tuple[Zone, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def node_id(name: str) -> str:
    return "a_" + re.sub(r"[^A-Za-z0-9]", "_", name)


class _Builder:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.named = {r.name: r for r in plan.resources if not r.component}
        self.zones: dict[str, Zone] = {}
        self.nodes: dict[str, Node] = {}
        self.edges: dict[tuple[str, str, str], set[str]] = {}
        self.subnet_zone: dict[str, str] = {}  # subnet name -> zone id
        self.sg_owners: dict[str, list[str]] = {}  # security group name -> node ids

    def zone(self, zone: Zone) -> str:
        self.zones.setdefault(zone.id, zone)
        return zone.id

    def node(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def edge(self, source: str, target: str, kind: str, label: str) -> None:
        self.edges.setdefault((source, target, kind), set()).add(label)

    def owns(self, r: PlannedResource, nid: str) -> None:
        for sg in r.inputs.get("vpcSecurityGroupIds") or []:
            if (name := ref(sg)) is not None:
                self.sg_owners.setdefault(name, []).append(nid)

    def build(self) -> Architecture:
        self.zone(Zone(INTERNET_ZONE, ("Internet",), ""))
        self.node(Node(INTERNET, ("the internet", "0.0.0.0/0"), INTERNET_ZONE))
        self.network()
        self.hosts()
        self.instances()
        self.clusters()
        self.ingress()
        self.egress()
        self.alerts()
        self.analytics()
        edges = tuple(
            Edge(s, t, ", ".join(sorted(labels, key=_port_order)), kind)
            for (s, t, kind), labels in sorted(self.edges.items())
        )
        return Architecture(self.plan.stack, tuple(self.zones.values()), tuple(self.nodes.values()), edges)

    # --- zones ---------------------------------------------------------------------------------

    def network(self) -> None:
        public_tables = {
            rt.name
            for rt in of_type(self.plan, "/routeTable:RouteTable")
            if any(self._to_igw(route) for route in rt.inputs.get("routes") or [])
        }
        for route in of_type(self.plan, "/route:Route"):
            if self._to_igw(route.inputs) and (table := ref(route.inputs.get("routeTableId"))):
                public_tables.add(table)
        table_of = {
            ref(a.inputs.get("subnetId")): ref(a.inputs.get("routeTableId"))
            for a in of_type(self.plan, "/routeTableAssociation:RouteTableAssociation")
        }
        # A subnet with no association uses the VPC's main route table, which has only the local
        # route unless someone adds one: private, as far as the plan can tell.
        grouped: dict[tuple[str, bool], list[PlannedResource]] = {}
        for subnet in of_type(self.plan, "ec2/subnet:Subnet"):
            vpc = ref(subnet.inputs.get("vpcId")) or ""
            grouped.setdefault((vpc, table_of.get(subnet.name) in public_tables), []).append(subnet)
        for v in of_type(self.plan, "ec2/vpc:Vpc"):
            self.zone(Zone(node_id(v.name), (f"VPC {v.inputs.get('cidrBlock', '')}",), ""))
        for (vpc, public), subnets in sorted(grouped.items(), key=lambda kv: (kv[0][0], not kv[0][1])):
            reach = (
                "public subnets: route to the internet gateway"
                if public
                else "private subnets: no route to an internet gateway"
            )
            where = " · ".join(
                f"{s.inputs.get('cidrBlock')} {s.inputs.get('availabilityZone', '')}" for s in subnets
            )
            zid = self.zone(
                Zone(f"{node_id(vpc)}_{'public' if public else 'private'}", (reach, where), node_id(vpc))
            )
            for s in subnets:
                self.subnet_zone[s.name] = zid

    def _to_igw(self, route: Mapping[str, Any]) -> bool:
        gateway = self.named.get(ref(route.get("gatewayId")) or "")
        return gateway is not None and gateway.type.startswith(_IGW)

    def group_zone(self, group_input: Any) -> str:
        """The zone of a DB subnet group's subnets (the first one's: a group spans one kind)."""
        group = self.named.get(ref(group_input) or "")
        subnets = [ref(s) for s in (group.inputs.get("subnetIds") or [])] if group else []
        return next((self.subnet_zone[s] for s in subnets if s in self.subnet_zone), "")

    # --- components ----------------------------------------------------------------------------

    def hosts(self) -> None:
        proxy = self.plan.exports.get("proxy")
        proxy_host = self._instance_behind(proxy.get("host")) if isinstance(proxy, dict) else None
        eips = {
            ref(a.inputs.get("instanceId")) for a in of_type(self.plan, "ec2/eipAssociation:EipAssociation")
        }
        for r in of_type(self.plan, "ec2/instance:Instance"):
            address = (
                "Elastic IP"
                if r.name in eips
                else "public IP"
                if r.inputs.get("associatePublicIpAddress")
                else ""
            )
            label = [r.name, f"EC2 {r.inputs.get('instanceType', '')}"]
            if r.name == proxy_host and isinstance(proxy, dict):
                label.append(
                    f"HAProxy: writes :{proxy.get('writer_port')}, reads :{proxy.get('reader_port')}"
                )
            label += [address] if address else []
            label += ["Session Manager"] if self._ssm_managed(r) else []
            zone = self.subnet_zone.get(ref(r.inputs.get("subnetId")) or "", "")
            self.owns(r, self.node(Node(node_id(r.name), tuple(label), zone, public=bool(address))))

    def _ssm_managed(self, instance: PlannedResource) -> bool:
        """The instance's profile role has AmazonSSMManagedInstanceCore: Session Manager reaches
        it with no inbound rule (the agent connects out; Systems Manager User Guide, "Step 2:
        Verify or add instance permissions for Session Manager")."""
        profile = self.named.get(ref(instance.inputs.get("iamInstanceProfile")) or "")
        role = ref(profile.inputs.get("role")) if profile else None
        return role is not None and any(
            ref(a.inputs.get("role")) == role
            and str(a.inputs.get("policyArn", "")).endswith("/AmazonSSMManagedInstanceCore")
            for a in of_type(self.plan, "iam/rolePolicyAttachment:RolePolicyAttachment")
        )

    def _instance_behind(self, value: Any) -> str | None:
        """The EC2 instance an exported address belongs to: the instance or its Elastic IP's."""
        name = ref(value)
        target = self.named.get(name or "")
        if target is None or not target.type.endswith("ec2/eip:Eip"):
            return name
        for a in of_type(self.plan, "ec2/eipAssociation:EipAssociation"):
            if ref(a.inputs.get("allocationId")) == name:
                return ref(a.inputs.get("instanceId"))
        return None

    def instances(self) -> None:
        rds = of_type(self.plan, "rds/instance:Instance")
        by_identifier = {r.inputs.get("identifier"): r for r in rds}
        for r in sorted(rds, key=lambda r: bool(r.inputs.get("replicateSourceDb"))):
            source = by_identifier.get(r.inputs.get("replicateSourceDb"))
            public = bool(r.inputs.get("publiclyAccessible"))
            zone = (
                self.nodes[node_id(source.name)].zone
                if source
                else self.group_zone(r.inputs.get("dbSubnetGroupName"))
            )
            role = "read replica" if source else "primary"
            label = (
                r.name,
                f"RDS MySQL {r.inputs.get('engineVersion', '')} {r.inputs.get('instanceClass', '')}",
                role,
                "publicly accessible" if public else "no public address",
            )
            nid = self.node(Node(node_id(r.name), label, zone, public))
            self.owns(r, nid)
            if source is not None:
                self.edge(node_id(source.name), nid, REPLICATION, "async (binlog)")
            if r.inputs.get("multiAz"):
                standby = self.node(
                    Node(f"{nid}_standby", (f"{r.name} standby", "Multi-AZ, other AZ, no reads"), zone)
                )
                self.edge(nid, standby, REPLICATION, "sync")

    def clusters(self) -> None:
        for r in of_type(self.plan, "rds/cluster:Cluster"):
            if not r.inputs.get("dbClusterInstanceClass"):
                continue  # Aurora: storage-level replication, not drawn here
            public = bool(r.inputs.get("publiclyAccessible"))
            cid = node_id(r.name)
            box = self.zone(
                Zone(
                    cid + "_box",
                    (
                        f"{r.name}: Multi-AZ DB cluster",
                        f"{r.inputs.get('dbClusterInstanceClass')}: 3 instances, three AZs",
                    ),
                    self.group_zone(r.inputs.get("dbSubnetGroupName")),
                )
            )
            writer = self.node(Node(cid, ("writer", "writer endpoint"), box, public))
            self.owns(r, writer)
            for i in (1, 2):
                reader = self.node(
                    Node(f"{cid}_reader_{i}", (f"readable standby {i}", "reader endpoint"), box, public)
                )
                self.edge(writer, reader, REPLICATION, "semi-sync")

    # --- reachability --------------------------------------------------------------------------

    def ingress(self) -> None:
        for group, rule in ingress_rules(self.plan):
            targets = self.sg_owners.get(group, [])
            for source in self._sources(rule):
                for target in targets:
                    self.edge(source, target, TRAFFIC, self._port_label(rule, target))

    def _sources(self, inputs: Mapping[str, Any]) -> list[str]:
        for key, what in (("cidrIpv4", "clients"), ("cidrIpv6", "clients"), ("prefixListId", "prefix list")):
            if value := inputs.get(key):
                zone = self._vpc_holding(str(value)) or INTERNET_ZONE
                return [self.node(Node(node_id(f"src {value}"), (what, str(value)), zone))]
        group = inputs.get("referencedSecurityGroupId")
        if (name := ref(group)) is not None:
            return self.sg_owners.get(name, [])
        if group:  # a group outside the stack: in the same VPC (a reference needs one or peering)
            vpcs = [z.id for z in self.zones.values() if z.id.startswith("a_") and not z.parent]
            return [
                self.node(Node(node_id(f"src {group}"), ("clients in", str(group)), vpcs[0] if vpcs else ""))
            ]
        return []

    def _vpc_holding(self, cidr: str) -> str | None:
        """The VPC zone whose address range holds ``cidr`` (clients inside the VPC), if any."""
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return None  # a prefix list id
        for vpc in of_type(self.plan, "ec2/vpc:Vpc"):
            block = ipaddress.ip_network(str(vpc.inputs.get("cidrBlock", "0.0.0.0/32")), strict=False)
            if net.version == block.version and net.subnet_of(block):  # type: ignore[arg-type]
                return node_id(vpc.name)
        return None

    def _port_label(self, inputs: Mapping[str, Any], target: str) -> str:
        protocol = str(inputs.get("ipProtocol", "")).lower()
        if protocol in ("-1", "all"):
            return "all traffic"
        low, high = inputs.get("fromPort"), inputs.get("toPort")
        port = f"{low}" if low == high else f"{low}-{high}"
        role = _WELL_KNOWN.get(low) if low == high and isinstance(low, int) else None
        proxy = self.plan.exports.get("proxy")
        if isinstance(proxy, dict) and "HAProxy" in " ".join(self.nodes[target].label):
            role = {proxy.get("writer_port"): "writes", proxy.get("reader_port"): "reads"}.get(low, role)
        return f"{protocol} {port}" + (f" {role}" if role else "")

    def egress(self) -> None:
        for rule in of_type(self.plan, _SG_EGRESS):
            if rule.inputs.get("cidrIpv4") == "0.0.0.0/0":
                for source in self.sg_owners.get(ref(rule.inputs.get("securityGroupId")) or "", []):
                    self.edge(source, INTERNET, TRAFFIC, "outbound " + self._port_label(rule.inputs, source))

    # --- what the DB reports to ----------------------------------------------------------------

    def db_nodes(self, identifiers: Iterable[Any]) -> list[str]:
        out = []
        for ident in identifiers:
            for key in ("identifier", "clusterIdentifier"):
                out += [
                    node_id(r.name)
                    for r in self.named.values()
                    if r.inputs.get(key) == ident and node_id(r.name) in self.nodes
                ]
        return out

    def alerts(self) -> None:
        for topic in of_type(self.plan, "sns/topic:Topic"):
            subs = [
                s.inputs.get("protocol", "")
                for s in of_type(self.plan, "sns/topicSubscription:TopicSubscription")
                if ref(s.inputs.get("topic")) == topic.name
            ]
            label = (
                topic.name,
                "SNS topic" + (" → " + ", ".join(sorted(subs)) if subs else ", no subscriber"),
            )
            tid = self.node(Node(node_id(topic.name), label, ""))
            for sub in of_type(self.plan, "rds/eventSubscription:EventSubscription"):
                if ref(sub.inputs.get("snsTopic")) == topic.name:
                    for db in self.db_nodes(sub.inputs.get("sourceIds") or []):
                        self.edge(db, tid, FLOW, "RDS events")
            for alarm in of_type(self.plan, "cloudwatch/metricAlarm:MetricAlarm"):
                if any(ref(a) == topic.name for a in alarm.inputs.get("alarmActions") or []):
                    dims = (alarm.inputs.get("dimensions") or {}).values()
                    for db in self.db_nodes(dims):
                        self.edge(db, tid, FLOW, f"alarm {alarm.inputs.get('metricName', '')}")

    def analytics(self) -> None:
        info = self.plan.exports.get("analytics")
        if not isinstance(info, dict):
            return
        # The Spectrum role's ARN is exported only when Redshift Spectrum may read the catalog.
        engines = "Athena, Redshift Spectrum" if info.get("spectrum_role_arn") else "Athena"
        label = (
            "analytics",
            f"S3 {info.get('export_prefix', '')} (KMS) → Glue {info.get('glue_database', '')} → {engines}",
        )
        aid = self.node(Node("a_analytics", label, ""))
        for db in self.db_nodes([info.get("source_db_instance")]):
            self.edge(db, aid, FLOW, "snapshot export")


def _port_order(label: str) -> tuple[int, str]:
    numbers = re.findall(r"\d+", label)
    return (int(numbers[0]) if numbers else -1, label)


def architecture(plan: Plan) -> Architecture:
    """The plan's architecture: zones, components, reachability and replication."""
    return _Builder(plan).build()
