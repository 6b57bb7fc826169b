"""Names of RDS instances fixed before they exist: identifier, final snapshot, log groups.

The identifier is ``<prefix>-<8 hex>`` from a ``random.RandomId``. Knowing it up front lets the
log groups exist (with a retention) before RDS starts exporting, and makes the final snapshot
name unique per instance: a snapshot identifier is unique in the account and region, so a
fixed one makes the second deletion fail with DBSnapshotAlreadyExists.

The RandomId's keepers are the instance's replace-only inputs (ForceNew in the provider's
``aws_db_instance`` schema: db_name, username, storage_encrypted, engine). When one changes,
the suffix changes with it, so the replacement gets a new identifier and a new snapshot name
and Pulumi can create it before deleting the old one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

MAX_IDENTIFIER = 63  # RDS DB instance identifier limit
MAX_CLUSTER_IDENTIFIER = 52  # RDS for MySQL DB cluster identifier limit (CreateDBCluster)
SUFFIX_BYTES = 4  # 8 hex characters


@dataclass(frozen=True)
class InstanceIdentity:
    identifier: pulumi.Output[str]
    final_snapshot_identifier: pulumi.Output[str]


def identifier_prefix(*parts: str, limit: int = MAX_IDENTIFIER) -> str:
    """An RDS-valid prefix: letters, digits and single hyphens, starting with a letter."""
    text = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    if not text or not text[0].isalpha():
        text = f"db-{text}".rstrip("-")
    # Room for "-" + 8 hex + "-final" is not needed in the identifier itself (63), but the
    # snapshot name has the same limit (255), so only the identifier bounds the prefix.
    return text[: limit - 1 - 2 * SUFFIX_BYTES].rstrip("-")


def instance_identity(
    name: str, prefix: str, keepers: Mapping[str, str], parent: pulumi.Resource
) -> InstanceIdentity:
    suffix = random.RandomId(
        f"{name}-suffix",
        byte_length=SUFFIX_BYTES,
        keepers=dict(keepers),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    identifier = suffix.hex.apply(lambda h: f"{prefix}-{h}")
    return InstanceIdentity(identifier, identifier.apply(lambda i: f"{i}-final"))


def log_groups(
    name: str,
    identifier: pulumi.Output[str],
    log_exports: Sequence[str],
    retention_days: int,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    kind: str = "instance",
) -> list[aws.cloudwatch.LogGroup]:
    """The groups RDS exports into, created first so they carry a retention.

    RDS would otherwise create ``/aws/rds/<kind>/<id>/<type>`` itself with no expiry (``kind``:
    ``instance``, or ``cluster`` for a DB cluster).
    ``retain_on_delete``: logs outlive a deleted instance for their retention period.
    """
    return [
        aws.cloudwatch.LogGroup(
            f"{name}-log-{log_type}",
            name=pulumi.Output.concat(f"/aws/rds/{kind}/", identifier, "/", log_type),
            retention_in_days=retention_days,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=True),
        )
        for log_type in log_exports
    ]
