"""Which input changes replace a resource, per resource type the program uses (a vendored table).

For every Pulumi resource type the program declares, and every input it sets (Pulumi camelCase
names), this says whether a change to that input makes the provider REPLACE the resource
(delete + create, or create + delete) or UPDATE it in place.

How it was read (2026-11-27). The versions installed here are pulumi-aws 7.51.1, which bridges
hashicorp/terraform-provider-aws v6.x, and pulumi-random 4.21.4, which bridges
hashicorp/terraform-provider-random. A bridged provider replaces a resource exactly when the
Terraform plan does, so each entry comes from the Terraform source:

* SDKv2 resources: the ``schema.Schema`` map of the resource function (``ForceNew: true`` ->
  replace-only), plus the resource's ``CustomizeDiff`` (``customdiff.ForceNewIf`` /
  ``diff.ForceNew``) for conditional replacements.
* Plugin-framework resources (aws_vpc_security_group_*_rule, random_id, random_password): the
  attribute ``PlanModifiers`` (``*planmodifier.RequiresReplace*``) plus any ``ModifyPlan`` that
  sets ``RequiresReplace``.

The terraform-provider-aws v6 text was read from lonegunmanb/terraform-provider-aws-index, an
automated per-release extraction of the hashicorp/terraform-provider-aws source, one function per
``.goindex`` file. Each file's index commit says which provider release it was taken from (read
from ``index/terraform-provider-aws-index.json`` at that commit):

* 3102a487 = v6.15.0: rds ``resourceInstance``, ``resourceInstanceUpdate``,
  ``instanceReplicateSourceDBSuppressDiff`` (internal/service/rds/instance.go)
* 10e65062 = v6.22.0: ec2 ``resourceInstance`` (internal/service/ec2/ec2_instance.go)
* 4aeea4f5 = v6.26.0: ec2 ``securityGroupRuleResource.Schema`` and ``.ModifyPlan``
  (vpc_security_group_rule.go, shared by the ingress and egress rule resources), rds
  ``resourceSubnetGroup``
* 0c75c3cd = v6.48.0: ec2 ``resourceVPC``, ``resourceSubnet``, ``resourceSecurityGroup``,
  ``resourceEIP``, ``resourceEIPAssociation``, ``resourceInternetGateway``,
  ``resourceRouteTable``, ``resourceRouteTableAssociation``, ``resourceKeyPair``; iam
  ``resourceRole``, ``resourceInstanceProfile``, ``resourceRolePolicyAttachment``
* 081a8c15 (release not checked): logs ``resourceGroup``
* 41d9264d (release not checked): rds ``resourceParameterGroup``

The stored copies of hashicorp/terraform-provider-aws itself are older (v4/v5), so they were used
only to cross-check. terraform-provider-random was read directly from
hashicorp/terraform-provider-random: internal/provider/resource_id.go @ 2ed443ca and
internal/provider/resource_password.go @ c054b476 (``passwordSchemaV3``).

Not covered: pulumi/terraform-provider-aws (the fork pulumi-aws actually builds from) carries a
few patches on top of upstream. Those patches were not read, so one that changes any of these
schemas would not show up here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from mysql_platform.planning import instance_types
from mysql_platform.planning.rules_alerts import ALERTS
from mysql_platform.planning.rules_analytics import ANALYTICS
from mysql_platform.planning.rules_database import CREATE_ONLY, DATABASE
from mysql_platform.planning.rules_network import NETWORK
from mysql_platform.planning.rules_types import AWS, TypeRules

RULES: dict[str, TypeRules] = {**NETWORK, **DATABASE, **ANALYTICS, **ALERTS}

# Sub-field split for nested inputs that the top-level table classifies conservatively.
# Keyed by (type token, top-level input); the sub-field names are Pulumi camelCase. Query with a
# dotted name, e.g. replaces("aws:ec2/instance:Instance", "rootBlockDevice.volumeSize", inputs).
NESTED_RULES: dict[tuple[str, str], TypeRules] = {
    ("aws:ec2/instance:Instance", "rootBlockDevice"): TypeRules(
        source=f"{AWS} internal/service/ec2/ec2_instance.go root_block_device Elem schema (v6.22.0)",
        replace_only=frozenset(
            {
                "encrypted",  # encrypted: ForceNew
                "kmsKeyId",  # kms_key_id: ForceNew
            }
        ),
        updatable=frozenset(
            {
                "volumeSize",  # volume_size: no ForceNew (ModifyVolume)
                "volumeType",  # volume_type: no ForceNew (ModifyVolume)
                "iops",
                "throughput",
                "deleteOnTermination",
                "tags",
            }
        ),
    ),
    ("aws:ec2/instance:Instance", "metadataOptions"): TypeRules(
        source=f"{AWS} internal/service/ec2/ec2_instance.go metadata_options Elem schema (v6.22.0)",
        replace_only=frozenset(),
        updatable=frozenset(
            {
                "httpEndpoint",
                "httpProtocolIpv6",
                "httpPutResponseHopLimit",
                "httpTokens",
                "instanceMetadataTags",
            }
        ),
    ),
}


def _flag_on(value: object) -> bool:
    """Whether a conditional flag input counts as true.

    Unset (``None``) and ``False`` are off: the Terraform default is false. ``True`` is on.
    Anything else (an unknown output, a secret mask) could be true, so it counts as on.
    """
    return value is not None and value is not False


# Where a replacement comes from, as the plan names it.
SCHEMA = "provider schema: ForceNew"
CUSTOMIZE_DIFF = "provider CustomizeDiff: ForceNewIf"
PROGRAM = "program: replace_on_changes"
URN = "Pulumi URN rules"
UNKNOWN = "not in the replace table: counted as a replacement"
EC2_INSTANCE = "aws:ec2/instance:Instance"


class Verdict(NamedTuple):
    replaces: bool | None  # True replace, False update in place, None the table does not know
    why: str  # for a replacement: which rule, from which source kind (SCHEMA, CUSTOMIZE_DIFF, ...)


def verdict(
    type_token: str, prop: str, inputs: Mapping[str, object], old: Mapping[str, object] | None = None
) -> Verdict:
    """What a change of ``prop`` does, and the rule that says so.

    ``prop`` is a Pulumi input name (camelCase). A dotted name (``"rootBlockDevice.volumeSize"``)
    looks in :data:`NESTED_RULES` first and falls back to the top-level entry. ``inputs`` are the
    resource's new inputs; they decide the conditional entries in ``replace_when``
    (``userData`` replaces only when ``userDataReplaceOnChange`` is true). ``old``, the inputs
    before, decides the ForceNewIf rules that compare old and new (an instance type across CPU
    architectures); without it those inputs read as the schema has them.
    """
    rules = RULES.get(type_token)
    if rules is None:
        return Verdict(None, UNKNOWN)
    head, _, sub = prop.partition(".")
    if sub:
        nested = NESTED_RULES.get((type_token, head))
        if nested is not None:
            leaf = sub.split(".")[0]
            if leaf in nested.replace_only:
                return Verdict(True, SCHEMA)
            if leaf in nested.updatable:
                return Verdict(False, "")
    if type_token == EC2_INSTANCE and head == "instanceType" and old is not None:
        return _instance_type(old.get(head), inputs.get(head))
    for conditional, flag in rules.replace_when:
        if conditional == head:
            on = _flag_on(inputs.get(flag))
            return Verdict(on, f"{CUSTOMIZE_DIFF} while {flag} is true" if on else "")
    if head in rules.replace_only:
        return Verdict(True, SCHEMA)
    if head in rules.updatable:
        return Verdict(False, "")
    return Verdict(None, UNKNOWN)


def _instance_type(old: object, new: object) -> Verdict:
    """ForceNewIf(instance_type): replaced when the two types share no CPU architecture.

    hashicorp/terraform-provider-aws internal/service/ec2/ec2_instance.go, resourceInstance's
    CustomizeDiff (v6): unchanged or an unknown type (the lookup fails) is no replacement there;
    here a type the vendored table lacks is not known, and counts as a replacement.
    """
    if old == new or not isinstance(old, str) or not isinstance(new, str):
        return Verdict(False, "")
    a, b = instance_types.architectures(old), instance_types.architectures(new)
    if a is None or b is None:
        missing = old if a is None else new
        return Verdict(None, f"{UNKNOWN} (no architecture known for {missing})")
    if a & b:
        return Verdict(False, "")
    return Verdict(
        True,
        f"{CUSTOMIZE_DIFF}, {old} ({'/'.join(sorted(a))}) and {new} ({'/'.join(sorted(b))}) "
        "share no CPU architecture",
    )


# Services without Regions, whose resources get no `region` (terraform-provider-aws "Enhanced Region
# Support" guide, "Global services"). Pulumi's module names where they differ from the guide's
# service names: cloudfront, globalaccelerator, organizations, route53, shield, waf match;
# "rolesanywhere" and "networkmanager" too. Global resources of regional services (the guide's
# table, e.g. s3/accountPublicAccessBlock) are not used by this program and not listed.
GLOBAL_SERVICES = frozenset(
    {
        "account", "billing", "bcmdataexports", "budgets", "cloudfront", "cloudfrontkeyvaluestore",
        "costexplorer", "costoptimizationhub", "cur", "globalaccelerator", "iam", "rolesanywhere",
        "networkmanager", "organizations", "pricing", "route53", "route53domains",
        "route53recoverycontrol", "route53recoveryreadiness", "shield", "notifications",
        "notificationscontacts", "waf",
    }
)  # fmt: skip


def region_change(type_token: str, old_region: str, new_region: str) -> Verdict:
    """Whether moving the stack to another Region replaces a resource of this type.

    terraform-provider-aws v6 gives every Regional resource a top-level ``region`` (its
    "Enhanced Region Support" guide: "Every Regional resource ... supports this feature"), set from
    the provider's Region when not configured, and its CustomizeDiff ``forceNewIfRegionChanges``
    (internal/provider region.go, v6; ``resourceForceNewIfRegionChangesInterceptor`` for the
    plugin-framework resources) forces a new resource when that value changes. Resources of a
    global service, and of other providers (random), stay.
    """
    service = type_token.split(":")[1].split("/")[0] if type_token.count(":") >= 2 else ""
    if old_region == new_region or not type_token.startswith("aws:") or service in GLOBAL_SERVICES:
        return Verdict(False, "")
    return Verdict(
        True,
        f"provider CustomizeDiff: forceNewIfRegionChanges (ModifyPlan for framework resources), "
        f"{old_region} -> {new_region}",
    )


def replaces(type_token: str, prop: str, inputs: Mapping[str, object]) -> bool | None:
    """True if changing prop replaces; False if updated in place; None if the table does not know it.

    :func:`verdict` without the old inputs, for what the table says of an input on its own.
    """
    return verdict(type_token, prop, inputs).replaces


def create_only(type_token: str, prop: str) -> str | None:
    """Why AWS never applies a change of ``prop`` to an existing resource, or None if it does.

    Such an input is updatable in the provider's schema (no replacement), but only the create and
    restore calls carry it (:data:`mysql_platform.planning.rules_database.CREATE_ONLY`).
    """
    return CREATE_ONLY.get(type_token, {}).get(prop.split(".")[0])


def _check(rules: Mapping[str, TypeRules]) -> None:
    """Refuse a table whose sets overlap or whose conditional entries are not classified.

    That every input the program sets is classified is a test (tests/unit/test_plan.py), on
    what the program registers for several configurations.
    """
    for token, r in rules.items():
        both = r.replace_only & r.updatable
        if both:
            raise ValueError(f"{token}: both replace-only and updatable: {sorted(both)}")
        for conditional, flag in r.replace_when:
            if conditional not in r.updatable:
                raise ValueError(f"{token}: conditional input {conditional!r} must sit in updatable")
            if flag not in r.updatable | r.replace_only:
                raise ValueError(f"{token}: flag {flag!r} of {conditional!r} is not classified")


_check(RULES)
for (_token, _input), _nested in NESTED_RULES.items():
    _check({f"{_token} {_input}": _nested})
