"""Where an RDS database lives on the network: its subnet group and its security group.

Shared by the instance (MySqlDatabase) and the Multi-AZ DB cluster: the same names under their
component, so moving code here changed no resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from mysql_platform.components.security import IngressRule, add_ingress

MYSQL_PORT = 3306


def subnet_group_logical_name(name: str, publicly_accessible: bool) -> str:
    """One subnet group per reachability: a switch makes a new group, never rewrites one in use."""
    return f"{name}-subnets-{'public' if publicly_accessible else 'private'}"


def db_subnet_group(
    name: str,
    public_subnet_ids: Sequence[pulumi.Input[str]],
    private_subnet_ids: Sequence[pulumi.Input[str]],
    publicly_accessible: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.rds.SubnetGroup:
    """The database's subnet group: the public subnets when it is publicly accessible (only those
    route to the internet gateway), the private ones otherwise.

    Switching ``dbPubliclyAccessible`` used to swap the subnet list of the group in use, which RDS
    refuses: a subnet that holds an instance cannot leave its group (ModifyDBSubnetGroup; AWS
    Knowledge Center "How can I delete a subnet that is part of an Amazon RDS DB subnet group?").
    Now each reachability has its own group, so a switch creates the other group and leaves the
    old one as it is. The database does not follow by itself:

    - an instance: ``db_subnet_group_name`` is updatable in the provider (rds/instance.go, no
      ForceNew: ModifyDBInstance DBSubnetGroupName), but AWS refuses a move to another group of
      the same VPC (InvalidVPCNetworkStateFault "The specified DB subnet group and DB instance
      are in the same VPC"; terraform-provider-aws issue #512). The `up` stops there, nothing
      deleted; the README says how to switch (a new instance from a snapshot);
    - a Multi-AZ DB cluster: ``db_subnet_group_name`` is ForceNew (rds/cluster.go), so a switch
      replaces the cluster, which deletion protection and ``protect`` refuse in prod.

    The alias keeps the group of a stack created before this split (``<name>-subnets``) as the
    group of its current reachability: no change at the next ``up``.
    """
    reach = "public" if publicly_accessible else "private"
    subnets = public_subnet_ids if publicly_accessible else private_subnet_ids
    return aws.rds.SubnetGroup(
        subnet_group_logical_name(name, publicly_accessible),
        subnet_ids=list(subnets),
        description=f"{name}: {reach} subnets",
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(name=f"{name}-subnets")]),
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
