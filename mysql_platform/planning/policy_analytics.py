"""The analytics stack's policy rules (``analyticsEnabled``): buckets private and SSE-KMS, keys
rotating, the Athena workgroup enforced. Part of :mod:`mysql_platform.planning.policy_rules`, which lists
them; an unknown value (preview) they decide on is a violation that says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mysql_platform.planning.policy_values import UNKNOWN, Unknown, items, lookup, required, unknown_message

if TYPE_CHECKING:
    from mysql_platform.planning.policy_rules import Resource

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
        flags = {k: lookup(b.inputs, k) for k in _PUBLIC_BLOCKS}
        unknown = [k for k, v in flags.items() if v is UNKNOWN]
        open_ = [k for k, v in flags.items() if v is not True and v is not UNKNOWN]
        if open_:
            yield f"{b.name}: public access not blocked: {', '.join(open_)}"
        if unknown:
            yield f"{b.name}: " + unknown_message(", ".join(unknown))
    if len(blocks) < len(buckets):
        yield f"{len(buckets)} buckets, {len(blocks)} public access blocks: every bucket blocks public access"


def buckets_encrypted(resources: list[Resource]) -> Iterator[str]:
    buckets = [r for r in resources if r.type == BUCKET]
    configs = [r for r in resources if r.type == BUCKET_ENCRYPTION]
    for c in configs:
        rules = items(lookup(c.inputs, "rules"))
        if isinstance(rules, Unknown):
            yield f"{c.name}: " + unknown_message("rules")
            continue
        for rule in rules:
            algorithm = lookup(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
            if algorithm is UNKNOWN:
                yield f"{c.name}: " + unknown_message("applyServerSideEncryptionByDefault.sseAlgorithm")
            elif algorithm != "aws:kms":
                yield f"{c.name}: encrypts with {algorithm!r}, not a KMS key (aws:kms)"
    if len(configs) < len(buckets):
        yield f"{len(buckets)} buckets, {len(configs)} encryption configurations: every bucket uses SSE-KMS"


def key_rotation(r: Resource) -> Iterator[str]:
    if r.type != KMS_KEY:
        return
    yield from required(
        lookup(r.inputs, "enableKeyRotation"), "enableKeyRotation", "automatic key rotation is off"
    )


def workgroup_enforced(r: Resource) -> Iterator[str]:
    if r.type != WORKGROUP:
        return
    config = ("configuration",)
    option = (*config, "resultConfiguration", "encryptionConfiguration", "encryptionOption")
    checks = (
        (
            (*config, "enforceWorkgroupConfiguration"),
            lambda v: v is True,
            "the workgroup does not enforce its configuration: a query could write results elsewhere",
        ),
        (option, bool, "query results are not encrypted"),
        (
            (*config, "bytesScannedCutoffPerQuery"),
            bool,
            "no per-query scan cutoff: one query may scan (and bill) any amount",
        ),
    )
    for path, holds, message in checks:
        yield from required(lookup(r.inputs, *path), ".".join(path), message, holds)
