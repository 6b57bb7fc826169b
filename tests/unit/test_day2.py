"""Day-2 operations as AWS and the AWS provider would run them: replace, upgrade, destroy, drift.

Each test names the provider or AWS behaviour it relies on.
"""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.components.program import program
from mysql_platform.components.rds_parameters import MAX_CONNECT_ERRORS_MAX
from mysql_platform.components.settings import ConfigError
from mysql_platform.core import contract
from tests.support.pulumi_harness import ProgramRun, Registered, shared_run
from tests.support.stacks import FEATURES, LOG_RETENTION_DAYS, TAGS, TWO_REPLICAS

RDS = "aws:rds/instance:Instance"
PARAMS = "aws:rds/parameterGroup:ParameterGroup"
RANDOM_ID = "random:index/randomId:RandomId"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EC2 = "aws:ec2/instance:Instance"
SG = "aws:ec2/securityGroup:SecurityGroup"
EIP = "aws:ec2/eip:Eip"
EIP_ASSOC = "aws:ec2/eipAssociation:EipAssociation"
EXTENDED = "open-source-rds-extended-support"
# Step 1 of a major upgrade on a stack that runs 8.0: the replicas go to 8.4 first.
UPGRADE_STEP_1 = {
    "dbEngineVersion": "8.0",
    "dbEngineLifecycleSupport": EXTENDED,
    "dbAllowMajorVersionUpgrade": True,
    "dbReplicaEngineVersion": "8.4",
}


def run(stack: str, preview: bool = False, **overrides: Any) -> ProgramRun:
    return shared_run(program, stack, preview=preview, overrides=overrides)


def rejects(stack: str = "prod", **overrides: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        run(stack, **overrides)
    return info.value.problems


def params_of(r: ProgramRun, name: str) -> dict[str, str]:
    return {p["name"]: p["value"] for p in r.one(PARAMS, name).plain("parameters")}


def instances(r: ProgramRun) -> list[Registered]:
    return r.of_type(RDS)


# --- 1. final snapshots ---------------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True])
def test_final_snapshot_is_unique_per_instance_because_snapshot_ids_are_global_in_the_region(
    preview: bool,
) -> None:
    r = run("prod", preview, dbPromoteReplica=1)
    primary, promoted = r.one(RDS, "db-primary-instance"), r.one(RDS, "db-replica-1")
    snapshots = [primary.plain("finalSnapshotIdentifier"), promoted.plain("finalSnapshotIdentifier")]
    assert snapshots == [f"{primary.plain('identifier')}-final", f"{promoted.plain('identifier')}-final"]
    assert len(set(snapshots)) == 2
    # The suffix comes from a RandomId per instance, stable while its keepers hold.
    suffix = r.outputs_of(r.one(RANDOM_ID, "db-primary-suffix"))["hex"]
    assert primary.plain("identifier") == f"mysql-prod-primary-{suffix}"


def test_replace_only_inputs_change_the_identifier_and_so_the_snapshot_name() -> None:
    # db_name and username are ForceNew in the provider's aws_db_instance schema: a new value
    # replaces the instance, so the suffix's keepers carry them and a new suffix follows.
    before = run("prod").one(RANDOM_ID, "db-primary-suffix").plain("keepers")
    after = run("prod", dbName="shop").one(RANDOM_ID, "db-primary-suffix").plain("keepers")
    assert before["db_name"] == "app" and after["db_name"] == "shop"
    assert before["username"] == after["username"] == "admin"
    assert before["storage_encrypted"] == "true"


def test_final_snapshot_name_is_valid_for_rds() -> None:
    # Provider validation: begins with a letter, alphanumerics and hyphens, no "--", no trailing "-".
    import re

    for stack_name in ("prod", "Prod_EU.1", "9lives"):
        r = shared_run(program, stack_name, stack_file="prod")
        name = r.one(RDS, "db-primary-instance").plain("finalSnapshotIdentifier")
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]", name) and "--" not in name, name
        assert len(r.one(RDS, "db-primary-instance").plain("identifier")) <= 63


# --- 2. replacing the primary ---------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True])
def test_following_replicas_are_replaced_with_their_source_not_re_elected(preview: bool) -> None:
    # replicate_source_db is updatable in place; the provider refuses a new source for an
    # existing replica ("cannot elect new source database for replication").
    r = run("prod", preview, **TWO_REPLICAS)
    for name in ("db-replica-1", "db-replica-2"):
        replica = r.one(RDS, name)
        assert replica.replace_on_changes == ["replicateSourceDb"]
        # The replica keeps its identifier, so the old one must go before the new one exists.
        assert replica.delete_before_replace is True


def test_a_promoted_replica_is_never_replaced_by_its_old_source() -> None:
    r = run("prod", dbReplicaCount=2, dbPromoteReplica=1)
    promoted, other = r.one(RDS, "db-replica-1"), r.one(RDS, "db-replica-2")
    assert promoted.replace_on_changes == [] and promoted.delete_before_replace is False
    assert other.replace_on_changes == ["replicateSourceDb"]
    # Its identity has no keepers: promotion changes nothing that would rename it.
    assert r.one(RANDOM_ID, "db-replica-1-suffix").plain("keepers") in (None, {})


# --- 3. major version upgrade ---------------------------------------------------------------


def test_major_upgrade_step_one_upgrades_the_replicas_first_with_their_own_parameter_group() -> None:
    r = run("prod", **UPGRADE_STEP_1)
    primary, replica = r.one(RDS, "db-primary-instance"), r.one(RDS, "db-replica-1")
    assert primary.plain("engineVersion") == "8.0"
    assert replica.plain("engineVersion") == "8.4"
    assert primary.plain("allowMajorVersionUpgrade") is True
    assert replica.plain("allowMajorVersionUpgrade") is True
    assert r.one(PARAMS, "db-primary-params").plain("family") == "mysql8.0"
    assert r.one(PARAMS, "db-replica-params").plain("family") == "mysql8.4"
    assert replica.plain("parameterGroupName") == r.outputs_of(r.one(PARAMS, "db-replica-params"))["name"]


UPGRADE_STEP_2 = {**UPGRADE_STEP_1, "dbEngineVersion": "8.4", "dbEngineLifecycleSupport": None}


def test_major_upgrade_step_two_puts_the_replicas_back_on_the_primarys_group() -> None:
    # docs/aws-day2.md, step 2: the replicas run the primary's line again, so they share its group at once.
    step2 = run("prod", **UPGRADE_STEP_2)
    primary, replica = step2.one(RDS, "db-primary-instance"), step2.one(RDS, "db-replica-1")
    assert primary.plain("engineVersion") == "8.4"
    assert not [p for p in step2.of_type(PARAMS) if p.name == "db-replica-params"]
    assert replica.plain("parameterGroupName") == primary.plain("parameterGroupName")
    assert step2.one(PARAMS, "db-primary-params").plain("family") == "mysql8.4"


def test_major_upgrade_step_three_only_turns_major_upgrades_off_again() -> None:
    # Day 2 page, step 3: nothing moves between groups any more.
    step2, done = run("prod", **UPGRADE_STEP_2), run("prod")
    for name in ("db-primary-instance", "db-replica-1"):
        before, after = step2.one(RDS, name), done.one(RDS, name)
        assert before.plain("parameterGroupName") == after.plain("parameterGroupName")
        assert before.plain("engineVersion") == after.plain("engineVersion") == "8.4"
        assert (before.plain("allowMajorVersionUpgrade"), after.plain("allowMajorVersionUpgrade")) == (
            True,
            False,
        )


@pytest.mark.parametrize(("stack", "protected"), [("prod", True), ("dev", False)])
def test_replicas_are_protected_like_the_primary_so_prod_removes_one_in_two_steps(
    stack: str, protected: bool
) -> None:
    # Day 2 page, "Adding or removing a replica": on prod a replica is protected (Pulumi protect and
    # RDS deletion protection); removing it needs that one replica unprotected first.
    for db in instances(run(stack, dbReplicaCount=2)):
        assert db.protect is protected
        assert db.plain("deletionProtection") is protected


def test_dbdeletionprotection_is_stack_wide_so_it_is_no_way_to_retire_the_old_primary() -> None:
    # docs/failover.md, "Failover on AWS": after promotion the old primary is still declared, and turning
    # dbDeletionProtection off would unprotect the promoted writer as well.
    promoted = run("prod", dbPromoteReplica=1)
    assert promoted.one(RDS, "db-primary-instance").protect is True
    unprotected = run("prod", dbPromoteReplica=1, dbDeletionProtection=False)
    writer = unprotected.one(RDS, "db-replica-1")
    assert writer.plain("replicateSourceDb") is None
    assert writer.protect is False and writer.plain("deletionProtection") is False


def test_rejects_a_one_step_major_upgrade_with_replicas_and_names_the_steps() -> None:
    problems = rejects(dbAllowMajorVersionUpgrade=True)
    text = next(p for p in problems if p.startswith("dbReplicaEngineVersion:"))
    for step in ("dbReplicaEngineVersion 8.4", "dbEngineVersion 8.4", "pulumi config rm"):
        assert step in text


def test_rejects_replicas_older_than_their_source() -> None:
    problems = rejects(dbReplicaEngineVersion="8.0", dbAllowMajorVersionUpgrade=True)
    assert any(p.startswith("dbReplicaEngineVersion:") and "older line" in p for p in problems)


def test_rejects_a_replica_on_another_line_without_allowing_the_major_upgrade() -> None:
    problems = rejects(**{**UPGRADE_STEP_1, "dbAllowMajorVersionUpgrade": False})
    assert any(p.startswith("dbAllowMajorVersionUpgrade:") for p in problems)


# --- 4. engine default and Extended Support -------------------------------------------------


def test_default_engine_is_the_8_4_line_with_extended_support_chosen_explicitly() -> None:
    db = run("dev").one(RDS, "db-primary-instance")
    assert db.plain("engineVersion") == "8.4"
    assert db.plain("engineLifecycleSupport") == "open-source-rds-extended-support-disabled"


@pytest.mark.parametrize("preview", [False, True])
def test_enrollment_is_sent_at_create_and_never_changed_after(preview: bool) -> None:
    # AWS sets Extended Support enrollment only at create or restore, and the provider's update
    # sends nothing for it (instance.go dbInstancePopulateModify; issues #40870, #44552): Pulumi
    # keeps the created value, so a changed setting is no diff that never converges.
    r = run("prod", preview, dbEngineLifecycleSupport=EXTENDED)
    primary = r.one(RDS, "db-primary-instance")
    assert primary.plain("engineLifecycleSupport") == EXTENDED  # what a new instance is created with
    assert primary.ignore_changes == ["engineLifecycleSupport"]
    # A replica inherits its source's: CreateDBInstanceReadReplica takes none (resourceInstanceCreate).
    replica = r.one(RDS, "db-replica-1")
    assert replica.plain("engineLifecycleSupport") is None
    assert "engineLifecycleSupport" not in replica.ignore_changes


def test_rejects_8_0_without_choosing_paid_extended_support() -> None:
    problems = rejects("dev", dbEngineVersion="8.0")
    assert any(p.startswith("dbEngineLifecycleSupport:") and "2026-07-31" in p for p in problems)
    ok = run("dev", dbEngineVersion="8.0", dbEngineLifecycleSupport=EXTENDED)
    assert ok.one(RDS, "db-primary-instance").plain("engineLifecycleSupport") == EXTENDED


# --- 6, 7, 10. parameters -------------------------------------------------------------------


def test_exported_logs_have_their_server_switches() -> None:
    params = params_of(run("dev", dbLogExports=["error", "slowquery", "general"]), "db-primary-params")
    assert params["slow_query_log"] == "1"
    assert params["general_log"] == "1"
    assert params["log_output"] == "FILE"
    without = params_of(run("dev", dbLogExports=["error"]), "db-primary-params")
    assert "slow_query_log" not in without and "general_log" not in without


def test_rejects_audit_log_export_which_needs_an_option_group() -> None:
    problems = rejects("dev", dbLogExports=["error", "audit"])
    assert any(p.startswith("dbLogExports:") and "option group" in p for p in problems)


def test_triggers_and_functions_work_without_super() -> None:
    assert params_of(run("prod"), "db-primary-params")["log_bin_trust_function_creators"] == "1"


def test_health_checks_can_never_block_the_host() -> None:
    assert params_of(run("prod"), "db-primary-params")["max_connect_errors"] == MAX_CONNECT_ERRORS_MAX
    assert int(MAX_CONNECT_ERRORS_MAX) == 2**64 - 1


# --- 8, 9. second `pulumi up` ---------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_changes_apply_at_once_within_explicit_windows(stack: str) -> None:
    r = run(stack)
    for db in instances(r):
        assert db.plain("applyImmediately") is True
        assert db.plain("maintenanceWindow") == "sun:04:00-sun:05:00"
    assert r.one(RDS, "db-primary-instance").plain("backupWindow") == "03:00-03:30"


def test_maintenance_can_wait_for_the_window_when_asked() -> None:
    assert FEATURES["dbApplyImmediately"] is False
    for db in instances(run("prod", **FEATURES)):
        assert db.plain("applyImmediately") is False


@pytest.mark.parametrize(
    ("backup", "maintenance", "fragment"),
    [
        ("04:30-05:00", "sun:04:00-sun:05:00", "overlaps"),
        ("23:50-00:20", "mon:00:00-mon:01:00", "overlaps"),
        ("03:00-03:10", "sun:04:00-sun:05:00", "at least 30"),
        ("3am", "sun:04:00-sun:05:00", "hh24:mi-hh24:mi"),
        ("03:00-03:30", "sunday 4am", "ddd:hh24:mi"),
    ],
)
def test_rejects_bad_or_overlapping_windows(backup: str, maintenance: str, fragment: str) -> None:
    problems = rejects(dbBackupWindow=backup, dbMaintenanceWindow=maintenance)
    assert any(fragment in p for p in problems), problems


def test_a_pinned_patch_turns_automatic_minor_upgrades_off_everywhere() -> None:
    pinned = run("prod", dbEngineVersion="8.4.3")
    assert [db.plain("autoMinorVersionUpgrade") for db in instances(pinned)] == [False, False]
    line = run("prod")
    assert [db.plain("autoMinorVersionUpgrade") for db in instances(line)] == [True, True]


# --- 11, 12. lookups ------------------------------------------------------------------------


def test_local_zones_are_not_used_for_subnets() -> None:
    r = run("prod")
    zone_calls = [a for t, a in r.calls if t == "aws:index/getAvailabilityZones:getAvailabilityZones"]
    assert zone_calls and all(
        a["filters"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}] for a in zone_calls
    )
    zones = {s.plain("availabilityZone") for s in r.of_type("aws:ec2/subnet:Subnet")}
    # The mocked region lists its Local Zone first: only the filter keeps it out.
    assert zones == {"us-east-1a", "us-east-1b"}


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    # a1 is Graviton without a "g" in its name; t3.micro is the default type (no override).
    [("a1.medium", "arm64"), ("t4g.micro", "arm64"), ("t3.micro", "x86_64")],
)
def test_ami_architecture_comes_from_what_ec2_says_the_type_supports(instance_type: str, arch: str) -> None:
    r = run("dev") if instance_type == "t3.micro" else run("dev", hostInstanceType=instance_type)
    asked = [a["instanceType"] for t, a in r.calls if t == "aws:ec2/getInstanceType:getInstanceType"]
    assert asked == [instance_type]
    names = [a["name"] for t, a in r.calls if t == "aws:ssm/getParameter:getParameter"]
    assert names == [f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"]


# --- 13. a stable proxy address -------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True])
def test_proxy_address_is_an_elastic_ip_that_outlives_the_host(preview: bool) -> None:
    r = run("dev", preview, **FEATURES)
    eip = r.one(EIP, "host-eip")
    assert eip.plain("domain") == "vpc"
    assoc = r.one(EIP_ASSOC, "host-eip-assoc")
    assert assoc.plain("instanceId") == "host-instance-id"
    assert assoc.plain("allocationId") == r.outputs_of(eip)["allocationId"]
    # user data changes replace the instance (user_data_replace_on_change); the EIP stays.
    assert r.one(EC2, "host-instance").plain("userDataReplaceOnChange") is True
    if not preview:
        assert r.exports[contract.PROXY]["host"] == r.outputs_of(eip)["publicDns"]
        assert r.exports[contract.HOST]["public_ip"] == r.outputs_of(eip)["publicIp"]


# --- also -----------------------------------------------------------------------------------


def test_prod_performance_insights_in_database_insights_standard_mode() -> None:
    for db in instances(run("prod")):
        assert db.plain("performanceInsightsEnabled") is True
        assert db.plain("performanceInsightsRetentionPeriod") == 7
        assert db.plain("databaseInsightsMode") == "standard"


def test_rejects_performance_insights_on_a_micro_class() -> None:
    problems = rejects("dev", dbPerformanceInsights=True)
    assert any(p.startswith("dbPerformanceInsights:") and "db.t4g.micro" in p for p in problems)


# Types whose AWS API takes no tags.
UNTAGGABLE = {
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:ec2/eipAssociation:EipAssociation",
    "aws:sns/topicSubscription:TopicSubscription",  # SNS subscriptions take no tags
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_tags_setting_reaches_every_resource_that_takes_tags(stack: str) -> None:
    r = run(stack, **FEATURES)
    aws = [x for x in r.resources if x.custom and x.type.startswith("aws:") and x.type not in UNTAGGABLE]
    missing = [x.name for x in aws if not TAGS.items() <= (x.plain("tags") or {}).items()]
    assert missing == []
    assert all(x.plain("tags")["environment"] == stack for x in aws)


def test_rejects_tags_that_would_override_the_programs_own() -> None:
    problems = rejects("dev", tags={"environment": "qa", "aws:foo": "x"})
    assert sum(p.startswith("tags:") for p in problems) == 2


def test_host_security_group_description_says_what_it_admits_and_never_changes() -> None:
    # Descriptions are replace-only: one text for every configuration.
    texts = {
        run(stack, **extra).one(SG, "host-sg").plain("description")
        for stack in ("dev", "prod")
        for extra in ({}, FEATURES)
    }
    assert texts == {"host: SSH and MySQL proxy ports from allowed sources only"}


@pytest.mark.parametrize("preview", [False, True])
def test_log_groups_exist_first_with_a_retention(preview: bool) -> None:
    r = run("prod", preview, **FEATURES)
    groups = r.of_type(LOG_GROUP)
    for db in instances(r):
        ident = db.plain("identifier")
        mine = [g for g in groups if g.name.startswith(db.name.removesuffix("-instance"))]
        assert len(mine) == 2
        if not preview:
            assert sorted(g.plain("name") for g in mine) == [
                f"/aws/rds/instance/{ident}/error",
                f"/aws/rds/instance/{ident}/slowquery",
            ]
        assert all(g.plain("retentionInDays") == LOG_RETENTION_DAYS and g.retain_on_delete for g in mine)
        # RDS would create them itself, without expiry, if the instance came first.
        assert {g.urn for g in mine} <= set(db.dependencies)


def test_rejects_a_log_retention_cloudwatch_does_not_offer() -> None:
    problems = rejects(dbLogRetentionDays=10)
    assert any(p.startswith("dbLogRetentionDays: got 10") for p in problems)


def test_storage_autoscaling_is_off_or_above_the_allocated_size() -> None:
    problems = rejects(dbAllocatedStorageGib=50, dbMaxAllocatedStorageGib=50)
    assert any(
        p.startswith("dbMaxAllocatedStorageGib: got 50") and "0 (no autoscaling)" in p for p in problems
    )


def test_the_day2_page_says_what_the_tests_above_show() -> None:
    from tests.support import docs

    # Day 2's steps, and promotion's (on the failover page), which the last check is about.
    text = docs.flat("aws-day2") + " " + docs.flat("failover")
    # Major upgrade: the replicas return to the primary's group at step 2, not step 3.
    assert "In the same `up` the replicas go back to the primary's (new 8.4) parameter group" in text
    assert "the replicas go back to the primary's parameter group; no downtime" not in text
    # Removing a replica on prod: refused while protected, one replica unprotected first.
    assert "delete db-replica-N: refused, protected" in text
    # Retiring the old primary names no stack-wide setting.
    assert "turn off `dbDeletionProtection` for it" not in text
