"""The stack's policy rules as plain functions: the plan runs them, the unit tests run them on dev
and prod, and the CrossGuard pack in ``policy/`` runs the same functions under
``pulumi preview --policy-pack policy``.

Each rule looks at resources as the engine sees them: a type token, the inputs (Pulumi's camelCase
names) and whether the resource is protected. "Prod" is the ``environment`` tag the program puts
on every resource. Enforcement, per rule: mandatory rules guard security and data (a violation
stops the plan with exit 4, and ``pulumi preview`` with the pack); advisory ones guard
availability and cost trade-offs a stack may make on purpose (reported, not blocking).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

MANDATORY = "mandatory"
ADVISORY = "advisory"
RDS = "aws:rds/instance:Instance"
# A Multi-AZ DB cluster: a database of its own, Multi-AZ by construction.
CLUSTER = "aws:rds/cluster:Cluster"
DATABASES = (RDS, CLUSTER)
EC2 = "aws:ec2/instance:Instance"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
PARAMETER_GROUPS = (PARAMETER_GROUP, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
PROD = "prod"
MIN_PROD_BACKUP_DAYS = 7


@dataclass(frozen=True)
class Resource:
    """What a rule sees of one resource."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False

    @property
    def environment(self) -> str:
        tags = self.inputs.get("tags") or {}
        return str(tags.get("environment", "")) if isinstance(tags, Mapping) else ""

    @property
    def is_primary_db(self) -> bool:
        return self.type == CLUSTER or (self.type == RDS and not self.inputs.get("replicateSourceDb"))


Check = Callable[[Resource], Iterable[str]]
StackCheck = Callable[[list[Resource]], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    enforcement: str
    check: Check | None = None  # per resource
    stack_check: StackCheck | None = None  # over all resources at once

    def violations(self, resources: list[Resource]) -> list[str]:
        if self.stack_check is not None:
            return list(self.stack_check(resources))
        assert self.check is not None
        return [f"{r.name}: {message}" for r in resources for message in self.check(r)]


# --- the rules ------------------------------------------------------------------------------------

_INTERNET = [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]


def _covers_the_internet(cidrs: Iterable[str]) -> bool:
    """True if the CIDRs together are all addresses of a family (``0.0.0.0/1`` + ``128.0.0.0/1``)."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    for internet in _INTERNET:
        same = [n for n in nets if n.version == internet.version]
        if same and internet in ipaddress.collapse_addresses(same):  # type: ignore[type-var]
            return True
    return False


def no_internet_ingress(resources: list[Resource]) -> Iterator[str]:
    by_group: dict[tuple[Any, Any, Any], list[str]] = {}
    for r in resources:
        if r.type != INGRESS:
            continue
        cidr = r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6")
        if cidr:
            key = (r.inputs.get("securityGroupId"), r.inputs.get("fromPort"), r.inputs.get("toPort"))
            by_group.setdefault(key, []).append(str(cidr))
    for (group, low, high), cidrs in sorted(by_group.items(), key=str):
        if _covers_the_internet(cidrs):
            sources = ", ".join(cidrs)
            yield f"security group {group} admits the whole internet on ports {low}-{high} ({sources})"


def prod_db_private(r: Resource) -> Iterator[str]:
    if r.type in DATABASES and r.environment == PROD and r.inputs.get("publiclyAccessible") is True:
        yield "a prod database is publicly accessible"


def storage_encrypted(r: Resource) -> Iterator[str]:
    # A read replica takes its encryption from its source (RDS: a replica of an encrypted
    # instance is encrypted with it), so the primaries carry the setting.
    if r.is_primary_db and r.inputs.get("storageEncrypted") is not True:
        yield "storageEncrypted is not true"


def volumes_encrypted(r: Resource) -> Iterator[str]:
    if r.type == EC2 and (r.inputs.get("rootBlockDevice") or {}).get("encrypted") is not True:
        yield "the root volume is not encrypted"


def imdsv2(r: Resource) -> Iterator[str]:
    if r.type == EC2 and (r.inputs.get("metadataOptions") or {}).get("httpTokens") != "required":
        yield "instance metadata does not require IMDSv2 tokens (metadataOptions.httpTokens)"


def tls_required(r: Resource) -> Iterator[str]:
    if r.type not in PARAMETER_GROUPS:
        return
    values = {p.get("name"): str(p.get("value")).upper() for p in r.inputs.get("parameters") or []}
    if values.get("require_secure_transport") not in ("ON", "1"):
        yield "require_secure_transport is not ON: clients may connect without TLS"


def prod_backups(r: Resource) -> Iterator[str]:
    if r.is_primary_db and r.environment == PROD:
        days = r.inputs.get("backupRetentionPeriod") or 0
        if days < MIN_PROD_BACKUP_DAYS:
            yield f"backups kept {days} days, prod keeps at least {MIN_PROD_BACKUP_DAYS}"


def prod_db_protected(r: Resource) -> Iterator[str]:
    if r.type in DATABASES and r.environment == PROD:
        if r.inputs.get("deletionProtection") is not True:
            yield "deletionProtection is off on a prod database"
        if not r.protect:
            yield "a prod database is not protected (the protect resource option)"


def prod_multi_az(r: Resource) -> Iterator[str]:
    if r.type == RDS and r.is_primary_db and r.environment == PROD and r.inputs.get("multiAz") is not True:
        yield "the prod primary is not Multi-AZ"


BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
KMS_KEY = "aws:kms/key:Key"
WORKGROUP = "aws:athena/workgroup:Workgroup"
_PUBLIC_BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def buckets_private(resources: list[Resource]) -> Iterator[str]:
    # References are unknown to CrossGuard at preview, so every bucket must have a block of its own:
    # as many complete blocks as buckets.
    buckets = [r for r in resources if r.type == BUCKET]
    blocks = [r for r in resources if r.type == PUBLIC_ACCESS_BLOCK]
    for b in blocks:
        open_ = [k for k in _PUBLIC_BLOCKS if b.inputs.get(k) is not True]
        if open_:
            yield f"{b.name}: public access not blocked: {', '.join(open_)}"
    if len(blocks) < len(buckets):
        yield f"{len(buckets)} buckets, {len(blocks)} public access blocks: every bucket blocks public access"


def buckets_encrypted(resources: list[Resource]) -> Iterator[str]:
    buckets = [r for r in resources if r.type == BUCKET]
    configs = [r for r in resources if r.type == BUCKET_ENCRYPTION]
    for c in configs:
        for rule in c.inputs.get("rules") or []:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if default.get("sseAlgorithm") != "aws:kms":
                yield f"{c.name}: encrypts with {default.get('sseAlgorithm')!r}, not a KMS key (aws:kms)"
    if len(configs) < len(buckets):
        yield f"{len(buckets)} buckets, {len(configs)} encryption configurations: every bucket uses SSE-KMS"


def key_rotation(r: Resource) -> Iterator[str]:
    if r.type == KMS_KEY and r.inputs.get("enableKeyRotation") is not True:
        yield "automatic key rotation is off"


def workgroup_enforced(r: Resource) -> Iterator[str]:
    if r.type != WORKGROUP:
        return
    config = r.inputs.get("configuration") or {}
    if config.get("enforceWorkgroupConfiguration") is not True:
        yield "the workgroup does not enforce its configuration: a query could write results elsewhere"
    encryption = (config.get("resultConfiguration") or {}).get("encryptionConfiguration") or {}
    if not encryption.get("encryptionOption"):
        yield "query results are not encrypted"
    if not config.get("bytesScannedCutoffPerQuery"):
        yield "no per-query scan cutoff: one query may scan (and bill) any amount"


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
