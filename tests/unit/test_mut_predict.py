"""The plan's prediction against a saved plan: per resource create, update, replace or delete,
why, and what is refused or warned, as the lines ``mysql-platform plan --before`` prints.

Written against the survivors of a mutation run (tests/mutation/). The plans are built here,
resource by resource, so each test holds one situation and its whole printed text. Pure: no
Pulumi engine, no server.
"""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.planning.plan import Plan, PlannedResource
from mysql_platform.planning.predict import SUBNET_GROUP_MOVE, Change, Prediction, predict

RDS = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
EC2 = "aws:ec2/instance:Instance"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROLE = "aws:iam/role:Role"
PARAMS = "aws:rds/parameterGroup:ParameterGroup"
CLUSTER_PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
NET = "mysql-platform:network:Network"
URN = "urn:pulumi:dev::mysql-platform::"


def res(type_: str, name: str, parent: str = "", **fields: Any) -> PlannedResource:
    inputs = fields.pop("inputs", {})
    component = fields.pop("component", False)
    return PlannedResource(type_, name, parent, component, inputs, **fields)


def plan(*resources: PlannedResource, region: str = "eu-west-1") -> Plan:
    return Plan("dev", region, {}, list(resources), {})


def lines(before: list[PlannedResource], after: list[PlannedResource], **kw: str) -> list[str]:
    return predict(
        plan(*before, region=kw.get("was", "eu-west-1")), plan(*after, region=kw.get("now", "eu-west-1"))
    ).lines()


def vpc(cidr: str = "10.0.0.0/16", **fields: Any) -> PlannedResource:
    return res(VPC, "vpc", inputs={"cidrBlock": cidr, **fields.pop("inputs", {})}, **fields)


# --- the actions, and the summary line ------------------------------------------------------


def test_nothing_changed() -> None:
    assert lines([vpc()], [vpc()]) == ["against the saved plan: no changes"]
    assert predict(plan(vpc()), plan(vpc())).changes == [Change(f"{VPC}::vpc", "vpc", "same")]


def test_create_update_replace_and_delete_counted_and_shown_in_key_order() -> None:
    before = [
        vpc(),
        res(SUBNET, "gone", inputs={"cidrBlock": "10.0.1.0/24"}),
        res(ROLE, "role", inputs={"description": "a"}),
    ]
    after = [
        res(ROLE, "role", inputs={"description": "b"}),
        vpc("10.1.0.0/16"),
        res(SUBNET, "new", inputs={"cidrBlock": "10.0.2.0/24"}),
    ]
    assert lines(before, after) == [
        "against the saved plan: 1 to create, 1 to update, 1 to replace, 1 to delete",
        "  delete gone",
        "  create new",
        "  replace vpc (cidrBlock is replace-only, provider schema: ForceNew)",
        "  update role (description)",
    ]


def test_two_of_an_action() -> None:
    before = [res(ROLE, "a", inputs={"description": "x"}), res(ROLE, "b", inputs={"description": "x"})]
    after = [res(ROLE, "a", inputs={"description": "y"}), res(ROLE, "b", inputs={"description": "y"})]
    assert lines(before, after)[0] == "against the saved plan: 2 to update"


def test_several_changed_inputs_are_listed_sorted() -> None:
    before = [res(ROLE, "role", inputs={"maxSessionDuration": 1, "description": "a", "name": "n"})]
    after = [res(ROLE, "role", inputs={"maxSessionDuration": 2, "description": "b", "name": "n"})]
    assert lines(before, after)[1] == "  update role (description, maxSessionDuration)"


def test_a_nested_change_names_its_path() -> None:
    before = [res(ROLE, "role", inputs={"tags": {"a": "1", "b": "2"}})]
    after = [res(ROLE, "role", inputs={"tags": {"a": "1", "b": "3"}})]
    assert lines(before, after)[1] == "  update role (tags.b)"


def test_an_input_the_table_does_not_know_counts_as_a_replacement_and_says_so() -> None:
    before = [res(ROLE, "role", inputs={"mystery": 1, "description": "a"})]
    after = [res(ROLE, "role", inputs={"mystery": 2, "description": "b"})]
    assert (
        lines(before, after)[1] == "  replace role (description, mystery) [not in the replace table: mystery]"
    )
    change = predict(plan(*before), plan(*after)).changes[0]
    assert (change.forcing, change.unknown, change.reasons) == ((), ("mystery",), ())


def test_a_type_the_table_does_not_know_is_replaced_on_any_change() -> None:
    before = [res("aws:new/thing:Thing", "t", inputs={"a": 1})]
    after = [res("aws:new/thing:Thing", "t", inputs={"a": 2})]
    assert lines(before, after)[1] == "  replace t (a) [not in the replace table: a]"


def test_a_secret_whose_mask_is_unchanged_or_appears_says_nothing() -> None:
    before = [res(ROLE, "role", inputs={"description": "[secret]"})]
    after = [res(ROLE, "role", inputs={"description": "[secret]", "path": "[secret]"})]
    assert lines(before, after) == ["against the saved plan: no changes"]
    assert lines(after, before) == ["against the saved plan: no changes"]


# --- replacements: the reasons --------------------------------------------------------------


def test_several_forcing_inputs_each_with_its_rule() -> None:
    before = [res(RDS, "db", inputs={"engine": "mysql", "dbName": "a", "allocatedStorage": 20})]
    after = [res(RDS, "db", inputs={"engine": "mariadb", "dbName": "b", "allocatedStorage": 30})]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert change.describe() == (
        "replace db (dbName is replace-only, provider schema: ForceNew; engine is replace-only, "
        "provider schema: ForceNew): refused, stateful: its data and storage go with it"
    )
    assert change.changed == ("allocatedStorage", "dbName", "engine")


def test_replace_on_changes_replaces_and_names_the_program() -> None:
    before = [res(ROLE, "role", inputs={"description": "a"}, replace_on_changes=["description"])]
    after = [res(ROLE, "role", inputs={"description": "b"}, replace_on_changes=["description"])]
    assert lines(before, after)[1] == (
        "  replace role (description is replace-only, program: replace_on_changes description)"
    )


def test_a_nested_replace_on_changes_path_covers_its_changes_once() -> None:
    old = {"tags": {"a": "1", "b": "1"}, "mystery": {"x": 1}}
    new = {"tags": {"a": "2", "b": "2"}, "mystery": {"x": 2}}
    before = [res(ROLE, "role", inputs=old, replace_on_changes=["tags", "mystery.x"])]
    after = [res(ROLE, "role", inputs=new, replace_on_changes=["tags", "mystery.x"])]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert change.forcing == ("tags", "mystery.x")
    assert change.reasons == ("program: replace_on_changes tags", "program: replace_on_changes mystery.x")
    assert change.unknown == ()


def test_a_replace_on_changes_path_that_did_not_change_forces_nothing() -> None:
    before = [res(ROLE, "role", inputs={"description": "a", "path": "/"}, replace_on_changes=["path"])]
    after = [res(ROLE, "role", inputs={"description": "b", "path": "/"}, replace_on_changes=["path"])]
    assert lines(before, after)[1] == "  update role (description)"


def test_a_replace_on_changes_prefix_is_no_parent_path() -> None:
    # "tag" covers "tag" and "tag.x", not "tags".
    before = [res(ROLE, "role", inputs={"tag": 1, "tags": {"a": "1"}}, replace_on_changes=["tag"])]
    after = [res(ROLE, "role", inputs={"tag": 2, "tags": {"a": "2"}}, replace_on_changes=["tag"])]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert change.forcing == ("tag",)
    assert change.action == "replace" and change.changed == ("tag", "tags.a")


def test_an_instance_type_across_architectures_replaces_the_host() -> None:
    before = [res(EC2, "host", inputs={"instanceType": "t3.small"})]
    after = [res(EC2, "host", inputs={"instanceType": "t4g.small"})]
    assert lines(before, after)[1] == (
        "  replace host (instanceType is replace-only, provider CustomizeDiff: ForceNewIf, t3.small "
        "(x86_64) and t4g.small (arm64) share no CPU architecture)"
    )


def test_a_region_change_replaces_regional_resources_only() -> None:
    before = [vpc(), res(ROLE, "role", inputs={"description": "a"})]
    assert lines(before, before, was="eu-west-1", now="us-east-1") == [
        "against the saved plan: 1 to replace",
        "  replace vpc (region is replace-only, provider CustomizeDiff: forceNewIfRegionChanges "
        "(ModifyPlan for framework resources), eu-west-1 -> us-east-1)",
    ]
    change = predict(plan(*before), plan(*before, region="us-east-1")).changes[0]
    assert change.changed == ("region",) and change.forcing == ("region",)


def test_a_region_change_with_a_changed_input() -> None:
    before, after = [vpc()], [vpc(inputs={"enableDnsSupport": True})]
    change = predict(plan(*before), plan(*after, region="us-east-1")).changes[0]
    assert change.changed == ("enableDnsSupport", "region")
    assert change.forcing == ("region",)


# --- refusals -------------------------------------------------------------------------------


def test_a_protected_resource_is_refused_replace_and_delete() -> None:
    before = [vpc(protect=True), res(ROLE, "role", protect=True)]
    assert lines(before, [vpc("10.9.0.0/16")]) == [
        "against the saved plan: 1 to replace, 1 to delete",
        "  replace vpc (cidrBlock is replace-only, provider schema: ForceNew): refused, protected",
        "  delete role: refused, protected",
    ]
    prediction = predict(plan(*before), plan(vpc("10.9.0.0/16")))
    assert [c.name for c in prediction.refused] == ["vpc", "role"]


def test_stateful_resources_are_refused_and_others_not() -> None:
    before = [res(RDS, "db"), res(CLUSTER, "cluster"), res(ROLE, "role")]
    prediction = predict(plan(*before), plan())
    assert [(c.name, c.refused) for c in prediction.changes] == [
        ("role", None),
        ("cluster", "stateful: its data and storage go with it"),
        ("db", "stateful: its data and storage go with it"),
    ]
    assert [c.name for c in prediction.refused] == ["cluster", "db"]


def test_protection_is_read_from_the_saved_plan() -> None:
    # Unprotecting in the new program does not unprotect the state the saved plan describes.
    before, after = [vpc(protect=True)], [vpc("10.9.0.0/16", protect=False)]
    assert predict(plan(*before), plan(*after)).changes[0].refused == "protected"


def test_an_update_of_a_stateful_resource_goes_ahead() -> None:
    before = [res(RDS, "db", inputs={"allocatedStorage": 20})]
    after = [res(RDS, "db", inputs={"allocatedStorage": 30})]
    assert lines(before, after) == ["against the saved plan: 1 to update", "  update db (allocatedStorage)"]


def test_an_instance_moved_to_another_subnet_group_is_refused() -> None:
    before = [res(RDS, "db", inputs={"dbSubnetGroupName": "a"})]
    after = [res(RDS, "db", inputs={"dbSubnetGroupName": "b"})]
    assert lines(before, after)[1] == f"  update db (dbSubnetGroupName): refused, {SUBNET_GROUP_MOVE}"
    assert SUBNET_GROUP_MOVE == (
        "RDS refuses to move a DB instance to another subnet group of the same VPC "
        "(InvalidVPCNetworkStateFault; terraform-provider-aws issue #512): `pulumi up` would stop there. "
        "Make a new database and move the data (docs/aws-day2.md: Switching `dbPubliclyAccessible`)"
    )


def test_a_subnet_group_move_keeps_its_create_only_warning() -> None:
    old = {"dbSubnetGroupName": "a", "engineLifecycleSupport": "x"}
    new = {"dbSubnetGroupName": "b", "engineLifecycleSupport": "y"}
    prediction = predict(plan(res(RDS, "db", inputs=old)), plan(res(RDS, "db", inputs=new)))
    assert prediction.changes[0].refused == SUBNET_GROUP_MOVE
    assert len(prediction.warnings) == 1


# --- warnings: create-only inputs -----------------------------------------------------------


def test_a_create_only_input_warns_that_it_is_never_applied() -> None:
    before = [res(RDS, "db", inputs={"engineLifecycleSupport": "a"})]
    after = [res(RDS, "db", inputs={"engineLifecycleSupport": "b"})]
    assert lines(before, after) == [
        "against the saved plan: 1 to update; 1 warning",
        "  update db (engineLifecycleSupport)",
        "  warning: db: engineLifecycleSupport is never applied, and `pulumi up` shows the same update again "
        "every time; RDS sets Extended Support enrollment only at create or restore (restore a "
        "snapshot to a new instance to change it)",
    ]


def test_an_ignored_create_only_input_warns_that_it_is_not_applied() -> None:
    before = [
        res(RDS, "db", inputs={"engineLifecycleSupport": "a"}, ignore_changes=["engineLifecycleSupport"])
    ]
    after = [
        res(RDS, "db", inputs={"engineLifecycleSupport": "b"}, ignore_changes=["engineLifecycleSupport"])
    ]
    assert lines(before, after) == [
        "against the saved plan: no changes; 1 warning",
        "  same db [changes ignored: engineLifecycleSupport]",
        "  warning: db: engineLifecycleSupport is not applied: ignore_changes keeps the value it was "
        "created with; RDS sets Extended Support enrollment only at create or restore (restore a "
        "snapshot to a new instance to change it)",
    ]


def test_two_warnings_are_counted_in_the_plural() -> None:
    before = [
        res(RDS, "a", inputs={"engineLifecycleSupport": "x"}),
        res(CLUSTER, "b", inputs={"engineLifecycleSupport": "x"}),
    ]
    after = [
        res(RDS, "a", inputs={"engineLifecycleSupport": "y"}),
        res(CLUSTER, "b", inputs={"engineLifecycleSupport": "y"}),
    ]
    out = lines(before, after)
    assert out[0] == "against the saved plan: 2 to update; 2 warnings"
    assert [line.split(" is ")[0] for line in out[3:]] == [
        "  warning: b: engineLifecycleSupport",
        "  warning: a: engineLifecycleSupport",
    ]


def test_a_masked_create_only_input_warns_of_nothing() -> None:
    before = [res(RDS, "db", inputs={"engineLifecycleSupport": "[secret]"})]
    after = [res(RDS, "db", inputs={"engineLifecycleSupport": "b"})]
    assert lines(before, after) == ["against the saved plan: no changes"]


# --- ignore_changes and read-back inputs ----------------------------------------------------


def test_an_ignored_change_shows_as_same_with_the_ignored_input() -> None:
    before = [res(ROLE, "role", inputs={"description": "a"}, ignore_changes=["description"])]
    after = [res(ROLE, "role", inputs={"description": "b"}, ignore_changes=["description"])]
    assert lines(before, after) == [
        "against the saved plan: no changes",
        "  same role [changes ignored: description]",
    ]


def test_an_ignored_nested_field_leaves_its_siblings_changed() -> None:
    old = {"tags": {"a": "1", "b": "1"}}
    new = {"tags": {"a": "2", "b": "2"}}
    before = [res(ROLE, "role", inputs=old, ignore_changes=["tags.a"])]
    after = [res(ROLE, "role", inputs=new, ignore_changes=["tags.a"])]
    assert lines(before, after)[1] == "  update role (tags.b) [changes ignored: tags.a]"


def test_an_ignored_replace_only_input_replaces_nothing() -> None:
    before = [vpc(ignore_changes=["cidrBlock"])]
    after = [vpc("10.9.0.0/16", ignore_changes=["cidrBlock"])]
    assert lines(before, after)[1] == "  same vpc [changes ignored: cidrBlock]"


def test_a_read_back_input_shows_at_every_up() -> None:
    gp3 = {"storageType": "gp3"}
    assert lines([res(CLUSTER, "c", inputs=gp3)], [res(CLUSTER, "c", inputs=gp3)]) == [
        "against the saved plan: 1 to update",
        "  update c (iops) [AWS fills in iops and the provider reads it back: every up]",
    ]


def test_a_read_back_input_that_also_changed_is_listed_once() -> None:
    before = [res(CLUSTER, "c", inputs={"storageType": "gp3", "iops": 3000})]
    after = [res(CLUSTER, "c", inputs={"storageType": "gp3"})]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert change.changed == ("iops",) and change.read_back == ()


# --- URNs: moved resources, aliases, components ---------------------------------------------


def test_a_resource_moved_to_another_parent_is_replaced_by_the_urn_rules() -> None:
    net = res(NET, "net", component=True)
    before = [net, vpc()]
    after = [net, vpc(parent=f"{NET}::net")]
    assert lines(before, after) == [
        "against the saved plan: 1 to replace",
        f"  replace vpc (new URN, Pulumi URN rules: {VPC} -> {NET}${VPC} and no alias names the old "
        "URN, so the engine creates the new one and deletes the old)",
    ]


def test_an_alias_naming_the_old_urn_keeps_the_moved_resource() -> None:
    net = res(NET, "net", component=True)
    before = [net, vpc()]
    after = [net, vpc(parent=f"{NET}::net", aliases=[f"{URN}{VPC}::vpc"])]
    assert lines(before, after) == ["against the saved plan: no changes"]


def test_an_alias_for_a_renamed_resource_keeps_it() -> None:
    before = [vpc()]
    after = [res(VPC, "vpc2", inputs={"cidrBlock": "10.0.0.0/16"}, aliases=[f"{URN}{VPC}::vpc"])]
    assert predict(plan(*before), plan(*after)).changes == [Change(f"{VPC}::vpc2", "vpc2", "same")]


def test_one_old_resource_goes_to_one_alias_only() -> None:
    before = [vpc()]
    old = f"{URN}{VPC}::vpc"
    after = [
        res(VPC, "a", inputs={"cidrBlock": "10.0.0.0/16"}, aliases=[old]),
        res(VPC, "b", inputs={"cidrBlock": "10.0.0.0/16"}, aliases=[old]),
    ]
    assert [(c.name, c.action) for c in predict(plan(*before), plan(*after)).changes] == [
        ("a", "same"),
        ("b", "create"),
    ]


def test_a_component_has_no_change_of_its_own() -> None:
    before = [res(NET, "net", component=True, inputs={"a": 1})]
    after = [res(NET, "net", component=True, inputs={"a": 2})]
    assert predict(plan(*before), plan(*after)).changes == []
    # Created and deleted components are shown: the engine registers and removes them.
    assert lines([], after)[1] == "  create net"
    assert lines(before, [])[1] == "  delete net"


def test_a_moved_urn_with_an_odd_shape_is_shown_whole() -> None:
    change = Change("k", "n", "replace", forcing=("urn",), reasons=())
    assert change.describe() == "replace n (new URN)"


# --- resources that read from replaced ones -------------------------------------------------


def test_a_resource_reading_from_a_replaced_one_may_change_further() -> None:
    subnet = res(SUBNET, "subnet", inputs={"cidrBlock": "10.0.1.0/24"}, depends_on=[f"{VPC}::vpc"])
    role = res(ROLE, "role", inputs={"description": "a"}, depends_on=[f"{VPC}::vpc"])
    before = [vpc(), subnet, role]
    after = [
        vpc("10.9.0.0/16"),
        subnet,
        res(ROLE, "role", inputs={"description": "b"}, depends_on=[f"{VPC}::vpc"]),
    ]
    assert lines(before, after) == [
        "against the saved plan: 2 to update, 1 to replace",
        "  update subnet [reads from replaced vpc: may change further]",
        "  replace vpc (cidrBlock is replace-only, provider schema: ForceNew)",
        "  update role (description) [reads from replaced vpc: may change further]",
    ]


def test_a_resource_reading_from_an_updated_one_is_unchanged() -> None:
    subnet = res(SUBNET, "subnet", inputs={"cidrBlock": "10.0.1.0/24"}, depends_on=[f"{VPC}::vpc"])
    before = [vpc(), subnet]
    after = [vpc(inputs={"enableDnsSupport": True}), subnet]
    assert [(c.name, c.action, c.after_replaced) for c in predict(plan(*before), plan(*after)).changes] == [
        ("subnet", "same", ()),
        ("vpc", "update", ()),
    ]


def test_a_created_or_replaced_resource_keeps_its_action() -> None:
    new_subnet = res(SUBNET, "subnet", inputs={"cidrBlock": "10.0.1.0/24"}, depends_on=[f"{VPC}::vpc"])
    changes = predict(plan(vpc()), plan(vpc("10.9.0.0/16"), new_subnet)).changes
    assert [(c.name, c.action, c.after_replaced) for c in changes] == [
        ("subnet", "create", ()),
        ("vpc", "replace", ()),
    ]


# --- parameter groups: gtid-mode ------------------------------------------------------------


def gtid(mode: str | None) -> dict[str, Any]:
    params = [{"name": "binlog_format", "value": "ROW"}]
    return {
        "family": "mysql8.0",
        "parameters": params + ([{"name": "gtid-mode", "value": mode}] if mode else []),
    }


def test_one_gtid_step_is_noted() -> None:
    before, after = (
        [res(PARAMS, "pg", inputs=gtid("OFF"))],
        [res(PARAMS, "pg", inputs=gtid("OFF_PERMISSIVE"))],
    )
    assert lines(before, after) == [
        "against the saved plan: 1 to update; 1 warning",
        "  update pg (parameters)",
        "  warning: pg: gtid-mode OFF -> OFF_PERMISSIVE: one step, applied at each instance's next reboot "
        "(yours, or RDS's in the maintenance window); reboot them all before the next step",
    ]


def test_a_gtid_jump_is_refused_on_a_cluster_parameter_group_too() -> None:
    before = [res(CLUSTER_PARAMS, "cpg", inputs=gtid("OFF"))]
    after = [res(CLUSTER_PARAMS, "cpg", inputs=gtid("ON"))]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert change.refused is not None
    assert change.refused.startswith("gtid-mode OFF -> ON skips OFF_PERMISSIVE, ON_PERMISSIVE: ")
    assert change.warnings == ()


def test_a_gtid_note_follows_the_create_only_warnings() -> None:
    # No real parameter group has a create-only input; the order is the plan's: inputs, then steps.
    before = [res(PARAMS, "pg", inputs={**gtid("OFF"), "description": "a"})]
    after = [res(PARAMS, "pg", inputs={**gtid("OFF_PERMISSIVE"), "description": "a"})]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert len(change.warnings) == 1 and change.warnings[0].startswith(
        "gtid-mode OFF -> OFF_PERMISSIVE: one step"
    )


def test_other_parameter_changes_are_plain_updates() -> None:
    other = {
        "family": "mysql8.0",
        "parameters": [{"name": "gtid-mode", "value": "OFF"}, {"name": "x", "value": "2"}],
    }
    before, after = [res(PARAMS, "pg", inputs=gtid("OFF"))], [res(PARAMS, "pg", inputs=other)]
    assert lines(before, after) == ["against the saved plan: 1 to update", "  update pg (parameters)"]


def test_gtid_mode_on_another_type_is_not_judged() -> None:
    before, after = [res(ROLE, "r", inputs=gtid("OFF"))], [res(ROLE, "r", inputs=gtid("ON"))]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert change.refused is None and change.warnings == ()


def test_a_parameter_group_whose_other_input_changed_is_not_judged() -> None:
    base = gtid("OFF")
    before = [res(PARAMS, "pg", inputs={**base, "tags": {"a": "1"}})]
    after = [res(PARAMS, "pg", inputs={**base, "tags": {"a": "2"}})]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert (change.action, change.refused, change.warnings) == ("update", None, ())


# --- Change and Prediction as text ----------------------------------------------------------


def test_describe_puts_each_part_in_its_place() -> None:
    change = Change(
        "k",
        "n",
        "replace",
        changed=("a", "b"),
        forcing=("a",),
        unknown=("b",),
        refused="why",
        after_replaced=("p", "q"),
        ignored=("c", "d"),
        read_back=("e", "f"),
        reasons=("rule",),
    )
    assert change.describe() == (
        "replace n (a is replace-only, rule) [not in the replace table: b] [AWS fills in e, f and the "
        "provider reads it back: every up] [changes ignored: c, d] [reads from replaced p, q: may "
        "change further]: refused, why"
    )


def test_describe_without_reasons_names_only_the_forcing_inputs() -> None:
    change = Change("k", "n", "replace", changed=("a", "b"), forcing=("a", "b"))
    assert change.describe() == "replace n (a is replace-only; b is replace-only)"
    assert (
        Change("k", "n", "replace", forcing=("urn",), reasons=("r",)).describe() == "replace n (new URN, r)"
    )


def test_a_prediction_lists_warnings_per_resource() -> None:
    prediction = Prediction(
        [
            Change("k1", "a", "update", changed=("x",), warnings=("w1", "w2")),
            Change("k2", "b", "same", warnings=("w3",)),
            Change("k3", "c", "same"),
        ]
    )
    assert prediction.warnings == ["a: w1", "a: w2", "b: w3"]
    assert prediction.refused == []
    assert prediction.lines() == [
        "against the saved plan: 1 to update; 3 warnings",
        "  update a (x)",
        "  warning: a: w1",
        "  warning: a: w2",
        "  warning: b: w3",
    ]


def test_an_ignored_parameter_list_is_not_judged_for_gtid_steps() -> None:
    # ignore_changes keeps the parameters the group was created with: no gtid-mode change reaches AWS.
    before = [res(PARAMS, "pg", inputs={**gtid("OFF"), "tags": {"a": "1"}}, ignore_changes=["parameters"])]
    after = [res(PARAMS, "pg", inputs={**gtid("ON"), "tags": {"a": "2"}}, ignore_changes=["parameters"])]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert (change.action, change.changed, change.refused, change.warnings) == (
        "update",
        ("tags.a",),
        None,
        (),
    )
    assert change.ignored == ("parameters",)


def test_a_urn_that_is_not_four_parts_is_shown_whole() -> None:
    # A name holding "::" splits the URN in more parts: the move names both URNs in full.
    net = res(NET, "net", component=True)
    before = [net, res(VPC, "a::b")]
    after = [net, res(VPC, "a::b", parent=f"{NET}::net")]
    assert lines(before, after)[1] == (
        f"  replace a::b (new URN, Pulumi URN rules: {URN}{VPC}::a::b -> {URN}{NET}${VPC}::a::b and no "
        "alias names the old URN, so the engine creates the new one and deletes the old)"
    )


def test_a_covered_input_does_not_stop_the_judging_of_the_next() -> None:
    # description is covered by replace_on_changes; path, after it, is replace-only by the schema.
    before = [res(ROLE, "role", inputs={"description": "a", "path": "/"}, replace_on_changes=["description"])]
    after = [
        res(ROLE, "role", inputs={"description": "b", "path": "/x/"}, replace_on_changes=["description"])
    ]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert change.forcing == ("description", "path")
    assert change.reasons == ("program: replace_on_changes description", "provider schema: ForceNew")


def test_a_replace_on_changes_path_covers_the_fields_under_it() -> None:
    before = [res(ROLE, "role", inputs={"mystery": {"x": 1}}, replace_on_changes=["mystery"])]
    after = [res(ROLE, "role", inputs={"mystery": {"x": 2}}, replace_on_changes=["mystery"])]
    change = predict(plan(*before), plan(*after)).changes[0]
    assert (change.forcing, change.unknown, change.changed) == (("mystery",), (), ("mystery.x",))


def test_two_unknown_inputs_are_listed() -> None:
    change = Change("k", "n", "replace", changed=("a", "b"), unknown=("a", "b"))
    assert change.describe() == "replace n (a, b) [not in the replace table: a, b]"


def test_reasons_that_do_not_match_the_forcing_inputs_are_a_bug_not_half_a_line() -> None:
    with pytest.raises(ValueError):
        Change("k", "n", "replace", forcing=("a", "b"), reasons=("r",)).describe()


def test_an_ignored_input_that_did_not_change_is_not_named() -> None:
    before = [
        res(ROLE, "role", inputs={"description": "a", "tags": {"a": "1"}}, ignore_changes=["description"])
    ]
    after = [
        res(ROLE, "role", inputs={"description": "a", "tags": {"a": "2"}}, ignore_changes=["description"])
    ]
    assert lines(before, after)[1] == "  update role (tags.a)"
