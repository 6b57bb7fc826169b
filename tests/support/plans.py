"""Plans the unit tests share: one mock run per distinct (stack, overrides), as shared_run does."""

from __future__ import annotations

import functools

from scripts.planning.plan import Plan, make_plan


def plan(stack: str, **overrides: str) -> Plan:
    """:func:`scripts.planning.plan.make_plan`, once per question; tests read plans, never change them."""
    return _cached(stack, tuple(sorted(overrides.items())))


@functools.cache
def _cached(stack: str, overrides: tuple[tuple[str, str], ...]) -> Plan:
    return make_plan(stack, dict(overrides))


def shared_make_plan(stack: str, overrides: dict[str, str] | None = None, **_: object) -> Plan:
    """A stand-in for ``make_plan`` where the CLI calls it: the same plans, shared."""
    return plan(stack, **(overrides or {}))
