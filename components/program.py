"""The Pulumi program: settings -> network, host, replicated database -> the outputs contract.

``__main__.py`` and the Automation API's inline program both call :func:`program`.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components import contract
from components.database import MySqlDatabaseArgs
from components.ec2_host import Ec2Host, Ec2HostArgs
from components.network import Network, NetworkArgs
from components.replicated import ReplicatedMySql, ReplicatedMySqlArgs
from components.settings import ConfigError, Settings, load_settings
from components.user_data import render_user_data


def availability_zones(count: int) -> list[str]:
    """The first ``count`` available AZs of the region; fails before any resource if too few."""
    zones = aws.get_availability_zones(state="available").names
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
    tags = settings.tags
    network = Network(
        "network",
        NetworkArgs(
            cidr_block=settings.vpc_cidr,
            availability_zones=availability_zones(settings.az_count),
            tags=tags,
        ),
    )
    host = Ec2Host(
        "host",
        Ec2HostArgs(
            vpc_id=network.vpc_id,
            subnet_id=network.public_subnet_ids[0],
            user_data=render_user_data(),
            instance_type=settings.host_instance_type,
            ssh_allowed_cidrs=settings.ssh_allowed_cidrs,
            ssh_public_key=settings.ssh_public_key,
            tags=tags,
        ),
    )
    db = ReplicatedMySql(
        "db",
        ReplicatedMySqlArgs(
            primary=_primary_args(settings, network, host),
            replica_count=settings.db_replica_count,
            replica_instance_class=settings.db_replica_instance_class,
        ),
    )
    return _exports(settings, network, host, db)


def _primary_args(settings: Settings, network: Network, host: Ec2Host) -> MySqlDatabaseArgs:
    return MySqlDatabaseArgs(
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        private_subnet_ids=network.private_subnet_ids,
        client_security_group_ids=[host.security_group_id],
        parameter_group_family=settings.parameter_group_family,
        engine_version=settings.db_engine_version,
        instance_class=settings.db_instance_class,
        allocated_storage_gib=settings.db_allocated_storage_gib,
        max_allocated_storage_gib=settings.db_max_allocated_storage_gib,
        backup_retention_days=settings.db_backup_retention_days,
        multi_az=settings.db_multi_az,
        publicly_accessible=settings.db_publicly_accessible,
        allowed_cidrs=settings.db_allowed_cidrs,
        deletion_protection=settings.db_deletion_protection,
        skip_final_snapshot=settings.db_skip_final_snapshot,
        final_snapshot_identifier=f"mysql-platform-{settings.stack}-final",
        log_exports=settings.db_log_exports,
        db_name=settings.db_name,
        username=settings.db_username,
        tags=settings.tags,
    )


def _exports(settings: Settings, network: Network, host: Ec2Host, db: ReplicatedMySql) -> dict[str, Any]:
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
            "engine_version": db.primary.instance.engine_version_actual,
            "writer": {"host": db.writer_host, "port": db.writer_port},
            "readers": db.readers,
            "database": settings.db_name,
            "username": settings.db_username,
            "publicly_accessible": settings.db_publicly_accessible,
            "multi_az": settings.db_multi_az,
        },
        contract.DB_PASSWORD: db.primary.password,
    }


def program() -> None:
    """Entry point: validate the stack's config, declare the stack, export the contract."""
    settings = load_settings(pulumi.Config(), pulumi.get_stack())
    for key, value in build(settings).items():
        pulumi.export(key, value)
