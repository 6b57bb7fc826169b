"""The rules a stack's configuration must keep, checked before any resource exists.

:func:`validate` takes the parsed values keyed by config key (``dbReplicaCount``) and returns
every problem found, each naming the key, the value received and what is allowed. Address
rules live in :mod:`mysql_platform.components.cidr_rules`, engine versions in
 :mod:`mysql_platform.components.engine_rules`,
RDS's own limits in :mod:`mysql_platform.components.rds_rules`.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

from mysql_platform.components.cidr_rules import (
    QUOTA_KEY,
    RuleSource,
    allow_list_problems,
    inbound_rule_problems,
    parse_cidr,
    rule_quota_problem,
    vpc_range_problem,
)
from mysql_platform.components.cluster_rules import cluster_problems, topology_problem
from mysql_platform.components.engine_rules import engine_problems
from mysql_platform.components.rds_rules import (
    gtid_mode_problem,
    instance_class_problem,
    reserved_name_problem,
    window_problems,
)
from mysql_platform.core.contract import TOPOLOGY_CLUSTER

# At most 5 read replicas: this project's bound (RDS for MySQL allows 15 per source).
MAX_REPLICAS: Final = 5
MIN_STORAGE_GIB: Final = 20  # RDS MySQL gp3 minimum
MAX_STORAGE_GIB: Final = 65536
MAX_BACKUP_RETENTION_DAYS: Final = 35
# RDS for MySQL log types the program can export. `audit` needs an option group with the
# MariaDB audit plugin, which this program does not manage: it is refused with that reason.
LOG_EXPORTS: Final = ("error", "general", "slowquery", "iam-db-auth-error")
# The only values CloudWatch Logs PutRetentionPolicy accepts.
LOG_RETENTION_DAYS: Final = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
# Performance Insights is not offered on these RDS for MySQL classes.
NO_PERFORMANCE_INSIGHTS: Final = ("db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small")
# Tags the program sets itself; the `tags` setting adds to them and may not change them.
RESERVED_TAG_KEYS: Final = frozenset({"project", "environment", "managed-by", "Name", "role"})
# Any stack whose name starts with "prod" (prod, production, prod-us, production-eu) is production.
PRODUCTION_PREFIX: Final = "prod"


def is_production(stack: str) -> bool:
    return stack.lower().startswith(PRODUCTION_PREFIX)


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


def _check_storage(allocated: int, maximum: int, problems: list[str]) -> None:
    if not MIN_STORAGE_GIB <= allocated <= MAX_STORAGE_GIB:
        problems.append(
            f"dbAllocatedStorageGib: got {allocated}; expected {MIN_STORAGE_GIB}-{MAX_STORAGE_GIB} GiB"
        )
    # 0 turns storage autoscaling off (the provider's max_allocated_storage).
    if maximum != 0 and not allocated < maximum <= MAX_STORAGE_GIB:
        problems.append(
            f"dbMaxAllocatedStorageGib: got {maximum}; expected 0 (no autoscaling) or more than "
            f"dbAllocatedStorageGib ({allocated}) and at most {MAX_STORAGE_GIB}"
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


# One address, no display name, no spaces: what an SNS e-mail subscription's endpoint takes.
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def _check_names(values: Mapping[str, Any], problems: list[str]) -> None:
    checks: list[tuple[str, re.Pattern[str], str]] = [
        ("hostInstanceType", _INSTANCE_TYPE, "an EC2 type such as t3.micro"),
        ("dbUsername", _IDENTIFIER, "1-16 letters, digits or _ starting with a letter"),
    ]
    for class_key in ("dbInstanceClass", "dbReplicaInstanceClass"):
        if class_key == "dbInstanceClass" and values["dbTopology"] == TOPOLOGY_CLUSTER:
            continue  # a cluster's classes are another list (cluster_rules)
        if values[class_key] or class_key == "dbInstanceClass":
            class_problem = instance_class_problem(class_key, values[class_key])
            if class_problem is not None:
                problems.append(class_problem)
    if values["dbName"]:
        checks.append(("dbName", _DB_NAME, "1-64 letters, digits or _ starting with a letter, or empty"))
    if values["sshPublicKey"]:
        checks.append(("sshPublicKey", _SSH_KEY, "an OpenSSH public key line (ssh-ed25519 AAAA...)"))
    if values["alertEmail"]:
        checks.append(("alertEmail", _EMAIL, "an e-mail address (name@example.com), or empty"))
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
# Every tag goes to every resource that takes tags, RDS among them, and RDS's rule is the strictest
# (EC2 takes any character). RDS API Reference, "Tag": a key is "from 1 to 128 Unicode characters in
# length", a value up to 256, neither "prefixed with aws: or rds:", and both contain "only the set of
# Unicode letters, digits, white-space, '_', '.', ':', '/', '=', '+', '-', '@'" (Java regex
# ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$). The prefixes are matched in any case: AWS keeps aws: in any case,
# and refusing RDS: too costs nothing.
RESERVED_TAG_PREFIXES: Final = ("aws:", "rds:")
TAG_SYMBOLS: Final = frozenset("_.:/=+-@")
# Unicode general categories of \p{L} (letters), \p{Z} (separators: the white-space above) and \p{N}.
_TAG_CATEGORIES: Final = frozenset("LZN")


def tag_characters_refused(text: str) -> list[str]:
    """The characters of a tag key or value RDS refuses, each once, in order."""
    refused = [c for c in text if c not in TAG_SYMBOLS and unicodedata.category(c)[0] not in _TAG_CATEGORIES]
    return list(dict.fromkeys(refused))


def _tag_problems(key: str, value: str) -> list[str]:
    if key in RESERVED_TAG_KEYS or key.lower().startswith("aws:"):
        return [
            f"tags: got key {key!r}; the program sets {', '.join(sorted(RESERVED_TAG_KEYS))} itself, "
            "and aws: is reserved by AWS"
        ]
    if key.lower().startswith("rds:"):
        return [f"tags: got key {key!r}; rds: is reserved by RDS, which refuses a key that starts with it"]
    if not 1 <= len(key) <= 128 or len(value) > 256:
        return [f"tags: got {key!r}; expected keys of 1-128 and values of up to 256 characters"]
    problems = []
    if value.lower().startswith(RESERVED_TAG_PREFIXES):
        problems.append(
            f"tags: got value {value!r} for key {key!r}; RDS refuses a value that starts with aws: or rds:"
        )
    for what, text in (("key", key), ("value", value)):
        refused = tag_characters_refused(text)
        if refused:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in refused)
            owner = "" if what == "key" else f" for key {key!r}"
            problems.append(
                f"tags: got {what} {text!r}{owner}; {shown} not allowed: "
                "RDS takes letters, digits, spaces and _ . : / = + - @ only"
            )
    return problems


def _check_tags(tags: Mapping[str, str], problems: list[str]) -> None:
    if len(tags) > MAX_USER_TAGS:
        problems.append(f"tags: got {len(tags)} tags; expected at most {MAX_USER_TAGS}")
    for key, value in tags.items():
        problems.extend(_tag_problems(key, value))


_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")


def _check_proxy(values: Mapping[str, Any], problems: list[str]) -> None:
    writer, reader = values["proxyWriterPort"], values["proxyReaderPort"]
    for key, port in (("proxyWriterPort", writer), ("proxyReaderPort", reader)):
        # Privileged ports (below 1024) belong to system services, such as sshd on 22.
        if not 1024 <= port <= 65535 and port != 3306:
            problems.append(f"{key}: got {port}; expected 3306 or a port in 1024-65535")
    if writer == reader:
        problems.append(f"proxyReaderPort: got {reader}; expected a port different from proxyWriterPort")
    for group in values["proxyAllowedSecurityGroupIds"]:
        if not _SECURITY_GROUP_ID.match(group):
            problems.append(
                f"proxyAllowedSecurityGroupIds: got {group!r}; expected an id such as sg-0123456789abcdef0"
            )
    # A Multi-AZ DB cluster has its readers without replicas: the reader endpoint (its two
    # readable standbys), which the proxy's reader port then serves.
    cluster = values["dbTopology"] == TOPOLOGY_CLUSTER
    if values["proxyEnabled"] and values["dbReplicaCount"] < 1 and not cluster:
        problems.append(
            f"proxyEnabled: got true with dbReplicaCount={values['dbReplicaCount']}; "
            "the read/write split needs at least one replica (or dbTopology multi-az-cluster, "
            "whose standbys are the readers)"
        )


def _check_rule_counts(values: Mapping[str, Any], problems: list[str]) -> None:
    """Every inbound rule the program puts on each security group, against the account's quota.

    The DB's group (components/db_network.py,
    db_security_group): the host's security group, and
    dbAllowedCidrs only when the DB is public. The host's group (mysql_platform/components/ec2_host.py,
    _ingress_rules, and components/host_proxy.py, proxy_ingress): sshAllowedCidrs on 22, and with
    the proxy every proxy source on both proxy ports.
    """
    quota = values[QUOTA_KEY]
    quota_problem = rule_quota_problem(quota)
    if quota_problem is not None:
        problems.append(quota_problem)
        return
    db = [RuleSource("the host's security group", 1, group_refs=1, is_setting=False)]
    if values["dbPubliclyAccessible"]:
        db.append(RuleSource("dbAllowedCidrs", 1, cidrs=values["dbAllowedCidrs"]))
    host = [RuleSource("sshAllowedCidrs", 1, cidrs=values["sshAllowedCidrs"])]
    if values["proxyEnabled"]:
        proxy_groups = "proxyAllowedSecurityGroupIds"
        host += [
            RuleSource("proxyAllowedCidrs", 2, cidrs=values["proxyAllowedCidrs"]),
            RuleSource("proxyAllowedSecurityGroupIds", 2, group_refs=len(values[proxy_groups])),
        ]
    problems.extend(inbound_rule_problems("the DB's security group", db, quota))
    problems.extend(inbound_rule_problems("the host's security group", host, quota))


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
    problems += engine_problems(values)
    problems += window_problems(values["dbBackupWindow"], values["dbMaintenanceWindow"])
    _check_logs(values, problems)
    _check_performance_insights(values, problems)
    gtid_problem = gtid_mode_problem(values["dbGtidMode"])
    if gtid_problem is not None:
        problems.append(gtid_problem)
    _check_tags(values["tags"], problems)
    _check_storage(values["dbAllocatedStorageGib"], values["dbMaxAllocatedStorageGib"], problems)
    _check_replication(values, problems)
    _check_exposure(stack, values, problems)
    _check_network(values, problems)
    _check_names(values, problems)
    _check_proxy(values, problems)
    _check_promotion(values, problems)
    _check_rule_counts(values, problems)
    _check_analytics(values, problems)
    topology = topology_problem(values["dbTopology"])
    problems += [topology] if topology else cluster_problems(values)
    return problems


# Athena's BytesScannedCutoffPerQuery: "Minimum value of 10000000" (Athena API reference,
# WorkGroupConfiguration); 10 MiB is the first whole MiB above it.
MIN_SCAN_CUTOFF_MIB = 10


def _check_analytics(values: Mapping[str, Any], problems: list[str]) -> None:
    cutoff, days = values["analyticsBytesScannedCutoffMib"], values["analyticsExportRetentionDays"]
    if cutoff < MIN_SCAN_CUTOFF_MIB:
        problems.append(
            f"analyticsBytesScannedCutoffMib: got {cutoff}; Athena's per-query cutoff is at least 10 MB: "
            f"use {MIN_SCAN_CUTOFF_MIB} or more"
        )
    if days < 1:
        problems.append(f"analyticsExportRetentionDays: got {days}; expected 1 or more days")
    if values["analyticsSpectrumEnabled"] and not values["analyticsEnabled"]:
        problems.append(
            "analyticsSpectrumEnabled: got True; needs analyticsEnabled: true "
            "(the Spectrum role reads the analytics bucket and Glue database)"
        )
