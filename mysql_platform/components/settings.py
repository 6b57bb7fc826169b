"""The stack's configuration: one typed, frozen object, validated before any resource exists.

Every key is declared once, in the ``config:`` schema of ``Pulumi.yaml`` (type, default,
description); :mod:`mysql_platform.components.config_schema` reads it. Environments differ only by the
values in their stack file. :class:`Settings` has one typed attribute per declared key (the
key in snake case), and a unit test proves the two agree.

Validation (:mod:`mysql_platform.components.settings_rules`) collects every problem and raises one
:class:`ConfigError` whose lines each name the key, the value received and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from mysql_platform.components.config_schema import (
    FIELDS,
    PROJECT,
    Field,
    RawGetter,
    field,
    parse_value,
    snake_case,
)
from mysql_platform.components.engine_rules import parameter_group_family
from mysql_platform.components.settings_rules import is_production, validate

__all__ = [
    "FIELDS",
    "PROJECT",
    "ConfigError",
    "Exposure",
    "Field",
    "RawGetter",
    "Settings",
    "field",
    "is_production",
    "load_settings",
    "parameter_group_family",
    "parse_settings",
    "snake_case",
    "validate",
]


class ConfigError(ValueError):
    """The stack configuration is invalid; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid configuration for project {PROJECT!r}:\n{lines}")


class Exposure(Enum):
    """Where the DB endpoint lives."""

    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one stack. Build it with :func:`load_settings`.

    Attributes after ``stack`` are the keys of Pulumi.yaml in its order, in snake case;
    their meaning and default are declared there.
    """

    stack: str
    vpc_cidr: str
    az_count: int
    host_instance_type: str
    host_detailed_monitoring: bool
    ssh_allowed_cidrs: tuple[str, ...]
    ssh_public_key: str
    db_engine_version: str
    db_engine_lifecycle_support: str
    db_replica_engine_version: str
    db_allow_major_version_upgrade: bool
    db_apply_immediately: bool
    db_backup_window: str
    db_maintenance_window: str
    db_instance_class: str
    db_replica_instance_class: str
    db_allocated_storage_gib: int
    db_max_allocated_storage_gib: int
    db_backup_retention_days: int
    db_multi_az: bool
    db_publicly_accessible: bool
    db_allowed_cidrs: tuple[str, ...]
    db_deletion_protection: bool
    db_skip_final_snapshot: bool
    db_replica_count: int
    db_name: str
    db_username: str
    db_log_exports: tuple[str, ...]
    db_log_retention_days: int
    db_performance_insights: bool
    db_gtid_mode: str
    db_topology: str
    db_cluster_storage_type: str
    db_cluster_iops: int
    proxy_enabled: bool
    proxy_writer_port: int
    proxy_reader_port: int
    proxy_allowed_cidrs: tuple[str, ...]
    proxy_allowed_security_group_ids: tuple[str, ...]
    security_group_rule_quota: int
    db_promote_replica: int
    analytics_enabled: bool
    analytics_bytes_scanned_cutoff_mib: int
    analytics_export_retention_days: int
    analytics_spectrum_enabled: bool
    alert_email: str
    tags: Mapping[str, str]
    """The user's own tags; :attr:`resource_tags` is what resources get."""

    @property
    def exposure(self) -> Exposure:
        return Exposure.PUBLIC if self.db_publicly_accessible else Exposure.PRIVATE

    @property
    def parameter_group_family(self) -> str:
        """RDS parameter group family for the primary's engine line, e.g. ``mysql8.4``."""
        return parameter_group_family(self.db_engine_version)

    @property
    def replica_engine_version(self) -> str:
        return self.db_replica_engine_version or self.db_engine_version

    @property
    def resource_tags(self) -> dict[str, str]:
        return {**self.tags, "project": PROJECT, "environment": self.stack, "managed-by": "pulumi"}


def parse_settings(stack: str, get: RawGetter) -> Settings:
    """Build and validate settings from a raw getter (key -> Pulumi's string value or None)."""
    problems: list[str] = []
    values = {f.key: parse_value(f, get(f.key), problems) for f in FIELDS}
    if not problems:
        problems = validate(stack, values)
    if problems:
        raise ConfigError(problems)
    kwargs: dict[str, Any] = {
        snake_case(k): tuple(v) if isinstance(v, list) else v for k, v in values.items()
    }
    return Settings(stack=stack, **kwargs)


def load_settings(config: Any, stack: str) -> Settings:
    """Settings from a ``pulumi.Config`` for the project namespace."""
    return parse_settings(stack, config.get)
