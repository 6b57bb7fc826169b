"""Reading a saved plan (``mysql-platform plan STACK --json`` output) for ``--before``: a regular
file of bounded size, JSON of bounded depth, and every field of the type the plan needs, or
PlanFileError naming the file and the field."""

from __future__ import annotations

import dataclasses
import json
import stat
from pathlib import Path
from typing import Any, Final

from mysql_platform.planning.plan import Plan, PlannedResource

# A saved plan of this program is about 100 KiB; a hundred times that is no plan of it.
MAX_BYTES: Final = 16 * 1024 * 1024
_STRINGS = ("stack", "region")
_MAPS = ("overrides", "exports")
_RESOURCE_TYPES: Final = {
    "type": str,
    "name": str,
    "parent": str,
    "component": bool,
    "inputs": dict,
    "protect": bool,
    "retain_on_delete": bool,
    "delete_before_replace": bool,
    "replace_on_changes": list,
    "ignore_changes": list,
    "depends_on": list,
    "aliases": list,
}


class PlanFileError(ValueError):
    """A saved plan that cannot be read; the message names the file and what is wrong."""


def load(path: Path) -> Plan:
    return _parse(path.name, _read(path))


def _read(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        raise PlanFileError(f"{path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise PlanFileError(
            f"{path}: not a regular file (a saved `mysql-platform plan STACK --json` output is one)"
        )
    if info.st_size > MAX_BYTES:
        raise PlanFileError(f"{path}: {info.st_size} bytes, more than the {MAX_BYTES} a saved plan may have")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PlanFileError(
            f"{path}: not UTF-8 text (byte {exc.start}): `mysql-platform plan STACK --json` writes UTF-8"
        ) from None


def _parse(name: str, text: str) -> Plan:
    try:
        data = json.loads(text)
    except RecursionError:
        raise PlanFileError(f"{name}: JSON nested too deep for a saved plan") from None
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{name}: not JSON ({exc})") from None
    _check(name, data)
    try:
        return Plan.from_json(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise PlanFileError(f"{name}: {exc}") from None


def _check(name: str, data: Any) -> None:
    if not isinstance(data, dict):
        raise PlanFileError(
            f"{name}: not a saved plan (`mysql-platform plan STACK --json` output): a JSON "
            f"{type(data).__name__}"
        )
    for key in (*_STRINGS, *_MAPS, "resources"):
        if key not in data:
            raise PlanFileError(
                f"{name}: no {key!r} field: not a saved `mysql-platform plan STACK --json` output"
            )
    for key in _STRINGS:
        _expect(name, key, data[key], str)
    for key in _MAPS:
        _expect(name, key, data[key], dict)
    _expect(name, "resources", data["resources"], list)
    fields = {f.name for f in dataclasses.fields(PlannedResource)}
    for i, resource in enumerate(data["resources"]):
        where = f"resources[{i}]"
        _expect(name, where, resource, dict)
        for key, value in resource.items():
            if key not in fields:
                raise PlanFileError(f"{name}: {where}.{key}: not a field of a planned resource")
            _expect(name, f"{where}.{key}", value, _RESOURCE_TYPES[key])


def _expect(name: str, where: str, value: Any, kind: type) -> None:
    if not isinstance(value, kind):
        raise PlanFileError(f"{name}: {where} is a JSON {type(value).__name__}, expected {kind.__name__}")
