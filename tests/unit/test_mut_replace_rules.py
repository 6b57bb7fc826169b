"""The vendored replace table: which input change replaces a resource, and the rule that says so.

Written against the survivors of a mutation run (tests/mutation/): each verdict and each reason
text is what the plan prints to a user deciding whether to run ``pulumi up``. Pure: no Pulumi
engine, no server.
"""

from __future__ import annotations

import pytest

from mysql_platform.planning import replace_rules
from mysql_platform.planning.replace_rules import (
    CUSTOMIZE_DIFF,
    SCHEMA,
    UNKNOWN,
    Verdict,
    create_only,
    region_change,
    replaces,
    verdict,
)
from mysql_platform.planning.rules_types import TypeRules

EC2 = "aws:ec2/instance:Instance"
RDS = "aws:rds/instance:Instance"
VPC = "aws:ec2/vpc:Vpc"


def test_the_reason_texts() -> None:
    assert replace_rules.SCHEMA == "provider schema: ForceNew"
    assert replace_rules.CUSTOMIZE_DIFF == "provider CustomizeDiff: ForceNewIf"
    assert replace_rules.PROGRAM == "program: replace_on_changes"
    assert replace_rules.URN == "Pulumi URN rules"
    assert replace_rules.UNKNOWN == "not in the replace table: counted as a replacement"


# --- verdict: top-level inputs --------------------------------------------------------------


def test_a_replace_only_input_replaces_by_the_schema() -> None:
    assert verdict(RDS, "engine", {}) == Verdict(True, SCHEMA)
    assert verdict(VPC, "cidrBlock", {}) == Verdict(True, SCHEMA)


def test_an_updatable_input_updates_in_place_with_no_reason() -> None:
    assert verdict(RDS, "allocatedStorage", {}) == Verdict(False, "")
    assert verdict(EC2, "tags", {}) == Verdict(False, "")


def test_an_unknown_input_or_type_is_not_known() -> None:
    assert verdict(RDS, "noSuchInput", {}) == Verdict(None, UNKNOWN)
    assert verdict("aws:nothing/here:Here", "engine", {}) == Verdict(None, UNKNOWN)


def test_replaces_is_the_verdicts_answer() -> None:
    assert replaces(RDS, "engine", {}) is True
    assert replaces(RDS, "allocatedStorage", {}) is False
    assert replaces(RDS, "noSuchInput", {}) is None


# --- verdict: nested inputs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ("rootBlockDevice.encrypted", Verdict(True, SCHEMA)),
        ("rootBlockDevice.kmsKeyId", Verdict(True, SCHEMA)),
        ("rootBlockDevice.volumeSize", Verdict(False, "")),
        ("rootBlockDevice.tags.Name", Verdict(False, "")),  # the first part after the head decides
        ("metadataOptions.httpTokens", Verdict(False, "")),
        # Not in the nested table: the top-level entry, replace-only for rootBlockDevice.
        ("rootBlockDevice.noSuchField", Verdict(True, SCHEMA)),
        # A head with no nested table: the top-level entry of the head.
        ("tags.Name", Verdict(False, "")),
        ("ami.x", Verdict(True, SCHEMA)),
    ],
)
def test_nested_inputs(prop: str, expected: Verdict) -> None:
    assert verdict(EC2, prop, {}) == expected


def test_a_nested_name_of_another_type_reads_the_top_level_entry() -> None:
    # ("aws:rds/instance:Instance", "rootBlockDevice") has no nested table, and the instance has no
    # such input: not known, although the EC2 instance's nested table holds volumeSize.
    assert verdict(RDS, "rootBlockDevice.volumeSize", {}) == Verdict(None, UNKNOWN)


# --- verdict: conditional entries -----------------------------------------------------------


def test_user_data_replaces_only_while_user_data_replace_on_change_is_true() -> None:
    why = "provider CustomizeDiff: ForceNewIf while userDataReplaceOnChange is true"
    assert verdict(EC2, "userData", {"userDataReplaceOnChange": True}) == Verdict(True, why)
    assert verdict(EC2, "userDataBase64", {"userDataReplaceOnChange": True}) == Verdict(True, why)
    assert verdict(EC2, "userData", {"userDataReplaceOnChange": False}) == Verdict(False, "")
    assert verdict(EC2, "userData", {}) == Verdict(False, "")
    # An unknown value (an output, a secret mask) could be true.
    assert verdict(EC2, "userData", {"userDataReplaceOnChange": "[secret]"}) == Verdict(True, why)
    assert verdict(EC2, "userData.part", {"userDataReplaceOnChange": True}) == Verdict(True, why)


def test_the_flag_itself_is_updatable() -> None:
    assert verdict(EC2, "userDataReplaceOnChange", {"userDataReplaceOnChange": True}) == Verdict(False, "")


# --- verdict: the instance type across architectures ---------------------------------------


def test_an_instance_type_change_across_architectures_replaces_the_host() -> None:
    got = verdict(EC2, "instanceType", {"instanceType": "t4g.small"}, {"instanceType": "t3.small"})
    assert got == Verdict(
        True,
        "provider CustomizeDiff: ForceNewIf, t3.small (x86_64) and t4g.small (arm64) share no CPU "
        "architecture",
    )
    got = verdict(EC2, "instanceType", {"instanceType": "t4g.small"}, {"instanceType": "t2.micro"})
    assert got.why == (
        f"{CUSTOMIZE_DIFF}, t2.micro (i386/x86_64) and t4g.small (arm64) share no CPU architecture"
    )


def test_an_instance_type_change_within_an_architecture_is_an_update() -> None:
    assert verdict(
        EC2, "instanceType", {"instanceType": "m5.large"}, {"instanceType": "t3.small"}
    ) == Verdict(False, "")
    # t2 runs i386 too: sharing x86_64 is enough.
    assert verdict(
        EC2, "instanceType", {"instanceType": "t3.small"}, {"instanceType": "t2.micro"}
    ) == Verdict(False, "")


def test_an_instance_type_of_a_family_the_table_lacks_is_not_known_and_named() -> None:
    got = verdict(EC2, "instanceType", {"instanceType": "x9.huge"}, {"instanceType": "t3.small"})
    assert got == Verdict(None, f"{UNKNOWN} (no architecture known for x9.huge)")
    got = verdict(EC2, "instanceType", {"instanceType": "t3.small"}, {"instanceType": "q1.tiny"})
    assert got == Verdict(None, f"{UNKNOWN} (no architecture known for q1.tiny)")


def test_an_unchanged_or_unknown_instance_type_is_no_replacement() -> None:
    assert verdict(
        EC2, "instanceType", {"instanceType": "t3.small"}, {"instanceType": "t3.small"}
    ) == Verdict(False, "")
    assert verdict(EC2, "instanceType", {"instanceType": "t4g.small"}, {}) == Verdict(False, "")
    assert verdict(EC2, "instanceType", {}, {"instanceType": "t4g.small"}) == Verdict(False, "")
    assert verdict(EC2, "instanceType", {"instanceType": 5}, {"instanceType": "t3.small"}) == Verdict(
        False, ""
    )


def test_without_the_old_inputs_the_instance_type_reads_as_the_schema_has_it() -> None:
    assert verdict(EC2, "instanceType", {"instanceType": "t4g.small"}) == Verdict(False, "")


def test_the_architecture_rule_is_the_ec2_instances_only() -> None:
    # An RDS instance's instanceClass is no instanceType; and an RDS instance has no instanceType.
    assert verdict(
        RDS, "instanceType", {"instanceType": "t4g.small"}, {"instanceType": "t3.small"}
    ) == Verdict(None, UNKNOWN)


# --- the Region -----------------------------------------------------------------------------


def test_a_region_change_replaces_a_regional_aws_resource() -> None:
    assert region_change(RDS, "eu-west-1", "us-east-1") == Verdict(
        True,
        "provider CustomizeDiff: forceNewIfRegionChanges (ModifyPlan for framework resources), "
        "eu-west-1 -> us-east-1",
    )


def test_the_same_region_or_a_global_service_or_another_provider_stays() -> None:
    assert region_change(RDS, "eu-west-1", "eu-west-1") == Verdict(False, "")
    assert region_change("aws:iam/role:Role", "eu-west-1", "us-east-1") == Verdict(False, "")
    assert region_change("aws:route53/zone:Zone", "eu-west-1", "us-east-1") == Verdict(False, "")
    assert region_change("random:index/randomId:RandomId", "eu-west-1", "us-east-1") == Verdict(False, "")


def test_a_type_token_without_a_module_part_is_regional() -> None:
    # "aws:iam" names no service module: it is not taken for the global iam service.
    assert region_change("aws:iam", "eu-west-1", "us-east-1").replaces is True
    assert region_change("aws:iam:Role", "eu-west-1", "us-east-1").replaces is False


# --- create-only inputs ---------------------------------------------------------------------


def test_extended_support_is_create_only_on_instances_and_clusters() -> None:
    assert create_only(RDS, "engineLifecycleSupport") == (
        "RDS sets Extended Support enrollment only at create or restore "
        "(restore a snapshot to a new instance to change it)"
    )
    assert create_only("aws:rds/cluster:Cluster", "engineLifecycleSupport.x") == (
        "RDS sets Extended Support enrollment only at create or restore "
        "(restore a snapshot to a new cluster to change it)"
    )
    assert create_only(RDS, "allocatedStorage") is None
    assert create_only(VPC, "engineLifecycleSupport") is None


# --- the table's own check ------------------------------------------------------------------


def _rules(
    replace_only: set[str], updatable: set[str], replace_when: tuple[tuple[str, str], ...] = ()
) -> dict[str, TypeRules]:
    return {"t": TypeRules("src", frozenset(replace_only), frozenset(updatable), replace_when)}


def test_rejects_an_input_both_replace_only_and_updatable() -> None:
    with pytest.raises(ValueError) as error:
        replace_rules._check(_rules({"a", "b", "c"}, {"c", "b", "d"}))
    assert str(error.value) == "t: both replace-only and updatable: ['b', 'c']"


def test_rejects_a_conditional_input_outside_updatable() -> None:
    with pytest.raises(ValueError) as error:
        replace_rules._check(_rules({"a"}, {"flag"}, (("a", "flag"),)))
    assert str(error.value) == "t: conditional input 'a' must sit in updatable"


def test_rejects_an_unclassified_flag() -> None:
    with pytest.raises(ValueError) as error:
        replace_rules._check(_rules(set(), {"data"}, (("data", "flag"),)))
    assert str(error.value) == "t: flag 'flag' of 'data' is not classified"


def test_accepts_a_flag_classified_either_way() -> None:
    replace_rules._check(_rules(set(), {"data", "flag"}, (("data", "flag"),)))
    replace_rules._check(_rules({"flag"}, {"data"}, (("data", "flag"),)))
    replace_rules._check(replace_rules.RULES)


def test_a_type_with_two_architectures_names_both() -> None:
    got = verdict(EC2, "instanceType", {"instanceType": "t2.micro"}, {"instanceType": "t4g.small"})
    assert got.why == (
        f"{CUSTOMIZE_DIFF}, t4g.small (arm64) and t2.micro (i386/x86_64) share no CPU architecture"
    )


def test_replaces_reads_the_conditional_flag_from_the_inputs() -> None:
    assert replaces(EC2, "userData", {"userDataReplaceOnChange": True}) is True
    assert replaces(EC2, "userData", {"userDataReplaceOnChange": False}) is False
