"""Alerts: RDS tells an SNS topic when an instance fails over, fails, runs low on storage or is
maintained, so a person learns that RDS acted by itself; an optional e-mail subscription.

- The topic keeps SNS's default access policy, which lets RDS in the same account publish to it
  (RDS User Guide, "Granting permissions to publish notifications to an Amazon SNS topic"). It is
  not encrypted with the AWS managed key ``alias/aws/sns``: RDS cannot publish to a topic under
  that key (its key policy admits no service principal); a customer managed key would cost
  USD 1 a month for notifications that carry no data.
- The subscription names its sources (the primary and every replica, or the Multi-AZ DB
  cluster); without ``source_ids`` it would cover every instance (or cluster) in the account.
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


@dataclass(frozen=True)
class AlertsArgs:
    source_ids: Sequence[pulumi.Input[str]]
    """The database's instances (db-instance) or its cluster (db-cluster)."""
    source_type: str
    event_categories: Sequence[str]
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
        if args.email:
            aws.sns.TopicSubscription(
                f"{name}-email", topic=topic.arn, protocol="email", endpoint=args.email, opts=child
            )
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
