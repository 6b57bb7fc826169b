"""The stack's policy rules as plain functions: the plan runs them, the unit tests run them on dev
and prod, and the CrossGuard pack in ``policy/`` runs the same functions under
``pulumi preview --policy-pack policy``.

Each rule looks at resources as the engine sees them: a type token, the inputs (Pulumi's camelCase
names) and whether the resource is protected. A stack is production when its ``environment`` tag
(the stack name, on every resource) is prod-like by the settings' own rule
(:func:`mysql_platform.components.settings_rules.is_production`: ``prod``, ``production``, ``prod-eu``...).
Enforcement, per rule: mandatory rules guard security and data (a violation stops the plan with
exit 4, and ``pulumi preview`` with the pack); advisory ones guard availability and cost trade-offs a
stack may make on purpose (reported, not blocking).

At preview, values from other resources are :data:`~mysql_platform.planning.policy_values.UNKNOWN`. A rule
reads only its own inputs and decides on what is known: an id it only needs to be present counts as
present; an unknown value it decides on is a violation that says so (a mandatory rule does not pass
what it cannot show, e.g. an unknown ``publiclyAccessible`` on a prod database); an unknown tag
``environment`` counts as production. Where blocking would be wrong, it says so in an
:class:`~mysql_platform.planning.policy_values.Undecided` note instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mysql_platform.components.settings_rules import is_production
from mysql_platform.planning.policy_analytics import (
    BUCKET,
    BUCKET_ENCRYPTION,
    KMS_KEY,
    PUBLIC_ACCESS_BLOCK,
    WORKGROUP,
    buckets_encrypted,
    buckets_private,
    key_rotation,
    workgroup_enforced,
)
from mysql_platform.planning.policy_ingress import (
    INGRESS,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    no_internet_ingress,
)
from mysql_platform.planning.policy_values import (
    UNKNOWN,
    Undecided,
    Unknown,
    items,
    lookup,
    required,
    unknown_message,
)

__all__ = [
    "BUCKET",
    "BUCKET_ENCRYPTION",
    "INGRESS",
    "KMS_KEY",
    "PUBLIC_ACCESS_BLOCK",
    "SECURITY_GROUP",
    "SECURITY_GROUP_RULE",
    "UNKNOWN",
    "WORKGROUP",
    "Undecided",
]

MANDATORY = "mandatory"
ADVISORY = "advisory"
RDS = "aws:rds/instance:Instance"
# A Multi-AZ DB cluster: a database of its own, Multi-AZ by construction.
CLUSTER = "aws:rds/cluster:Cluster"
DATABASES = (RDS, CLUSTER)
EC2 = "aws:ec2/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
PARAMETER_GROUPS = (PARAMETER_GROUP, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
# The tag components/replicated.py puts on the replica it promotes (dbPromoteReplica); "role" is a
# reserved tag the settings refuse to let a stack change.
PROMOTED_ROLE = "promoted-writer"
EBS_VOLUME = "aws:ebs/volume:Volume"
MIN_PROD_BACKUP_DAYS = 7


@dataclass(frozen=True)
class Resource:
    """What a rule sees of one resource."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False
    stack: str = ""  # the stack the engine deploys it in (from its URN), when known

    @property
    def is_production(self) -> bool:
        """Prod-like ``environment`` tag; an unknown one counts as production (the stricter rules).
        Without the tag (tags from the provider's default_tags, or none), the stack's own name."""
        env = lookup(self.inputs, "tags", "environment")
        if env is None:
            env = self.stack
        return env is UNKNOWN or (isinstance(env, str) and is_production(env))

    @property
    def is_replica(self) -> bool:
        """An RDS instance that follows a source; an unknown source id (preview) is still a source."""
        return self.type == RDS and lookup(self.inputs, "replicateSourceDb") not in (None, "")

    @property
    def is_primary_db(self) -> bool:
        return self.type in DATABASES and not self.is_replica

    @property
    def is_promoted_replica(self) -> bool:
        """A replica the program promoted (it dropped ``replicateSourceDb``, which the provider applies
        as PromoteReadReplica on the same instance: terraform-provider-aws
        internal/service/rds/instance.go resourceInstanceUpdate). It was created by
        CreateDBInstanceReadReplica, so it has no master ``username`` of its own (the provider's
        schema: username ConflictsWith replicate_source_db)."""
        return (
            self.is_primary_db
            and self.type == RDS
            and lookup(self.inputs, "tags", "role") == PROMOTED_ROLE
            and lookup(self.inputs, "username") is None
        )


Finding = str | Undecided
Check = Callable[[Resource], Iterable[Finding]]
StackCheck = Callable[[list[Resource]], Iterable[Finding]]


@dataclass(frozen=True)
class Outcome:
    """A rule's verdict: violations (reported at the rule's enforcement) and undecided notes."""

    violations: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    enforcement: str
    check: Check | None = None  # per resource
    stack_check: StackCheck | None = None  # over all resources at once

    def outcome(self, resources: list[Resource]) -> Outcome:
        found: list[Finding]
        if self.stack_check is not None:
            found = list(self.stack_check(resources))
        else:
            assert self.check is not None
            found = [_named(r.name, f) for r in resources for f in self.check(r)]
        return Outcome(
            [f for f in found if isinstance(f, str)],
            [f.message for f in found if isinstance(f, Undecided)],
        )

    def violations(self, resources: list[Resource]) -> list[str]:
        return self.outcome(resources).violations


def _named(name: str, finding: Finding) -> Finding:
    if isinstance(finding, Undecided):
        return Undecided(f"{name}: {finding.message}")
    return f"{name}: {finding}"


# --- the rules ------------------------------------------------------------------------------------


def _true(value: Any) -> bool:
    """True as the provider reads a boolean input: the value, or its string ("true", any case)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def prod_db_private(r: Resource) -> Iterator[str]:
    if r.type not in DATABASES or not r.is_production:
        return
    public = lookup(r.inputs, "publiclyAccessible")
    if public is UNKNOWN:
        yield unknown_message("publiclyAccessible", "a prod database must be shown private")
    elif _true(public):
        yield "a prod database is publicly accessible"


def storage_encrypted(r: Resource) -> Iterator[str]:
    # A read replica takes its encryption from its source, and so does a promoted one, which keeps
    # the storage it was created with: a same-Region replica "is always encrypted with the same KMS
    # key as the source", and there is no encrypted replica of an unencrypted source (RDS API,
    # CreateDBInstanceReadReplica KmsKeyId). Its source, the stack's primary, carries the setting
    # and is checked here.
    if not r.is_primary_db or r.is_promoted_replica:
        return
    yield from required(
        lookup(r.inputs, "storageEncrypted"), "storageEncrypted", "storageEncrypted is not true"
    )


def volumes_encrypted(r: Resource) -> Iterator[str]:
    if r.type == EBS_VOLUME:
        yield from _encrypted(lookup(r.inputs, "encrypted"), "encrypted", "the volume")
    if r.type != EC2:
        return
    yield from _encrypted(
        lookup(r.inputs, "rootBlockDevice", "encrypted"), "rootBlockDevice.encrypted", "the root volume"
    )
    devices = lookup(r.inputs, "ebsBlockDevices")
    for i, device in enumerate(devices if isinstance(devices, list) else []):
        where = f"ebsBlockDevices[{i}]"
        yield from _encrypted(lookup(device, "encrypted"), f"{where}.encrypted", f"EBS volume {where}")


def _encrypted(value: Any, path: str, what: str) -> Iterator[str]:
    yield from required(value, path, f"{what} is not encrypted", _true)


def imdsv2(r: Resource) -> Iterator[str]:
    if r.type != EC2:
        return
    tokens = lookup(r.inputs, "metadataOptions", "httpTokens")
    if tokens is UNKNOWN:
        yield unknown_message("metadataOptions.httpTokens")
    elif tokens != "required":
        yield "instance metadata does not require IMDSv2 tokens (metadataOptions.httpTokens)"


_TLS = "require_secure_transport"
# RDS's default groups leave require_secure_transport OFF on MySQL 8.4 and lower (RDS User Guide,
# "Requiring SSL/TLS for all connections to a MySQL DB instance"), and they cannot be modified.
# Only they may contain a period: "custom parameter group names can't include a period" (RDS User
# Guide, "Creating a DB cluster parameter group"); so a name from another resource, unknown at
# preview, is a custom group, which this rule checks as a resource of its own.
_DEFAULT_GROUP_PREFIX = "default."


def tls_required(r: Resource) -> Iterator[str]:
    if r.type in PARAMETER_GROUPS:
        yield from _group_requires_tls(r)
    elif r.type in DATABASES:
        yield from _database_group(r)


def _group_requires_tls(r: Resource) -> Iterator[str]:
    parameters = items(lookup(r.inputs, "parameters"))
    if isinstance(parameters, Unknown):
        yield unknown_message("parameters")
        return
    names = [lookup(p, "name") for p in parameters]
    values = [lookup(p, "value") for n, p in zip(names, parameters, strict=True) if n == _TLS]
    if not values and UNKNOWN in names:
        yield unknown_message("a parameter name", f"the rule cannot show {_TLS} is ON")
    elif UNKNOWN in values:
        yield unknown_message(_TLS)
    elif not values or str(values[-1]).upper() not in ("ON", "1"):
        yield f"{_TLS} is not ON: clients may connect without TLS"


def _database_group(r: Resource) -> Iterator[str]:
    key = "dbClusterParameterGroupName" if r.type == CLUSTER else "parameterGroupName"
    name = lookup(r.inputs, key)
    if name is UNKNOWN:
        return  # a custom group made by another resource (see above), checked as a group
    if name:
        # RDS stores group names in lowercase, so "Default.mysql8.4" is the default group too.
        if str(name).lower().startswith(_DEFAULT_GROUP_PREFIX):
            yield f"{key} {name!r} is an RDS default group, where {_TLS} is OFF"
        return
    source = lookup(r.inputs, "replicateSourceDb")
    if r.is_replica and source is not UNKNOWN and not str(source).startswith("arn:"):
        # A same-Region replica without a group takes its source's (RDS API,
        # CreateDBInstanceReadReplica DBParameterGroupName); the source is checked itself.
        return
    if r.is_replica:
        yield (
            f"no {key} and replicateSourceDb is unknown or an ARN: a cross-Region replica gets "
            f"the default group, where {_TLS} is OFF"
        )
    else:
        yield f"no {key}: RDS uses its default group, where {_TLS} is OFF"


def prod_backups(r: Resource) -> Iterator[str]:
    if not r.is_primary_db or not r.is_production:
        return
    days = lookup(r.inputs, "backupRetentionPeriod")
    if days is UNKNOWN:
        yield unknown_message("backupRetentionPeriod")
        return
    try:
        kept = float(days or 0)
    except (TypeError, ValueError):
        yield f"backupRetentionPeriod {days!r} is not a number of days"
        return
    if kept < MIN_PROD_BACKUP_DAYS:
        yield f"backups kept {kept:g} days, prod keeps at least {MIN_PROD_BACKUP_DAYS}"


def prod_db_protected(r: Resource) -> Iterator[str]:
    if r.type not in DATABASES or not r.is_production:
        return
    protection = lookup(r.inputs, "deletionProtection")
    yield from required(protection, "deletionProtection", "deletionProtection is off on a prod database")
    if not r.protect:
        yield "a prod database is not protected (the protect resource option)"


def prod_multi_az(r: Resource) -> Iterator[str]:
    if r.type != RDS or not r.is_primary_db or not r.is_production:
        return
    yield from required(lookup(r.inputs, "multiAz"), "multiAz", "the prod primary is not Multi-AZ")


RULES: tuple[Rule, ...] = (
    Rule(
        "no-internet-ingress",
        "no ingress from the whole internet, also in pieces",
        MANDATORY,
        stack_check=no_internet_ingress,
    ),
    Rule("prod-db-private", "a prod database is never publicly accessible", MANDATORY, prod_db_private),
    Rule("db-storage-encrypted", "database storage is encrypted", MANDATORY, storage_encrypted),
    Rule("volumes-encrypted", "EC2 volumes are encrypted", MANDATORY, volumes_encrypted),
    Rule("imdsv2", "the host requires IMDSv2", MANDATORY, imdsv2),
    Rule("tls-required", "the parameter group requires TLS", MANDATORY, tls_required),
    Rule(
        "prod-db-protected",
        "prod databases have deletion protection and protect",
        MANDATORY,
        prod_db_protected,
    ),
    Rule("buckets-private", "every bucket blocks all public access", MANDATORY, stack_check=buckets_private),
    Rule(
        "buckets-encrypted", "every bucket encrypts with a KMS key", MANDATORY, stack_check=buckets_encrypted
    ),
    Rule("kms-rotation", "KMS keys rotate automatically", MANDATORY, key_rotation),
    Rule(
        "athena-enforced",
        "the Athena workgroup enforces encrypted results and a scan cutoff",
        MANDATORY,
        workgroup_enforced,
    ),
    Rule(
        "prod-backups", f"the prod primary keeps backups {MIN_PROD_BACKUP_DAYS}+ days", ADVISORY, prod_backups
    ),
    Rule("prod-multi-az", "the prod primary is Multi-AZ", ADVISORY, prod_multi_az),
)


@dataclass(frozen=True)
class Violation:
    rule: str
    enforcement: str
    message: str


def evaluate(resources: list[Resource], rules: Iterable[Rule] = RULES) -> list[Violation]:
    return [Violation(rule.name, rule.enforcement, m) for rule in rules for m in rule.violations(resources)]
