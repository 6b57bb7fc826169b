"""The stack's configuration: one typed, frozen object, validated before any resource exists.

Every key is declared once in :data:`FIELDS` (type, default, description). The
``config:`` schema in ``Pulumi.yaml`` declares the same keys; a unit test keeps
the two in step. Environments differ only by the values in their stack file.

Validation collects every problem and raises one :class:`ConfigError` whose
lines each name the key, the value received and what is allowed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Literal

PROJECT: Final = "mysql-platform"

FieldType = Literal["string", "integer", "boolean", "array"]

# Replica count bounds: the contract (RDS itself allows more).
MAX_REPLICAS: Final = 5
MIN_STORAGE_GIB: Final = 20  # RDS MySQL gp3 minimum
MAX_STORAGE_GIB: Final = 65536
MAX_BACKUP_RETENTION_DAYS: Final = 35
SUPPORTED_ENGINE_LINES: Final = ("8.0", "8.4")
LOG_EXPORTS: Final = ("audit", "error", "general", "slowquery", "iam-db-auth-error")
PRODUCTION_STACK_NAMES: Final = frozenset({"prod", "production"})


@dataclass(frozen=True)
class Field:
    """One configuration key: its Pulumi name, type, default and meaning."""

    key: str
    type: FieldType
    default: Any
    description: str


FIELDS: Final[tuple[Field, ...]] = (
    Field("vpcCidr", "string", "10.40.0.0/16", "IPv4 CIDR of the dedicated VPC (/16 to /24)."),
    Field(
        "azCount", "integer", 2, "Availability zones to spread subnets over (at least 2, RDS requires it)."
    ),
    Field("hostInstanceType", "string", "t3.micro", "EC2 instance type of the host (t3.micro is free tier)."),
    Field(
        "sshAllowedCidrs",
        "array",
        [],
        "CIDRs admitted to SSH (22) on the host. Empty: no SSH ingress; use Session Manager.",
    ),
    Field("sshPublicKey", "string", "", "OpenSSH public key for an EC2 key pair. Empty: no key pair."),
    Field(
        "dbEngineVersion",
        "string",
        "8.0",
        "RDS MySQL engine version: a line (8.0, 8.4) or MAJOR.MINOR.PATCH.",
    ),
    Field(
        "dbInstanceClass",
        "string",
        "db.t4g.micro",
        "RDS instance class of the primary (db.t4g.micro is free tier).",
    ),
    Field(
        "dbReplicaInstanceClass",
        "string",
        "",
        "RDS instance class of the replicas. Empty: same as the primary.",
    ),
    Field(
        "dbAllocatedStorageGib", "integer", 20, "Initial gp3 storage of the primary, in GiB (at least 20)."
    ),
    Field("dbMaxAllocatedStorageGib", "integer", 100, "Storage autoscaling ceiling, in GiB (>= allocated)."),
    Field(
        "dbBackupRetentionDays",
        "integer",
        1,
        "Automated backup retention in days (0-35; replicas need >= 1).",
    ),
    Field("dbMultiAz", "boolean", False, "Run the primary Multi-AZ (a synchronous standby in another AZ)."),
    Field("dbPubliclyAccessible", "boolean", False, "Give the DB a public endpoint (public subnets)."),
    Field(
        "dbAllowedCidrs",
        "array",
        [],
        "CIDRs admitted to 3306 when the DB is public; required then. Never 0.0.0.0/0.",
    ),
    Field("dbDeletionProtection", "boolean", True, "Enable RDS deletion protection and Pulumi protect=True."),
    Field("dbSkipFinalSnapshot", "boolean", False, "Skip the final snapshot when the DB is deleted."),
    Field("dbReplicaCount", "integer", 1, "Number of asynchronous read replicas (0-5)."),
    Field("dbName", "string", "app", "Initial database created with the primary. Empty: none."),
    Field("dbUsername", "string", "admin", "Master user name of the primary."),
    Field(
        "dbLogExports",
        "array",
        ["error", "slowquery"],
        "RDS log types exported to CloudWatch Logs (audit, error, general, slowquery, iam-db-auth-error).",
    ),
    Field("proxyEnabled", "boolean", False, "Run HAProxy on the host: a writer port and a reader port."),
    Field("proxyWriterPort", "integer", 3306, "Host port that forwards to the primary."),
    Field("proxyReaderPort", "integer", 3307, "Host port that balances the replicas (primary as backup)."),
    Field("proxyAllowedCidrs", "array", [], "CIDRs admitted to the proxy ports. Never 0.0.0.0/0."),
    Field(
        "proxyAllowedSecurityGroupIds",
        "array",
        [],
        "Security groups (e.g. your application servers') admitted to the proxy ports.",
    ),
    Field(
        "dbPromoteReplica",
        "integer",
        0,
        "Failover: promote replica N (1-based) to a standalone writer. 0: no promotion.",
    ),
)

_FIELD_BY_KEY: Final = {f.key: f for f in FIELDS}


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
    """Validated configuration of one stack. Build it with :func:`load_settings`."""

    stack: str
    vpc_cidr: str
    az_count: int
    host_instance_type: str
    ssh_allowed_cidrs: tuple[str, ...]
    ssh_public_key: str
    db_engine_version: str
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
    proxy_enabled: bool
    proxy_writer_port: int
    proxy_reader_port: int
    proxy_allowed_cidrs: tuple[str, ...]
    proxy_allowed_security_group_ids: tuple[str, ...]
    db_promote_replica: int

    @property
    def exposure(self) -> Exposure:
        return Exposure.PUBLIC if self.db_publicly_accessible else Exposure.PRIVATE

    @property
    def parameter_group_family(self) -> str:
        """RDS parameter group family for the engine line, e.g. ``mysql8.0``."""
        major_minor = ".".join(self.db_engine_version.split(".")[:2])
        return f"mysql{major_minor}"

    @property
    def tags(self) -> dict[str, str]:
        return {"project": PROJECT, "environment": self.stack, "managed-by": "pulumi"}


def snake_case(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


# --- parsing raw config strings into typed values -------------------------------------------

RawGetter = Callable[[str], str | None]


def _parse_value(field: Field, raw: str | None, problems: list[str]) -> Any:
    """Turn Pulumi's string form of a config value into the field's type."""
    if raw is None:
        return field.default
    if field.type == "string":
        return raw
    if field.type == "integer":
        try:
            return int(raw.strip())
        except ValueError:
            problems.append(f"{field.key}: got {raw!r}; expected an integer")
            return field.default
    if field.type == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        problems.append(f"{field.key}: got {raw!r}; expected true or false")
        return field.default
    return _parse_array(field, raw, problems)


def _parse_array(field: Field, raw: str, problems: list[str]) -> list[str]:
    import json  # local: only arrays need it

    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        problems.append(f"{field.key}: got {raw!r}; expected a list of strings (YAML list in the stack file)")
        return list(field.default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{field.key}: got {value!r}; expected a list of strings")
        return list(field.default)
    return value


# --- rules ----------------------------------------------------------------------------------

_ENGINE_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9]+$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_SSH_KEY = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$")
_RESERVED_USERS = frozenset({"rdsadmin", "rdsrepladmin", "root", "mysql.sys", "mysql.session"})


def _check_cidrs(key: str, cidrs: list[str], problems: list[str]) -> None:
    for cidr in cidrs:
        try:
            if "/" not in cidr:
                # AWS takes CIDR notation only; a bare address is a likely typo for /32.
                raise ValueError("no prefix length; a single address is x.x.x.x/32")
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            problems.append(
                f"{key}: got {cidr!r}; expected a CIDR such as 198.51.100.7/32 with no host bits set ({exc})"
            )
            continue
        if network.prefixlen == 0:
            problems.append(
                f"{key}: got {cidr!r}; the whole internet is never allowed; "
                "name your own address, e.g. x.x.x.x/32"
            )


def _check_engine_version(version: str, problems: list[str]) -> None:
    match = _ENGINE_VERSION.match(version)
    if match is None or f"{match.group(1)}.{match.group(2)}" not in SUPPORTED_ENGINE_LINES:
        lines = ", ".join(SUPPORTED_ENGINE_LINES)
        problems.append(
            f"dbEngineVersion: got {version!r}; expected a MySQL line ({lines}) "
            "or MAJOR.MINOR.PATCH such as 8.0.40"
        )


def _check_storage(allocated: int, maximum: int, problems: list[str]) -> None:
    if not MIN_STORAGE_GIB <= allocated <= MAX_STORAGE_GIB:
        problems.append(
            f"dbAllocatedStorageGib: got {allocated}; expected {MIN_STORAGE_GIB}-{MAX_STORAGE_GIB} GiB"
        )
    if maximum < allocated or maximum > MAX_STORAGE_GIB:
        problems.append(
            f"dbMaxAllocatedStorageGib: got {maximum}; expected at least dbAllocatedStorageGib "
            f"({allocated}) and at most {MAX_STORAGE_GIB}"
        )


def _check_replication(values: Mapping[str, Any], problems: list[str]) -> None:
    count, retention = values["dbReplicaCount"], values["dbBackupRetentionDays"]
    if not 0 <= count <= MAX_REPLICAS:
        problems.append(f"dbReplicaCount: got {count}; expected 0-{MAX_REPLICAS}")
    if not 0 <= retention <= MAX_BACKUP_RETENTION_DAYS:
        problems.append(f"dbBackupRetentionDays: got {retention}; expected 0-{MAX_BACKUP_RETENTION_DAYS}")
    elif count > 0 and retention < 1:
        # Backups are required in order to create a read replica.
        problems.append(
            f"dbBackupRetentionDays: got {retention}; read replicas (dbReplicaCount={count}) need at least 1"
        )


def _check_exposure(stack: str, values: Mapping[str, Any], problems: list[str]) -> None:
    if not values["dbPubliclyAccessible"]:
        return
    if stack.lower() in PRODUCTION_STACK_NAMES:
        problems.append(
            f"dbPubliclyAccessible: got true on stack {stack!r}; a production stack keeps its DB private "
            "(reach it through the host)"
        )
    if not values["dbAllowedCidrs"]:
        problems.append(
            "dbAllowedCidrs: got []; a publicly accessible DB must name at least one allowed CIDR "
            "(your own address, e.g. 198.51.100.7/32)"
        )


def _check_network(values: Mapping[str, Any], problems: list[str]) -> None:
    az_count = values["azCount"]
    if not 2 <= az_count <= 6:
        problems.append(f"azCount: got {az_count}; expected 2-6 (RDS subnet groups need two AZs)")
    try:
        vpc = ipaddress.IPv4Network(values["vpcCidr"], strict=True)
    except ValueError as exc:
        problems.append(
            f"vpcCidr: got {values['vpcCidr']!r}; expected an IPv4 CIDR like 10.40.0.0/16 ({exc})"
        )
        return
    if not 16 <= vpc.prefixlen <= 24:
        problems.append(f"vpcCidr: got {values['vpcCidr']!r}; expected a prefix length from /16 to /24")


def _check_names(values: Mapping[str, Any], problems: list[str]) -> None:
    checks: list[tuple[str, re.Pattern[str], str]] = [
        ("dbInstanceClass", _INSTANCE_CLASS, "an RDS class such as db.t4g.micro"),
        ("hostInstanceType", _INSTANCE_TYPE, "an EC2 type such as t3.micro"),
        ("dbUsername", _IDENTIFIER, "1-16 letters, digits or _ starting with a letter"),
    ]
    if values["dbReplicaInstanceClass"]:
        checks.append(
            ("dbReplicaInstanceClass", _INSTANCE_CLASS, "an RDS class such as db.t4g.micro, or empty")
        )
    if values["dbName"]:
        checks.append(("dbName", _DB_NAME, "1-64 letters, digits or _ starting with a letter, or empty"))
    if values["sshPublicKey"]:
        checks.append(("sshPublicKey", _SSH_KEY, "an OpenSSH public key line (ssh-ed25519 AAAA...)"))
    for key, pattern, expected in checks:
        if not pattern.match(values[key]):
            shown = values[key] if key != "sshPublicKey" else values[key][:24] + "..."
            problems.append(f"{key}: got {shown!r}; expected {expected}")
    if values["dbUsername"].lower() in _RESERVED_USERS:
        problems.append(f"dbUsername: got {values['dbUsername']!r}; that name is reserved by RDS/MySQL")
    unknown = [t for t in values["dbLogExports"] if t not in LOG_EXPORTS]
    if unknown:
        problems.append(f"dbLogExports: got {unknown!r}; expected any of {', '.join(LOG_EXPORTS)}")


_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")


def _check_proxy(values: Mapping[str, Any], problems: list[str]) -> None:
    writer, reader = values["proxyWriterPort"], values["proxyReaderPort"]
    for key, port in (("proxyWriterPort", writer), ("proxyReaderPort", reader)):
        # 22 is sshd's on the host.
        if not 1024 <= port <= 65535 and port != 3306:
            problems.append(f"{key}: got {port}; expected 3306 or a port in 1024-65535")
    if writer == reader:
        problems.append(f"proxyReaderPort: got {reader}; expected a port different from proxyWriterPort")
    for group in values["proxyAllowedSecurityGroupIds"]:
        if not _SECURITY_GROUP_ID.match(group):
            problems.append(
                f"proxyAllowedSecurityGroupIds: got {group!r}; expected an id such as sg-0123456789abcdef0"
            )
    if values["proxyEnabled"] and values["dbReplicaCount"] < 1:
        problems.append(
            f"proxyEnabled: got true with dbReplicaCount={values['dbReplicaCount']}; "
            "the read/write split needs at least one replica"
        )


def _check_promotion(values: Mapping[str, Any], problems: list[str]) -> None:
    index, count = values["dbPromoteReplica"], values["dbReplicaCount"]
    if not 0 <= index <= count:
        problems.append(
            f"dbPromoteReplica: got {index}; expected 0 (none) or a replica number 1-{count} (dbReplicaCount)"
        )


def validate(stack: str, values: Mapping[str, Any]) -> list[str]:
    """Every rule that is not a matter of taste; returns the problems found."""
    problems: list[str] = []
    for key in ("sshAllowedCidrs", "dbAllowedCidrs", "proxyAllowedCidrs"):
        _check_cidrs(key, values[key], problems)
    _check_engine_version(values["dbEngineVersion"], problems)
    _check_storage(values["dbAllocatedStorageGib"], values["dbMaxAllocatedStorageGib"], problems)
    _check_replication(values, problems)
    _check_exposure(stack, values, problems)
    _check_network(values, problems)
    _check_names(values, problems)
    _check_proxy(values, problems)
    _check_promotion(values, problems)
    return problems


def parse_settings(stack: str, get: RawGetter) -> Settings:
    """Build and validate settings from a raw getter (key -> Pulumi's string value or None)."""
    problems: list[str] = []
    values = {f.key: _parse_value(f, get(f.key), problems) for f in FIELDS}
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


def field(key: str) -> Field:
    return _FIELD_BY_KEY[key]
