"""Configuration: every rejected value has its own test, and nothing is registered when it fails."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, get_origin, get_type_hints

import pytest
import yaml

from mysql_platform.components.program import program
from mysql_platform.components.settings import FIELDS, ConfigError, Settings, parse_settings, snake_case
from tests.support.pulumi_harness import ROOT, RecordingMocks, RecordingMonitor, run_program, stack_config


def settings_for(stack: str = "dev", stack_file: str | None = None, **overrides: Any):  # type: ignore[no-untyped-def]
    raw = stack_config(stack_file or stack, overrides)
    return parse_settings(stack, lambda key: raw.get(f"mysql-platform:{key}"))


def rejects(stack: str = "dev", stack_file: str | None = None, **overrides: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        settings_for(stack, stack_file, **overrides)
    return info.value


def assert_problem(err: ConfigError, key: str, *fragments: str) -> None:
    matching = [p for p in err.problems if p.startswith(f"{key}:")]
    assert matching, f"no problem reported for {key}: {err.problems}"
    for fragment in fragments:
        assert any(fragment in p for p in matching), f"{fragment!r} not in {matching}"


def test_committed_stacks_are_valid() -> None:
    dev = settings_for("dev")
    prod = settings_for("prod")
    assert dev.db_publicly_accessible and dev.db_allowed_cidrs == ("203.0.113.10/32",)
    assert not prod.db_publicly_accessible and prod.db_multi_az
    assert dev.parameter_group_family == "mysql8.4"


def test_rejects_public_db_without_allowed_cidr() -> None:
    err = rejects(dbAllowedCidrs=[])
    assert_problem(err, "dbAllowedCidrs", "got []", "at least one allowed CIDR")


@pytest.mark.parametrize("key", ["dbAllowedCidrs", "sshAllowedCidrs"])
@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_rejects_the_whole_internet(key: str, cidr: str) -> None:
    err = rejects(**{key: ["203.0.113.10/32", cidr]})
    assert_problem(err, key, repr(cidr), "whole internet is never allowed")


@pytest.mark.parametrize(
    "cidr", ["203.0.113.10", "203.0.113.300/32", "10.0.0.1/24", "banana", "203.0.113.0/33"]
)
def test_rejects_malformed_cidr(cidr: str) -> None:
    err = rejects(sshAllowedCidrs=[cidr])
    assert_problem(err, "sshAllowedCidrs", repr(cidr), "expected a CIDR")


@pytest.mark.parametrize("count", [-1, 6])
def test_rejects_replica_count_out_of_range(count: int) -> None:
    assert_problem(rejects(dbReplicaCount=count), "dbReplicaCount", f"got {count}", "expected 0-5")


def test_rejects_replicas_without_backups() -> None:
    err = rejects(dbReplicaCount=1, dbBackupRetentionDays=0)
    assert_problem(err, "dbBackupRetentionDays", "got 0", "need at least 1")


def test_accepts_no_backups_when_there_are_no_replicas() -> None:
    assert settings_for(dbReplicaCount=0, dbBackupRetentionDays=0).db_backup_retention_days == 0


@pytest.mark.parametrize("gib", [10, 19])
def test_rejects_storage_below_20_gib(gib: int) -> None:
    assert_problem(rejects(dbAllocatedStorageGib=gib), "dbAllocatedStorageGib", f"got {gib}", "20-")


def test_rejects_storage_above_the_max_allocated() -> None:
    err = rejects(dbAllocatedStorageGib=200, dbMaxAllocatedStorageGib=100)
    assert_problem(err, "dbMaxAllocatedStorageGib", "got 100", "more than dbAllocatedStorageGib (200)")


@pytest.mark.parametrize("count", [0, 1])
def test_rejects_fewer_than_two_availability_zones(count: int) -> None:
    assert_problem(rejects(azCount=count), "azCount", f"got {count}", "RDS subnet groups need two AZs")


@pytest.mark.parametrize("version", ["8", "eight", "8.0.x", "5.6", "8.0.40.1", "v8.0", ""])
def test_rejects_malformed_engine_version(version: str) -> None:
    assert_problem(rejects(dbEngineVersion=version), "dbEngineVersion", repr(version), "MAJOR.MINOR.PATCH")


@pytest.mark.parametrize("version", ["8.0", "8.0.40", "8.4", "8.4.3"])
def test_accepts_engine_versions(version: str) -> None:
    # 8.0 runs only under paid Extended Support since 2026-07-31: that choice is explicit.
    lifecycle = "open-source-rds-extended-support" if version.startswith("8.0") else None
    settings = settings_for(dbEngineVersion=version, dbEngineLifecycleSupport=lifecycle)
    assert settings.db_engine_version == version


@pytest.mark.parametrize("mode", ["OFF", "OFF_PERMISSIVE", "ON_PERMISSIVE", "ON"])
def test_accepts_every_gtid_mode(mode: str) -> None:
    assert settings_for(dbGtidMode=mode).db_gtid_mode == mode


def test_gtids_are_off_until_the_operator_chooses() -> None:
    # OFF is what a stack created before dbGtidMode runs; the mode moves one step per `up`.
    assert settings_for("dev").db_gtid_mode == "OFF"
    assert settings_for("prod").db_gtid_mode == "OFF"


@pytest.mark.parametrize("mode", ["on", "On", "PERMISSIVE", "ON_PERMISIVE", "1", ""])
def test_rejects_unknown_gtid_mode(mode: str) -> None:
    err = rejects(dbGtidMode=mode)
    assert err.problems == [
        f"dbGtidMode: got {mode!r}; expected one of OFF, OFF_PERMISSIVE, ON_PERMISSIVE, ON"
    ]


@pytest.mark.parametrize("unquoted", [True, False])
def test_rejects_gtid_mode_a_yaml_reader_took_for_a_boolean(unquoted: bool) -> None:
    # `dbGtidMode: ON` unquoted: PyYAML reads ON and OFF as booleans.
    err = rejects(dbGtidMode=unquoted)
    assert_problem(err, "dbGtidMode", f"got {str(unquoted).lower()!r}", "quote ON and OFF in YAML")


@pytest.mark.parametrize("stack", ["prod", "production", "Production"])
def test_rejects_public_db_on_a_production_stack(stack: str) -> None:
    err = rejects(stack, stack_file="dev")
    assert_problem(err, "dbPubliclyAccessible", f"stack {stack!r}", "production stack keeps its DB private")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("dbReplicaCount", "two", "expected an integer"),
        ("dbMultiAz", "yes", "expected true or false"),
        ("dbAllowedCidrs", "203.0.113.10/32", "expected a list of strings"),
        ("dbInstanceClass", "t3.micro", "an RDS class"),
        ("dbUsername", "rdsadmin", "reserved"),
        ("dbLogExports", ["error", "binlog"], "expected any of"),
        ("vpcCidr", "10.0.0.0/8", "/16 to /24"),
        ("sshPublicKey", "not-a-key", "an OpenSSH public key"),
    ],
)
def test_rejects_other_bad_values(key: str, value: Any, expected: str) -> None:
    raw = stack_config("dev")
    # Strings are passed as the engine would pass them (raw), lists as their JSON form.
    raw[f"mysql-platform:{key}"] = value if isinstance(value, str) else json.dumps(value)
    with pytest.raises(ConfigError) as info:
        parse_settings("dev", lambda k: raw.get(f"mysql-platform:{k}"))
    assert_problem(info.value, key, expected)


def test_reports_every_problem_at_once() -> None:
    err = rejects(dbReplicaCount=9, azCount=1, dbEngineVersion="x")
    assert {p.split(":")[0] for p in err.problems} >= {"dbReplicaCount", "azCount", "dbEngineVersion"}
    assert "invalid configuration for project 'mysql-platform'" in str(err)


@pytest.mark.parametrize("preview", [False, True])
def test_fails_before_any_resource_is_registered(preview: bool) -> None:
    monitor = RecordingMonitor(RecordingMocks())
    with pytest.raises(ConfigError, match="dbAllowedCidrs"):
        run_program(
            program, "dev", preview=preview, overrides={"dbAllowedCidrs": ["0.0.0.0/0"]}, monitor=monitor
        )
    assert monitor.registered == []
    assert monitor.mocks.calls == []


def test_fails_when_the_region_has_too_few_zones() -> None:
    with pytest.raises(ConfigError, match="azCount: got 5; the region offers only 4"):
        run_program(program, "dev", overrides={"azCount": 5})


# --- Pulumi.yaml declares every key once; Settings has a typed attribute for each ------------

# The Python type a Settings attribute has for each schema type.
SETTINGS_TYPES = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "array": tuple[str, ...],
    "object": Mapping[str, str],
}


def test_pulumi_yaml_is_the_python_project_whose_keys_the_settings_read() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "mysql-platform"
    assert project["runtime"]["name"] == "python"
    assert [f.key for f in FIELDS] == list(project["config"])
    # The schema has no map type: the map is declared untyped and read as one.
    assert "type" not in project["config"]["tags"]
    assert [f.key for f in FIELDS if f.type == "object"] == ["tags"]


def test_settings_has_an_attribute_of_the_declared_type_for_every_key() -> None:
    hints = get_type_hints(Settings)
    assert list(hints) == ["stack", *[snake_case(f.key) for f in FIELDS]]
    assert hints["stack"] is str
    for f in FIELDS:
        assert hints[snake_case(f.key)] == SETTINGS_TYPES[f.type], f.key


def test_an_empty_stack_gets_every_declared_default() -> None:
    settings = parse_settings("staging", lambda key: None)
    for f in FIELDS:
        value = getattr(settings, snake_case(f.key))
        assert value == (tuple(f.default) if f.type == "array" else f.default), f.key
        assert isinstance(value, get_origin(SETTINGS_TYPES[f.type]) or SETTINGS_TYPES[f.type]), f.key


def test_stack_files_only_set_declared_keys() -> None:
    declared = {f.key for f in FIELDS}
    for stack in ("dev", "prod"):
        for key in stack_config(stack):
            namespace, _, name = key.partition(":")
            assert namespace in ("mysql-platform", "aws"), key
            if namespace == "mysql-platform":
                assert name in declared, f"Pulumi.{stack}.yaml sets undeclared {key}"
