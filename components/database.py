"""MySqlDatabase: one RDS MySQL instance with its own subnet group, security group and parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.security import IngressRule, add_ingress

TOKEN = "mysql-platform:database:MySqlDatabase"
MYSQL_PORT = 3306

# Parameters every environment gets. binlog_format=ROW is what replicas replay
# safely; TLS is required so credentials never cross the network in clear.
BASE_PARAMETERS: Mapping[str, str] = {
    "character_set_server": "utf8mb4",
    "collation_server": "utf8mb4_0900_ai_ci",
    "require_secure_transport": "ON",
    "binlog_format": "ROW",
    # A TCP health check (the host's proxy) connects and hangs up before the handshake;
    # MySQL counts that against the host and at the default of 100 blocks it.
    "max_connect_errors": "1000000",
}
# RDS refuses '/', '@', '"' and spaces in master passwords.
PASSWORD_SPECIALS = "!#$%^&*()-_=+[]{}<>:?"
PASSWORD_LENGTH = 32


@dataclass(frozen=True)
class MySqlDatabaseArgs:
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_ids: Sequence[pulumi.Input[str]]
    """Security groups admitted to 3306 (the EC2 host's)."""
    parameter_group_family: str
    """e.g. ``mysql8.0``; must match the engine line."""
    engine_version: str = "8.0"
    instance_class: str = "db.t4g.micro"
    allocated_storage_gib: int = 20
    max_allocated_storage_gib: int = 100
    backup_retention_days: int = 1
    multi_az: bool = False
    publicly_accessible: bool = False
    allowed_cidrs: Sequence[str] = ()
    """Admitted to 3306 only when publicly accessible."""
    deletion_protection: bool = True
    skip_final_snapshot: bool = False
    final_snapshot_identifier: str = ""
    """Name of the snapshot taken on deletion; unique per account and region. Empty: ``<name>-final``."""
    log_exports: Sequence[str] = ("error", "slowquery")
    db_name: str = "app"
    username: str = "admin"
    tags: Mapping[str, str] = field(default_factory=dict)


class MySqlDatabase(pulumi.ComponentResource):
    """An RDS MySQL primary reachable only by the named security groups and, when public, CIDRs."""

    instance: aws.rds.Instance
    parameter_group: aws.rds.ParameterGroup
    security_group: aws.ec2.SecurityGroup
    subnet_group: aws.rds.SubnetGroup
    identifier: pulumi.Output[str]
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    password: pulumi.Output[str]

    def __init__(
        self, name: str, args: MySqlDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        # publicly_accessible only works on subnets that route to an internet gateway.
        subnets = args.public_subnet_ids if args.publicly_accessible else args.private_subnet_ids
        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(subnets),
            description=f"{name}: {'public' if args.publicly_accessible else 'private'} subnets",
            tags=tags,
            opts=child,
        )
        self.security_group = self._security_group(name, args, tags)
        self.parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            family=args.parameter_group_family,
            description=f"{name}: utf8mb4, TLS required, row-based binlog",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=k, value=v) for k, v in BASE_PARAMETERS.items()
            ],
            tags=tags,
            opts=child,
        )
        # Generated here, not RDS-managed: AWS refuses MySQL read replicas of a source
        # whose master password is managed by Secrets Manager.
        secret = random.RandomPassword(
            f"{name}-password",
            length=PASSWORD_LENGTH,
            special=True,
            override_special=PASSWORD_SPECIALS,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            opts=child,
        )
        self.instance = self._instance(name, args, secret.result, tags)
        self.identifier = self.instance.identifier
        self.address = self.instance.address
        self.port = self.instance.port
        self.password = pulumi.Output.secret(secret.result)
        self.register_outputs({"identifier": self.identifier, "address": self.address, "port": self.port})

    def _security_group(
        self, name: str, args: MySqlDatabaseArgs, tags: Mapping[str, str]
    ) -> aws.ec2.SecurityGroup:
        child = pulumi.ResourceOptions(parent=self)
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{name}: MySQL from the host and allowed CIDRs only",
            tags={**tags, "Name": f"{name}-sg"},
            opts=child,
        )
        for i, group_id in enumerate(args.client_security_group_ids):
            rule = IngressRule(MYSQL_PORT, "MySQL from a client security group", security_group_id=group_id)
            add_ingress(f"{name}-from-sg-{i + 1}", sg.id, rule, self)
        # Address ranges only when the DB has a public endpoint at all.
        cidrs = args.allowed_cidrs if args.publicly_accessible else ()
        for i, cidr in enumerate(cidrs):
            add_ingress(
                f"{name}-from-cidr-{i + 1}",
                sg.id,
                IngressRule(MYSQL_PORT, "MySQL from an allowed CIDR", cidr),
                self,
            )
        return sg

    def _instance(
        self, name: str, args: MySqlDatabaseArgs, password: pulumi.Output[str], tags: Mapping[str, str]
    ) -> aws.rds.Instance:
        return aws.rds.Instance(
            f"{name}-instance",
            engine="mysql",
            engine_version=args.engine_version,
            # A line such as 8.0 lets RDS apply minor versions in the maintenance window.
            auto_minor_version_upgrade=True,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gib,
            max_allocated_storage=args.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=args.db_name or None,
            username=args.username,
            password=password,
            port=MYSQL_PORT,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=self.parameter_group.name,
            publicly_accessible=args.publicly_accessible,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=args.skip_final_snapshot,
            final_snapshot_identifier=None
            if args.skip_final_snapshot
            else (args.final_snapshot_identifier or f"{name}-final"),
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=list(args.log_exports),
            tags=tags,
            # Replacing an RDS instance deletes its data: Pulumi refuses while protected.
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
