"""Values as the policy rules see them: known, absent (``None``), or :data:`UNKNOWN`.

During ``pulumi preview`` of a new stack every value that comes from another resource (ids, names
made by AWS, a RandomId's hex) is unknown. CrossGuard's analyzer hands the pack a proxy that raises
``UnknownValueError`` when such a value is read (pulumi-policy 1.21.0, ``pulumi_policy/proxy.py``
``_raise_if_unknown``); the pack turns each one into :data:`UNKNOWN` so that a rule decides on
what is known and says so when its own input is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


class Unknown:
    """The one value that stands for "not known until ``pulumi up``"."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Final = Unknown()
# What an undecided rule says when nothing more specific applies.
CANNOT_SHOW: Final = "the rule cannot show it holds"


def _is_true(value: Any) -> bool:
    return value is True


@dataclass(frozen=True)
class Undecided:
    """A rule could not decide on a value that is unknown at preview and that it may not block on
    (e.g. an attribute AWS computes). The plan has no such values; the pack reports these as
    pulumi-policy's own "can't run policy ... during preview" note, after the decided violations."""

    message: str


def lookup(value: Any, *path: str | int) -> Any:
    """``value[path[0]][path[1]]...``: ``None`` where a step is absent, :data:`UNKNOWN` where one is
    unknown (everything below an unknown value is unknown too)."""
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(step, str) and isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(step, int) and _is_list(value) and -len(value) <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def items(value: Any) -> list[Any] | Unknown:
    """A list input as a list (absent: empty), or :data:`UNKNOWN`."""
    if isinstance(value, Unknown):
        return value
    return list(value) if _is_list(value) else []


def unknown_message(path: str, needs: str = CANNOT_SHOW) -> str:
    return f"{path} is unknown at preview: {needs}"


def required(value: Any, path: str, violation: str, holds: Callable[[Any], bool] = _is_true) -> Iterator[str]:
    """``violation`` unless ``holds(value)``; a value unknown at preview says so instead."""
    if value is UNKNOWN:
        yield unknown_message(path)
    elif not holds(value):
        yield violation


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)
