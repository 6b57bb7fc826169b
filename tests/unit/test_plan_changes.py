"""`plan --before`: the change set as JSON, the monthly cost change, and the changes-present exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_OK
from mysql_platform.planning import cost, replace_rules
from mysql_platform.planning.plan import Plan
from tests.support.plans import plan as shared_plan

pytestmark = pytest.mark.usefixtures("shared_plans")

VPC = "aws:ec2/vpc:Vpc::network-vpc"


def saved(plan: Plan, tmp_path: Path) -> str:
    path = tmp_path / f"{plan.stack}.json"
    path.write_text(json.dumps(plan.to_json()))
    return str(path)


def json_out(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = plan_cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_before_json_holds_a_change_set_not_text_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = saved(shared_plan("prod"), tmp_path)
    code, data, err = json_out(capsys, "prod", "--set", "dbReplicaCount=2", "--before", before, "--json")
    assert code == EXIT_OK and err == ""
    steps = {s["name"]: s for s in data["changes"]}
    assert steps["db-replica-2"]["action"] == "create"
    assert steps["network-vpc"]["action"] == "same" and steps["network-vpc"]["attributes"] == []
    update = steps["alerts-db-events"]
    assert update["action"] == "update" and [a["path"] for a in update["attributes"]] == ["sourceIds"]
    old, new = update["attributes"][0]["old"], update["attributes"][0]["new"]
    assert len(new) == len(old) + 1 and set(old) < set(new)
    assert "Gen3rated" not in json.dumps(data)  # secrets stay masked


def test_a_replacement_names_the_input_and_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = saved(shared_plan("dev"), tmp_path)
    _, data, _ = json_out(capsys, "dev", "--set", "vpcCidr=10.41.0.0/16", "--before", before, "--json")
    vpc = next(s for s in data["changes"] if s["resource"] == VPC)
    assert vpc["action"] == "replace"
    assert {"path": "cidrBlock", "old": "10.40.0.0/16", "new": "10.41.0.0/16"} in vpc["attributes"]
    source = replace_rules.RULES["aws:ec2/vpc:Vpc"].source
    assert vpc["replacement"] == [{"input": "cidrBlock", "rule": f"provider: replace-only ({source})"}]


def test_compare_json_includes_the_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    _, data, _ = json_out(capsys, "dev", "--compare", "prod", "--json")
    compared = data["compare"]
    assert (compared["this"], compared["other"]) == ("dev", "prod")
    rows = compared["differences"]["aws:rds/instance:Instance::db-primary-instance"]
    assert {"path": "multiAz", "this": False, "other": True} in rows
    assert data["stack"] == "dev"  # the plan itself is still there


def test_the_monthly_cost_change_per_resource_and_in_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    was, now = cost.estimate(shared_plan("prod")), cost.estimate(shared_plan("prod", dbReplicaCount="2"))
    replica = sum(x.monthly for x in was.lines if x.resource == "db-replica-1")  # what a replica costs
    before = saved(shared_plan("prod"), tmp_path)
    assert plan_cli.main(["prod", "--set", "dbReplicaCount=2", "--before", before]) == EXIT_OK
    out = capsys.readouterr().out
    section = out[out.index("monthly cost change") :].splitlines()
    row = next(line for line in section if line.split()[0] == "db-replica-2")
    assert row.split()[1:] == ["0.00", "->", f"{replica:.2f}", f"+{replica:.2f}"]
    delta = now.total - was.total
    assert delta > replica  # the third low-storage alarm comes with it
    assert section[-1].split() == ["total", f"{was.total:.2f}", "->", f"{now.total:.2f}", f"+{delta:.2f}"]
    _, data, _ = json_out(capsys, "prod", "--set", "dbReplicaCount=2", "--before", before, "--json")
    assert data["cost_change"]["monthly_delta"] == round(delta, 2)
    rows = data["cost_change"]["resources"]
    assert [r["resource"] for r in rows] == ["alerts-low-storage-3", "db-replica-2"]
    assert round(sum(r["delta"] for r in rows), 2) == round(delta, 2)


def test_the_cost_change_is_unpriced_outside_the_vendored_regions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = saved(shared_plan("dev"), tmp_path)
    plan_cli.main(["dev", "--set", "aws:region=eu-west-3", "--before", before])
    out = capsys.readouterr().out
    assert (
        "monthly cost change (USD, On-Demand list prices): unpriced (no vendored prices for eu-west-3)" in out
    )


def test_detailed_exitcode_says_whether_anything_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = saved(shared_plan("prod"), tmp_path)
    assert plan_cli.main(["prod", "--before", before, "--detailed-exitcode"]) == EXIT_OK
    changed = ["prod", "--set", "dbReplicaCount=2", "--before", before]
    assert plan_cli.main(changed) == EXIT_OK
    assert plan_cli.main([*changed, "--detailed-exitcode"]) == plan_cli.EXIT_CHANGES == 5
    refused = ["prod", "--set", "dbName=shop", "--before", before, "--detailed-exitcode"]
    assert plan_cli.main(refused) == plan_cli.EXIT_REFUSED  # a refusal comes first
    assert plan_cli.main(["prod", "--detailed-exitcode"]) == EXIT_BAD_INPUT
    assert "--detailed-exitcode needs --before" in capsys.readouterr().err
    assert (
        len({EXIT_OK, EXIT_BAD_INPUT, plan_cli.EXIT_REFUSED, plan_cli.EXIT_POLICY, plan_cli.EXIT_CHANGES})
        == 5
    )


def test_no_cost_change_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = saved(shared_plan("prod"), tmp_path)
    assert plan_cli.main(["prod", "--before", before]) == EXIT_OK
    section = capsys.readouterr().out.split("monthly cost change")[1].splitlines()
    assert section[1] == "  no resource's monthly figure changes"
    assert section[2].split()[-1] == "+0.00"


def test_a_region_change_names_the_providers_customizediff_in_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = saved(shared_plan("dev"), tmp_path)
    _, data, _ = json_out(capsys, "dev", "--set", "aws:region=us-west-2", "--before", before, "--json")
    vpc = next(s for s in data["changes"] if s["resource"] == VPC)
    assert vpc["action"] == "replace"
    rules = {r["input"]: r["rule"] for r in vpc["replacement"]}
    assert rules["region"] == (
        "provider CustomizeDiff: forceNewIfRegionChanges (ModifyPlan for framework resources), "
        "us-east-1 -> us-west-2"
    )
