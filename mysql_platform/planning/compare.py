"""Two plans side by side (dev against prod): the same resources by logical name, and what differs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mysql_platform.planning.plan import Plan


def compare(a: Plan, b: Plan) -> list[str]:
    """Lines: resources only in one plan, then each shared resource's differing inputs and options."""
    ra, rb = a.by_key(), b.by_key()
    lines = [f"{a.stack} ({len(ra)} resources) against {b.stack} ({len(rb)} resources)"]
    for key in sorted(set(ra) - set(rb)):
        lines.append(f"  only in {a.stack}: {key}")
    for key in sorted(set(rb) - set(ra)):
        lines.append(f"  only in {b.stack}: {key}")
    same = 0
    for key in sorted(set(ra) & set(rb)):
        x, y = ra[key], rb[key]
        diffs = [f"      {path}: {_show(u)} | {_show(v)}" for path, u, v in differences(x.inputs, y.inputs)]
        if x.protect != y.protect:
            diffs.append(f"      (protect): {x.protect} | {y.protect}")
        if diffs:
            lines += [f"  {key}:", *diffs]
        else:
            same += 1
    lines.append(f"  {same} shared resources are the same in both")
    return lines


def differences(a: Mapping[str, Any], b: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(path, a's value, b's value) for each input that differs; maps are compared key by key."""
    out: list[tuple[str, Any, Any]] = []
    for name in sorted(set(a) | set(b)):
        u, v = a.get(name), b.get(name)
        if u == v:
            continue
        if isinstance(u, dict) and isinstance(v, dict):
            out += differences(u, v, f"{prefix}{name}.")
        else:
            out.append((f"{prefix}{name}", u, v))
    return out


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."
