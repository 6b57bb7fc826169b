"""Alerts: RDS's failover, failure, low-storage and maintenance events reach an SNS topic (and an
e-mail address when one is set), for every instance of the stack and no other."""

from __future__ import annotations

import pytest

from components.program import program
from components.settings import ConfigError
from mysql_platform_core import contract, outputs
from tests.support.pulumi_harness import ProgramRun, shared_run
from tests.support.stacks import ALERT_EMAIL, FEATURES, TWO_REPLICAS

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
