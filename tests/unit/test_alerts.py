"""Alerts: RDS's failover, failure, low-storage and maintenance events reach an SNS topic (and an
e-mail address when one is set), for every instance of the stack and no other."""

from __future__ import annotations

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.settings import ConfigError
from mysql_platform.core import contract, outputs
from tests.support.pulumi_harness import ProgramRun, shared_run
from tests.support.stacks import ALERT_EMAIL, CLUSTER, FEATURES, TWO_REPLICAS

SUBSCRIPTION = "aws:rds/eventSubscription:EventSubscription"


def instances(r: ProgramRun) -> list[str]:
    return sorted(i.plain("identifier") for i in r.of_type("aws:rds/instance:Instance"))


@pytest.mark.parametrize(("stack", "overrides"), [("dev", {}), ("prod", {}), ("prod", TWO_REPLICAS)])
def test_every_instance_of_the_stack_reports_its_failovers(stack: str, overrides: dict[str, object]) -> None:
    r = shared_run(program, stack, overrides=overrides)
    (subscription,) = r.of_type(SUBSCRIPTION)
    assert subscription.plain("sourceType") == "db-instance"
    assert sorted(subscription.plain("sourceIds")) == instances(r)
    assert subscription.plain("eventCategories") == ["failover", "failure", "low storage", "maintenance"]
    assert subscription.plain("enabled") is True
    topic = r.one("aws:sns/topic:Topic", "alerts-topic")
    assert subscription.plain("snsTopic") == r.outputs_of(topic)["arn"]
    # No e-mail unless asked: the topic alone.
    assert r.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_the_contract_names_the_topic() -> None:
    r = shared_run(program, "prod")
    topic = r.one("aws:sns/topic:Topic", "alerts-topic")
    parsed = outputs.parse_outputs(r.exports)
    assert parsed.alerts is not None and parsed.alerts.topic_arn == r.outputs_of(topic)["arn"]
    assert parsed.to_dict()[contract.ALERTS] == r.exports[contract.ALERTS]


def test_an_alert_email_subscribes_to_the_topic() -> None:
    r = shared_run(program, "dev", overrides=FEATURES)
    (email,) = r.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert email.plain("protocol") == "email" and email.plain("endpoint") == ALERT_EMAIL
    assert email.plain("topic") == r.outputs_of(r.one("aws:sns/topic:Topic", "alerts-topic"))["arn"]


def test_the_topic_keeps_the_default_policy_and_no_aws_managed_key() -> None:
    # RDS publishes under SNS's default policy; it cannot publish to a topic under alias/aws/sns.
    topic = shared_run(program, "prod").one("aws:sns/topic:Topic", "alerts-topic")
    assert topic.plain("kmsMasterKeyId") is None and topic.plain("policy") is None


@pytest.mark.parametrize("bad", ["oncall", "a@b", "two@example.com,three@example.com", "x y@example.com"])
def test_a_bad_alert_email_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match=f"alertEmail: got {bad!r}; expected an e-mail address"):
        shared_run(program, "dev", overrides={"alertEmail": bad})


ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
GIB = 1024**3


@pytest.mark.parametrize(
    ("stack", "overrides", "gib"), [("dev", {}, 20), ("prod", {}, 50), ("prod", TWO_REPLICAS, 50)]
)
def test_every_instance_alarms_on_low_free_storage_to_the_topic(
    stack: str, overrides: dict[str, object], gib: int
) -> None:
    r = shared_run(program, stack, overrides=overrides)
    topic_arn = r.outputs_of(r.one("aws:sns/topic:Topic", "alerts-topic"))["arn"]
    alarms = r.of_type(ALARM)
    assert sorted(a.plain("dimensions")["DBInstanceIdentifier"] for a in alarms) == instances(r)
    for alarm in alarms:
        assert alarm.plain("namespace") == "AWS/RDS" and alarm.plain("metricName") == "FreeStorageSpace"
        assert alarm.plain("comparisonOperator") == "LessThanThreshold"
        assert alarm.plain("statistic") == "Minimum"
        # 20% of the allocated storage, in bytes (FreeStorageSpace's unit).
        assert alarm.plain("threshold") == float(int(gib * GIB * 0.2))
        assert alarm.plain("alarmActions") == [topic_arn] and alarm.plain("okActions") == [topic_arn]


def test_the_cluster_alarms_on_low_free_storage_of_each_member_instance() -> None:
    # AWS/RDS has no DBClusterIdentifier data for a (non-Aurora) Multi-AZ DB cluster: the alarms
    # watch its three instances by DBInstanceIdentifier, taken from the cluster's members.
    r = shared_run(program, "prod", overrides=CLUSTER)
    (cluster,) = r.of_type("aws:rds/cluster:Cluster")
    members = r.outputs_of(cluster)["clusterMembers"]
    alarms = r.of_type(ALARM)
    assert len(alarms) == 3 == len(members)
    assert sorted(a.plain("dimensions")["DBInstanceIdentifier"] for a in alarms) == sorted(members)
    assert all(list(a.plain("dimensions")) == ["DBInstanceIdentifier"] for a in alarms)
    storage = cluster.plain("allocatedStorage")
    topic_arn = r.outputs_of(r.one("aws:sns/topic:Topic", "alerts-topic"))["arn"]
    for alarm in alarms:
        assert alarm.plain("threshold") == float(int(storage * GIB * 0.2))
        assert alarm.plain("alarmActions") == [topic_arn]


@pytest.mark.parametrize(("stack", "overrides"), [("dev", {}), ("prod", TWO_REPLICAS), ("prod", CLUSTER)])
def test_a_storage_alarm_without_data_pages_instead_of_staying_silent(
    stack: str, overrides: dict[str, object]
) -> None:
    alarms = shared_run(program, stack, overrides=overrides).of_type(ALARM)
    assert alarms and all(a.plain("treatMissingData") == "breaching" for a in alarms)


@pytest.mark.parametrize("members", [[], ["a", "b"], ["a", "b", "c", "d"]])
def test_a_cluster_without_three_members_is_refused(members: list[str]) -> None:
    from mysql_platform.components.alerts import _three_members

    with pytest.raises(ValueError, match=r"cluster_members: got .*; expected the 3 DB instances"):
        _three_members(members)


def test_cluster_members_are_taken_in_sorted_order() -> None:
    from mysql_platform.components.alerts import _three_members

    assert _three_members(["c-2", "c-3", "c-1"]) == ["c-1", "c-2", "c-3"]


def test_rejects_an_allocated_storage_below_one_gib() -> None:
    from mysql_platform.components.alerts import free_storage_threshold_bytes

    with pytest.raises(ValueError, match="allocated_storage_gib: got 0; expected at least 1"):
        free_storage_threshold_bytes(0)
