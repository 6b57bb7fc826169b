"""Inputs AWS fills in when the program leaves them unset, and the provider reads back without
marking them computed: every later ``pulumi up`` then diffs what AWS reports against the unset
input, unless the resource ignores changes to it.

The plan has no cloud state, so :mod:`mysql_platform.planning.predict` uses this table to say what the
next ``up`` of an existing resource shows beyond the changed inputs. Each entry names its source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mysql_platform.planning.plan import PlannedResource


@dataclass(frozen=True)
class ReadBack:
    type: str
    prop: str  # Pulumi input name
    source: str
    # Whether AWS fills the input in, given the resource's inputs.
    applies: Callable[[Mapping[str, object]], bool]


READ_BACKS: tuple[ReadBack, ...] = (
    ReadBack(
        "aws:rds/cluster:Cluster",
        "iops",
        # AWS reports gp3's baseline IOPS (3,000 under 400 GiB, 12,000 from 400 GiB); iops is
        # Optional and not Computed in the provider's schema, and resourceClusterRead sets it from
        # DescribeDBClusters, so the plan shows "iops 3000 -> null" at every run.
        "hashicorp/terraform-provider-aws internal/service/rds/cluster.go (iops: Optional, not "
        "Computed); issues 41203 and 43442",
        lambda inputs: inputs.get("storageType") == "gp3" and inputs.get("iops") is None,
    ),
)


def endless_diffs(resource: PlannedResource) -> tuple[str, ...]:
    """The inputs of ``resource`` that the next ``up`` would show changed although nothing changed."""
    return tuple(
        r.prop
        for r in READ_BACKS
        if r.type == resource.type and r.prop not in resource.ignore_changes and r.applies(resource.inputs)
    )
