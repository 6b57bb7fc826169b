"""Alerts: RDS tells an SNS topic when an instance fails over, fails, runs low on storage or is
maintained, so a person learns that RDS acted by itself; an optional e-mail subscription.

- The topic keeps SNS's default access policy, which lets RDS in the same account publish to it
  (RDS User Guide, "Granting permissions to publish notifications to an Amazon SNS topic"). It is
  not encrypted with the AWS managed key ``alias/aws/sns``: RDS cannot publish to a topic under
  that key (its key policy admits no service principal); a customer managed key would cost
  USD 1 a month for notifications that carry no data.
- The subscription names its sources (the primary and every replica, or the Multi-AZ DB
  cluster); without ``source_ids`` it would cover every instance (or cluster) in the account.
- Low storage: a CloudWatch alarm per DB instance on ``FreeStorageSpace`` (namespace AWS/RDS,
  dimension ``DBInstanceIdentifier``) sends to the same topic. For RDS (not Aurora) the AWS/RDS
  dimensions are DBInstanceIdentifier, DatabaseClass, EngineName and SourceRegion (RDS User Guide,
  "Amazon CloudWatch dimensions for Amazon RDS", dimensions.md); ``DBClusterIdentifier`` is an
  Aurora dimension, so an alarm on it for a Multi-AZ DB cluster would get no data. The cluster
  therefore gets one alarm per member instance: its ``cluster_members`` (terraform-provider-aws
  internal/service/rds/cluster.go: a computed set of instance identifiers that resourceClusterRead
  fills from DescribeDBClusters' DBClusterMembers), which for a Multi-AZ DB cluster are always
  three, a writer and two readable standbys. The cluster needs it most: a Multi-AZ DB cluster has
  no storage autoscaling, and the "low storage" event category (RDS-EVENT-0089 "consumed more than
  90%", RDS-EVENT-0007 "allocated storage has been exhausted") is a DB instance category; the User
  Guide's DB cluster event table (USER_Events.Messages) lists none for storage. Instances get the
  alarm too, earlier than the event.
- Missing data is breaching (``treat_missing_data="breaching"``), so an alarm that watches nothing
  (a wrong dimension, an identifier that no longer exists) goes to ALARM and pages. An
  ``insufficient_data_actions`` would not: a new alarm starts in INSUFFICIENT_DATA and CloudWatch
  acts only on a state change (Application Auto Scaling guide, "Monitor with CloudWatch alarms":
  INSUFFICIENT_DATA "is the initial state of a new alarm"; an alarm "invokes one or more actions
  only when the alarm state changes"), so an alarm that never got data would never notify.
  RDS sends FreeStorageSpace every minute while an instance runs, so data goes missing only when
  the instance is stopped, being replaced or gone: all worth a message.
- An e-mail subscription stays "pending confirmation" until the address clicks the link AWS
  sends; the provider cannot delete a pending one, it only forgets it (terraform-provider-aws,
  ``aws_sns_topic_subscription``: email is "partially supported").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

TOKEN = "mysql-platform:alerts:Alerts"
# Alarm when less than this share of the allocated storage is free. 20%: RDS's own low-storage
# event comes at 10% free and so does storage autoscaling (RDS User Guide, "Managing capacity
# automatically with Amazon RDS storage autoscaling"), so the alarm is the earlier warning, while
# growing storage by hand is still calm (a storage change allows the next one only after six hours
# or the end of the storage optimization, whichever is longer). The threshold is in bytes of the
# configured size: after autoscaling grows an instance, it fires later in relative terms.
FREE_STORAGE_ALARM_FRACTION = 0.2
GIB = 1024**3
# Five-minute minimum, twice in a row: one dip (a large temporary table) does not page anybody.
ALARM_PERIOD_SECONDS = 300
ALARM_EVALUATION_PERIODS = 2
SOURCE_TYPES = ("db-cluster", "db-instance")
# A Multi-AZ DB cluster has one writer and two readable standbys (RDS User Guide, "Multi-AZ DB
# cluster deployments").
MULTI_AZ_CLUSTER_MEMBERS = 3


@dataclass(frozen=True)
class AlertsArgs:
    source_ids: Sequence[pulumi.Input[str]]
    """The database's instances (db-instance) or its cluster (db-cluster)."""
    source_type: str
    event_categories: Sequence[str]
    storage_instance_ids: Sequence[pulumi.Input[str]]
    """The DB instances whose FreeStorageSpace is watched: the sources, or a cluster's members."""
    allocated_storage_gib: int
    """Storage of each source (a cluster's is per instance), for the low-storage alarm."""
    email: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)


class Alerts(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(f"{name}-topic", tags=dict(args.tags), opts=child)
        aws.rds.EventSubscription(
            f"{name}-db-events",
            sns_topic=topic.arn,
            source_type=args.source_type,
            source_ids=list(args.source_ids),
            event_categories=list(args.event_categories),
            enabled=True,
            tags=dict(args.tags),
            opts=child,
        )
        self._storage_alarms(name, args, topic)
        if args.email:
            aws.sns.TopicSubscription(
                f"{name}-email", topic=topic.arn, protocol="email", endpoint=args.email, opts=child
            )
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})

    def _storage_alarms(self, name: str, args: AlertsArgs, topic: aws.sns.Topic) -> None:
        if args.source_type not in SOURCE_TYPES:
            raise ValueError(f"source_type: got {args.source_type!r}; expected one of {list(SOURCE_TYPES)}")
        threshold = free_storage_threshold_bytes(args.allocated_storage_gib)
        for i, instance_id in enumerate(args.storage_instance_ids):
            aws.cloudwatch.MetricAlarm(
                f"{name}-low-storage-{i + 1}",
                alarm_description=f"Less than {FREE_STORAGE_ALARM_FRACTION:.0%} of "
                f"{args.allocated_storage_gib} GiB free, or no FreeStorageSpace data",
                namespace="AWS/RDS",
                metric_name="FreeStorageSpace",
                dimensions={"DBInstanceIdentifier": instance_id},
                # The lowest of the period.
                statistic="Minimum",
                period=ALARM_PERIOD_SECONDS,
                evaluation_periods=ALARM_EVALUATION_PERIODS,
                comparison_operator="LessThanThreshold",
                threshold=threshold,
                # See the module docstring: an alarm without data must not stay silent.
                treat_missing_data="breaching",
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )


def free_storage_threshold_bytes(allocated_storage_gib: int) -> float:
    """FreeStorageSpace is in bytes; the alarm fires below this share of the allocated storage."""
    if allocated_storage_gib < 1:
        raise ValueError(f"allocated_storage_gib: got {allocated_storage_gib}; expected at least 1")
    return float(int(allocated_storage_gib * GIB * FREE_STORAGE_ALARM_FRACTION))


def cluster_member_ids(members: pulumi.Input[Sequence[str]]) -> list[pulumi.Output[str]]:
    """The Multi-AZ DB cluster's three instance identifiers, sorted, one output each.

    Sorted: the set's order is not the writer first, and a failover swaps roles, not identifiers,
    so each alarm keeps its instance. Unknown in a preview of a new cluster; the alarms are
    registered all the same.
    """
    members_out = pulumi.Output.from_input(members).apply(_three_members)
    return [members_out.apply(_nth(i)) for i in range(MULTI_AZ_CLUSTER_MEMBERS)]


def _nth(i: int) -> Callable[[list[str]], str]:
    return lambda members: members[i]


def _three_members(members: Sequence[str] | None) -> list[str]:
    found = sorted(members or [])
    if len(found) != MULTI_AZ_CLUSTER_MEMBERS:
        raise ValueError(
            f"cluster_members: got {found}; expected the {MULTI_AZ_CLUSTER_MEMBERS} DB instances "
            "of a Multi-AZ DB cluster"
        )
    return found
