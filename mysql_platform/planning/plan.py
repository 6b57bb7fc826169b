"""A plan: what the program would register for a stack, as data (secrets masked), saved as JSON.

:func:`make_plan` runs the program (the function ``pulumi up`` runs) under the mock engine with
``Pulumi.yaml``'s defaults, ``Pulumi.<stack>.yaml`` and ``--set`` overrides; no CLI, credentials
or network. Resources are keyed by type and logical name, as in their URNs; :meth:`Plan.urn_of` gives
the full URN, which the engine matches state by. Values AWS computes
(ids, addresses, random name parts) are the mock engine's placeholders; a reference to another
resource's id shows as that resource (``-> network-vpc``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pulumi.runtime import rpc

from mysql_platform.components.program import program
from mysql_platform.planning import policy_rules
from mysql_platform.planning import stack_file as stack_files
from mysql_platform.planning.mock_engine import (
    DEFAULT_REGION,
    PROJECT,
    ProgramRun,
    Registered,
    run_program,
    stack_config,
)

SECRET = "[secret]"
FORMAT = 1  # of the saved JSON; fields added since have defaults, so older saved plans still load
STACK_TYPE = "pulumi:pulumi:Stack"  # the root resource: no part of its children's URNs


@dataclass(frozen=True)
class PlannedResource:
    type: str
    name: str
    parent: str  # the parent's key, "" for the stack itself
    component: bool
    inputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    replace_on_changes: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)  # keys
    # The URNs the ``aliases`` option names: state under any of them is this resource's. A plan
    # saved before this field existed recorded none: a resource whose URN changed then reads as
    # deleted and created, the conservative reading.
    aliases: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return resource_key(self.type, self.name)


@dataclass(frozen=True)
class Plan:
    stack: str
    region: str
    overrides: dict[str, str]
    resources: list[PlannedResource]
    exports: dict[str, Any]

    def by_key(self) -> dict[str, PlannedResource]:
        return {r.key: r for r in self.resources}

    def urn_of(self, resource: PlannedResource) -> str:
        """The resource's URN, ``urn:pulumi:STACK::PROJECT::QUALIFIED-TYPE::NAME``.

        The qualified type is each ancestor's type from the top, then the resource's own, joined
        by ``$`` (the root stack left out): moving a resource to another parent, or its parent
        to another component type, gives it a new URN (Pulumi docs, "Resource names: URNs").
        """
        by_key = self.by_key()
        types = [resource.type]
        parent, seen = by_key.get(resource.parent), {resource.key}
        while parent is not None and parent.key not in seen:
            seen.add(parent.key)
            types.insert(0, parent.type)
            parent = by_key.get(parent.parent)
        return urn(self.stack, "$".join(types), resource.name)

    def by_urn(self) -> dict[str, PlannedResource]:
        return {self.urn_of(r): r for r in self.resources}

    def policy_violations(self) -> list[policy_rules.Violation]:
        """The policy rules (:mod:`mysql_platform.planning.policy_rules`) on this plan's resources."""
        seen = [
            policy_rules.Resource(r.type, r.name, r.inputs, r.protect)
            for r in self.resources
            if not r.component
        ]
        return policy_rules.evaluate(seen)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        if not isinstance(data, Mapping):
            raise ValueError(
                "not a saved plan (`mysql-platform plan STACK --json` output): a JSON "
                f"{type(data).__name__}, not an object"
            )
        if data.get("format") != FORMAT:
            found = data.get("format")
            raise ValueError(
                f"not a saved plan of format {FORMAT} (`mysql-platform plan STACK --json` output), "
                f"got format {found!r}"
            )
        resources = [PlannedResource(**r) for r in data["resources"]]
        return cls(data["stack"], data["region"], dict(data["overrides"]), resources, dict(data["exports"]))


def resource_key(type_: str, name: str) -> str:
    return f"{type_}::{name}"


def urn(stack: str, qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{qualified_type}::{name}"


def _qualified_type(type_: str, parent_urn: str, by_urn: Mapping[str, Registered]) -> str:
    """``type_`` under the parent with this (mock engine) URN, as the engine qualifies it."""
    parent = by_urn.get(parent_urn)
    if parent is not None:
        return f"{_qualified_type(parent.type, parent.parent_urn, by_urn)}${type_}"
    # Not registered here: the root stack, or a URN written out in an alias (the engine's form).
    parts = parent_urn.split("::")
    outer = parts[2] if len(parts) == 4 else STACK_TYPE
    return type_ if outer == STACK_TYPE else f"{outer}${type_}"


def _alias_urns(r: Registered, stack: str, by_urn: Mapping[str, Registered]) -> list[str]:
    """The URNs the resource's ``aliases`` name; a spec's empty fields are the resource's own."""
    out = []
    for alias in r.aliases:
        if "urn" in alias:
            out.append(alias["urn"])
            continue
        parent = "" if alias["no_parent"] else (alias["parent_urn"] or r.parent_urn)
        qualified = _qualified_type(alias["type"] or r.type, parent, by_urn)
        out.append(urn(stack, qualified, alias["name"] or r.name))
    return out


def make_plan(
    stack: str, overrides: Mapping[str, str] | None = None, *, stack_file: str | None = None
) -> Plan:
    """Run the program for ``stack``; raises the settings' ConfigError on bad config (an unknown
    project key included) and :class:`~mysql_platform.planning.stack_file.StackFileError` on a stack file
    the bounded loader refuses."""
    file = stack_file or stack
    stack_files.check(file, overrides or {})
    # As `up` would run it: under the mocks a preview differs only in what AWS computes, which the
    # engine fills with placeholders either way.
    run = run_program(program, stack, overrides=dict(overrides or {}), stack_file=file)
    region = stack_config(file, overrides).get("aws:region", DEFAULT_REGION)
    return from_run(run, region, dict(overrides or {}))


def from_run(run: ProgramRun, region: str, overrides: dict[str, str]) -> Plan:
    names = {r.urn: r for r in run.resources}
    ids = _computed_values(run)
    # Registration order follows the event loop; a plan lists resources by type and name, so two
    # plans of one configuration are the same text.
    resources = sorted(
        (_planned(r, names, ids, run.stack) for r in run.resources), key=lambda r: (r.type, r.name)
    )
    exports = {k: (SECRET if k in run.secret_exports else _mask(v, ids)) for k, v in run.exports.items()}
    return Plan(run.stack, region, overrides, resources, exports)


def _computed_values(run: ProgramRun) -> dict[str, str]:
    """Placeholder value -> what it stands for: ``name`` for an id, ``name.attribute`` otherwise."""
    out: dict[str, str] = {}
    for r in run.resources:
        if not r.custom:
            continue
        for attribute, value in run.resource_outputs.get(r.name, {}).items():
            if isinstance(value, str) and attribute not in r.inputs and len(value) > 3:
                out.setdefault(value, f"{r.name}.{attribute}")
        out[f"{r.name}-id"] = r.name
    return out


def _planned(
    r: Registered, by_urn: Mapping[str, Registered], ids: Mapping[str, str], stack: str
) -> PlannedResource:
    parent = by_urn.get(r.parent_urn)
    return PlannedResource(
        type=r.type,
        name=r.name,
        parent=resource_key(parent.type, parent.name) if parent else "",
        component=not r.custom,
        inputs={k: _mask(v, ids) for k, v in sorted(r.inputs.items())},
        protect=r.protect,
        retain_on_delete=r.retain_on_delete,
        delete_before_replace=r.delete_before_replace,
        replace_on_changes=list(r.replace_on_changes),
        ignore_changes=list(r.ignore_changes),
        depends_on=[resource_key(d.type, d.name) for u in r.dependencies if (d := by_urn.get(u))],
        aliases=_alias_urns(r, stack, by_urn),
    )


def _mask(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with secrets as ``[secret]`` and mock ids as ``-> name``."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _mask(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, ids) for v in value]
    if isinstance(value, str) and value in ids:
        return f"-> {ids[value]}"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the engine's numbers are floats; ports and sizes read better whole
    return value
