"""The outputs contract: its key lists, and a Secret that never shows its value.

Written against the survivors of a mutation run (tests/mutation/). Pure: no Pulumi, no server.
"""

from __future__ import annotations

from mysql_platform.core import contract
from mysql_platform.core.contract import Secret
from tests.support.outputs_samples import EXPECTED, PASSWORD

# --- the contract -----------------------------------------------------------------------------


def test_contract_keys() -> None:
    assert contract.REQUIRED_KEYS == ("environment", "vpc_id", "host", "db", "db_password")
    assert contract.OPTIONAL_KEYS == ("proxy", "analytics", "alerts")
    assert contract.ALERTS_KEYS == ("topic_arn",)
    assert contract.ANALYTICS_KEYS == (
        "bucket", "export_prefix", "export_role_arn", "key_arn", "glue_database", "crawler", "workgroup",
        "source_db_instance",
    )  # fmt: skip
    assert contract.ENDPOINT_KEYS == ("host", "port")
    assert contract.PROXY_KEYS == ("host", "writer_port", "reader_port")
    assert contract.HOST_KEYS == ("instance_id", "public_ip", "public_dns", "ssh_user")
    assert list(EXPECTED.db.to_dict()) == list(contract.DB_KEYS)


def test_secret_never_shows_itself() -> None:
    secret = Secret(PASSWORD)
    assert repr(secret) == "Secret('********')"
    assert str(secret) == "Secret('********')"
    assert f"{secret}" == "Secret('********')"
    assert PASSWORD not in repr(EXPECTED)
    assert secret.reveal() == PASSWORD


def test_secret_equality_and_hash_follow_the_value() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert hash(Secret("a")) == hash("a")
    assert len({Secret("a"), Secret("a"), Secret("b")}) == 2


def test_analytics_to_dict_adds_the_spectrum_keys_only_when_set() -> None:
    assert contract.ANALYTICS_OPTIONAL_KEYS == ("spectrum_role_arn", "spectrum_schema_sql")
    base = {k: f"v-{k}" for k in contract.ANALYTICS_KEYS}
    assert contract.AnalyticsInfo(**base).to_dict() == base
    role = {"spectrum_role_arn": "arn:aws:iam::123456789012:role/r"}
    assert contract.AnalyticsInfo(**base, **role).to_dict() == {**base, **role}
    both = {**role, "spectrum_schema_sql": "CREATE EXTERNAL SCHEMA x;"}
    assert list(contract.AnalyticsInfo(**base, **both).to_dict().items()) == [*base.items(), *both.items()]
