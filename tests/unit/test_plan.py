"""``mysql-platform plan``: the program under the mock engine, shown, compared and predicted."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.components.program import program
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_OK
from mysql_platform.planning import diagram, render, replace_rules
from mysql_platform.planning.compare import compare
from mysql_platform.planning.plan import SECRET, Plan
from mysql_platform.planning.predict import predict
from tests.support import docs
from tests.support.plans import plan as shared_plan
from tests.support.pulumi_harness import shared_run
from tests.support.stacks import ANALYTICS, CLUSTER, FEATURES, TWO_REPLICAS

pytestmark = pytest.mark.usefixtures("shared_plans")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return shared_plan("prod")


def test_the_plan_lists_what_the_program_registers(prod: Plan) -> None:
    run = shared_run(program, "prod")
    # Registration order follows the event loop; the set is what the program declares.
    assert sorted((r.type, r.name) for r in prod.resources) == sorted((r.type, r.name) for r in run.resources)
    assert len(prod.resources) == len(run.resources)
    primary = prod.by_key()["aws:rds/instance:Instance::db-primary-instance"]
    assert primary.protect and primary.inputs["multiAz"] is True
    assert primary.inputs["dbSubnetGroupName"] == "-> db-primary-subnets-private.name"  # a reference


def test_secrets_are_masked_in_inputs_and_exports(prod: Plan) -> None:
    assert prod.by_key()["aws:rds/instance:Instance::db-primary-instance"].inputs["password"] == SECRET
    assert prod.exports["db_password"] == SECRET
    assert "Gen3rated" not in json.dumps(prod.to_json())


def test_a_saved_plan_reads_back_equal(prod: Plan) -> None:
    assert Plan.from_json(json.loads(json.dumps(prod.to_json()))) == prod
    with pytest.raises(ValueError, match="not a saved plan"):
        Plan.from_json({"format": 99})


def test_the_tree_shows_components_and_key_properties(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_cli.main(["dev", "--set", "dbReplicaCount=1"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "stack dev (us-east-1): 36 resources in 5 components with dbReplicaCount=1"
    assert "  mysql-platform:replicated:ReplicatedMySql  db" in out
    assert "db-primary-instance  class db.t4g.micro  engine 8.4  storage GiB 20" in out
    assert "replica of mysql-dev-primary-" in out
    assert '"db_password": "[secret]"' in out


def test_a_bad_configuration_exits_2_with_the_settings_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_cli.main(["dev", "--set", "dbReplicaCount=9"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "dbReplicaCount" in err and "Traceback" not in err
    assert plan_cli.main(["staging"]) == EXIT_BAD_INPUT
    assert "no stack file Pulumi.staging.yaml" in capsys.readouterr().err
    assert plan_cli.main(["dev", "--set", "novalue"]) == EXIT_BAD_INPUT
    assert "--set takes KEY=VALUE" in capsys.readouterr().err


def test_compare_shows_what_differs_by_logical_name(prod: Plan) -> None:
    lines = compare(shared_plan("dev"), prod)
    assert "  only in prod: aws:rds/instance:Instance::db-replica-1" in lines
    at = lines.index("  aws:rds/instance:Instance::db-primary-instance:")
    block = lines[at + 1 : at + 20]
    assert "      multiAz: false | true" in block and "      (protect): False | True" in block
    assert "      tags.environment: dev | prod" in block


# --- predictions against a saved plan -------------------------------------------------------


def test_changing_dbname_on_prod_replaces_the_protected_primary_and_is_refused(
    prod: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "prod.json"
    saved.write_text(json.dumps(prod.to_json()))
    assert plan_cli.main(["prod", "--set", "dbName=shop", "--before", str(saved)]) == plan_cli.EXIT_REFUSED
    out = capsys.readouterr().out
    assert (
        "  replace db-primary-instance (dbName is replace-only, provider schema: ForceNew): "
        "refused, protected" in out
    )


def test_changing_the_cluster_storage_type_on_prod_is_a_refused_replacement() -> None:
    before = shared_plan("prod", **{k: str(v) for k, v in CLUSTER.items()})
    after = shared_plan("prod", **{k: str(v) for k, v in {**CLUSTER, "dbClusterStorageType": "io2"}.items()})
    change = next(c for c in predict(before, after).changes if c.name == "db-cluster")
    assert change.action == "replace" and change.refused == "protected"
    resize = shared_plan("prod", **{k: str(v) for k, v in {**CLUSTER, "dbClusterIops": 2000}.items()})
    change = next(c for c in predict(before, resize).changes if c.name == "db-cluster")
    assert change.action == "update" and change.changed == ("iops",)


GP3_CLUSTER = {**{k: str(v) for k, v in CLUSTER.items()}, "dbClusterStorageType": "gp3", "dbClusterIops": "0"}


def _without_ignore_changes(plan: Plan) -> Plan:
    """``plan`` as the program registered it before the cluster ignored changes to iops."""
    resources = [dataclasses.replace(r, ignore_changes=[]) for r in plan.resources]
    return dataclasses.replace(plan, resources=resources)


def test_a_gp3_cluster_shows_no_change_at_the_second_up() -> None:
    gp3 = shared_plan("prod", **GP3_CLUSTER)
    (cluster,) = [r for r in gp3.resources if r.name == "db-cluster"]
    assert cluster.ignore_changes == ["engineLifecycleSupport", "iops"]
    assert predict(gp3, gp3).lines() == ["against the saved plan: no changes"]
    assert any(
        " db-cluster " in x and x.endswith("ignores changes to engineLifecycleSupport, iops]")
        for x in render.tree(gp3)
    )


def test_without_ignore_changes_a_gp3_cluster_shows_iops_at_every_up() -> None:
    # AWS reports 3,000 IOPS; the provider reads it back (terraform-provider-aws 41203, 43442).
    old = _without_ignore_changes(shared_plan("prod", **GP3_CLUSTER))
    change = next(c for c in predict(old, old).changes if c.name == "db-cluster")
    assert (change.action, change.changed, change.read_back) == ("update", ("iops",), ("iops",))
    assert "AWS fills in iops and the provider reads it back: every up" in change.describe()
    # The first `up` of this code drops that diff: the new registration ignores iops.
    fixed = next(
        c for c in predict(old, shared_plan("prod", **GP3_CLUSTER)).changes if c.name == "db-cluster"
    )
    assert fixed.action == "same"


def test_an_ignored_input_change_keeps_the_old_value_and_says_so() -> None:
    big = {**GP3_CLUSTER, "dbAllocatedStorageGib": "400"}
    provisioned = shared_plan("prod", **{**big, "dbClusterIops": "12000"})
    baseline = shared_plan("prod", **big)
    prediction = predict(provisioned, baseline)
    change = next(c for c in prediction.changes if c.name == "db-cluster")
    assert (change.action, change.ignored) == ("same", ("iops",))
    assert "  same db-cluster [changes ignored: iops]" in prediction.lines()
    # The other way the option is gone and the IOPS are sent: an update.
    back = next(c for c in predict(baseline, provisioned).changes if c.name == "db-cluster")
    assert (back.action, back.changed, back.ignored) == ("update", ("iops",), ())


def test_switching_prod_to_a_cluster_would_delete_the_protected_instances_and_is_refused(prod: Plan) -> None:
    cluster = shared_plan("prod", **{k: str(v) for k, v in CLUSTER.items()})
    changes = {c.name: c for c in predict(prod, cluster).changes}
    assert changes["db-primary-instance"].action == "delete"
    assert changes["db-primary-instance"].refused == "protected"
    assert changes["db-cluster"].action == "create"


def test_an_in_place_change_is_an_update(prod: Plan) -> None:
    after = shared_plan("prod", dbBackupRetentionDays="14")
    changes = {c.name: c for c in predict(prod, after).changes}
    assert changes["db-primary-instance"].action == "update"
    assert changes["db-primary-instance"].changed == ("backupRetentionPeriod",)
    assert not predict(prod, after).refused
    assert predict(prod, shared_plan("prod")).lines() == ["against the saved plan: no changes"]


def test_more_replicas_create_and_fewer_delete_a_stateful_instance(prod: Plan) -> None:
    two = shared_plan("prod", dbReplicaCount="2")
    grow = {c.name: c.action for c in predict(prod, two).changes}
    assert grow["db-replica-2"] == "create" and grow["db-primary-instance"] == "same"
    shrink = predict(two, prod)
    gone = [c for c in shrink.changes if c.name == "db-replica-2"]
    assert gone[0].action == "delete" and gone[0].refused == "protected"  # prod protects its instances
    dev_two = shared_plan("dev", dbReplicaCount="2")
    dev_gone = [
        c for c in predict(dev_two, shared_plan("dev", dbReplicaCount="1")).changes if c.action == "delete"
    ]
    assert [(c.name, c.refused) for c in dev_gone if c.name == "db-replica-2"] == [
        ("db-replica-2", "stateful: its data and storage go with it")
    ]


# --- the replace table covers what the program sets --------------------------------------------


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("dev", {}),
        ("prod", {}),
        ("dev", FEATURES),
        ("prod", FEATURES),
        ("prod", TWO_REPLICAS),
        ("prod", ANALYTICS),
        ("prod", CLUSTER),
        ("dev", {**CLUSTER, "dbClusterStorageType": "gp3", "dbClusterIops": 0}),
    ],
)
def test_the_replace_table_classifies_every_input_the_program_sets(
    stack: str, overrides: dict[str, object]
) -> None:
    run = shared_run(program, stack, overrides=overrides)
    unknown = sorted(
        f"{r.type} {prop}"
        for r in run.resources
        if r.custom
        for prop, value in r.inputs.items()
        if value is not None and replace_rules.replaces(r.type, prop, r.inputs) is None
    )
    assert unknown == []


def test_json_is_the_saved_plan(capsys: pytest.CaptureFixture[str], prod: Plan) -> None:
    assert plan_cli.main(["prod", "--json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert Plan.from_json(data).by_key().keys() == prod.by_key().keys()
    primary = next(r for r in data["resources"] if r["name"] == "db-primary-instance")
    assert primary["protect"] is True and primary["inputs"]["password"] == SECRET


# --- the diagram --------------------------------------------------------------------------------


def test_the_plan_page_diagram_is_what_the_plan_draws(prod: Plan) -> None:
    text = docs.page("plan")
    start = text.index("<!-- plan-diagram:prod:start -->\n```mermaid\n") + len(
        "<!-- plan-diagram:prod:start -->\n```mermaid\n"
    )
    end = text.index("```\n<!-- plan-diagram:prod:end -->")
    assert text[start:end] == diagram.mermaid(prod), (
        "regenerate: mysql-platform plan prod --diagram x.mmd --view resources"
    )


def test_the_diagram_boxes_components_and_draws_references(prod: Plan) -> None:
    mmd = diagram.mermaid(prod)
    assert 'subgraph r_mysql_platform_database_MySqlDatabase__db_primary["db-primary (MySqlDatabase)"]' in mmd
    # The replica reads the primary's identifier; the instance reads its subnet group's name.
    assert (
        "r_aws_rds_instance_Instance__db_primary_instance --> r_aws_rds_instance_Instance__db_replica_1"
        in mmd
    )
    subnets, primary = (
        "r_aws_rds_subnetGroup_SubnetGroup__db_primary_subnets_private",
        "r_aws_rds_instance_Instance__db_primary_instance",
    )
    assert f"{subnets} --> {primary}" in mmd
    dot = diagram.dot(prod)
    assert dot.startswith('digraph "prod" {') and "subgraph cluster_" in dot


def test_a_diagram_needs_a_known_suffix_and_graphviz_for_svg(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert plan_cli.main(["dev", "--diagram", str(tmp_path / "x.png")]) == EXIT_BAD_INPUT
    assert "expected a file ending in .mmd, .svg, .dot" in capsys.readouterr().err
    monkeypatch.setattr(diagram.shutil, "which", lambda _name: None)
    assert plan_cli.main(["dev", "--diagram", str(tmp_path / "x.svg")]) == EXIT_BAD_INPUT
    assert "needs Graphviz's dot" in capsys.readouterr().err
    assert plan_cli.main(["dev", "--diagram", str(tmp_path / "x.mmd")]) == EXIT_OK
    assert (tmp_path / "x.mmd").read_text().startswith("flowchart LR\n")
