"""Where an RDS database lives on the network: its subnet group and its security group.

Shared by the instance (MySqlDatabase) and the Multi-AZ DB cluster: the same names under their
component, so moving code here changed no resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.security import IngressRule, add_ingress

MYSQL_PORT = 3306


def db_subnet_group(
    name: str,
    public_subnet_ids: Sequence[pulumi.Input[str]],
    private_subnet_ids: Sequence[pulumi.Input[str]],
    publicly_accessible: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.rds.SubnetGroup:
    # publicly_accessible only works on subnets that route to an internet gateway.
    subnets = public_subnet_ids if publicly_accessible else private_subnet_ids
    return aws.rds.SubnetGroup(
        f"{name}-subnets",
        subnet_ids=list(subnets),
        description=f"{name}: {'public' if publicly_accessible else 'private'} subnets",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def db_security_group(
    name: str,
    vpc_id: pulumi.Input[str],
    client_security_group_ids: Sequence[pulumi.Input[str]],
    allowed_cidrs: Sequence[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """MySQL from the client groups, and from ``allowed_cidrs`` (pass none unless public)."""
    sg = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{name}: MySQL from the host and allowed CIDRs only",
        tags={**tags, "Name": f"{name}-sg"},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for i, group_id in enumerate(client_security_group_ids):
        rule = IngressRule(MYSQL_PORT, "MySQL from a client security group", security_group_id=group_id)
        add_ingress(f"{name}-from-sg-{i + 1}", sg.id, rule, parent, tags)
    for i, cidr in enumerate(allowed_cidrs):
        rule = IngressRule(MYSQL_PORT, "MySQL from an allowed CIDR", cidr)
        add_ingress(f"{name}-from-cidr-{i + 1}", sg.id, rule, parent, tags)
    return sg
