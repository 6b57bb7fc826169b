"""The outputs contract and its parser: every source, every bad type, the exact messages, a round trip.

Written against the survivors of a mutation run (tests/mutation/). Pure: no Pulumi, no server.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mysql_platform_core import contract, outputs
from mysql_platform_core.contract import DbInfo, Endpoint, HostInfo, ProxyInfo, Secret, StackOutputs
from mysql_platform_core.outputs import OutputsError, parse_outputs

PASSWORD = "s3cr3t-Pa55word"


def raw(**changes: Any) -> dict[str, Any]:
    """A complete CLI-style outputs document; ``changes`` replaces top-level keys (None removes)."""
    data: dict[str, Any] = {
        "environment": "dev",
        "vpc_id": "vpc-0abc",
        "host": {
            "instance_id": "i-0123",
            "public_ip": "198.51.100.7",
            "public_dns": "ec2-198-51-100-7.compute.amazonaws.com",
            "ssh_user": "ec2-user",
        },
        "db": {
            "engine": "mysql",
            "engine_version": "8.4.3",
            "writer": {"host": "primary.rds.example", "port": 3306},
            "readers": [{"host": "replica-1.rds.example", "port": 3306}, {"host": "10.0.2.5", "port": 3307}],
            "database": "app",
            "username": "admin",
            "publicly_accessible": True,
            "multi_az": False,
        },
        "db_password": PASSWORD,
        "proxy": {"host": "10.0.1.20", "writer_port": 6033, "reader_port": 6034},
        "ssl_ca": "/var/lib/mysql-platform/ca.pem",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


def with_db(**changes: Any) -> dict[str, Any]:
    data = raw()
    for key, value in changes.items():
        if value is None:
            data["db"].pop(key)
        else:
            data["db"][key] = value
    return data


def error(data: Any) -> str:
    with pytest.raises(OutputsError) as info:
        parse_outputs(data)
    message = str(info.value)
    assert PASSWORD not in message
    return message


EXPECTED = StackOutputs(
    environment="dev",
    vpc_id="vpc-0abc",
    host=HostInfo("i-0123", "198.51.100.7", "ec2-198-51-100-7.compute.amazonaws.com", "ec2-user"),
    db=DbInfo(
        engine="mysql",
        engine_version="8.4.3",
        writer=Endpoint("primary.rds.example", 3306),
        readers=(Endpoint("replica-1.rds.example", 3306), Endpoint("10.0.2.5", 3307)),
        database="app",
        username="admin",
        publicly_accessible=True,
        multi_az=False,
    ),
    db_password=Secret(PASSWORD),
    proxy=ProxyInfo("10.0.1.20", 6033, 6034),
    ssl_ca="/var/lib/mysql-platform/ca.pem",
)


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


# --- every key missing ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["environment", "vpc_id", "host", "db", "db_password"])
def test_rejects_a_missing_top_level_key(key: str) -> None:
    assert error(raw(**{key: None})) == f"outputs: missing key '{key}'"


@pytest.mark.parametrize("key", contract.HOST_KEYS)
def test_rejects_a_missing_host_key(key: str) -> None:
    data = raw()
    del data["host"][key]
    assert error(data) == f"outputs: missing key 'host.{key}'"


@pytest.mark.parametrize("key", contract.DB_KEYS)
def test_rejects_a_missing_db_key(key: str) -> None:
    assert error(with_db(**{key: None})) == f"outputs: missing key 'db.{key}'"


@pytest.mark.parametrize(("where", "path"), [("writer", "db.writer."), ("reader", "db.readers[1].")])
@pytest.mark.parametrize("key", contract.ENDPOINT_KEYS)
def test_rejects_a_missing_endpoint_key(where: str, path: str, key: str) -> None:
    data = raw()
    endpoint = data["db"]["writer"] if where == "writer" else data["db"]["readers"][1]
    del endpoint[key]
    assert error(data) == f"outputs: missing key '{path}{key}'"


@pytest.mark.parametrize("key", contract.PROXY_KEYS)
def test_rejects_a_missing_proxy_key(key: str) -> None:
    data = raw()
    del data["proxy"][key]
    assert error(data) == f"outputs: missing key 'proxy.{key}'"


# --- every bad type, with the exact message ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["not", "a", "map"], "outputs: expected a JSON object at the top level, got list"),
        ("text", 'outputs: expected a JSON object at the top level, got str "text"'),
        (
            raw(environment=5),
            "outputs: key 'environment' must be a non-empty string, got int 5",
        ),
        (raw(environment=""), "outputs: key 'environment' must be a non-empty string, got str \"\""),
        (raw(vpc_id=""), "outputs: key 'vpc_id' must be a non-empty string, got str \"\""),
        (raw(vpc_id=["vpc-1"]), "outputs: key 'vpc_id' must be a non-empty string, got list"),
        (raw(host="i-0123"), "outputs: key 'host' must be an object, got str \"i-0123\""),
        (raw(db=[1]), "outputs: key 'db' must be an object, got list"),
        (raw(proxy=True), "outputs: key 'proxy' must be an object, got bool true"),
        (raw(ssl_ca=5), "outputs: key 'ssl_ca' must be a path string, got int 5"),
        (with_db(engine=""), "outputs: key 'db.engine' must be a non-empty string, got str \"\""),
        (with_db(engine_version=8.4), "outputs: key 'db.engine_version' must be a string, got float 8.4"),
        (with_db(database=False), "outputs: key 'db.database' must be a string, got bool false"),
        (with_db(username=""), "outputs: key 'db.username' must be a non-empty string, got str \"\""),
        (
            with_db(writer="primary:3306"),
            "outputs: key 'db.writer' must be an object, got str \"primary:3306\"",
        ),
        (
            with_db(writer={"host": "", "port": 3306}),
            "outputs: key 'db.writer.host' must be a non-empty string, got str \"\"",
        ),
        (
            with_db(writer={"host": "w", "port": 0}),
            "outputs: key 'db.writer.port' must be a TCP port (1-65535), got int 0",
        ),
        (
            with_db(writer={"host": "w", "port": 65536}),
            "outputs: key 'db.writer.port' must be a TCP port (1-65535), got int 65536",
        ),
        (
            with_db(writer={"host": "w", "port": "3306"}),
            "outputs: key 'db.writer.port' must be a TCP port (1-65535), got str \"3306\"",
        ),
        (
            with_db(writer={"host": "w", "port": True}),
            "outputs: key 'db.writer.port' must be a TCP port (1-65535), got bool true",
        ),
        (
            with_db(writer={"host": "w", "port": 3306.0}),
            "outputs: key 'db.writer.port' must be a TCP port (1-65535), got float 3306.0",
        ),
        (with_db(readers={"host": "r"}), "outputs: key 'db.readers' must be a list, got dict"),
        (with_db(readers="r:3306"), "outputs: key 'db.readers' must be a list, got str \"r:3306\""),
        (
            with_db(readers=[{"host": "r", "port": 3306}, "r2"]),
            "outputs: key 'db.readers[1]' must be an object, got str \"r2\"",
        ),
        (
            with_db(readers=[{"host": "r", "port": None}]),
            "outputs: key 'db.readers[0].port' must be a TCP port (1-65535), got NoneType null",
        ),
        (
            with_db(publicly_accessible="true"),
            "outputs: key 'db.publicly_accessible' must be true or false, got str \"true\"",
        ),
        (with_db(multi_az=1), "outputs: key 'db.multi_az' must be true or false, got int 1"),
        (
            raw(proxy={"host": "", "writer_port": 1, "reader_port": 2}),
            "outputs: key 'proxy.host' must be a non-empty string, got str \"\"",
        ),
        (
            raw(proxy={"host": "p", "writer_port": 0, "reader_port": 2}),
            "outputs: key 'proxy.writer_port' must be a TCP port (1-65535), got int 0",
        ),
        (
            raw(proxy={"host": "p", "writer_port": 1, "reader_port": 70000}),
            "outputs: key 'proxy.reader_port' must be a TCP port (1-65535), got int 70000",
        ),
    ],
)
def test_rejects_bad_types_with_an_exact_message(data: Any, message: str) -> None:
    assert error(data) == message


@pytest.mark.parametrize("key", contract.HOST_KEYS)
def test_rejects_a_host_value_that_is_not_a_string(key: str) -> None:
    data = raw()
    data["host"][key] = None
    assert error(data) == f"outputs: key 'host.{key}' must be a string, got NoneType null"


@pytest.mark.parametrize(
    "name", ["../etc", "a/b", ".hidden", "-dash", "a..b", "dev env", "a" * 101, "dév", "dev\n"]
)
def test_rejects_environment_names_that_are_no_stack_name(name: str) -> None:
    message = error(raw(environment=name))
    assert message == (
        "outputs: key 'environment' must be a stack name (letters, digits, '-', '_', '.', starting with "
        f"a letter or digit, no '..'), got {outputs._describe(name)}"
    )


def test_describe_shows_short_values_and_only_the_type_of_long_ones() -> None:
    assert outputs._describe("x" * 58) == f'str "{"x" * 58}"'  # 60 characters with the quotes
    assert outputs._describe("x" * 59) == "str"
    assert outputs._describe(2**64 - 1) == "int 18446744073709551615"
    assert outputs._describe(2**64) == "int (too large)"
    assert outputs._describe(-(2**64)) == "int (too large)"
    assert outputs._describe(True) == "bool true"
    assert outputs._describe({"a": 1}) == "dict"


@pytest.mark.parametrize(
    ("password", "shown"), [(None, "NoneType"), ("", "str"), (1234, "int"), (["pw"], "list")]
)
def test_rejects_a_bad_password_without_echoing_it(password: Any, shown: str) -> None:
    assert error(raw(db_password=password) if password is not None else {**raw(), "db_password": None}) == (
        "outputs: key 'db_password' must be a non-empty string (was the stack output read with "
        f"--show-secrets?), got {shown}"
    )


def test_rejects_a_masked_password() -> None:
    assert error(raw(db_password="[secret]")) == (
        "outputs: key 'db_password' is masked; read the outputs with --show-secrets"
    )


def test_the_password_is_checked_before_the_other_keys() -> None:
    assert "db_password" in error({"environment": 5, "db_password": "[secret]"})


# --- files ------------------------------------------------------------------------------------


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "outputs.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def file_error(path: Path) -> str:
    with pytest.raises(OutputsError) as info:
        outputs.from_json_file(path)
    return str(info.value)


def test_reads_a_file_given_as_str_or_path(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(raw()))
    assert outputs.from_json_file(path) == EXPECTED
    assert outputs.load(str(path)) == EXPECTED
    assert outputs.load(path) == EXPECTED


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    text = json.dumps(raw())
    path = write(tmp_path, text + " " * (outputs.MAX_FILE_BYTES - len(text)))
    assert path.stat().st_size == outputs.MAX_FILE_BYTES
    assert outputs.from_json_file(path) == EXPECTED


def test_rejects_a_file_one_byte_over_the_limit(tmp_path: Path) -> None:
    text = json.dumps(raw())
    path = write(tmp_path, text + " " * (outputs.MAX_FILE_BYTES + 1 - len(text)))
    assert file_error(path) == f"outputs: file '{path}' is larger than 1048576 bytes: not stack outputs"


def test_rejects_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    assert file_error(path) == f"outputs: cannot read file '{path}': No such file or directory"


def test_rejects_non_utf8_bytes_naming_the_offset(tmp_path: Path) -> None:
    path = write(tmp_path, b'{"a": "\xff"}')
    assert file_error(path) == f"outputs: file '{path}' is not UTF-8 text (byte 7)"


def test_rejects_invalid_json_naming_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "a": }')
    assert file_error(path) == (
        f"outputs: file '{path}' is not valid JSON (line 2, column 8: Expecting value)"
    )


@pytest.mark.parametrize(("digits", "ok"), [(20, True), (21, False)])
def test_numbers_are_bounded_to_twenty_digits(tmp_path: Path, digits: int, ok: bool) -> None:
    path = write(tmp_path, json.dumps(raw()).replace('"vpc-0abc"', "-" + "9" * digits))
    message = file_error(path)
    if ok:  # parsed as a number: the parser then names the key (and keeps the number out of it)
        assert message == "outputs: key 'vpc_id' must be a non-empty string, got int (too large)"
    else:
        assert message == f"outputs: file '{path}' holds a number with 21 digits (at most 20 expected)"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_rejects_non_json_constants(tmp_path: Path, constant: str) -> None:
    path = write(tmp_path, json.dumps(raw()).replace('"vpc-0abc"', constant))
    assert file_error(path) == f"outputs: file '{path}' holds {constant}, which JSON does not allow"


def test_rejects_deep_nesting(tmp_path: Path) -> None:
    path = write(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert file_error(path) == f"outputs: file '{path}' nests objects or lists too deeply to be stack outputs"


def test_permission_warning_names_the_mode_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "{}")
    os.chmod(path, 0o600)
    assert outputs.permission_warning(path) is None
    os.chmod(path, 0o640)
    assert outputs.permission_warning(str(path)) == (
        f"outputs file '{path}' holds the master password and is readable by group/others "
        f"(mode 0640); run: chmod 600 '{path}'"
    )
    os.chmod(path, 0o604)
    assert "(mode 0604)" in (outputs.permission_warning(path) or "")
    os.chmod(path, 0o620)  # writable, not readable, by the group
    assert outputs.permission_warning(path) is None
    assert outputs.permission_warning(tmp_path / "absent.json") is None


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


# --- the contract -----------------------------------------------------------------------------


def test_contract_keys() -> None:
    assert contract.REQUIRED_KEYS == ("environment", "vpc_id", "host", "db", "db_password")
    assert contract.OPTIONAL_KEYS == ("proxy",)
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
