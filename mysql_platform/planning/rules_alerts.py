"""Replace-only inputs of the alerting resources: the SNS topic, its e-mail subscription, the
RDS event subscription and the low-storage CloudWatch alarms.

unverified: the index stores v6 source for the topic only; the two subscriptions were read at v5
commits. The v6 changelog lists no schema change for them beyond resource identity, and every
v6 resource also has ``region``, replaced on change (forceNewIfRegionChanges) and not set here.
"""

from __future__ import annotations

from mysql_platform.planning.rules_types import AWS, AWS_VIA, TypeRules

_SNS = f"{AWS} internal/service/sns"
_RDS = f"{AWS} internal/service/rds"
_FEEDBACK = frozenset(
    f"{kind}{outcome}"
    for kind in ("application", "firehose", "http", "lambda", "sqs")
    for outcome in ("FailureFeedbackRoleArn", "SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate")
)

ALERTS: dict[str, TypeRules] = {
    "aws:sns/topic:Topic": TypeRules(
        source=f"{_SNS}/topic.go resourceTopic() (v6 @00a35305, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # name: Optional+Computed, ForceNew (Pulumi auto-names it)
                "namePrefix",  # name_prefix: ForceNew
                "fifoTopic",  # fifo_topic: ForceNew
                "region",  # every v6 resource: forceNewIfRegionChanges
            }
        ),
        updatable=frozenset(
            {
                "tags",  # SetTopicAttributes and the tagging API: in place
                "displayName",
                "kmsMasterKeyId",
                "deliveryPolicy",
                "archivePolicy",
                "contentBasedDeduplication",
                "policy",
                "signatureVersion",
                "tracingConfig",
                "fifoThroughputScope",
                *_FEEDBACK,
            }
        ),
    ),
    "aws:sns/topicSubscription:TopicSubscription": TypeRules(
        source=f"{_SNS}/topic_subscription.go resourceTopicSubscription() (v5 @04a2e6e5, {AWS_VIA})",
        replace_only=frozenset(
            {
                "topic",  # topic_arn: Required, ForceNew
                "protocol",  # protocol: Required, ForceNew
                "endpoint",  # endpoint: Required, ForceNew (a new address is a new subscription)
                "region",
            }
        ),
        updatable=frozenset(
            {
                "deliveryPolicy",  # SetSubscriptionAttributes: in place
                "filterPolicy",
                "filterPolicyScope",
                "rawMessageDelivery",
                "redrivePolicy",
                "replayPolicy",
                "subscriptionRoleArn",
                # Provider-side only, never sent to AWS:
                "confirmationTimeoutInMinutes",
                "endpointAutoConfirms",
            }
        ),
    ),
    "aws:rds/eventSubscription:EventSubscription": TypeRules(
        source=f"{_RDS}/event_subscription.go resourceEventSubscription() (v5 @03e17e19, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # name: Optional+Computed, ForceNew
                "namePrefix",  # name_prefix: ForceNew
                "region",
            }
        ),
        updatable=frozenset(
            {
                "snsTopic",  # ModifyEventSubscription (SnsTopicArn)
                "sourceType",  # ModifyEventSubscription
                "eventCategories",  # ModifyEventSubscription
                "enabled",  # ModifyEventSubscription (always sent)
                "sourceIds",  # Add/RemoveSourceIdentifierToSubscription, one id at a time
                "tags",
            }
        ),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": TypeRules(
        # The low-storage alarms. Create and Update both send PutMetricAlarm; Delete DeleteAlarms.
        source=f"{AWS} internal/service/cloudwatch/metric_alarm.go resourceMetricAlarm() "
        f"(stored copy @055611a6, {AWS_VIA})",
        replace_only=frozenset(
            {
                "name",  # alarm_name: Required, ForceNew (Pulumi auto-names it)
                "region",
            }
        ),
        updatable=frozenset(
            {
                "actionsEnabled",
                "alarmActions",
                "alarmDescription",
                "comparisonOperator",
                "datapointsToAlarm",
                "dimensions",
                "evaluateLowSampleCountPercentiles",
                "evaluationPeriods",
                "extendedStatistic",
                "insufficientDataActions",
                "metricName",
                "metricQueries",
                "namespace",
                "okActions",
                "period",
                "statistic",
                "tags",
                "threshold",
                "thresholdMetricId",
                "treatMissingData",
                "unit",
            }
        ),
    ),
}
