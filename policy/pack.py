"""The CrossGuard policies: each rule of :mod:`mysql_platform.planning.policy_rules` wrapped for
``pulumi preview --policy-pack policy``. Importing this module starts nothing; ``__main__.py``
serves the pack.

What the analyzer hands a policy (pulumi-policy 1.21.0, ``pulumi_policy/policy.py``
``_PolicyAnalyzerServicer.Analyze`` / ``AnalyzeStack``): ``unknown_checking_proxy(
deserialize_properties(...))``, a mapping that raises ``UnknownValueError`` when a value unknown at
preview is read (``proxy.py`` ``_raise_if_unknown``). The analyzer catches that error, records the
advisory "can't run policy ... during preview" and drops the policy for that resource, or for the
whole stack in a stack policy. So the pack never lets it escape from reading: :func:`known` reads
each value through the proxy and turns an unknown one into :data:`policy_rules.UNKNOWN`, and the
rule decides on what is known. Violations are reported at the rule's enforcement; what a rule
leaves undecided is then raised as one ``UnknownValueError``, which the analyzer shows as its own
advisory note, after the violations already reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from mysql_platform.planning import policy_rules

NAME = "mysql-platform"
LEVELS = {
    policy_rules.MANDATORY: EnforcementLevel.MANDATORY,
    policy_rules.ADVISORY: EnforcementLevel.ADVISORY,
}


def known(value: Any) -> Any:
    """``value`` as plain dicts and lists, each unknown value read as :data:`policy_rules.UNKNOWN`."""
    if isinstance(value, Mapping):
        return {key: known(_read(value, key)) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [known(_read(value, i)) for i in range(len(value))]
    return value


def _read(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return policy_rules.UNKNOWN


def resource(args: Any) -> policy_rules.Resource:
    """What a rule sees, from CrossGuard's view of a resource (resource_type, name, props, opts)."""
    protect = bool(getattr(getattr(args, "opts", None), "protect", False))
    return policy_rules.Resource(
        args.resource_type, args.name, known(args.props), protect, stack=stack_of(getattr(args, "urn", ""))
    )


def stack_of(urn: str) -> str:
    """The stack a URN names: ``urn:pulumi:<stack>::<project>::<type>::<name>``."""
    head = str(urn).split("::", 1)[0]
    return head.split(":", 2)[2] if head.startswith("urn:pulumi:") else ""


def report_outcome(outcome: policy_rules.Outcome, report: ReportViolation) -> None:
    for message in outcome.violations:
        report(message, None)
    if outcome.undecided:
        error = UnknownValueError(UNKNOWN_STRING_VALUE, [])
        error.message = "; ".join(outcome.undecided)
        raise error


def _resource_policy(rule: policy_rules.Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        report_outcome(rule.outcome([resource(args)]), report)

    return ResourceValidationPolicy(rule.name, rule.description, validate, LEVELS[rule.enforcement])


def _stack_policy(rule: policy_rules.Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        report_outcome(rule.outcome([resource(r) for r in args.resources]), report)

    return StackValidationPolicy(rule.name, rule.description, validate, LEVELS[rule.enforcement])


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [_stack_policy(r) if r.stack_check else _resource_policy(r) for r in policy_rules.RULES]
