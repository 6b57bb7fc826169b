"""GTIDs in the DB parameter group (dbGtidMode): the values, their apply method, every group.

AWS facts relied on ("Using GTID-based replication", Amazon RDS User Guide): gtid_mode takes
OFF, OFF_PERMISSIVE, ON_PERMISSIVE or ON and appears as ``gtid-mode`` in a parameter group;
gtid_mode ON needs enforce_gtid_consistency ON and replicas that use GTIDs too. AWS refuses the
apply method ``immediate`` for a static parameter; ``pending-reboot`` is valid for any.
"""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.rds_parameters import ENFORCE_GTID_CONSISTENCY
from mysql_platform.components.rds_rules import GTID_MODES
from mysql_platform.components.settings import ConfigError
from tests.support.pulumi_harness import ProgramRun, RecordingMocks, RecordingMonitor, run_program, shared_run

PARAMS = "aws:rds/parameterGroup:ParameterGroup"
RDS = "aws:rds/instance:Instance"
GTID_PARAMETERS = ("enforce_gtid_consistency", "gtid-mode")
# Step 1 of a major upgrade: the replicas run 8.4 on their own parameter group (another family).
REPLICA_GROUP = {
    "dbEngineVersion": "8.0",
    "dbEngineLifecycleSupport": "open-source-rds-extended-support",
    "dbAllowMajorVersionUpgrade": True,
    "dbReplicaEngineVersion": "8.4",
}
EXPECTED_ENFORCE = {"OFF": "OFF", "OFF_PERMISSIVE": "WARN", "ON_PERMISSIVE": "ON", "ON": "ON"}


def run(stack: str, preview: bool = False, **overrides: Any) -> ProgramRun:
    return shared_run(program, stack, preview=preview, overrides=overrides)


def parameters(r: ProgramRun, group: str) -> dict[str, dict[str, str]]:
    """name -> the whole parameter entry (name, value, applyMethod) as the program registered it."""
    return {p["name"]: p for p in r.one(PARAMS, group).plain("parameters")}


def gtid_entries(r: ProgramRun, group: str) -> dict[str, tuple[str, str]]:
    return {
        name: (p["value"], p["applyMethod"])
        for name, p in parameters(r, group).items()
        if name in GTID_PARAMETERS
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("preview", [False, True])
def test_gtids_stay_off_by_default_so_a_stack_from_before_the_setting_does_not_jump(
    stack: str, preview: bool
) -> None:
    # A stack created before dbGtidMode runs with GTIDs off; a default of ON took it there in one
    # jump at its next reboot (which RDS may do in the maintenance window). OFF is at most one
    # step from where it is; the operator moves on one step per `pulumi up` (docs/aws-day2.md).
    assert gtid_entries(run(stack, preview), "db-primary-params") == {
        "gtid-mode": ("OFF", "pending-reboot"),
        "enforce_gtid_consistency": ("OFF", "pending-reboot"),
    }


def test_the_other_parameters_keep_their_form() -> None:
    # Only the GTID pair changes how it is applied: the others stay as they were registered before.
    others = {
        n: p for n, p in parameters(run("prod"), "db-primary-params").items() if n not in GTID_PARAMETERS
    }
    assert others["require_secure_transport"] == {
        "name": "require_secure_transport",
        "value": "ON",
        "applyMethod": "immediate",
    }
    assert {p["applyMethod"] for p in others.values()} == {"immediate"}
    assert "gtid_mode" not in others, "RDS names the parameter gtid-mode"


@pytest.mark.parametrize("mode", ["OFF", "OFF_PERMISSIVE", "ON_PERMISSIVE", "ON"])
def test_each_gtid_mode_gets_the_consistency_mysql_needs(mode: str) -> None:
    assert gtid_entries(run("prod", dbGtidMode=mode), "db-primary-params") == {
        "gtid-mode": (mode, "pending-reboot"),
        "enforce_gtid_consistency": (EXPECTED_ENFORCE[mode], "pending-reboot"),
    }


def test_every_accepted_mode_has_a_consistency_value() -> None:
    assert tuple(ENFORCE_GTID_CONSISTENCY) == GTID_MODES


@pytest.mark.parametrize("mode", ["ON", "OFF_PERMISSIVE"])
def test_the_replica_parameter_group_gets_the_same_gtid_parameters(mode: str) -> None:
    r = run("prod", **REPLICA_GROUP, dbGtidMode=mode)
    replica_group = r.one(PARAMS, "db-replica-params")
    assert replica_group.plain("family") == "mysql8.4"
    assert r.one(RDS, "db-replica-1").plain("parameterGroupName") == r.outputs_of(replica_group)["name"]
    assert gtid_entries(r, "db-replica-params") == gtid_entries(r, "db-primary-params")
    assert gtid_entries(r, "db-replica-params") == {
        "gtid-mode": (mode, "pending-reboot"),
        "enforce_gtid_consistency": (EXPECTED_ENFORCE[mode], "pending-reboot"),
    }


def test_replicas_on_the_primarys_group_share_its_gtid_parameters() -> None:
    r = run("prod", dbReplicaCount=2)
    assert [p.name for p in r.of_type(PARAMS)] == ["db-primary-params"]
    group_name = r.outputs_of(r.one(PARAMS, "db-primary-params"))["name"]
    for replica in ("db-replica-1", "db-replica-2"):
        assert r.one(RDS, replica).plain("parameterGroupName") == group_name


@pytest.mark.parametrize("mode", ["on", "OFF_permissive", "enabled", ""])
def test_rejects_a_gtid_mode_rds_does_not_know(mode: str) -> None:
    monitor = RecordingMonitor(RecordingMocks())
    with pytest.raises(ConfigError) as info:
        run_program(program, "prod", overrides={"dbGtidMode": mode}, monitor=monitor)
    assert info.value.problems == [
        f"dbGtidMode: got {mode!r}; expected one of OFF, OFF_PERMISSIVE, ON_PERMISSIVE, ON"
    ]
    assert monitor.registered == []


@pytest.mark.parametrize("overrides", [{}, {"dbGtidMode": "ON_PERMISSIVE"}, REPLICA_GROUP])
def test_a_second_run_registers_the_same_parameters(overrides: dict[str, Any]) -> None:
    # A fresh run against the shared one (another run of the program, made earlier): a second
    # `pulumi up` must see no change in any group.
    first = shared_run(program, "prod", overrides=overrides)
    second = run_program(program, "prod", overrides=overrides)
    # By name: the engine diffs by URN, and groups registered from output callbacks (the replica's
    # waits for the primary's) may register in either order.
    groups = sorted(g.name for g in first.of_type(PARAMS))
    assert groups == sorted(g.name for g in second.of_type(PARAMS))
    for group in groups:
        assert first.one(PARAMS, group).plain("parameters") == second.one(PARAMS, group).plain("parameters")
