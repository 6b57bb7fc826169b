"""Pulumi property paths, as ``ignore_changes`` and ``replace_on_changes`` take them.

A path names a value inside a resource's inputs: ``rootBlockDevice.volumeSize``,
``tags["Name"]``, ``ingress[0].cidrBlocks``, ``parameters[*].value``; ``*`` alone is every input
(Pulumi docs, "Resource options: ignoreChanges", "replaceOnChanges": "the property paths ... the
same as in `pulumi state` output"). The engine applies ``ignore_changes`` by putting the old value
at each path into the new inputs before the provider diffs them (pulumi/pulumi
pkg/resource/deploy/step_generator.go, ``processIgnoreChanges``), so an ignored nested field
changes nothing while its siblings still do.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

# A name (letters, digits, _ or -), ["quoted key"], [index] or [*], each optionally after a dot.
_TOKEN = re.compile(r'\.?([A-Za-z0-9_$-]+)|\["((?:[^"\\]|\\.)*)"\]|\[(\d+|\*)\]')
WILDCARD = "*"
_ABSENT = object()


def parse(path: str) -> tuple[str | int, ...]:
    """The path's steps: keys (str), list indices (int) and ``*``; raises ValueError on bad text."""
    if path == WILDCARD:
        return (WILDCARD,)
    steps: list[str | int] = []
    at = 0
    while at < len(path):
        m = _TOKEN.match(path, at)
        if m is None or (at == 0 and path.startswith(".")):
            raise ValueError(f"property path {path!r}: cannot read it from character {at + 1}")
        name, key, index = m.groups()
        if index is not None:
            steps.append(WILDCARD if index == WILDCARD else int(index))
        else:
            steps.append(name if name is not None else key)
        at = m.end()
    if not steps:
        raise ValueError("property path '': empty")
    return tuple(steps)


def values(data: Any, steps: tuple[str | int, ...], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for each value the steps reach; a missing value counts as absent."""
    if not steps:
        yield prefix, data
        return
    step, rest = steps[0], steps[1:]
    if step == WILDCARD:
        if isinstance(data, Mapping):
            for k in sorted(data):
                yield from values(data[k], rest, _join(prefix, k))
        elif isinstance(data, list):
            for i, item in enumerate(data):
                yield from values(item, rest, f"{prefix}[{i}]")
        return
    if isinstance(step, int):
        item = data[step] if isinstance(data, list) and step < len(data) else _ABSENT
        yield from values(item, rest, f"{prefix}[{step}]")
        return
    item = data.get(step, _ABSENT) if isinstance(data, Mapping) else _ABSENT
    yield from values(item, rest, _join(prefix, step))


def differs(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> bool:
    """Whether the value at ``path`` differs between two sets of inputs."""
    steps = parse(path)
    if steps == (WILDCARD,):
        return dict(old) != dict(new)
    return dict(values(old, steps)) != dict(values(new, steps))


def keep_old(old: Mapping[str, Any], new: Mapping[str, Any], paths: list[str]) -> dict[str, Any]:
    """``new`` with the old value at each path, as the engine applies ``ignore_changes``."""
    out: dict[str, Any] = copy.deepcopy(dict(new))
    for path in paths:
        steps = parse(path)
        if steps == (WILDCARD,):
            return copy.deepcopy(dict(old))
        for concrete, value in list(values(old, steps)):
            _put(out, parse(concrete), value)
        for concrete, _ in list(values(out, steps)):
            if dict(values(old, parse(concrete))).get(concrete, _ABSENT) is _ABSENT:
                _put(out, parse(concrete), _ABSENT)
    return out


def _put(data: Any, steps: tuple[str | int, ...], value: Any) -> None:
    """Set (or, for the absent marker, remove) the value at concrete steps, making maps on the way."""
    *head, last = steps
    for step in head:
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return
            data = data[step]
        else:
            if not isinstance(data, dict):
                return
            if step not in data and value is _ABSENT:
                return
            data = data.setdefault(step, {})
    if isinstance(last, int):
        if isinstance(data, list) and last < len(data) and value is not _ABSENT:
            data[last] = value
    elif isinstance(data, dict):
        if value is _ABSENT:
            data.pop(last, None)
        else:
            data[last] = value


def _join(prefix: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_$-]+", key):
        return f"{prefix}.{key}" if prefix else key
    return f'{prefix}["{key}"]'
