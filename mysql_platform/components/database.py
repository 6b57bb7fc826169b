"""MySqlDatabase: one RDS MySQL instance with its own subnet group, security group and parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from mysql_platform.components.db_network import MYSQL_PORT, db_security_group, db_subnet_group
from mysql_platform.components.rds_identity import identifier_prefix, instance_identity, log_groups
from mysql_platform.components.rds_parameters import parameter_group

TOKEN = "mysql-platform:database:MySqlDatabase"
# RDS refuses '/', '@', '"' and spaces in master passwords.
PASSWORD_SPECIALS = "!#$%^&*()-_=+[]{}<>:?"
PASSWORD_LENGTH = 32
PERFORMANCE_INSIGHTS_FREE_DAYS = 7
# RDS Extended Support enrollment is set when an instance is created or restored, never after:
# "You can't update your RDS Extended Support enrollment status on existing DB instances unless
# you are restoring them" (RDS User Guide, "Amazon RDS Extended Support", quoted in
# terraform-provider-aws issue #44552). The provider sends engine_lifecycle_support with
# CreateDBInstance, RestoreDBInstanceFromDBSnapshot, RestoreDBInstanceToPointInTime and
# RestoreDBInstanceFromS3 (internal/service/rds/instance.go resourceInstanceCreate), but its
# update (dbInstancePopulateModify, v6.15.0) sends nothing for it: a changed value would be an
# "update" that never reaches AWS and comes back at every `pulumi up` (issues #40870, #44552).
# So Pulumi keeps the value the instance was created with (ignore_changes uses the state's value
# on every later update); a new or replaced instance takes the setting. The README says how to
# change enrollment: restore a snapshot to a new instance.
ENROLLMENT_AT_CREATE_ONLY = ("engineLifecycleSupport",)


@dataclass(frozen=True)
class MySqlDatabaseArgs:
    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_ids: Sequence[pulumi.Input[str]]
    """Security groups admitted to 3306 (the EC2 host's)."""
    parameter_group_family: str
    """e.g. ``mysql8.4``; must match the engine line."""
    identifier_prefix: str = "mysql"
    """Instance identifiers are ``<prefix>-<role>-<8 hex>``."""
    engine_version: str = "8.4"
    engine_lifecycle_support: str = "open-source-rds-extended-support-disabled"
    allow_major_version_upgrade: bool = False
    apply_immediately: bool = True
    backup_window: str = "03:00-03:30"
    maintenance_window: str = "sun:04:00-sun:05:00"
    instance_class: str = "db.t4g.micro"
    allocated_storage_gib: int = 20
    max_allocated_storage_gib: int = 0
    """0: no storage autoscaling."""
    backup_retention_days: int = 1
    multi_az: bool = False
    publicly_accessible: bool = False
    allowed_cidrs: Sequence[str] = ()
    """Admitted to 3306 only when publicly accessible."""
    deletion_protection: bool = True
    skip_final_snapshot: bool = False
    log_exports: Sequence[str] = ("error", "slowquery")
    log_retention_days: int = 30
    performance_insights: bool = False
    gtid_mode: str = "OFF"
    """gtid_mode of the parameter group (OFF, OFF_PERMISSIVE, ON_PERMISSIVE, ON); the replicas share it.
    OFF, as dbGtidMode's default: what an instance created before the setting existed runs."""
    db_name: str = "app"
    username: str = "admin"
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def auto_minor_version_upgrade(self) -> bool:
        """A line such as 8.4 lets RDS apply minor versions in the maintenance window; a pinned
        MAJOR.MINOR.PATCH must not move, or every `pulumi up` would diff against the upgrade."""
        return self.engine_version.count(".") < 2


def master_password(name: str, parent: pulumi.Resource) -> random.RandomPassword:
    """The master password: generated, never typed, kept as a secret in the stack's state."""
    return random.RandomPassword(
        f"{name}-password",
        length=PASSWORD_LENGTH,
        special=True,
        override_special=PASSWORD_SPECIALS,
        min_lower=2,
        min_upper=2,
        min_numeric=2,
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class PerformanceInsights:
    """Performance Insights is shown through CloudWatch Database Insights; Standard mode is the
    free one (7 days of history). Off: neither is sent, so AWS keeps its defaults."""

    enabled: bool
    retention_days: int | None
    insights_mode: str | None

    @classmethod
    def of(cls, enabled: bool) -> PerformanceInsights:
        if not enabled:
            return cls(False, None, None)
        return cls(True, PERFORMANCE_INSIGHTS_FREE_DAYS, "standard")


class MySqlDatabase(pulumi.ComponentResource):
    """An RDS MySQL primary reachable only by the named security groups and, when public, CIDRs."""

    instance: aws.rds.Instance
    parameter_group: aws.rds.ParameterGroup
    log_groups: list[aws.cloudwatch.LogGroup]
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
        tags = dict(args.tags)

        self.subnet_group = db_subnet_group(
            name, args.public_subnet_ids, args.private_subnet_ids, args.publicly_accessible, tags, self
        )
        # Address ranges only when the DB has a public endpoint at all.
        cidrs = args.allowed_cidrs if args.publicly_accessible else ()
        self.security_group = db_security_group(
            name, args.vpc_id, args.client_security_group_ids, cidrs, tags, self
        )
        self.parameter_group = parameter_group(
            f"{name}-params", args.parameter_group_family, args.log_exports, args.gtid_mode, tags, self
        )
        # Generated here, not RDS-managed: AWS refuses MySQL read replicas of a source
        # whose master password is managed by Secrets Manager.
        secret = master_password(name, self)
        identity = instance_identity(
            name,
            identifier_prefix(args.identifier_prefix, "primary"),
            # The primary's replace-only inputs (ForceNew in the provider schema).
            {
                "engine": "mysql",
                "db_name": args.db_name,
                "username": args.username,
                "storage_encrypted": "true",
            },
            self,
        )
        self.log_groups = log_groups(
            name, identity.identifier, args.log_exports, args.log_retention_days, tags, self
        )
        self.instance = self._instance(
            name, args, identity.identifier, identity.final_snapshot_identifier, secret.result, tags
        )
        self.identifier = self.instance.identifier
        self.address = self.instance.address
        self.port = self.instance.port
        self.password = pulumi.Output.secret(secret.result)
        self.register_outputs({"identifier": self.identifier, "address": self.address, "port": self.port})

    def _instance(
        self,
        name: str,
        args: MySqlDatabaseArgs,
        identifier: pulumi.Output[str],
        final_snapshot: pulumi.Output[str],
        password: pulumi.Output[str],
        tags: Mapping[str, str],
    ) -> aws.rds.Instance:
        pi = PerformanceInsights.of(args.performance_insights)
        return aws.rds.Instance(
            f"{name}-instance",
            identifier=identifier,
            engine="mysql",
            engine_version=args.engine_version,
            # Enrollment is chosen at create (or restore) only: see ENROLLMENT_AT_CREATE_ONLY.
            engine_lifecycle_support=args.engine_lifecycle_support,
            allow_major_version_upgrade=args.allow_major_version_upgrade,
            auto_minor_version_upgrade=args.auto_minor_version_upgrade,
            # false: RDS keeps the change pending and the provider reads back the old value, so
            # every `pulumi up` shows the same diff until the maintenance window.
            apply_immediately=args.apply_immediately,
            backup_window=args.backup_window,
            maintenance_window=args.maintenance_window,
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
            # Not replace-only: changing it only changes what the next deletion will name.
            final_snapshot_identifier=None if args.skip_final_snapshot else final_snapshot,
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=list(args.log_exports),
            tags=dict(tags),
            performance_insights_enabled=pi.enabled,
            performance_insights_retention_period=pi.retention_days,
            database_insights_mode=pi.insights_mode,
            # Replacing an RDS instance deletes its data: Pulumi refuses while protected.
            # The log groups first, so RDS exports into groups that have a retention.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.deletion_protection,
                depends_on=list(self.log_groups),
                ignore_changes=list(ENROLLMENT_AT_CREATE_ONLY),
            ),
        )
