"""The CrossGuard policies: each rule of :mod:`scripts.planning.policy_rules` wrapped for
``pulumi preview --policy-pack policy``. Importing this module starts nothing; ``__main__.py``
serves the pack."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from scripts.planning import policy_rules

NAME = "mysql-platform"
LEVELS = {
    policy_rules.MANDATORY: EnforcementLevel.MANDATORY,
    policy_rules.ADVISORY: EnforcementLevel.ADVISORY,
}


def resource(args: Any) -> policy_rules.Resource:
    """What a rule sees, from CrossGuard's view of a resource (resource_type, name, props, opts)."""
    protect = bool(getattr(getattr(args, "opts", None), "protect", False))
    return policy_rules.Resource(args.resource_type, args.name, dict(args.props), protect)


def _resource_policy(rule: policy_rules.Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for message in rule.violations([resource(args)]):
            report(message, None)

    return ResourceValidationPolicy(rule.name, rule.description, validate, LEVELS[rule.enforcement])


def _stack_policy(rule: policy_rules.Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for message in rule.violations([resource(r) for r in args.resources]):
            report(message, None)

    return StackValidationPolicy(rule.name, rule.description, validate, LEVELS[rule.enforcement])


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [_stack_policy(r) if r.stack_check else _resource_policy(r) for r in policy_rules.RULES]
