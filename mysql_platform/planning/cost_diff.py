"""The monthly cost change from a saved plan to this one (``plan --before``), as ``infracost diff`` shows.

Both plans are estimated with the same vendored prices (:mod:`mysql_platform.planning.cost`); the change
is per resource (the sum of its priced lines) and in total. A plan in a region without vendored
prices has no total, so the change is unpriced rather than a difference against zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mysql_platform.planning import cost
from mysql_platform.planning.plan import Plan


@dataclass(frozen=True)
class ResourceDelta:
    resource: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 2)


@dataclass(frozen=True)
class CostDiff:
    before: cost.Estimate
    after: cost.Estimate
    resources: list[ResourceDelta]

    @property
    def priced(self) -> bool:
        return self.before.priced and self.after.priced

    @property
    def delta(self) -> float | None:
        return round(self.after.total - self.before.total, 2) if self.priced else None

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "monthly_before": self.before.total if self.before.priced else None,
            "monthly_after": self.after.total if self.after.priced else None,
            "monthly_delta": self.delta,
            "resources": [
                {"resource": r.resource, "before": r.before, "after": r.after, "delta": r.delta}
                for r in self.resources
            ]
            if self.priced
            else [],
        }

    def lines(self) -> list[str]:
        head = "monthly cost change (USD, On-Demand list prices)"
        if not self.priced:
            unpriced = sorted({e.region for e in (self.before, self.after) if not e.priced})
            return [f"{head}: unpriced (no vendored prices for {', '.join(unpriced)})"]
        width = max((len(r.resource) for r in self.resources), default=5)
        rows = [
            f"  {r.resource:<{width}}  {r.before:8.2f} -> {r.after:8.2f}  {r.delta:+9.2f}"
            for r in self.resources
        ]
        total = (
            f"  {'total':<{width}}  {self.before.total:8.2f} -> {self.after.total:8.2f}  {self.delta:+9.2f}"
        )
        return [f"{head}:", *(rows or ["  no resource's monthly figure changes"]), total]


def diff(before: Plan, after: Plan) -> CostDiff:
    """Each resource whose monthly figure changes (created and deleted ones included), and the total."""
    was, now = cost.estimate(before), cost.estimate(after)
    old, new = _per_resource(was), _per_resource(now)
    rows = [
        ResourceDelta(name, old.get(name, 0.0), new.get(name, 0.0))
        for name in sorted(set(old) | set(new))
        if round(new.get(name, 0.0) - old.get(name, 0.0), 2) != 0
    ]
    return CostDiff(was, now, rows)


def _per_resource(est: cost.Estimate) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in est.lines:
        out[line.resource] = round(out.get(line.resource, 0.0) + line.monthly, 2)
    return out
