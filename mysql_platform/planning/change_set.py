"""The prediction against a saved plan as data (``plan --before PLAN.json --json``), and ``--compare`` too.

One step per resource the prediction names (a component has no cloud state, so only a created
or deleted one appears): the action (create, update, replace, delete, same), each changed
attribute as old -> new, and for a replacement which input forces it and by which rule: the
program's ``replace_on_changes`` option on the resource, or the provider's replace-only table
(:mod:`mysql_platform.planning.replace_rules`, which names where each type's facts were read). Secrets
are never in a plan (:data:`mysql_platform.planning.plan.SECRET` stands for them), so they are not here.
"""

from __future__ import annotations

from typing import Any

from mysql_platform.planning import replace_rules
from mysql_platform.planning.compare import differences
from mysql_platform.planning.plan import Plan, PlannedResource
from mysql_platform.planning.predict import Change, Prediction

UNKNOWN_RULE = "not in the vendored replace table: counted as a replacement until it is classified"


def change_set(prediction: Prediction, before: Plan, after: Plan) -> list[dict[str, Any]]:
    """One JSON step per change of ``prediction``, in its order (by type and name)."""
    old, new = before.by_key(), after.by_key()
    return [_step(c, old.get(c.key), new.get(c.key)) for c in prediction.changes]


def _step(change: Change, old: PlannedResource | None, new: PlannedResource | None) -> dict[str, Any]:
    either = new or old
    assert either is not None  # a change names a resource of one plan at least
    attributes = [
        {"path": path, "old": a, "new": b}
        for path, a, b in differences(old.inputs if old else {}, new.inputs if new else {})
    ]
    step: dict[str, Any] = {
        "resource": change.key,
        "type": either.type,
        "name": change.name,
        "action": change.action,
        "attributes": attributes,
        "ignored": list(change.ignored),
        "read_back": list(change.read_back),
        "after_replaced": list(change.after_replaced),
        "refused": change.refused,
        "warnings": list(change.warnings),
    }
    if change.action == "replace" and new is not None:
        step["replacement"] = [
            {"input": prop, "rule": _rule_of(change, new, prop)}
            for prop in (*change.forcing, *change.unknown)
        ]
    return step


def _rule_of(change: Change, resource: PlannedResource, prop: str) -> str:
    """The prediction's own reason for a CustomizeDiff, URN or program rule; for the provider
    schema, the replace table's entry, which names its source."""
    why = dict(zip(change.forcing, change.reasons, strict=False)).get(prop, "")
    return why if why and not why.startswith("provider schema") else rule(resource, prop)


def rule(resource: PlannedResource, prop: str) -> str:
    """Which rule makes a change of ``prop`` replace ``resource``."""
    if prop in resource.replace_on_changes:
        return "program option: replace_on_changes on this resource"
    verdict = replace_rules.replaces(resource.type, prop, resource.inputs)
    if verdict is None:
        return UNKNOWN_RULE
    source = replace_rules.RULES[resource.type].source
    flags = [
        flag for conditional, flag in replace_rules.RULES[resource.type].replace_when if conditional == prop
    ]
    if flags:
        return f"provider: replace-only while {flags[0]} is true ({source})"
    return f"provider: replace-only ({source})"


def comparison(a: Plan, b: Plan) -> dict[str, Any]:
    """``--compare`` as data: what is only in one plan, and each shared resource's differing inputs."""
    ra, rb = a.by_key(), b.by_key()
    shared = sorted(set(ra) & set(rb))
    differing: dict[str, list[dict[str, Any]]] = {}
    for key in shared:
        rows = [{"path": p, "this": u, "other": v} for p, u, v in differences(ra[key].inputs, rb[key].inputs)]
        if ra[key].protect != rb[key].protect:
            rows.append({"path": "(protect)", "this": ra[key].protect, "other": rb[key].protect})
        if rows:
            differing[key] = rows
    return {
        "this": a.stack,
        "other": b.stack,
        "only_in_this": sorted(set(ra) - set(rb)),
        "only_in_other": sorted(set(rb) - set(ra)),
        "differences": differing,
        "same": len(shared) - len(differing),
    }
