"""The outputs parser on good input: every field, the round trip, absent optional keys, the
boundary values, and the Automation API's map of output values.

Written against the survivors of a mutation run (tests/mutation/). Pure: no Pulumi, no server.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mysql_platform.core import contract, outputs
from mysql_platform.core.contract import Endpoint, HostInfo, ProxyInfo
from mysql_platform.core.outputs import parse_outputs
from tests.support.outputs_samples import EXPECTED, PASSWORD, raw, with_db

# --- the happy paths --------------------------------------------------------------------------


def test_parses_every_field() -> None:
    parsed = parse_outputs(raw())
    assert parsed == EXPECTED
    assert parsed.db_password.reveal() == PASSWORD


def test_to_dict_with_secrets_round_trips_to_the_input() -> None:
    parsed = parse_outputs(raw())
    assert parsed.to_dict(reveal_secrets=True) == raw()
    assert parse_outputs(parsed.to_dict(reveal_secrets=True)) == parsed


def test_to_dict_masks_the_password_by_default() -> None:
    shown = parse_outputs(raw()).to_dict()
    assert shown == {**raw(), "db_password": "[secret]"}
    assert PASSWORD not in json.dumps(shown)


def test_optional_keys_absent_stay_absent() -> None:
    parsed = parse_outputs(raw(proxy=None, ssl_ca=None))
    assert parsed.proxy is None
    assert parsed.ssl_ca is None
    assert parsed.to_dict(reveal_secrets=True) == raw(proxy=None, ssl_ca=None)


def test_null_proxy_and_ssl_ca_mean_absent() -> None:
    data = raw()
    data["proxy"] = None
    data["ssl_ca"] = None
    parsed = parse_outputs(data)
    assert (parsed.proxy, parsed.ssl_ca) == (None, None)


def test_accepts_boundary_values() -> None:
    data = with_db(
        writer={"host": "w", "port": 1},
        readers=[],
        engine_version="",
        database="",
        publicly_accessible=False,
        multi_az=True,
    )
    data["proxy"] = {"host": "p", "writer_port": 65535, "reader_port": 1}
    data["environment"] = "9" + "a" * 99
    data["host"] = {k: "" for k in contract.HOST_KEYS}
    parsed = parse_outputs(data)
    assert parsed.db.writer == Endpoint("w", 1)
    assert parsed.db.readers == ()
    assert (parsed.db.engine_version, parsed.db.database) == ("", "")
    assert (parsed.db.publicly_accessible, parsed.db.multi_az) == (False, True)
    assert parsed.proxy == ProxyInfo("p", 65535, 1)
    assert parsed.environment == "9" + "a" * 99
    assert parsed.host == HostInfo("", "", "", "")


@pytest.mark.parametrize("name", ["dev", "prod-eu.1", "Local_2", "a"])
def test_accepts_stack_names(name: str) -> None:
    assert parse_outputs(raw(environment=name)).environment == name


# --- the Automation API's map -----------------------------------------------------------------


class OutputValue:
    def __init__(self, value: Any, secret: bool = False) -> None:
        self.value = value
        self.secret = secret


def test_unwraps_automation_output_values() -> None:
    wrapped = {k: OutputValue(copy.deepcopy(v), secret=k == "db_password") for k, v in raw().items()}
    assert outputs.from_automation(wrapped) == EXPECTED
    assert outputs.load(wrapped) == EXPECTED


def test_a_plain_mapping_is_parsed_as_is() -> None:
    assert outputs.load(raw()) == EXPECTED


def test_outputs_of_a_stack_made_before_the_topology_key_are_an_instance() -> None:
    data = raw()
    data["db"].pop("topology", None)
    assert parse_outputs(data).db.topology == "instance"


def test_a_cluster_topology_comes_back() -> None:
    data = raw()
    data["db"]["topology"] = "multi-az-cluster"
    parsed = parse_outputs(data)
    assert parsed.db.topology == "multi-az-cluster"
    assert parsed.db.to_dict()["topology"] == "multi-az-cluster"
