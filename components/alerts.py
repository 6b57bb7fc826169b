"""Alerts: RDS tells an SNS topic when an instance fails over, fails, runs low on storage or is
maintained, so a person learns that RDS acted by itself; an optional e-mail subscription.

- The topic keeps SNS's default access policy, which lets RDS in the same account publish to it
  (RDS User Guide, "Granting permissions to publish notifications to an Amazon SNS topic"). It is
  not encrypted with the AWS managed key ``alias/aws/sns``: RDS cannot publish to a topic under
  that key (its key policy admits no service principal); a customer managed key would cost
  USD 1 a month for notifications that carry no data.
- The subscription names its sources (the primary and every replica, or the Multi-AZ DB
  cluster); without ``source_ids`` it would cover every instance (or cluster) in the account.
- Low storage: a CloudWatch alarm per source on ``FreeStorageSpace`` (namespace AWS/RDS; dimension
  ``DBInstanceIdentifier`` for an instance, ``DBClusterIdentifier`` for a Multi-AZ DB cluster, as
  aws-cdk-lib's generated RDS metrics declare both) sends to the same topic. The cluster needs it
  most: a Multi-AZ DB cluster has no storage autoscaling, and the "low storage" event category
  (RDS-EVENT-0089 "consumed more than 90%", RDS-EVENT-0007 "allocated storage has been
  exhausted") is a DB instance category; the User Guide's DB cluster event table
  (USER_Events.Messages) lists none for storage. Instances get the alarm too, earlier than the event.
- An e-mail subscription stays "pending confirmation" until the address clicks the link AWS
  sends; the provider cannot delete a pending one, it only forgets it (terraform-provider-aws,
  ``aws_sns_topic_subscription``: email is "partially supported").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
DIMENSION_BY_SOURCE_TYPE = {"db-instance": "DBInstanceIdentifier", "db-cluster": "DBClusterIdentifier"}


@dataclass(frozen=True)
class AlertsArgs:
    source_ids: Sequence[pulumi.Input[str]]
    """The database's instances (db-instance) or its cluster (db-cluster)."""
    source_type: str
    event_categories: Sequence[str]
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
        dimension = DIMENSION_BY_SOURCE_TYPE.get(args.source_type)
        if dimension is None:
            raise ValueError(
                f"source_type: got {args.source_type!r}; expected one of {sorted(DIMENSION_BY_SOURCE_TYPE)}"
            )
        threshold = free_storage_threshold_bytes(args.allocated_storage_gib)
        for i, source in enumerate(args.source_ids):
            aws.cloudwatch.MetricAlarm(
                f"{name}-low-storage-{i + 1}",
                alarm_description=f"Less than {FREE_STORAGE_ALARM_FRACTION:.0%} of "
                f"{args.allocated_storage_gib} GiB free",
                namespace="AWS/RDS",
                metric_name="FreeStorageSpace",
                dimensions={dimension: source},
                # The lowest of the period: for a cluster, the fullest of its instances.
                statistic="Minimum",
                period=ALARM_PERIOD_SECONDS,
                evaluation_periods=ALARM_EVALUATION_PERIODS,
                comparison_operator="LessThanThreshold",
                threshold=threshold,
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
