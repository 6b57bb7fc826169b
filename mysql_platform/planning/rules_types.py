"""The shape of the vendored replace-only table (:mod:`mysql_platform.planning.replace_rules`)."""

from __future__ import annotations

from dataclasses import dataclass

AWS = "hashicorp/terraform-provider-aws"
AWS_VIA = "as wrapped by pulumi-aws 7.51.1; read via lonegunmanb/terraform-provider-aws-index"
RANDOM = "hashicorp/terraform-provider-random"
RANDOM_VIA = "as wrapped by pulumi-random 4.21.4"


@dataclass(frozen=True)
class TypeRules:
    source: str  # where the facts were read
    replace_only: frozenset[str]  # Pulumi input names whose change replaces the resource
    updatable: frozenset[str]  # Pulumi input names updated in place
    # Conditional: input -> the input that must be true for it to be replace-only
    # (userData -> userDataReplaceOnChange). The input itself also sits in ``updatable``.
    replace_when: tuple[tuple[str, str], ...] = ()
