"""The outputs parser on bad input: every key missing, every bad type, bad names and passwords,
each with its exact message (and never the password).

Written against the survivors of a mutation run (tests/mutation/). Pure: no Pulumi, no server.
"""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.core import contract, outputs
from tests.support.outputs_samples import error, raw, with_db

# --- every key missing ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["environment", "vpc_id", "host", "db", "db_password"])
def test_rejects_a_missing_top_level_key(key: str) -> None:
    assert error(raw(**{key: None})) == f"outputs: missing key '{key}'"


@pytest.mark.parametrize("key", contract.HOST_KEYS)
def test_rejects_a_missing_host_key(key: str) -> None:
    data = raw()
    del data["host"][key]
    assert error(data) == f"outputs: missing key 'host.{key}'"


@pytest.mark.parametrize("key", [k for k in contract.DB_KEYS if k not in contract.DB_OPTIONAL_KEYS])
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
            with_db(topology="cluster"),
            "outputs: key 'db.topology' must be one of instance, multi-az-cluster, got str \"cluster\"",
        ),
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
