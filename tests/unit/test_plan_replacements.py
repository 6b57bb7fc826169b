"""Replacements the plan must not miss, and where each replace rule comes from.

Facts relied on, each cited where the planning code uses it:
- terraform-provider-aws v6 gives every Regional resource a top-level ``region`` and forces a new
  resource when it changes (``forceNewIfRegionChanges``, internal/provider region.go; the
  "Enhanced Region Support" guide). IAM is global and has none.
- ``aws_instance``'s CustomizeDiff has ``ForceNewIf(instance_type)`` when the old and new types
  share no ``ProcessorInfo.SupportedArchitectures`` (internal/service/ec2/ec2_instance.go).
- A URN is ``urn:pulumi:STACK::PROJECT::QUALIFIED-TYPE::NAME``, the qualified type being the
  parents' types and the resource's joined by ``$``: another parent is another resource unless
  ``aliases`` names the old URN (Pulumi docs, "Resource names: URNs", "Resource options: aliases").
- ignore_changes and replace_on_changes take property paths, nested ones included (Pulumi docs,
  "Resource options").
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.planning import instance_types, property_paths, replace_rules
from mysql_platform.planning.mock_engine import INSTANCE_TYPES
from mysql_platform.planning.plan import Plan
from mysql_platform.planning.predict import Change, predict
from tests.support.plans import plan

pytestmark = pytest.mark.usefixtures("shared_plans")

HOST = "host-instance"


def change_of(before: Plan, after: Plan, name: str) -> Change:
    return next(c for c in predict(before, after).changes if c.name == name)


def edited(p: Plan, resource: str, **fields: Any) -> Plan:
    """``p`` with one resource's fields replaced (for what no setting changes)."""
    resources = [dataclasses.replace(r, **fields) if r.name == resource else r for r in p.resources]
    return dataclasses.replace(p, resources=resources)


def host_inputs(p: Plan, **root: Any) -> dict[str, Any]:
    host = next(r for r in p.resources if r.name == HOST)
    return {**host.inputs, "rootBlockDevice": {**host.inputs["rootBlockDevice"], **root}}


# --- 1. another Region replaces every regional resource -------------------------------------


def test_a_region_change_replaces_every_regional_resource_the_databases_refused() -> None:
    before, after = plan("dev"), plan("dev", **{"aws:region": "us-west-2"})
    changes = {c.name: c for c in predict(before, after).changes}
    for r in before.resources:
        if r.component:
            continue
        regional = r.type.startswith("aws:") and not r.type.startswith("aws:iam/")
        assert (changes[r.name].action == "replace") == regional, r.name
        if regional:
            assert changes[r.name].forcing[0] == "region"
            assert "forceNewIfRegionChanges" in changes[r.name].reasons[0]
    assert changes["db-primary-instance"].refused == "stateful: its data and storage go with it"


def test_the_cli_exits_3_for_a_region_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "dev.json"
    saved.write_text(json.dumps(plan("dev").to_json()))
    code = plan_cli.main(["dev", "--set", "aws:region=us-west-2", "--before", str(saved)])
    assert code == plan_cli.EXIT_REFUSED
    assert "replace db-primary-instance (region is replace-only" in capsys.readouterr().out


# --- 2. a resource under another parent is another resource unless aliased -------------------


def test_the_urn_carries_the_whole_parent_chain() -> None:
    prod = plan("prod")
    instance = next(r for r in prod.resources if r.name == "db-primary-instance")
    assert prod.urn_of(instance) == (
        "urn:pulumi:prod::mysql-platform::mysql-platform:replicated:ReplicatedMySql"
        "$mysql-platform:database:MySqlDatabase$aws:rds/instance:Instance::db-primary-instance"
    )


def test_a_resource_moved_to_another_parent_is_replaced_and_refused_when_stateful() -> None:
    before = plan("dev")
    after = edited(before, "db-primary-instance", parent="mysql-platform:network:Network::network")
    change = change_of(before, after, "db-primary-instance")
    assert change.action == "replace" and change.forcing == ("urn",)
    assert replace_rules.URN in change.reasons[0]
    assert change.refused == "stateful: its data and storage go with it"


def test_a_parent_of_another_component_type_moves_its_children() -> None:
    before = plan("dev")
    retyped = [
        dataclasses.replace(r, type="mysql-platform:host:Host")
        if r.name == "host"
        else dataclasses.replace(r, parent="mysql-platform:host:Host::host")
        if r.parent == "mysql-platform:ec2_host:Ec2Host::host"
        else r
        for r in before.resources
    ]
    after = dataclasses.replace(before, resources=retyped)
    assert change_of(before, after, HOST).action == "replace"
    assert (
        "mysql-platform:ec2_host:Ec2Host$aws:ec2/instance:Instance"
        in change_of(before, after, HOST).reasons[0]
    )


def test_an_alias_naming_the_old_urn_keeps_the_moved_resource() -> None:
    before = plan("dev")
    old = next(r for r in before.resources if r.name == HOST)
    after = edited(
        before, HOST, parent="mysql-platform:network:Network::network", aliases=[before.urn_of(old)]
    )
    assert change_of(before, after, HOST).action == "same"


def test_the_programs_alias_for_the_old_subnet_group_name_keeps_it() -> None:
    now = plan("prod")
    group = next(r for r in now.resources if r.name == "db-primary-subnets-private")
    assert group.aliases == [now.urn_of(group).replace("db-primary-subnets-private", "db-primary-subnets")]
    before = edited(now, "db-primary-subnets-private", name="db-primary-subnets", aliases=[])
    prediction = predict(before, now)
    assert [c.action for c in prediction.changes if "subnets" in c.name] == ["same"]


def test_a_saved_plan_without_aliases_still_loads_and_records_none() -> None:
    data = plan("prod").to_json()
    for r in data["resources"]:
        del r["aliases"]
    loaded = Plan.from_json(json.loads(json.dumps(data)))
    assert all(r.aliases == [] for r in loaded.resources)
    assert predict(loaded, plan("prod")).lines() == ["against the saved plan: no changes"]


# --- 3. an instance type of another CPU architecture -----------------------------------------


def test_an_instance_type_of_another_architecture_replaces_the_host() -> None:
    change = change_of(plan("dev"), plan("dev", hostInstanceType="t4g.micro"), HOST)
    assert change.action == "replace" and change.forcing == ("instanceType",)
    assert change.reasons == (
        "provider CustomizeDiff: ForceNewIf, t3.micro (x86_64) and t4g.micro (arm64) "
        "share no CPU architecture",
    )


def test_an_instance_type_of_the_same_architecture_is_an_update() -> None:
    change = change_of(plan("dev"), plan("dev", hostInstanceType="t3.small"), HOST)
    assert change.action == "update" and change.changed == ("instanceType",)


def test_a_family_the_table_lacks_counts_as_a_replacement_and_says_so() -> None:
    verdict = replace_rules.verdict(
        "aws:ec2/instance:Instance", "instanceType", {"instanceType": "x9.huge"}, {"instanceType": "t3.micro"}
    )
    assert verdict.replaces is None and "x9.huge" in verdict.why


def test_the_architecture_table_agrees_with_the_mock_engines_answers() -> None:
    for name, facts in INSTANCE_TYPES.items():
        assert instance_types.architectures(name) == frozenset(facts["supportedArchitectures"]), name


# --- 4. nested ignore_changes and replace_on_changes -----------------------------------------


def test_a_root_volume_resize_is_an_update_not_a_replacement() -> None:
    before = plan("dev")
    after = edited(before, HOST, inputs=host_inputs(before, volumeSize=16))
    change = change_of(before, after, HOST)
    assert change.action == "update" and change.changed == ("rootBlockDevice.volumeSize",)


def test_a_nested_ignore_changes_path_keeps_the_old_value() -> None:
    before = plan("dev")
    ignoring = ["ami", "rootBlockDevice.encrypted"]
    after = edited(before, HOST, inputs=host_inputs(before, encrypted=False), ignore_changes=ignoring)
    change = change_of(before, after, HOST)
    assert change.action == "same" and change.ignored == ("rootBlockDevice.encrypted",)
    both = edited(
        before, HOST, inputs=host_inputs(before, encrypted=False, volumeSize=16), ignore_changes=ignoring
    )
    assert change_of(before, both, HOST).changed == ("rootBlockDevice.volumeSize",)


def test_a_nested_replace_on_changes_path_replaces_and_names_the_program() -> None:
    before = plan("dev")
    after = edited(
        before,
        HOST,
        inputs=host_inputs(before, volumeSize=16),
        replace_on_changes=["rootBlockDevice.volumeSize"],
    )
    change = change_of(before, after, HOST)
    assert change.action == "replace"
    assert change.describe() == (
        "replace host-instance (rootBlockDevice.volumeSize is replace-only, "
        "program: replace_on_changes rootBlockDevice.volumeSize)"
    )


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("rootBlockDevice.volumeSize", ("rootBlockDevice", "volumeSize")),
        ('tags["Name"]', ("tags", "Name")),
        ("ingress[0].cidrBlocks", ("ingress", 0, "cidrBlocks")),
        ("parameters[*].value", ("parameters", "*", "value")),
    ],
)
def test_property_paths_read_as_pulumi_writes_them(path: str, steps: tuple[str | int, ...]) -> None:
    assert property_paths.parse(path) == steps


def test_a_bad_property_path_is_named() -> None:
    with pytest.raises(ValueError, match=r"property path 'tags\[Name': cannot read it"):
        property_paths.parse("tags[Name")


# --- 5. each replacement names its rule's source ---------------------------------------------


def test_each_replacement_names_where_its_rule_comes_from() -> None:
    dev = plan("dev")
    by_schema = change_of(dev, plan("dev", dbName="shop"), "db-primary-suffix")
    assert by_schema.reasons == (replace_rules.SCHEMA,)
    host = next(r for r in dev.resources if r.name == HOST)
    user_data = edited(dev, HOST, inputs={**host.inputs, "userData": "#!/bin/sh\n"})
    assert change_of(dev, user_data, HOST).reasons == (
        "provider CustomizeDiff: ForceNewIf while userDataReplaceOnChange is true",
    )


def test_resources_of_global_services_stay_on_a_region_change() -> None:
    from mysql_platform.planning.replace_rules import region_change

    for token in ("aws:route53/zone:Zone", "aws:cloudfront/distribution:Distribution", "aws:iam/role:Role"):
        assert not region_change(token, "us-east-1", "us-west-2").replaces, token
    assert region_change("aws:ec2/vpc:Vpc", "us-east-1", "us-west-2").replaces
