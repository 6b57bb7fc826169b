"""What ``pulumi up`` would do to a stack planned before (a saved ``plan --json``): per resource,
create, update in place, replace or delete, and which properties force a replacement.

A changed input replaces the resource when the provider marks it replace-only (the vendored
table in :mod:`mysql_platform.planning.replace_rules`) or the program lists it in the resource's
``replace_on_changes``. An input the table does not know counts as replace-only, and says so.
An input in the resource's ``ignore_changes`` changes nothing (Pulumi keeps the old value, and the
bridged provider drops it from its diff); an input AWS fills in and the provider reads back
(:mod:`mysql_platform.planning.read_back`) shows as changed at every ``up`` unless it is ignored.
Replacing or deleting a protected resource, or a stateful one (an RDS instance: its data and
storage go with it; a Multi-AZ DB cluster too), is refused: the plan exits 3 and names it. So is
a ``gtid-mode`` change that skips a step (:mod:`mysql_platform.planning.gtid_steps`), and an RDS instance
moved to another subnet group, which AWS refuses within one VPC.

Warned, not refused: an input AWS takes only at create or restore
(:func:`mysql_platform.planning.replace_rules.create_only`). When the program lists it in
``ignore_changes``, ``up`` keeps the created value and shows no change; otherwise the provider
plans an update that never reaches AWS, again at every ``up``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from mysql_platform.planning import gtid_steps, property_paths, replace_rules
from mysql_platform.planning.compare import differences
from mysql_platform.planning.plan import SECRET, Plan, PlannedResource
from mysql_platform.planning.read_back import endless_diffs

RDS_INSTANCE = "aws:rds/instance:Instance"
# A Multi-AZ DB cluster holds its data as an instance does, in dev too.
STATEFUL = frozenset({RDS_INSTANCE, "aws:rds/cluster:Cluster"})
# The provider updates an instance's db_subnet_group_name in place, but RDS moves an instance to
# another subnet group only into another VPC: within one VPC ModifyDBInstance fails with
# InvalidVPCNetworkStateFault (terraform-provider-aws issue #512).
SUBNET_GROUP_MOVE = (
    "RDS refuses to move a DB instance to another subnet group of the same VPC "
    "(InvalidVPCNetworkStateFault; terraform-provider-aws issue #512): `pulumi up` would stop there. "
    "Make a new database and move the data (docs/aws-day2.md: Switching `dbPubliclyAccessible`)"
)
# A Multi-AZ DB cluster's parameter group carries gtid-mode as an instance's does.
PARAMETER_GROUPS = frozenset(
    {"aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup"}
)


@dataclass(frozen=True)
class Change:
    key: str
    name: str
    action: str  # create, update, replace, delete, same
    changed: tuple[str, ...] = ()
    forcing: tuple[str, ...] = ()  # the changed inputs that force the replacement
    unknown: tuple[str, ...] = ()  # changed inputs the table does not classify
    refused: str | None = None  # why this change must not go ahead
    # Replaced resources this one reads from: their new ids, names and suffixes reach it at apply
    # time, and the engine decides then (a changed replace-only input replaces this one too).
    after_replaced: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()  # changed inputs in ignore_changes: `up` keeps the state's value
    read_back: tuple[str, ...] = ()  # inputs AWS fills in: changed at every `up`, nothing changed
    warnings: tuple[str, ...] = ()  # what `up` will not do, or will do later, although asked
    # Per forcing input, the rule that replaces: the provider schema (ForceNew), a provider
    # CustomizeDiff (ForceNewIf), Pulumi's URN rules or the program's replace_on_changes.
    reasons: tuple[str, ...] = ()

    def describe(self) -> str:
        text = f"{self.action} {self.name}"
        if self.forcing:
            why = self.reasons or ("",) * len(self.forcing)
            text += f" ({'; '.join(_forcing(p, r) for p, r in zip(self.forcing, why, strict=True))})"
        elif self.changed:
            text += f" ({', '.join(self.changed)})"
        if self.unknown:
            text += f" [not in the replace table: {', '.join(self.unknown)}]"
        if self.read_back:
            text += f" [AWS fills in {', '.join(self.read_back)} and the provider reads it back: every up]"
        if self.ignored:
            text += f" [changes ignored: {', '.join(self.ignored)}]"
        if self.after_replaced:
            text += f" [reads from replaced {', '.join(self.after_replaced)}: may change further]"
        return text + (f": refused, {self.refused}" if self.refused else "")


def _forcing(prop: str, why: str) -> str:
    if prop == "urn":
        return f"new URN, {why}" if why else "new URN"
    return f"{prop} is replace-only, {why}" if why else f"{prop} is replace-only"


@dataclass(frozen=True)
class Prediction:
    changes: list[Change] = field(default_factory=list)

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if c.refused]

    @property
    def warnings(self) -> list[str]:
        return [f"{c.name}: {w}" for c in self.changes for w in c.warnings]

    def lines(self) -> list[str]:
        counts = {
            a: sum(c.action == a for c in self.changes) for a in ("create", "update", "replace", "delete")
        }
        summary = ", ".join(f"{n} to {a}" for a, n in counts.items() if n) or "no changes"
        if self.warnings:
            summary += f"; {len(self.warnings)} warning{'s' if len(self.warnings) > 1 else ''}"
        shown = [f"  {c.describe()}" for c in self.changes if c.action != "same" or c.ignored]
        return [f"against the saved plan: {summary}", *shown, *(f"  warning: {w}" for w in self.warnings)]


def predict(before: Plan, after: Plan) -> Prediction:
    """Per resource, what ``up`` of ``after`` does to a stack in the state ``before`` describes.

    Resources are matched by URN, as the engine matches state, or by a URN in the new resource's
    ``aliases``. One whose URN changed without an alias (another parent, or a parent of another
    type) is a replacement by Pulumi's URN rules: the engine creates the new URN and deletes the
    old one.
    """
    changes = [c for old, new in _pairs(before, after) if (c := _change(old, new, before, after)) is not None]
    changes.sort(key=lambda c: c.key)
    replaced = {c.key: c.name for c in changes if c.action == "replace"}
    new_by_key = after.by_key()
    return Prediction([_downstream(c, new_by_key, replaced) for c in changes])


def _pairs(before: Plan, after: Plan) -> list[tuple[PlannedResource | None, PlannedResource | None]]:
    """(old, new) per resource: matched by URN or alias; a lone old and new of one key pair up too."""
    old_by_urn = before.by_urn()
    taken: set[str] = set()
    out: list[tuple[PlannedResource | None, PlannedResource | None]] = []
    lone_new = []
    for r in after.resources:
        found = next((u for u in (after.urn_of(r), *r.aliases) if u in old_by_urn and u not in taken), None)
        if found is None:
            lone_new.append(r)
        else:
            taken.add(found)
            out.append((old_by_urn[found], r))
    lone_old = {o.key: o for u, o in old_by_urn.items() if u not in taken}
    for r in lone_new:
        out.append((lone_old.pop(r.key, None), r))
    out += [(o, None) for o in lone_old.values()]
    return out


def _downstream(change: Change, new: dict[str, PlannedResource], replaced: dict[str, str]) -> Change:
    if change.action not in ("same", "update"):
        return change
    sources = tuple(replaced[d] for d in new[change.key].depends_on if d in replaced)
    if not sources:
        return change
    action = "update" if change.action == "same" else change.action
    return dataclasses.replace(change, action=action, after_replaced=sources)


def _change(
    old: PlannedResource | None, new: PlannedResource | None, before: Plan, after: Plan
) -> Change | None:
    if new is None:
        assert old is not None
        return _guard(Change(old.key, old.name, "delete"), old)
    if old is None:
        return Change(new.key, new.name, "create")
    moved = _urn_move(old, new, before, after)
    if new.component:
        # A component has no cloud state: its children say what happens (a moved one takes them
        # along, and each child's own URN says so).
        return None
    # A secret's value is not in the plan: an unchanged mask says nothing either way.
    kept = property_paths.keep_old(old.inputs, new.inputs, new.ignore_changes)
    diffs = {path for path, a, b in differences(old.inputs, kept) if SECRET not in (a, b)}
    ignored = tuple(p for p in new.ignore_changes if property_paths.differs(old.inputs, new.inputs, p))
    raw = {path.split(".")[0] for path, a, b in differences(old.inputs, new.inputs) if SECRET not in (a, b)}
    warnings = _create_only_warnings(new.type, tuple(sorted(raw)), tuple(i.split(".")[0] for i in ignored))
    heads = {d.split(".")[0].split("[")[0] for d in diffs}
    read_back = tuple(p for p in endless_diffs(new) if p not in heads)
    reasons = _replace_reasons(old, new, kept, sorted(diffs), before.region, after.region)
    if moved:
        reasons = {"urn": moved, **reasons}
    changed = tuple(sorted(diffs | set(read_back) | ({"region"} if "region" in reasons else set())))
    if not changed and not moved:
        return Change(new.key, new.name, "same", ignored=ignored, warnings=warnings)
    forcing = tuple(p for p, why in reasons.items() if why != replace_rules.UNKNOWN)
    unknown = tuple(p for p, why in reasons.items() if why == replace_rules.UNKNOWN)
    action = "replace" if reasons else "update"
    change = Change(
        new.key,
        new.name,
        action,
        changed,
        forcing,
        unknown,
        ignored=ignored,
        read_back=read_back,
        reasons=tuple(reasons[p] for p in forcing),
    )
    if action == "replace":
        return _guard(change, old)
    if new.type == RDS_INSTANCE and "dbSubnetGroupName" in changed:
        return dataclasses.replace(change, refused=SUBNET_GROUP_MOVE, warnings=warnings)
    return _gtid_guard(dataclasses.replace(change, warnings=warnings), old, new)


def _urn_move(old: PlannedResource, new: PlannedResource, before: Plan, after: Plan) -> str:
    """Why the engine sees another resource: its URN changed and no alias names the old one."""
    was, now = before.urn_of(old), after.urn_of(new)
    if was == now or was in new.aliases:
        return ""
    return (
        f"{replace_rules.URN}: {_qualified(was)} -> {_qualified(now)} and no alias names the old "
        "URN, so the engine creates the new one and deletes the old"
    )


def _qualified(urn: str) -> str:
    parts = urn.split("::")
    return parts[2] if len(parts) == 4 else urn


def _replace_reasons(
    old: PlannedResource,
    new: PlannedResource,
    kept: dict[str, object],
    changed: list[str],
    old_region: str,
    new_region: str,
) -> dict[str, str]:
    """Changed input (or ``region``) -> the rule that replaces the resource for it.

    The provider's rules come from :mod:`mysql_platform.planning.replace_rules`; the program's
    ``replace_on_changes`` paths are compared value by value, nested ones included.
    """
    out: dict[str, str] = {}
    region = replace_rules.region_change(new.type, old_region, new_region)
    if region.replaces:
        out["region"] = region.why
    for path in new.replace_on_changes:
        if property_paths.differs(old.inputs, kept, path):
            out[path] = f"{replace_rules.PROGRAM} {path}"
    for prop in changed:
        if any(prop == p or prop.startswith(p + ".") for p in out):
            continue
        verdict = replace_rules.verdict(new.type, prop, new.inputs, old.inputs)
        if verdict.replaces is not False:
            out[prop] = verdict.why
    return out


def _create_only_warnings(type_: str, changed: tuple[str, ...], ignored: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for prop in changed:
        why = replace_rules.create_only(type_, prop)
        if why is None:
            continue
        if prop in ignored:
            out.append(f"{prop} is not applied: ignore_changes keeps the value it was created with; {why}")
        else:
            out.append(
                f"{prop} is never applied, and `pulumi up` shows the same update again every time; {why}"
            )
    return tuple(out)


def _gtid_guard(change: Change, old: PlannedResource, new: PlannedResource) -> Change:
    """A parameter group whose gtid-mode changes: one step is noted, a jump is refused."""
    if new.type not in PARAMETER_GROUPS or "parameters" not in change.changed:
        return change
    note, refusal = gtid_steps.step(old.inputs, new.inputs)
    if refusal is not None:
        return dataclasses.replace(change, refused=refusal)
    return dataclasses.replace(change, warnings=(*change.warnings, note)) if note else change


def _guard(change: Change, old: PlannedResource) -> Change:
    if old.protect:
        why = "protected"
    elif old.type in STATEFUL:
        why = "stateful: its data and storage go with it"
    else:
        return change
    return dataclasses.replace(change, refused=why)
