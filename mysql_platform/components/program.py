"""The Pulumi program: settings -> network, host, replicated database -> the outputs contract.

``__main__.py`` and the Automation API's inline program both call :func:`program`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from mysql_platform.components.alerts import Alerts, AlertsArgs, cluster_member_ids
from mysql_platform.components.analytics import Analytics, AnalyticsArgs
from mysql_platform.components.analytics_access import EXPORT_PREFIX
from mysql_platform.components.cluster_rules import region_problem
from mysql_platform.components.database import MySqlDatabaseArgs
from mysql_platform.components.db_shape import DatabaseShape
from mysql_platform.components.ec2_host import Ec2Host, Ec2HostArgs
from mysql_platform.components.host_proxy import host_user_data, proxy_export, proxy_ingress
from mysql_platform.components.multiaz_cluster import MultiAzMySqlCluster
from mysql_platform.components.network import Network, NetworkArgs
from mysql_platform.components.replicated import ReplicatedMySql, ReplicatedMySqlArgs
from mysql_platform.components.settings import ConfigError, Settings, load_settings, parameter_group_family
from mysql_platform.core import contract

# Local Zones and Wavelength Zones of an opted-in account are "available" too, but RDS and
# most instance types are not offered there: keep the region's own zones only.
REGION_ZONES_FILTER = aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])


def availability_zones(count: int, *, topology: str = contract.TOPOLOGY_INSTANCE) -> list[str]:
    """The first ``count`` available AZs of the region; fails before any resource if too few, or
    if the region offers no Multi-AZ DB clusters and the topology asks for one."""
    found = aws.get_availability_zones(state="available", filters=[REGION_ZONES_FILTER])
    zones = found.names
    if topology == contract.TOPOLOGY_CLUSTER and (problem := region_problem(found.region)):
        raise ConfigError([problem])
    if len(zones) < count:
        raise ConfigError(
            [
                f"azCount: got {count}; the region offers only {len(zones)} available zones "
                f"({', '.join(zones)})"
            ]
        )
    return list(zones[:count])


def build(settings: Settings) -> dict[str, Any]:
    """Declare every resource of the stack and return the outputs contract (values may be Outputs)."""
    tags = settings.resource_tags
    network = Network(
        "network",
        NetworkArgs(
            cidr_block=settings.vpc_cidr,
            availability_zones=availability_zones(settings.az_count, topology=settings.db_topology),
            tags=tags,
        ),
    )
    # The host's user data names the DB endpoints (proxy), while the DB admits the
    # host's security group: a deferred output breaks that cycle.
    user_data: pulumi.Output[str]
    resolve_user_data: Callable[[pulumi.Output[str]], None]
    user_data, resolve_user_data = pulumi.deferred_output()
    host = Ec2Host(
        "host",
        Ec2HostArgs(
            vpc_id=network.vpc_id,
            subnet_id=network.public_subnet_ids[0],
            user_data=user_data,
            instance_type=settings.host_instance_type,
            detailed_monitoring=settings.host_detailed_monitoring,
            ssh_allowed_cidrs=settings.ssh_allowed_cidrs,
            ssh_public_key=settings.ssh_public_key,
            extra_ingress=proxy_ingress(settings),
            stable_address=settings.proxy_enabled,
            tags=tags,
        ),
    )
    db = _database(settings, network, host)
    resolve_user_data(host_user_data(settings, db))
    alerts = Alerts(
        "alerts",
        AlertsArgs(
            source_ids=db.alert_source_ids,
            source_type=db.alert_source_type,
            event_categories=db.alert_event_categories,
            storage_instance_ids=_storage_instance_ids(db),
            allocated_storage_gib=settings.db_allocated_storage_gib,
            email=settings.alert_email,
            tags=tags,
        ),
    )
    return {
        **_exports(settings, network, host, db),
        **_analytics(settings, db, tags),
        contract.ALERTS: {"topic_arn": alerts.topic_arn},
    }


def _storage_instance_ids(db: DatabaseShape) -> list[pulumi.Input[str]]:
    """The DB instances the low-storage alarms watch: a cluster's members, else the sources."""
    if isinstance(db, MultiAzMySqlCluster):
        return list(cluster_member_ids(db.cluster.cluster_members))
    return list(db.alert_source_ids)


def _database(settings: Settings, network: Network, host: Ec2Host) -> DatabaseShape:
    """The database in the shape dbTopology names."""
    args = _primary_args(settings, network, host)
    if settings.db_topology == contract.TOPOLOGY_CLUSTER:
        return MultiAzMySqlCluster(
            "db", args, storage_type=settings.db_cluster_storage_type, iops=settings.db_cluster_iops
        )
    return ReplicatedMySql(
        "db",
        ReplicatedMySqlArgs(
            primary=args,
            replica_count=settings.db_replica_count,
            replica_instance_class=settings.db_replica_instance_class,
            promote_replica=settings.db_promote_replica,
            replica_engine_version=settings.db_replica_engine_version,
            replica_parameter_group_family=parameter_group_family(settings.replica_engine_version),
        ),
    )


def _analytics(settings: Settings, db: DatabaseShape, tags: dict[str, str]) -> dict[str, Any]:
    """The analytics component and its part of the contract; nothing when it is off."""
    if not settings.analytics_enabled:
        return {}
    analytics = Analytics(
        "analytics",
        AnalyticsArgs(
            stack=settings.stack,
            bytes_scanned_cutoff=settings.analytics_bytes_scanned_cutoff_mib * 1024 * 1024,
            export_retention_days=settings.analytics_export_retention_days,
            partition=aws.get_partition_output().partition,
            tags=tags,
            spectrum=settings.analytics_spectrum_enabled,
        ),
    )
    spectrum = (
        {
            "spectrum_role_arn": analytics.spectrum_role_arn,
            "spectrum_schema_sql": analytics.spectrum_schema_sql,
        }
        if settings.analytics_spectrum_enabled
        else {}
    )
    return {
        contract.ANALYTICS: {
            "bucket": analytics.bucket_name,
            "export_prefix": EXPORT_PREFIX,
            "export_role_arn": analytics.export_role_arn,
            "key_arn": analytics.key_arn,
            "glue_database": analytics.glue_database,
            "crawler": analytics.crawler_name,
            "workgroup": analytics.workgroup,
            # The instance whose snapshots are exported: the writer (the promoted replica after
            # dbPromoteReplica).
            "source_db_instance": db.writer_identifier,
            **spectrum,
        }
    }


def _primary_args(settings: Settings, network: Network, host: Ec2Host) -> MySqlDatabaseArgs:
    return MySqlDatabaseArgs(
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        client_security_group_ids=[host.security_group_id],
        parameter_group_family=settings.parameter_group_family,
        identifier_prefix=f"mysql-{settings.stack}",
        engine_version=settings.db_engine_version,
        engine_lifecycle_support=settings.db_engine_lifecycle_support,
        allow_major_version_upgrade=settings.db_allow_major_version_upgrade,
        apply_immediately=settings.db_apply_immediately,
        backup_window=settings.db_backup_window,
        maintenance_window=settings.db_maintenance_window,
        instance_class=settings.db_instance_class,
        allocated_storage_gib=settings.db_allocated_storage_gib,
        max_allocated_storage_gib=settings.db_max_allocated_storage_gib,
        backup_retention_days=settings.db_backup_retention_days,
        multi_az=settings.db_multi_az,
        publicly_accessible=settings.db_publicly_accessible,
        allowed_cidrs=settings.db_allowed_cidrs,
        deletion_protection=settings.db_deletion_protection,
        skip_final_snapshot=settings.db_skip_final_snapshot,
        log_exports=settings.db_log_exports,
        log_retention_days=settings.db_log_retention_days,
        performance_insights=settings.db_performance_insights,
        gtid_mode=settings.db_gtid_mode,
        db_name=settings.db_name,
        username=settings.db_username,
        tags=settings.resource_tags,
    )


def _exports(settings: Settings, network: Network, host: Ec2Host, db: DatabaseShape) -> dict[str, Any]:
    cluster = settings.db_topology == contract.TOPOLOGY_CLUSTER
    return {
        contract.ENVIRONMENT: settings.stack,
        contract.VPC_ID: network.vpc_id,
        contract.HOST: {
            "instance_id": host.instance_id,
            "public_ip": host.public_ip,
            "public_dns": host.public_dns,
            "ssh_user": host.ssh_user,
        },
        contract.DB: {
            "engine": "mysql",
            "engine_version": db.engine_version_actual,
            "writer": {"host": db.writer_host, "port": db.writer_port},
            "readers": db.readers,
            "database": settings.db_name,
            "username": settings.db_username,
            "publicly_accessible": settings.db_publicly_accessible,
            # A Multi-AZ DB cluster always is: its standbys are in two other AZs.
            "multi_az": settings.db_multi_az or cluster,
            "topology": settings.db_topology,
        },
        contract.DB_PASSWORD: db.password,
        **proxy_export(settings, host),
    }


def program() -> None:
    """Entry point: validate the stack's config, declare the stack, export the contract."""
    settings = load_settings(pulumi.Config(), pulumi.get_stack())
    for key, value in build(settings).items():
        pulumi.export(key, value)
