"""MultiAzMySqlCluster: an RDS Multi-AZ DB cluster for MySQL, the third prod shape.

One writer and two readable standbys in three AZs; a commit is acknowledged once at least one
standby has it (semi-synchronous), and failover is "typically under 35 seconds" (RDS User Guide,
"Multi-AZ DB cluster deployments"). It is one ``aws.rds.Cluster`` with
``db_cluster_instance_class``, storage type, storage and IOPS set: RDS creates the three
instances itself. ``aws.rds.ClusterInstance`` is for Aurora and is not used here.

What the provider does with each input (terraform-provider-aws ``aws_rds_cluster``, which
pulumi-aws bridges): ``engine``, ``database_name``, ``master_username``, ``storage_encrypted``,
``db_subnet_group_name``, ``kms_key_id`` and ``cluster_identifier`` are replace-only, and so is
``storage_type`` for engines other than Aurora; class, storage, IOPS, backups, windows, log
exports, Performance Insights, the parameter group and deletion protection change in place.
``availability_zones`` is not set: it drifts on this shape (provider issues 29149, 37252), and
the three-AZ subnet group already places the instances. The port stays 3306 (RDS refuses a
port change on this shape). ``iops`` left unset (gp3's baseline) is read back from AWS and
would differ at every ``up``: the cluster then ignores changes to it (IGNORED_WITHOUT_IOPS).

The cluster's outputs keep the contract's shape: the cluster endpoint is the writer, the reader
endpoint the one reader (it spreads connections over the two standbys); the host's proxy, when
on, sends its writer port to the one and its reader port to the other. The cluster parameter
group carries the instances' GTID parameters (dbGtidMode), which read-your-writes relies on.
"""

from __future__ import annotations

from typing import Final

import pulumi
import pulumi_aws as aws

from mysql_platform.components.cluster_rules import sends_iops
from mysql_platform.components.database import MySqlDatabaseArgs, PerformanceInsights, master_password
from mysql_platform.components.db_network import MYSQL_PORT, db_security_group, db_subnet_group
from mysql_platform.components.rds_identity import (
    MAX_CLUSTER_IDENTIFIER,
    InstanceIdentity,
    identifier_prefix,
    instance_identity,
    log_groups,
)
from mysql_platform.components.rds_parameters import GTID_APPLY_METHOD, gtid_parameters, parameters_for

TOKEN = "mysql-platform:cluster:MultiAzMySqlCluster"
# RDS event categories of source type db-cluster ("Amazon RDS event categories and event
# messages", DB cluster events): a failover started or completed, and the cluster failed.
CLUSTER_EVENT_CATEGORIES = ("failover", "failure")


class MultiAzMySqlCluster(pulumi.ComponentResource):
    """A writer and two semi-synchronous readable standbys behind a writer and a reader endpoint."""

    cluster: aws.rds.Cluster
    parameter_group: aws.rds.ClusterParameterGroup
    subnet_group: aws.rds.SubnetGroup
    security_group: aws.ec2.SecurityGroup
    log_groups: list[aws.cloudwatch.LogGroup]
    writer_identifier: pulumi.Output[str]
    writer_host: pulumi.Output[str]
    writer_port: pulumi.Output[int]
    readers: pulumi.Output[list[dict[str, object]]]
    engine_version_actual: pulumi.Output[str]
    password: pulumi.Output[str]
    alert_source_type = "db-cluster"
    alert_event_categories = CLUSTER_EVENT_CATEGORIES

    def __init__(
        self,
        name: str,
        args: MySqlDatabaseArgs,
        storage_type: str,
        iops: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        self.subnet_group = db_subnet_group(
            name, args.public_subnet_ids, args.private_subnet_ids, args.publicly_accessible, tags, self
        )
        cidrs = args.allowed_cidrs if args.publicly_accessible else ()
        self.security_group = db_security_group(
            name, args.vpc_id, args.client_security_group_ids, cidrs, tags, self
        )
        self.parameter_group = cluster_parameter_group(name, args, child)
        secret = master_password(name, self)
        identity = instance_identity(
            name,
            identifier_prefix(args.identifier_prefix, "cluster", limit=MAX_CLUSTER_IDENTIFIER),
            # The cluster's replace-only inputs: a change gives the replacement a new identifier
            # and a new final snapshot name.
            {
                "engine": "mysql",
                "database_name": args.db_name,
                "master_username": args.username,
                "storage_encrypted": "true",
                "storage_type": storage_type,
            },
            self,
        )
        self.log_groups = log_groups(
            name, identity.identifier, args.log_exports, args.log_retention_days, tags, self, kind="cluster"
        )
        sent_iops = iops if sends_iops(storage_type, iops, args.allocated_storage_gib) else None
        self.cluster = self._cluster(name, args, (storage_type, sent_iops), identity, secret.result)
        self.writer_identifier = self.cluster.cluster_identifier
        self.writer_host = self.cluster.endpoint
        self.writer_port = self.cluster.port
        self.readers = pulumi.Output.all(self.cluster.reader_endpoint, self.cluster.port).apply(
            lambda pair: [{"host": pair[0], "port": pair[1]}]
        )
        self.engine_version_actual = self.cluster.engine_version_actual
        self.password = pulumi.Output.secret(secret.result)
        self.alert_source_ids = [self.cluster.cluster_identifier]
        self.register_outputs(
            {"writer_host": self.writer_host, "writer_port": self.writer_port, "readers": self.readers}
        )

    def _cluster(
        self,
        name: str,
        args: MySqlDatabaseArgs,
        storage: tuple[str, int | None],
        identity: InstanceIdentity,
        password: pulumi.Output[str],
    ) -> aws.rds.Cluster:
        pi = PerformanceInsights.of(args.performance_insights)
        identifier, final_snapshot = identity.identifier, identity.final_snapshot_identifier
        storage_type, iops = storage
        return aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=identifier,
            engine="mysql",
            engine_version=args.engine_version,
            engine_lifecycle_support=args.engine_lifecycle_support,
            allow_major_version_upgrade=args.allow_major_version_upgrade,
            auto_minor_version_upgrade=args.auto_minor_version_upgrade,
            apply_immediately=args.apply_immediately,
            db_cluster_instance_class=args.instance_class,
            storage_type=storage_type,
            # Per instance, all three. gp3's baseline is sent as none (cluster_rules.sends_iops).
            allocated_storage=args.allocated_storage_gib,
            iops=iops,
            storage_encrypted=True,
            database_name=args.db_name or None,
            master_username=args.username,
            master_password=password,
            port=MYSQL_PORT,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            db_cluster_parameter_group_name=self.parameter_group.name,
            publicly_accessible=args.publicly_accessible,
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window=args.backup_window,
            preferred_maintenance_window=args.maintenance_window,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=args.skip_final_snapshot,
            # The provider refuses to delete without one unless skip_final_snapshot; unique per
            # cluster, as snapshot names are unique in the account and region.
            final_snapshot_identifier=None if args.skip_final_snapshot else final_snapshot,
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=list(args.log_exports),
            performance_insights_enabled=pi.enabled,
            performance_insights_retention_period=pi.retention_days,
            tags=dict(args.tags),
            # Replacing a cluster deletes its data: Pulumi refuses while protected. The log
            # groups first, so RDS exports into groups that have a retention.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.deletion_protection,
                depends_on=list(self.log_groups),
                ignore_changes=[*ALWAYS_IGNORED, *(IGNORED_WITHOUT_IOPS if iops is None else [])],
            ),
        )


# Left unset (gp3's baseline), ``iops`` is filled in by AWS (3,000 under 400 GiB) and read back by
# the provider, where it is Optional and not Computed (terraform-provider-aws
# internal/service/rds/cluster.go: resourceClusterRead sets iops from DescribeDBClusters), so
# every later diff says "iops 3000 -> null" and an update sends Iops=0, which AWS refuses
# (terraform-provider-aws issues 41203 and 43442, open). ignore_changes keeps that diff out of
# every `up`: the engine passes it to the provider's Diff and Update, and pulumi-terraform-bridge
# drops the ignored attributes from the Terraform diff (pkg/tfbridge/provider.go, Diff and
# Update: newIgnoreChanges -> shim.DiffOptions{IgnoreChanges}). Setting dbClusterIops later
# sends it: the option is only there while the input is unset.
IGNORED_WITHOUT_IOPS: Final = ["iops"]
# Extended Support enrollment is taken at create or restore only: the provider's
# resourceClusterUpdate has no branch for engine_lifecycle_support, so a changed value is a diff
# at every `up` that never reaches AWS (terraform-provider-aws issues 40870 and 44552, open, for
# the instance; the RDS User Guide: a DB instance or Multi-AZ DB cluster stays enrolled for its
# lifetime). The cluster keeps what it was created with, as the primary instance does; if a later
# provider sends it on update, this must go, or it would hide a change that became possible.
ALWAYS_IGNORED: Final = ["engineLifecycleSupport"]


def cluster_parameter_group(
    name: str, args: MySqlDatabaseArgs, opts: pulumi.ResourceOptions
) -> aws.rds.ClusterParameterGroup:
    """The instance group's switches, GTIDs included: the cluster's three instances all read it."""
    return aws.rds.ClusterParameterGroup(
        f"{name}-params",
        family=args.parameter_group_family,
        # Replace-only (ForceNew): it names no setting.
        description=f"{name}: utf8mb4, TLS required, row-based binlog",
        parameters=[
            *(
                aws.rds.ClusterParameterGroupParameterArgs(name=k, value=v)
                for k, v in sorted(parameters_for(args.log_exports).items())
            ),
            # As on the instances (rds_parameters.GTID_APPLY_METHOD): gtid-mode is static, so both
            # wait for a reboot. ModifyDBClusterParameterGroup: "You can use the immediate value
            # with dynamic parameters only. You can use the pending-reboot value for both dynamic
            # and static parameters", applied "after a reboot without failover"; and a pending-reboot
            # cluster group "doesn't result in an automatic reboot during the next maintenance
            # window" (RDS User Guide, "Rebooting a Multi-AZ DB cluster and reader DB instances").
            *(
                aws.rds.ClusterParameterGroupParameterArgs(name=k, value=v, apply_method=GTID_APPLY_METHOD)
                for k, v in sorted(cluster_gtid_parameters(args.gtid_mode).items())
            ),
        ],
        tags=dict(args.tags),
        opts=opts,
    )


def cluster_gtid_parameters(gtid_mode: str) -> dict[str, str]:
    """The GTID parameters of the cluster's group: none for ``OFF``, which leaves the family's
    own value. The Multi-AZ DB cluster replicates between its own three instances, and no AWS
    page found here says which gtid-mode it runs or whether the cluster family lets it be changed;
    so the cluster is never switched off explicitly, and only an operator's choice of a GTID mode
    (one step at a time, as on instances) reaches it."""
    return {} if gtid_mode == "OFF" else gtid_parameters(gtid_mode)
