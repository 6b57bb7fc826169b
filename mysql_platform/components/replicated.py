"""ReplicatedMySql: a MySqlDatabase primary plus asynchronous RDS read replicas."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from mysql_platform.components.database import MySqlDatabase, MySqlDatabaseArgs, PerformanceInsights
from mysql_platform.components.rds_identity import identifier_prefix, instance_identity, log_groups
from mysql_platform.components.rds_parameters import parameter_group

TOKEN = "mysql-platform:replicated:ReplicatedMySql"
# RDS event categories for source type db-instance (RDS User Guide, "Amazon RDS event categories
# and event messages"): these four say that RDS acted by itself or is about to.
INSTANCE_EVENT_CATEGORIES = ("failover", "failure", "low storage", "maintenance")


@dataclass(frozen=True)
class ReplicatedMySqlArgs:
    primary: MySqlDatabaseArgs
    replica_count: int = 1
    """Asynchronous read replicas (0-5); the primary needs backup retention >= 1."""
    replica_instance_class: str = ""
    """Empty: the primary's class."""
    promote_replica: int = 0
    """Failover: replica N (1-based) is promoted to a standalone writer. 0: none."""
    replica_engine_version: str = ""
    """Empty: the primary's. During a major upgrade the replicas go first."""
    replica_parameter_group_family: str = ""
    """Family of ``replica_engine_version``; empty: the primary's."""


class ReplicatedMySql(pulumi.ComponentResource):
    """A writer and N readers. Readers may lag: they replay the primary's binlog asynchronously."""

    primary: MySqlDatabase
    replicas: list[aws.rds.Instance]
    replica_parameter_group: aws.rds.ParameterGroup | None
    writer_host: pulumi.Output[str]
    writer_port: pulumi.Output[int]
    readers: pulumi.Output[list[dict[str, object]]]
    alert_source_type = "db-instance"
    alert_event_categories = INSTANCE_EVENT_CATEGORIES

    def __init__(
        self, name: str, args: ReplicatedMySqlArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.replica_count > 0 and args.primary.backup_retention_days < 1:
            # Backups are required in order to create a replica; fail before AWS does.
            raise ValueError(
                f"{name}: {args.replica_count} replicas need backup retention >= 1 day on the primary, "
                f"got {args.primary.backup_retention_days}"
            )
        if not 0 <= args.promote_replica <= args.replica_count:
            raise ValueError(f"{name}: cannot promote replica {args.promote_replica} of {args.replica_count}")
        self.primary = MySqlDatabase(f"{name}-primary", args.primary, pulumi.ResourceOptions(parent=self))
        self.replica_parameter_group = self._replica_parameter_group(name, args)
        self.replicas = [self._replica(name, i + 1, args) for i in range(args.replica_count)]

        writer: aws.rds.Instance = self.primary.instance
        following = self.replicas
        if args.promote_replica:
            # The promoted replica takes the writes. The others still replay the old
            # primary, so they would serve reads the new writer never made: they are
            # not readers until they are re-created from the new writer.
            writer = self.replicas[args.promote_replica - 1]
            following = []
        self.writer_identifier = writer.identifier
        self.engine_version_actual = self.primary.instance.engine_version_actual
        self.password = self.primary.password
        self.alert_source_ids = [self.primary.identifier, *(r.identifier for r in self.replicas)]
        self.writer_host = writer.address
        self.writer_port = writer.port
        self.readers = pulumi.Output.all(*[pulumi.Output.all(r.address, r.port) for r in following]).apply(
            lambda pairs: [{"host": host, "port": port} for host, port in pairs]
        )
        self.register_outputs(
            {"writer_host": self.writer_host, "writer_port": self.writer_port, "readers": self.readers}
        )

    def _replica_parameter_group(self, name: str, args: ReplicatedMySqlArgs) -> aws.rds.ParameterGroup | None:
        """Replicas share the primary's group unless they run another line (a major upgrade):
        a group belongs to one family, and an 8.0 server cannot take an 8.4 group. Its GTID
        parameters are the primary's: at gtid_mode ON a source needs its replicas on GTIDs too."""
        family = args.replica_parameter_group_family
        if args.replica_count == 0 or not family or family == args.primary.parameter_group_family:
            return None
        p = args.primary
        return parameter_group(f"{name}-replica-params", family, p.log_exports, p.gtid_mode, p.tags, self)

    def _replica(self, name: str, index: int, args: ReplicatedMySqlArgs) -> aws.rds.Instance:
        p = args.primary
        promoted = index == args.promote_replica
        role = f"replica-{index}"
        # No keepers: the identifier lives as long as the logical replica, through promotion.
        identity = instance_identity(f"{name}-{role}", identifier_prefix(p.identifier_prefix, role), {}, self)
        groups = log_groups(
            f"{name}-{role}", identity.identifier, p.log_exports, p.log_retention_days, p.tags, self
        )
        params = self.replica_parameter_group or self.primary.parameter_group
        pi = PerformanceInsights.of(p.performance_insights)
        # A same-region replica inherits credentials, db name, subnet group and encryption from
        # its source; setting any of them makes AWS reject it. Its engine_version is ignored at
        # creation (it starts on the source's) and is how a replica is upgraded before its source.
        # Dropping replicate_source_db from an existing replica promotes it in place.
        return aws.rds.Instance(
            f"{name}-{role}",
            identifier=identity.identifier,
            replicate_source_db=None if promoted else self.primary.identifier,
            engine_version=args.replica_engine_version or p.engine_version,
            allow_major_version_upgrade=p.allow_major_version_upgrade,
            auto_minor_version_upgrade=p.auto_minor_version_upgrade,
            apply_immediately=p.apply_immediately,
            maintenance_window=p.maintenance_window,
            # A promoted writer needs its own automated backups (point-in-time
            # recovery, and replicas of its own later); a replica needs none.
            backup_retention_period=p.backup_retention_days if promoted else None,
            backup_window=p.backup_window if promoted else None,
            instance_class=args.replica_instance_class or p.instance_class,
            storage_type="gp3",
            max_allocated_storage=p.max_allocated_storage_gib,
            vpc_security_group_ids=[self.primary.security_group.id],
            parameter_group_name=params.name,
            publicly_accessible=p.publicly_accessible,
            multi_az=False,
            deletion_protection=p.deletion_protection,
            # A replica holds no data of its own worth a snapshot: the primary's backups
            # do. A promoted writer does, so it keeps the primary's snapshot policy.
            skip_final_snapshot=p.skip_final_snapshot if promoted else True,
            final_snapshot_identifier=(
                identity.final_snapshot_identifier if promoted and not p.skip_final_snapshot else None
            ),
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=list(p.log_exports),
            tags={**p.tags, "role": "promoted-writer" if promoted else "replica"},
            performance_insights_enabled=pi.enabled,
            performance_insights_retention_period=pi.retention_days,
            database_insights_mode=pi.insights_mode,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=p.deletion_protection,
                depends_on=list(groups),
                # replicate_source_db is updatable (that is how promotion works), so a replaced
                # source would be "elected" in place, which the provider refuses ("cannot elect
                # new source database for replication"): a following replica is replaced with
                # its source instead. Its identifier stays, so the old one goes first. A promoted
                # replica is the writer and is never replaced this way.
                replace_on_changes=[] if promoted else ["replicateSourceDb"],
                delete_before_replace=not promoted,
            ),
        )
