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

from components.cidr_rules import allow_list_problems, parse_cidr, vpc_range_problem
from components.rds_rules import instance_class_problem, reserved_name_problem

PROJECT: Final = "mysql-platform"

# "object" (a map of strings) has no type in the Pulumi.yaml schema, which knows only the
# other four; its values arrive as JSON like arrays do.
FieldType = Literal["string", "integer", "boolean", "array", "object"]

# Replica count bounds: the contract (RDS itself allows more).
MAX_REPLICAS: Final = 5
MIN_STORAGE_GIB: Final = 20  # RDS MySQL gp3 minimum
MAX_STORAGE_GIB: Final = 65536
MAX_BACKUP_RETENTION_DAYS: Final = 35
SUPPORTED_ENGINE_LINES: Final = ("8.0", "8.4")
# RDS for MySQL log types the program can export. `audit` needs an option group with the
# MariaDB audit plugin, which this program does not manage: it is refused with that reason.
LOG_EXPORTS: Final = ("error", "general", "slowquery", "iam-db-auth-error")
# CreateDBInstance EngineLifecycleSupport values (RDS Extended Support).
LIFECYCLE_SUPPORT: Final = ("open-source-rds-extended-support", "open-source-rds-extended-support-disabled")
# The only values CloudWatch Logs PutRetentionPolicy accepts.
LOG_RETENTION_DAYS: Final = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# Performance Insights is not offered on these RDS for MySQL classes.
NO_PERFORMANCE_INSIGHTS: Final = ("db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small")
# Tags the program sets itself; the `tags` setting adds to them and may not change them.
RESERVED_TAG_KEYS: Final = frozenset({"project", "environment", "managed-by", "Name", "role"})
# Any stack whose name starts with "prod" (prod, production, prod-us, production-eu) is production.
PRODUCTION_PREFIX: Final = "prod"


def is_production(stack: str) -> bool:
    return stack.lower().startswith(PRODUCTION_PREFIX)


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
        "8.4",
        "RDS MySQL engine version of the primary: a line (8.0, 8.4) or MAJOR.MINOR.PATCH "
        "(a pinned patch turns automatic minor upgrades off).",
    ),
    Field(
        "dbEngineLifecycleSupport",
        "string",
        "open-source-rds-extended-support-disabled",
        "RDS Extended Support: open-source-rds-extended-support (paid, after the line's end of standard "
        "support) or open-source-rds-extended-support-disabled (RDS upgrades the major version instead).",
    ),
    Field(
        "dbReplicaEngineVersion",
        "string",
        "",
        "Engine version of the replicas during a major upgrade (replicas go first). Empty: the primary's.",
    ),
    Field(
        "dbAllowMajorVersionUpgrade",
        "boolean",
        False,
        "Allow a major engine upgrade (8.0 to 8.4); with replicas, set dbReplicaEngineVersion first.",
    ),
    Field(
        "dbApplyImmediately",
        "boolean",
        True,
        "Apply instance changes at once (true) or in the next maintenance window (false).",
    ),
    Field("dbBackupWindow", "string", "03:00-03:30", "Daily automated backup window, UTC (hh24:mi-hh24:mi)."),
    Field(
        "dbMaintenanceWindow",
        "string",
        "sun:04:00-sun:05:00",
        "Weekly maintenance window, UTC (ddd:hh24:mi-ddd:hh24:mi); must not overlap the backup window.",
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
    Field(
        "dbMaxAllocatedStorageGib",
        "integer",
        100,
        "Storage autoscaling ceiling, in GiB (above allocated). 0: no autoscaling.",
    ),
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
        "RDS log types exported to CloudWatch Logs (error, general, slowquery, iam-db-auth-error).",
    ),
    Field(
        "dbLogRetentionDays",
        "integer",
        30,
        "Retention of the exported logs' CloudWatch log groups, in days (a value CloudWatch accepts).",
    ),
    Field(
        "dbPerformanceInsights",
        "boolean",
        False,
        "Performance Insights (7 days free), shown through CloudWatch Database Insights, Standard mode.",
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
    Field("tags", "object", {}, "Tags (a map) added to every resource that takes tags."),
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
    proxy_enabled: bool
    proxy_writer_port: int
    proxy_reader_port: int
    proxy_allowed_cidrs: tuple[str, ...]
    proxy_allowed_security_group_ids: tuple[str, ...]
    db_promote_replica: int
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


def engine_line(version: str) -> str:
    """``8.4`` for ``8.4`` or ``8.4.3``."""
    return ".".join(version.split(".")[:2])


def parameter_group_family(version: str) -> str:
    return f"mysql{engine_line(version)}"


def is_pinned_patch(version: str) -> bool:
    """MAJOR.MINOR.PATCH pins one release; a line lets RDS choose (and upgrade) the minor."""
    return version.count(".") == 2


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
    if field.type == "object":
        return _parse_object(field, raw, problems)
    return _parse_array(field, raw, problems)


def _parse_object(field: Field, raw: str, problems: list[str]) -> dict[str, str]:
    import json  # local: only arrays and maps need it

    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.append(f"{field.key}: got {raw!r}; expected a map of strings (YAML map in the stack file)")
        return dict(field.default)
    return value


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
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_SSH_KEY = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$")
_RESERVED_USERS = frozenset({"rdsadmin", "rdsrepladmin", "root", "mysql.sys", "mysql.session"})


def _check_cidrs(key: str, cidrs: list[str], problems: list[str]) -> None:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(parse_cidr(cidr))
        except ValueError as exc:
            problems.append(
                f"{key}: got {cidr!r}; expected a CIDR such as 198.51.100.7/32 with no host bits set ({exc})"
            )
    problems.extend(allow_list_problems(key, networks))


def _check_engine_version(key: str, version: str, problems: list[str]) -> bool:
    match = _ENGINE_VERSION.match(version)
    if match is None or f"{match.group(1)}.{match.group(2)}" not in SUPPORTED_ENGINE_LINES:
        lines = ", ".join(SUPPORTED_ENGINE_LINES)
        problems.append(
            f"{key}: got {version!r}; expected a MySQL line ({lines}) or MAJOR.MINOR.PATCH such as 8.4.3"
        )
        return False
    return True


def _line_tuple(version: str) -> tuple[int, int]:
    major, minor = engine_line(version).split(".")
    return int(major), int(minor)


def major_upgrade_steps(target: str) -> str:
    """The staged major upgrade: binlog replication runs from an older source to a newer replica,
    never the reverse, and RDS refuses to upgrade a source first (DBUpgradeDependencyFailure)."""
    return (
        f"upgrade the replicas first: (1) pulumi config set dbAllowMajorVersionUpgrade true; "
        f"pulumi config set dbReplicaEngineVersion {target}; pulumi up; "
        f"(2) pulumi config set dbEngineVersion {target}; pulumi up; "
        "(3) pulumi config rm dbReplicaEngineVersion; pulumi config rm dbAllowMajorVersionUpgrade; pulumi up"
    )


def _check_engine(values: Mapping[str, Any], problems: list[str]) -> None:
    primary, replica = values["dbEngineVersion"], values["dbReplicaEngineVersion"]
    ok = _check_engine_version("dbEngineVersion", primary, problems)
    if replica:
        ok = _check_engine_version("dbReplicaEngineVersion", replica, problems) and ok
    lifecycle = values["dbEngineLifecycleSupport"]
    if lifecycle not in LIFECYCLE_SUPPORT:
        problems.append(
            f"dbEngineLifecycleSupport: got {lifecycle!r}; expected one of {', '.join(LIFECYCLE_SUPPORT)}"
        )
    elif ok and engine_line(primary) == "8.0" and lifecycle.endswith("-disabled"):
        # RDS for MySQL 8.0 left standard support on 2026-07-31: it runs only under paid
        # Extended Support, so the choice must be explicit.
        problems.append(
            f"dbEngineLifecycleSupport: got {lifecycle!r} with dbEngineVersion {primary!r}; "
            "MySQL 8.0 left RDS standard support on 2026-07-31 and runs only under paid Extended Support: "
            "set open-source-rds-extended-support to keep 8.0, or upgrade to 8.4"
        )
    if not ok:
        return
    count, allow = values["dbReplicaCount"], values["dbAllowMajorVersionUpgrade"]
    if replica and _line_tuple(replica) < _line_tuple(primary):
        problems.append(
            f"dbReplicaEngineVersion: got {replica!r} with dbEngineVersion {primary!r}; "
            "a replica may not run an older line than its source "
            "(binlog replication goes from older to newer only)"
        )
    elif replica and engine_line(replica) != engine_line(primary) and not allow:
        problems.append(
            f"dbAllowMajorVersionUpgrade: got false with dbReplicaEngineVersion {replica!r} and "
            f"dbEngineVersion {primary!r}; a major upgrade needs it true"
        )
    if allow and count > 0 and not replica:
        problems.append(
            f"dbReplicaEngineVersion: got '' with dbAllowMajorVersionUpgrade true and {count} replicas; "
            + major_upgrade_steps(engine_line(primary))
        )


def _check_storage(allocated: int, maximum: int, problems: list[str]) -> None:
    if not MIN_STORAGE_GIB <= allocated <= MAX_STORAGE_GIB:
        problems.append(
            f"dbAllocatedStorageGib: got {allocated}; expected {MIN_STORAGE_GIB}-{MAX_STORAGE_GIB} GiB"
        )
    # 0 turns storage autoscaling off (provider doc: max_allocated_storage).
    if maximum != 0 and not allocated < maximum <= MAX_STORAGE_GIB:
        problems.append(
            f"dbMaxAllocatedStorageGib: got {maximum}; expected 0 (no autoscaling) or more than "
            f"dbAllocatedStorageGib ({allocated}) and at most {MAX_STORAGE_GIB}"
        )


_DAY_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEK_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK_MINUTES: Final = 7 * 24 * 60
MIN_WINDOW_MINUTES: Final = 30  # RDS: both windows are at least 30 minutes


def _minutes_set(start: int, end: int, period: int) -> set[int]:
    length = (end - start) % period
    return {(start + i) % period for i in range(length)}


def _check_windows(backup: str, maintenance: str, problems: list[str]) -> None:
    day, week = _DAY_WINDOW.match(backup), _WEEK_WINDOW.match(maintenance.lower())
    if day is None:
        problems.append(f"dbBackupWindow: got {backup!r}; expected hh24:mi-hh24:mi in UTC, e.g. 03:00-03:30")
    if week is None:
        problems.append(
            f"dbMaintenanceWindow: got {maintenance!r}; expected ddd:hh24:mi-ddd:hh24:mi in UTC, "
            "e.g. sun:04:00-sun:05:00"
        )
    if day is None or week is None:
        return
    h1, m1, h2, m2 = (int(g) for g in day.groups())
    daily = _minutes_set(h1 * 60 + m1, h2 * 60 + m2, 24 * 60)
    d1, wh1, wm1, d2, wh2, wm2 = week.groups()
    start = _DAYS.index(d1) * 1440 + int(wh1) * 60 + int(wm1)
    end = _DAYS.index(d2) * 1440 + int(wh2) * 60 + int(wm2)
    weekly = _minutes_set(start, end, _WEEK_MINUTES)
    if len(daily) < MIN_WINDOW_MINUTES:
        problems.append(f"dbBackupWindow: got {backup!r}; RDS needs at least {MIN_WINDOW_MINUTES} minutes")
    if len(weekly) < MIN_WINDOW_MINUTES:
        problems.append(
            f"dbMaintenanceWindow: got {maintenance!r}; RDS needs at least {MIN_WINDOW_MINUTES} minutes"
        )
    if any(m % 1440 in daily for m in weekly):
        problems.append(
            f"dbMaintenanceWindow: got {maintenance!r}, which overlaps dbBackupWindow {backup!r}; "
            "RDS refuses overlapping windows"
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
    if is_production(stack):
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
    range_problem = vpc_range_problem(vpc)
    if range_problem is not None:
        problems.append(range_problem)


def _check_names(values: Mapping[str, Any], problems: list[str]) -> None:
    checks: list[tuple[str, re.Pattern[str], str]] = [
        ("hostInstanceType", _INSTANCE_TYPE, "an EC2 type such as t3.micro"),
        ("dbUsername", _IDENTIFIER, "1-16 letters, digits or _ starting with a letter"),
    ]
    for class_key in ("dbInstanceClass", "dbReplicaInstanceClass"):
        if values[class_key] or class_key == "dbInstanceClass":
            class_problem = instance_class_problem(class_key, values[class_key])
            if class_problem is not None:
                problems.append(class_problem)
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
    for name_key in ("dbName", "dbUsername"):
        name_problem = reserved_name_problem(name_key, values[name_key]) if values[name_key] else None
        if name_problem is not None:
            problems.append(name_problem)


def _check_logs(values: Mapping[str, Any], problems: list[str]) -> None:
    exports = values["dbLogExports"]
    if "audit" in exports:
        problems.append(
            "dbLogExports: got 'audit'; the audit log needs an option group with the MariaDB audit plugin, "
            "which this program does not create: remove it, or add the option group first"
        )
    unknown = [t for t in exports if t not in LOG_EXPORTS and t != "audit"]
    if unknown:
        problems.append(f"dbLogExports: got {unknown!r}; expected any of {', '.join(LOG_EXPORTS)}")
    retention = values["dbLogRetentionDays"]
    if retention not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        problems.append(f"dbLogRetentionDays: got {retention}; expected one of {allowed}")


def _check_performance_insights(values: Mapping[str, Any], problems: list[str]) -> None:
    if not values["dbPerformanceInsights"]:
        return
    classes = {values["dbInstanceClass"], values["dbReplicaInstanceClass"] or values["dbInstanceClass"]}
    unsupported = sorted(c for c in classes if c in NO_PERFORMANCE_INSIGHTS)
    if unsupported:
        problems.append(
            f"dbPerformanceInsights: got true with {', '.join(unsupported)}; RDS for MySQL offers "
            "Performance Insights from db.t3.medium / db.t4g.medium up"
        )


MAX_USER_TAGS: Final = 40  # AWS allows 50 tags a resource; the program sets up to 5 itself.


def _check_tags(tags: Mapping[str, str], problems: list[str]) -> None:
    if len(tags) > MAX_USER_TAGS:
        problems.append(f"tags: got {len(tags)} tags; expected at most {MAX_USER_TAGS}")
    for key, value in tags.items():
        if key in RESERVED_TAG_KEYS or key.lower().startswith("aws:"):
            problems.append(
                f"tags: got key {key!r}; the program sets {', '.join(sorted(RESERVED_TAG_KEYS))} itself, "
                "and aws: is reserved by AWS"
            )
        elif not 1 <= len(key) <= 128 or len(value) > 256:
            problems.append(f"tags: got {key!r}; expected keys of 1-128 and values of up to 256 characters")


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
    _check_engine(values, problems)
    _check_windows(values["dbBackupWindow"], values["dbMaintenanceWindow"], problems)
    _check_logs(values, problems)
    _check_performance_insights(values, problems)
    _check_tags(values["tags"], problems)
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
