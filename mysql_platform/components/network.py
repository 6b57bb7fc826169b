"""Network: a dedicated VPC with public and private subnets over several AZs."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

TOKEN = "mysql-platform:network:Network"

# Default route of the public route table (an egress path, never an ingress rule).
INTERNET_ROUTE = "0.0.0.0/0"


@dataclass(frozen=True)
class NetworkArgs:
    cidr_block: str
    """IPv4 CIDR of the VPC; subnets are carved from it (/16 -> /20 subnets)."""
    availability_zones: Sequence[str]
    """At least two AZ names; one public and one private subnet in each."""
    tags: Mapping[str, str] = field(default_factory=dict)


def subnet_cidrs(cidr_block: str, az_count: int) -> tuple[list[str], list[str]]:
    """Public and private subnet CIDRs: the first ``az_count`` blocks public, the next private.

    Blocks are four bits smaller than the VPC (16 of them), so up to 8 AZs fit.
    """
    vpc = ipaddress.IPv4Network(cidr_block)
    blocks = [str(b) for b in vpc.subnets(prefixlen_diff=4)]
    if 2 * az_count > len(blocks):
        raise ValueError(f"vpcCidr {cidr_block} cannot hold {az_count} public and private subnets")
    return blocks[:az_count], blocks[az_count : 2 * az_count]


class Network(pulumi.ComponentResource):
    """VPC, internet gateway, public subnets routed to it, private subnets with no internet route.

    No NAT gateway: it costs money by the hour and the database needs no egress.
    """

    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    public_route_table_id: pulumi.Output[str]
    private_route_table_id: pulumi.Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        public_cidrs, private_cidrs = subnet_cidrs(args.cidr_block, len(args.availability_zones))

        # DNS hostnames are needed for the host's public DNS name and for RDS endpoints.
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-igw"}, opts=child
        )
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block=INTERNET_ROUTE, gateway_id=igw.id)],
            tags={**tags, "Name": f"{name}-public-rt"},
            opts=child,
        )
        # An explicit private table (local route only) so nobody's later change to the
        # VPC's main table can give the private subnets a way out.
        private_rt = aws.ec2.RouteTable(
            f"{name}-private-rt", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-private-rt"}, opts=child
        )

        self.public_subnet_ids = []
        self.private_subnet_ids = []
        for i, az in enumerate(args.availability_zones):
            public = self._subnet(name, f"public-{i + 1}", vpc, az, public_cidrs[i], True, tags)
            private = self._subnet(name, f"private-{i + 1}", vpc, az, private_cidrs[i], False, tags)
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i + 1}-rta", subnet_id=public.id, route_table_id=public_rt.id, opts=child
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i + 1}-rta", subnet_id=private.id, route_table_id=private_rt.id, opts=child
            )
            self.public_subnet_ids.append(public.id)
            self.private_subnet_ids.append(private.id)

        self.vpc_id = vpc.id
        self.public_route_table_id = public_rt.id
        self.private_route_table_id = private_rt.id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    def _subnet(
        self,
        name: str,
        role: str,
        vpc: aws.ec2.Vpc,
        az: str,
        cidr: str,
        public: bool,
        tags: Mapping[str, str],
    ) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{name}-{role}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=az,
            map_public_ip_on_launch=public,
            tags={**tags, "Name": f"{name}-{role}", "tier": "public" if public else "private"},
            opts=pulumi.ResourceOptions(parent=self),
        )
