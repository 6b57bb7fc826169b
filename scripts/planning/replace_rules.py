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

from scripts.planning.rules_alerts import ALERTS
from scripts.planning.rules_analytics import ANALYTICS
from scripts.planning.rules_database import CREATE_ONLY, DATABASE
from scripts.planning.rules_network import NETWORK
from scripts.planning.rules_types import AWS, TypeRules

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


def replaces(type_token: str, prop: str, inputs: Mapping[str, object]) -> bool | None:
    """True if changing prop replaces; False if updated in place; None if the table does not know it.

    ``prop`` is a Pulumi input name (camelCase). A dotted name (``"rootBlockDevice.volumeSize"``)
    looks in :data:`NESTED_RULES` first and falls back to the top-level entry. ``inputs`` are the
    resource's new inputs; they decide the conditional entries in ``replace_when``
    (``userData`` replaces only when ``userDataReplaceOnChange`` is true).
    """
    rules = RULES.get(type_token)
    if rules is None:
        return None
    head, _, sub = prop.partition(".")
    if sub:
        nested = NESTED_RULES.get((type_token, head))
        if nested is not None:
            leaf = sub.split(".")[0]
            if leaf in nested.replace_only:
                return True
            if leaf in nested.updatable:
                return False
    for conditional, flag in rules.replace_when:
        if conditional == head:
            return _flag_on(inputs.get(flag))
    if head in rules.replace_only:
        return True
    if head in rules.updatable:
        return False
    return None


def create_only(type_token: str, prop: str) -> str | None:
    """Why AWS never applies a change of ``prop`` to an existing resource, or None if it does.

    Such an input is updatable in the provider's schema (no replacement), but only the create and
    restore calls carry it (:data:`scripts.planning.rules_database.CREATE_ONLY`).
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
