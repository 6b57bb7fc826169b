"""The outputs' optional sections: analytics and alerts, parsed, refused and written back.

Written against the survivors of a mutation run (tests/mutation/). Pure: no Pulumi, no server.
"""

from __future__ import annotations

import dataclasses

import pytest

from mysql_platform.core import contract
from mysql_platform.core.contract import AlertsInfo, AnalyticsInfo
from mysql_platform.core.outputs import parse_outputs
from tests.support.outputs_samples import EXPECTED, error, raw

ANALYTICS = {
    "bucket": "mp-dev-exports",
    "export_prefix": "exports/",
    "export_role_arn": "arn:aws:iam::123456789012:role/export",
    "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/abc",
    "glue_database": "mp_dev",
    "crawler": "mp-dev-crawler",
    "workgroup": "mp-dev",
    "source_db_instance": "mp-dev-primary",
}
ALERTS = {"topic_arn": "arn:aws:sns:eu-west-1:123456789012:mp-dev-alerts"}


def test_parses_analytics_and_alerts_and_writes_them_back() -> None:
    parsed = parse_outputs(raw(analytics=ANALYTICS, alerts=ALERTS))
    assert parsed == dataclasses.replace(
        EXPECTED, analytics=AnalyticsInfo(**ANALYTICS), alerts=AlertsInfo(**ALERTS)
    )
    assert parsed.to_dict(reveal_secrets=True) == raw(analytics=ANALYTICS, alerts=ALERTS)
    assert list(parsed.to_dict()["analytics"]) == list(contract.ANALYTICS_KEYS)


def test_absent_sections_stay_absent() -> None:
    parsed = parse_outputs(raw())
    assert (parsed.analytics, parsed.alerts) == (None, None)
    assert "analytics" not in parsed.to_dict() and "alerts" not in parsed.to_dict()


def test_the_sections_to_dict() -> None:
    assert AnalyticsInfo(**ANALYTICS).to_dict() == ANALYTICS
    assert AlertsInfo(**ALERTS).to_dict() == ALERTS


@pytest.mark.parametrize("key", contract.ANALYTICS_KEYS)
def test_rejects_a_missing_or_empty_analytics_key(key: str) -> None:
    missing = {k: v for k, v in ANALYTICS.items() if k != key}
    assert error(raw(analytics=missing)) == f"outputs: missing key 'analytics.{key}'"
    assert error(raw(analytics={**ANALYTICS, key: ""})) == (
        f"outputs: key 'analytics.{key}' must be a non-empty string, got str \"\""
    )


def test_rejects_a_missing_or_empty_alerts_topic() -> None:
    assert error(raw(alerts={})) == "outputs: missing key 'alerts.topic_arn'"
    assert error(raw(alerts={"topic_arn": ""})) == (
        "outputs: key 'alerts.topic_arn' must be a non-empty string, got str \"\""
    )
    assert (
        error(raw(alerts={"topic_arn": 5}))
        == "outputs: key 'alerts.topic_arn' must be a non-empty string, got int 5"
    )


def test_rejects_sections_that_are_not_objects() -> None:
    assert error(raw(analytics=["x"])) == "outputs: key 'analytics' must be an object, got list"
    assert error(raw(alerts="x")) == "outputs: key 'alerts' must be an object, got str \"x\""
