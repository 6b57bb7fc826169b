"""What the plan predicts for two day-2 changes AWS does not simply apply: Extended Support
enrollment (fixed at create or restore) and the GTID mode (one step per `pulumi up`).

Facts relied on, each cited where the program uses it:
- "You can't update your RDS Extended Support enrollment status on existing DB instances unless
  you are restoring them" (RDS User Guide, quoted in terraform-provider-aws issue #44552); the
  provider's update sends nothing for engine_lifecycle_support (instance.go
  dbInstancePopulateModify), so a change is a permanent diff (issues #40870, #44552).
- gtid_mode moves one step at a time, and RDS applies it at each instance's next reboot ("Enabling
  GTID-based replication for existing read replicas", RDS User Guide).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.errors import EXIT_OK
from mysql_platform.planning.plan import Plan, PlannedResource
from mysql_platform.planning.predict import Change, predict
from tests.support.plans import plan as shared_plan

pytestmark = pytest.mark.usefixtures("shared_plans")

EXTENDED = "open-source-rds-extended-support"
PARAMS = "aws:rds/parameterGroup:ParameterGroup"


def change_of(before: Plan, after: Plan, name: str) -> Change:
    return next(c for c in predict(before, after).changes if c.name == name)


def saved(plan: Plan, tmp_path: Path) -> str:
    path = tmp_path / f"{plan.stack}.json"
    path.write_text(json.dumps(plan.to_json()))
    return str(path)


# --- Extended Support enrollment ------------------------------------------------------------


def test_changing_enrollment_of_an_existing_instance_changes_nothing_and_the_plan_warns() -> None:
    before, after = shared_plan("prod"), shared_plan("prod", dbEngineLifecycleSupport=EXTENDED)
    change = change_of(before, after, "db-primary-instance")
    # ignore_changes keeps the created value: no update that AWS would never apply.
    assert change.action == "same" and change.changed == ()
    assert change.ignored == ("engineLifecycleSupport",)
    assert len(change.warnings) == 1 and "only at create or restore" in change.warnings[0]
    prediction = predict(before, after)
    assert not prediction.refused
    assert prediction.lines()[0] == "against the saved plan: no changes; 1 warning"
    assert prediction.lines()[1] == "  same db-primary-instance [changes ignored: engineLifecycleSupport]"
    assert prediction.lines()[2].startswith(
        "  warning: db-primary-instance: engineLifecycleSupport is not applied"
    )


def test_the_cli_prints_the_enrollment_warning_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = saved(shared_plan("prod"), tmp_path)
    code = plan_cli.main(["prod", "--set", f"dbEngineLifecycleSupport={EXTENDED}", "--before", before])
    assert code == EXIT_OK
    out = capsys.readouterr().out
    assert "warning: db-primary-instance: engineLifecycleSupport is not applied" in out
    assert "restore a snapshot to a new instance" in out


def _with_input(plan: Plan, name: str, **inputs: object) -> Plan:
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, **inputs}) if r.name == name else r for r in plan.resources
    ]
    return dataclasses.replace(plan, resources=resources)


def _without_ignore_changes(plan: Plan, name: str) -> Plan:
    resources = [dataclasses.replace(r, ignore_changes=[]) if r.name == name else r for r in plan.resources]
    return dataclasses.replace(plan, resources=resources)


def test_a_create_only_input_without_ignore_changes_is_an_update_that_never_converges() -> None:
    # What the program did before: the provider plans an in-place update that never reaches AWS.
    before = _without_ignore_changes(shared_plan("prod"), "db-primary-instance")
    after = _with_input(before, "db-primary-instance", engineLifecycleSupport=EXTENDED)
    change = change_of(before, after, "db-primary-instance")
    assert change.action == "update" and change.changed == ("engineLifecycleSupport",)
    assert len(change.warnings) == 1 and "is never applied" in change.warnings[0]
    assert "every time" in change.warnings[0]


# --- GTID mode, one step per `pulumi up` ----------------------------------------------------


def gtid_mode_of(plan: Plan, group: str = "db-primary-params") -> str | None:
    resource = plan.by_key()[f"{PARAMS}::{group}"]
    return next((p["value"] for p in resource.inputs["parameters"] if p["name"] == "gtid-mode"), None)


def before_dbgtidmode(plan: Plan) -> Plan:
    """The plan of a stack created before dbGtidMode existed: its group sets no GTID parameter."""
    out: list[PlannedResource] = []
    for r in plan.resources:
        if r.type == PARAMS:
            kept = [
                p
                for p in r.inputs["parameters"]
                if p["name"] not in ("gtid-mode", "enforce_gtid_consistency")
            ]
            r = dataclasses.replace(r, inputs={**r.inputs, "parameters": kept})
        out.append(r)
    return dataclasses.replace(plan, resources=out)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_stack_made_before_dbgtidmode_keeps_gtids_off_by_default(stack: str) -> None:
    old = before_dbgtidmode(shared_plan(stack))
    now = shared_plan(stack)
    assert gtid_mode_of(old) is None and gtid_mode_of(now) == "OFF"
    prediction = predict(old, now)
    assert not prediction.refused
    change = change_of(old, now, "db-primary-params")
    assert change.action == "update" and change.changed == ("parameters",)
    assert change.warnings == (
        "gtid-mode the engine default (GTIDs off) -> OFF: one step, applied at each instance's next "
        "reboot (yours, or RDS's in the maintenance window); reboot them all before the next step",
    )
    # The instances keep their group: nothing else changes.
    assert change_of(old, now, "db-primary-instance").action == "same"


@pytest.mark.parametrize(
    ("before", "after"),
    [("OFF", "OFF_PERMISSIVE"), ("OFF_PERMISSIVE", "ON_PERMISSIVE"), ("ON_PERMISSIVE", "ON")],
    ids=["step-1", "step-2", "step-3"],
)
def test_each_step_towards_gtids_is_one_update_of_the_group_applied_at_reboot(
    before: str, after: str
) -> None:
    old, new = shared_plan("prod", dbGtidMode=before), shared_plan("prod", dbGtidMode=after)
    prediction = predict(old, new)
    assert not prediction.refused
    assert [c.name for c in prediction.changes if c.action != "same"] == ["db-primary-params"]
    change = change_of(old, new, "db-primary-params")
    assert change.action == "update"
    assert change.warnings[0].startswith(
        f"gtid-mode {before} -> {after}: one step, applied at each instance's next reboot"
    )


@pytest.mark.parametrize(
    ("before", "after", "skipped"),
    [
        ("OFF", "ON", "OFF_PERMISSIVE, ON_PERMISSIVE"),
        ("OFF", "ON_PERMISSIVE", "OFF_PERMISSIVE"),
        ("ON", "OFF_PERMISSIVE", "ON_PERMISSIVE"),
    ],
)
def test_rejects_a_gtid_jump_over_a_step(before: str, after: str, skipped: str) -> None:
    change = change_of(
        shared_plan("prod", dbGtidMode=before), shared_plan("prod", dbGtidMode=after), "db-primary-params"
    )
    assert change.refused is not None
    assert change.refused.startswith(f"gtid-mode {before} -> {after} skips {skipped}:")


def test_rejects_the_jump_the_old_default_made_on_a_stack_from_before_dbgtidmode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The old default (ON) took such a stack from GTIDs off to ON at its next reboot.
    path = tmp_path / "old.json"
    path.write_text(json.dumps(before_dbgtidmode(shared_plan("prod")).to_json()))
    assert plan_cli.main(["prod", "--set", "dbGtidMode=ON", "--before", str(path)]) == plan_cli.EXIT_REFUSED
    out = capsys.readouterr().out
    assert (
        "update db-primary-params (parameters): refused, gtid-mode the engine default (GTIDs off) -> ON skips"
        in out
    )


def test_a_multi_az_clusters_parameter_group_steps_one_gtid_mode_at_a_time_too() -> None:
    cluster = {
        "dbTopology": "multi-az-cluster",
        "dbReplicaCount": 0,
        "dbInstanceClass": "db.m6gd.large",
        "dbMaxAllocatedStorageGib": 0,
        "azCount": 3,
    }
    old = shared_plan("prod", **cluster, dbGtidMode="OFF_PERMISSIVE")
    step = shared_plan("prod", **cluster, dbGtidMode="ON_PERMISSIVE")
    jump = shared_plan("prod", **cluster, dbGtidMode="ON")
    group = next(
        r.name for r in old.resources if r.type.endswith("clusterParameterGroup:ClusterParameterGroup")
    )
    note = change_of(old, step, group).warnings[0]
    assert note.startswith("gtid-mode OFF_PERMISSIVE -> ON_PERMISSIVE: one step")
    refused = change_of(old, jump, group).refused
    assert refused is not None and refused.startswith("gtid-mode OFF_PERMISSIVE -> ON skips ON_PERMISSIVE:")


def test_switching_a_dev_instance_to_private_is_refused_as_aws_would_refuse_it() -> None:
    before, after = shared_plan("dev"), shared_plan("dev", dbPubliclyAccessible="false")
    change = change_of(before, after, "db-primary-instance")
    assert change.action == "update" and "dbSubnetGroupName" in change.changed
    assert change.refused is not None and "InvalidVPCNetworkStateFault" in change.refused
    assert "terraform-provider-aws issue #512" in change.refused


def test_replacing_a_dev_multi_az_cluster_is_refused_its_data_goes_with_it() -> None:
    cluster = {
        "dbTopology": "multi-az-cluster",
        "dbReplicaCount": "0",
        "dbInstanceClass": "db.m6gd.large",
        "dbMaxAllocatedStorageGib": "0",
        "azCount": "3",
    }
    before = shared_plan("dev", **cluster)
    after = shared_plan("dev", **cluster, dbPubliclyAccessible="false")
    replaced = [c for c in predict(before, after).changes if c.action == "replace"]
    clusters = [c for c in replaced if c.name == "db-cluster"]
    assert clusters and clusters[0].refused == "stateful: its data and storage go with it"


@pytest.mark.parametrize(
    ("after", "skipped"), [("ON_PERMISSIVE", "OFF_PERMISSIVE"), ("ON", "OFF_PERMISSIVE, ON_PERMISSIVE")]
)
def test_a_jump_from_no_gtid_setting_names_the_steps_it_skips(after: str, skipped: str) -> None:
    old = before_dbgtidmode(shared_plan("prod"))
    refused = change_of(old, shared_plan("prod", dbGtidMode=after), "db-primary-params").refused
    assert refused is not None
    assert refused.startswith(f"gtid-mode the engine default (GTIDs off) -> {after} skips {skipped}:")


def test_odd_saved_plans_are_bad_input_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lower = json.loads(json.dumps(shared_plan("prod").to_json()).replace('"value": "OFF"', '"value": "on"'))
    cases = {"list.json": "[]", "lower.json": json.dumps(lower)}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    assert plan_cli.main(["prod", "--before", str(tmp_path / "list.json")]) == plan_cli.EXIT_BAD_INPUT
    assert (
        "list.json: not a saved plan (`mysql-platform plan STACK --json` output): a JSON list"
        in capsys.readouterr().err
    )
    # "on" is ON to MySQL: OFF -> ON is a jump, refused and named, not a crash.
    assert plan_cli.main(["prod", "--before", str(tmp_path / "lower.json")]) == plan_cli.EXIT_REFUSED
    assert "gtid-mode ON -> OFF skips" in capsys.readouterr().out
