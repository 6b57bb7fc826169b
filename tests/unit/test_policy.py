"""The policy rules: the committed stacks pass them, and each rule catches a bad variant."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.errors import EXIT_BAD_INPUT
from mysql_platform.planning import policy_rules
from mysql_platform.planning.plan import Plan, make_plan
from mysql_platform.planning.policy_rules import ADVISORY, MANDATORY, Resource, evaluate
from tests.support.plans import plan as shared_plan
from tests.support.stacks import ANALYTICS

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"

pytestmark = pytest.mark.usefixtures("shared_plans")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return shared_plan("prod")


def resources(plan: Plan) -> list[Resource]:
    return [Resource(r.type, r.name, r.inputs, r.protect) for r in plan.resources if not r.component]


def changed(plan: Plan, name: str, **inputs: Any) -> list[Resource]:
    """The plan's resources with ``inputs`` changed on the one called ``name``."""
    return [
        dataclasses.replace(r, inputs={**r.inputs, **inputs}) if r.name == name else r
        for r in resources(plan)
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_committed_stacks_pass_every_rule(stack: str) -> None:
    assert make_plan(stack).policy_violations() == []


def test_variants_made_with_set_are_caught_and_a_mandatory_one_exits_4(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = plan_cli.main(["prod", "--set", "dbMultiAz=false", "--set", "dbBackupRetentionDays=1"])
    out = capsys.readouterr().out
    assert "[advisory] prod-multi-az: db-primary-instance: the prod primary is not Multi-AZ" in out
    assert "[advisory] prod-backups: db-primary-instance: backups kept 1 days, prod keeps at least 7" in out
    assert code == 0  # advisory only
    assert plan_cli.main(["prod", "--set", "dbDeletionProtection=false"]) == plan_cli.EXIT_POLICY
    out = capsys.readouterr().out
    assert (
        "[mandatory] prod-db-protected: db-primary-instance: deletionProtection is off on a prod database"
        in out
    )


def test_what_the_settings_refuse_first_is_caught_by_the_rules_too(
    prod: Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    # The settings stop these before any resource (exit 2); the rules still hold on their own, for
    # a program changed later or a stack built another way.
    assert plan_cli.main(["prod", "--set", "dbPubliclyAccessible=true"]) == EXIT_BAD_INPUT
    capsys.readouterr()
    cases = {
        "prod-db-private": changed(prod, "db-primary-instance", publiclyAccessible=True),
        "db-storage-encrypted": changed(prod, "db-primary-instance", storageEncrypted=False),
        "volumes-encrypted": changed(prod, "host-instance", rootBlockDevice={"encrypted": False}),
        "imdsv2": changed(prod, "host-instance", metadataOptions={"httpTokens": "optional"}),
        "tls-required": changed(
            prod, "db-primary-params", parameters=[{"name": "require_secure_transport", "value": "OFF"}]
        ),
        "prod-db-protected": [dataclasses.replace(r, protect=False) for r in resources(prod)],
    }
    for rule, variant in cases.items():
        assert {v.rule for v in evaluate(variant)} == {rule}, rule


@pytest.mark.parametrize(
    ("cidrs", "caught"),
    [
        (["0.0.0.0/0"], True),
        (["0.0.0.0/1", "128.0.0.0/1"], True),  # the whole internet in pieces
        (["::/1", "8000::/1"], True),
        (["0.0.0.0/1", "128.0.0.0/2"], False),
        (["198.51.100.0/24"], False),
    ],
)
def test_no_ingress_from_the_whole_internet_also_in_pieces(cidrs: list[str], caught: bool) -> None:
    rules = [
        Resource(
            policy_rules.INGRESS,
            f"r{i}",
            {"securityGroupId": "sg-1", "fromPort": 3306, "toPort": 3306, "cidrIpv4": c},
        )
        for i, c in enumerate(cidrs)
    ]
    found = evaluate(rules)
    assert bool(found) is caught
    assert all(v.rule == "no-internet-ingress" and v.enforcement == MANDATORY for v in found)


def test_each_rule_has_a_documented_enforcement() -> None:
    assert {r.enforcement for r in policy_rules.RULES} == {MANDATORY, ADVISORY}
    assert len({r.name for r in policy_rules.RULES}) == len(policy_rules.RULES) == 13


def test_the_crossguard_pack_runs_the_same_rules(prod: Plan) -> None:
    sys.path.insert(0, str(POLICY_DIR))
    try:
        import pack  # policy/pack.py: the CrossGuard wrappers
    finally:
        sys.path.remove(str(POLICY_DIR))
    policies = {p.name: p for p in pack.policies()}
    assert list(policies) == [r.name for r in policy_rules.RULES]
    host = next(r for r in prod.resources if r.name == "host-instance")
    args = dataclasses.make_dataclass("Args", ["resource_type", "name", "props", "opts"])
    bad = args(host.type, host.name, {**host.inputs, "metadataOptions": {"httpTokens": "optional"}}, None)
    reported: list[str] = []
    policies["imdsv2"].validate(bad, lambda message, _urn: reported.append(message))
    assert reported == [
        "host-instance: instance metadata does not require IMDSv2 tokens (metadataOptions.httpTokens)"
    ]
    good = args(host.type, host.name, host.inputs, None)
    policies["imdsv2"].validate(good, lambda message, _urn: reported.append(message))
    assert len(reported) == 1


# --- analytics (analyticsEnabled) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def analytics() -> Plan:
    return shared_plan("prod", **{k: "true" for k in ANALYTICS})


def test_the_analytics_stack_passes_every_rule(analytics: Plan) -> None:
    assert analytics.policy_violations() == []


def test_the_analytics_rules_catch_open_unencrypted_unrotated_and_unbounded_variants(analytics: Plan) -> None:
    workgroup = analytics.by_key()["aws:athena/workgroup:Workgroup::analytics-workgroup"].inputs[
        "configuration"
    ]
    cases = {
        "buckets-private": changed(analytics, "analytics-public-access", restrictPublicBuckets=False),
        "buckets-encrypted": changed(
            analytics,
            "analytics-encryption",
            rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
        ),
        "kms-rotation": changed(analytics, "analytics-key", enableKeyRotation=False),
        "athena-enforced": changed(
            analytics,
            "analytics-workgroup",
            configuration={**workgroup, "enforceWorkgroupConfiguration": False},
        ),
    }
    for rule, variant in cases.items():
        assert {v.rule for v in evaluate(variant)} == {rule}, rule
    without_block = [r for r in resources(analytics) if r.type != policy_rules.PUBLIC_ACCESS_BLOCK]
    assert [v.message for v in evaluate(without_block)] == [
        "1 buckets, 0 public access blocks: every bucket blocks public access"
    ]


def test_a_prod_cluster_passes_every_rule_and_each_database_rule_catches_its_variant() -> None:
    from tests.support.stacks import CLUSTER

    cluster = shared_plan("prod", **{k: str(v) for k, v in CLUSTER.items()})
    assert cluster.policy_violations() == []
    cases = {
        "prod-db-private": changed(cluster, "db-cluster", publiclyAccessible=True),
        "db-storage-encrypted": changed(cluster, "db-cluster", storageEncrypted=False),
        "prod-backups": changed(cluster, "db-cluster", backupRetentionPeriod=1),
        "tls-required": changed(
            cluster, "db-params", parameters=[{"name": "require_secure_transport", "value": "OFF"}]
        ),
        "prod-db-protected": changed(cluster, "db-cluster", deletionProtection=False),
    }
    for rule, variant in cases.items():
        assert {v.rule for v in evaluate(variant)} == {rule}, rule


# --- the second review: promotion, inline ingress, default parameter groups, prod-like names -----


def test_a_promoted_replica_passes_and_the_documented_failover_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # components/replicated.py promotes replica N by dropping replicateSourceDb; the instance keeps
    # the storage (and encryption) it was created with from the primary, and sets no
    # storageEncrypted of its own.
    promoted = shared_plan("prod", dbPromoteReplica="1")
    replica = promoted.by_key()[f"{policy_rules.RDS}::db-replica-1"].inputs
    assert "replicateSourceDb" not in replica and "storageEncrypted" not in replica
    # Advisory only: the promoted writer runs single-AZ (components/replicated.py multi_az=False).
    assert [(v.rule, v.message) for v in promoted.policy_violations()] == [
        ("prod-multi-az", "db-replica-1: the prod primary is not Multi-AZ")
    ]
    assert plan_cli.main(["prod", "--set", "dbPromoteReplica=1"]) == 0
    capsys.readouterr()


def test_fails_an_instance_tagged_promoted_that_was_created_unencrypted(prod: Plan) -> None:
    # A master username means CreateDBInstance made it, not a promotion: its own setting counts.
    fresh = changed(
        prod,
        "db-primary-instance",
        storageEncrypted=None,
        tags={"environment": "prod", "role": policy_rules.PROMOTED_ROLE},
    )
    assert [v.message for v in evaluate(fresh) if v.rule == "db-storage-encrypted"] == [
        "db-primary-instance: storageEncrypted is not true"
    ]


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            Resource(
                policy_rules.SECURITY_GROUP,
                "inline-sg",
                {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]},
            ),
            "ports 22-22 admit the whole internet: 0.0.0.0/0 (inline-sg.ingress[0])",
        ),
        (
            Resource(
                policy_rules.SECURITY_GROUP_RULE,
                "v6-rule",
                {
                    "type": "ingress",
                    "protocol": "tcp",
                    "fromPort": 3306,
                    "toPort": 3306,
                    "ipv6CidrBlocks": ["::/0"],
                },
            ),
            "ports 3306-3306 admit the whole internet: ::/0 (v6-rule)",
        ),
        (
            Resource(
                policy_rules.SECURITY_GROUP_RULE,
                "all-traffic",
                {
                    "type": "ingress",
                    "protocol": "-1",
                    "fromPort": 0,
                    "toPort": 0,
                    "cidrBlocks": ["0.0.0.0/0"],
                },
            ),
            "ports 0-65535 admit the whole internet: 0.0.0.0/0 (all-traffic)",
        ),
    ],
)
def test_fails_inline_and_security_group_rule_ingress_from_the_internet(
    resource: Resource, expected: str
) -> None:
    assert [(v.rule, v.message) for v in evaluate([resource])] == [("no-internet-ingress", expected)]


def test_fails_the_internet_in_pieces_across_inline_ingress_and_rule_resources() -> None:
    pieces = [
        Resource(
            policy_rules.SECURITY_GROUP,
            "sg",
            {"ingress": [{"protocol": "tcp", "fromPort": 3306, "toPort": 3306, "cidrBlocks": ["0.0.0.0/1"]}]},
        ),
        Resource(
            policy_rules.SECURITY_GROUP_RULE,
            "rule",
            {
                "type": "ingress",
                "protocol": "tcp",
                "fromPort": 3300,
                "toPort": 3310,
                "cidrBlocks": ["128.0.0.0/1"],
            },
        ),
    ]
    assert [v.message for v in evaluate(pieces)] == [
        "ports 3306-3306 admit the whole internet: 0.0.0.0/1 (sg.ingress[0]), 128.0.0.0/1 (rule)"
    ]
    egress = dataclasses.replace(pieces[1], inputs={**pieces[1].inputs, "type": "egress"})
    assert evaluate([pieces[0], egress]) == []


def test_fails_a_database_on_an_rds_default_parameter_group(prod: Plan) -> None:
    # RDS MySQL 8.4 and lower: require_secure_transport is OFF in the default group.
    for value in (None, "default.mysql8.4"):
        variant = changed(prod, "db-primary-instance", parameterGroupName=value)
        assert [v.rule for v in evaluate(variant)] == ["tls-required"], value
    # A same-Region replica without a group takes its source's (CreateDBInstanceReadReplica).
    assert evaluate(changed(prod, "db-replica-1", parameterGroupName=None)) == []


def test_fails_a_cluster_on_the_default_cluster_parameter_group() -> None:
    from tests.support.stacks import CLUSTER

    cluster = shared_plan("prod", **{k: str(v) for k, v in CLUSTER.items()})
    variant = changed(cluster, "db-cluster", dbClusterParameterGroupName=None)
    assert [v.message for v in evaluate(variant)] == [
        "db-cluster: no dbClusterParameterGroupName: RDS uses its default group, where "
        "require_secure_transport is OFF"
    ]


@pytest.mark.parametrize("environment", ["production", "prod-eu", "Prod"])
def test_the_prod_rules_apply_to_every_prod_like_stack(prod: Plan, environment: str) -> None:
    variant = [
        dataclasses.replace(r, inputs={**r.inputs, "tags": {**r.inputs["tags"], "environment": environment}})
        if isinstance(r.inputs.get("tags"), dict)
        else r
        for r in changed(prod, "db-primary-instance", deletionProtection=False)
    ]
    assert [v.message for v in evaluate(variant)] == [
        "db-primary-instance: deletionProtection is off on a prod database"
    ]
    dev_named = [
        dataclasses.replace(r, inputs={**r.inputs, "tags": {**r.inputs["tags"], "environment": "dev"}})
        if isinstance(r.inputs.get("tags"), dict)
        else r
        for r in variant
    ]
    assert evaluate(dev_named) == []
