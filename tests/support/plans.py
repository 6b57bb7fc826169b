"""Plans the unit tests share: one mock run per distinct (stack, overrides), as shared_run does."""

from __future__ import annotations

import functools

from mysql_platform.components.program import program
from mysql_platform.planning.mock_engine import DEFAULT_REGION
from mysql_platform.planning.plan import Plan, from_run, make_plan
from tests.support.pulumi_harness import ROOT, shared_run, stack_config


def plan(stack: str, **overrides: str) -> Plan:
    """:func:`mysql_platform.planning.plan.make_plan`, once per question; tests read plans,
    never change them."""
    return _cached(stack, tuple(sorted(overrides.items())))


@functools.cache
def _cached(stack: str, overrides: tuple[tuple[str, str], ...]) -> Plan:
    values = dict(overrides)
    if not (ROOT / f"Pulumi.{stack}.yaml").is_file():
        return make_plan(stack, values)  # the plan's own error for a missing stack file
    # make_plan's plan, from the run the other tests share.
    region = stack_config(stack, values).get("aws:region", DEFAULT_REGION)
    return from_run(shared_run(program, stack, overrides=values), region, values)


def shared_make_plan(stack: str, overrides: dict[str, str] | None = None, **_: object) -> Plan:
    """A stand-in for ``make_plan`` where the CLI calls it: the same plans, shared."""
    return plan(stack, **(overrides or {}))
