"""The outputs contract: the stack exports every consumer relies on.

Defined once here. ``__main__.py`` exports these keys, the local environment
writes them to ``outputs.json`` and ``mysql_platform.core.outputs`` parses them back into
the typed objects below. The shape of the JSON form is exactly what
``pulumi stack output --json --show-secrets`` prints.

This module is pure Python (no Pulumi import) so that scripts can use it
without loading the Pulumi SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

# Top-level keys, in the order they are exported.
ENVIRONMENT: Final = "environment"
VPC_ID: Final = "vpc_id"
HOST: Final = "host"
DB: Final = "db"
DB_PASSWORD: Final = "db_password"
PROXY: Final = "proxy"
ANALYTICS: Final = "analytics"
ALERTS: Final = "alerts"

REQUIRED_KEYS: Final[tuple[str, ...]] = (ENVIRONMENT, VPC_ID, HOST, DB, DB_PASSWORD)
OPTIONAL_KEYS: Final[tuple[str, ...]] = (PROXY, ANALYTICS, ALERTS)

HOST_KEYS: Final[tuple[str, ...]] = ("instance_id", "public_ip", "public_dns", "ssh_user")
DB_KEYS: Final[tuple[str, ...]] = (
    "engine",
    "engine_version",
    "writer",
    "readers",
    "database",
    "username",
    "publicly_accessible",
    "multi_az",
    "topology",
)
# Outputs of stacks made before a key existed lack it; the parser gives its default.
DB_OPTIONAL_KEYS: Final[tuple[str, ...]] = ("topology",)
# The shape of the database: one instance (with a Multi-AZ standby and read replicas), or a
# Multi-AZ DB cluster (a writer and two readable standbys).
TOPOLOGY_INSTANCE: Final = "instance"
TOPOLOGY_CLUSTER: Final = "multi-az-cluster"
TOPOLOGIES: Final[tuple[str, ...]] = (TOPOLOGY_INSTANCE, TOPOLOGY_CLUSTER)
ENDPOINT_KEYS: Final[tuple[str, ...]] = ("host", "port")
PROXY_KEYS: Final[tuple[str, ...]] = ("host", "writer_port", "reader_port")
ANALYTICS_KEYS: Final[tuple[str, ...]] = (
    "bucket", "export_prefix", "export_role_arn", "key_arn", "glue_database", "crawler", "workgroup",
    "source_db_instance",
)  # fmt: skip
# With analyticsSpectrumEnabled only: the role Redshift Spectrum assumes, and the statement that
# makes the Glue database a Redshift external schema through it.
ANALYTICS_OPTIONAL_KEYS: Final[tuple[str, ...]] = ("spectrum_role_arn", "spectrum_schema_sql")
ALERTS_KEYS: Final[tuple[str, ...]] = ("topic_arn",)


class Secret:
    """A string that never shows itself in ``repr``/``str``/tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port}


@dataclass(frozen=True)
class HostInfo:
    instance_id: str
    public_ip: str
    public_dns: str
    ssh_user: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in HOST_KEYS}


@dataclass(frozen=True)
class DbInfo:
    engine: str
    engine_version: str
    writer: Endpoint
    readers: tuple[Endpoint, ...]
    database: str
    username: str
    publicly_accessible: bool
    multi_az: bool
    topology: str = TOPOLOGY_INSTANCE

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "engine_version": self.engine_version,
            "writer": self.writer.to_dict(),
            "readers": [r.to_dict() for r in self.readers],
            "database": self.database,
            "username": self.username,
            "publicly_accessible": self.publicly_accessible,
            "multi_az": self.multi_az,
            "topology": self.topology,
        }


@dataclass(frozen=True)
class ProxyInfo:
    host: str
    writer_port: int
    reader_port: int

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in PROXY_KEYS}


@dataclass(frozen=True)
class AnalyticsInfo:
    """Where exports go and how they are queried (``analyticsEnabled``)."""

    bucket: str
    export_prefix: str
    export_role_arn: str
    key_arn: str
    glue_database: str
    crawler: str
    workgroup: str
    source_db_instance: str
    """The writer's DB instance identifier: the instance whose snapshots are exported."""
    spectrum_role_arn: str | None = None
    """The role Redshift Spectrum assumes (``analyticsSpectrumEnabled``), else None."""
    spectrum_schema_sql: str | None = None
    """``CREATE EXTERNAL SCHEMA ...`` naming the Glue database and that role, else None."""

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ANALYTICS_KEYS}
        out.update({k: getattr(self, k) for k in ANALYTICS_OPTIONAL_KEYS if getattr(self, k) is not None})
        return out


@dataclass(frozen=True)
class AlertsInfo:
    """Where RDS's failover, failure, low-storage and maintenance events are published (SNS)."""

    topic_arn: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ALERTS_KEYS}


@dataclass(frozen=True)
class StackOutputs:
    """Everything a consumer needs to reach one environment's database."""

    environment: str
    vpc_id: str
    host: HostInfo
    db: DbInfo
    db_password: Secret = field(repr=False)
    proxy: ProxyInfo | None = None
    analytics: AnalyticsInfo | None = None
    alerts: AlertsInfo | None = None
    # Local environment only: the CA that signed the server certificates.
    ssl_ca: str | None = None

    def to_dict(self, *, reveal_secrets: bool = False) -> dict[str, Any]:
        """The JSON form; the password is masked unless ``reveal_secrets``."""
        out: dict[str, Any] = {
            ENVIRONMENT: self.environment,
            VPC_ID: self.vpc_id,
            HOST: self.host.to_dict(),
            DB: self.db.to_dict(),
            DB_PASSWORD: self.db_password.reveal() if reveal_secrets else "[secret]",
        }
        if self.proxy is not None:
            out[PROXY] = self.proxy.to_dict()
        if self.analytics is not None:
            out[ANALYTICS] = self.analytics.to_dict()
        if self.alerts is not None:
            out[ALERTS] = self.alerts.to_dict()
        if self.ssl_ca is not None:
            out["ssl_ca"] = self.ssl_ca
        return out
