"""A stack's configuration as the plan reads it: ``Pulumi.<stack>.yaml`` and ``--set`` overrides, checked.

Checked before the program runs:

* The stack file is read with a bounded YAML loader: at most :data:`MAX_BYTES`, and no aliases
  (``*name``). An alias is a reference the loader shares, not a copy, so a "billion laughs"
  file of a few hundred bytes loads fast and small; it is the config's string form (JSON of
  every nested list, as the engine hands config to a program) that grows without bound and
  ends in a MemoryError. A stack file needs no aliases: ``pulumi config set`` writes none.
* Every key in the project's namespace (``mysql-platform:KEY``, or a bare ``KEY`` in ``--set``)
  must be declared in ``Pulumi.yaml``'s ``config:`` schema
  (:mod:`~mysql_platform.components.config_schema`); an
  unknown one is refused naming the closest declared key, as Terraform refuses an undeclared
  variable. Other namespaces (``aws:region``, ``pulumi:...``) belong to their providers and
  pass through.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml  # type: ignore[import-untyped]

from mysql_platform.components.config_schema import FIELDS, PROJECT
from mysql_platform.components.settings import ConfigError
from mysql_platform.project import project_dir

ROOT = project_dir()  # the project's Pulumi*.yaml: the rule is mysql_platform.project's
# The committed stack files are under 2 KiB; a stack file of a few hundred keys stays far below this.
MAX_BYTES: Final = 256 * 1024
KNOWN_KEYS: Final = frozenset(f.key for f in FIELDS)


class StackFileError(ValueError):
    """A stack file the plan will not read: too large, not YAML, with aliases, or not a config map."""


class _Alias(Exception):
    def __init__(self, anchor: str, line: int) -> None:
        super().__init__(anchor, line)
        self.anchor, self.line = anchor, line


class _NoAliasLoader(yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader, refusing every alias before it is composed into the document."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Alias(str(event.anchor), event.start_mark.line + 1)
        return super().compose_node(parent, index)


REGION_KEY = "aws:region"
# AWS Region codes: us-east-1, eu-central-2, us-gov-west-1, ap-southeast-7.
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


def path_of(stack: str) -> Path:
    return ROOT / f"Pulumi.{stack}.yaml"


def load(path: Path) -> dict[str, Any]:
    """The ``config:`` map of the stack file at ``path``; StackFileError naming the path and why."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise StackFileError(f"{path.name}: {size} bytes, more than the {MAX_BYTES} a stack file may have")
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoAliasLoader)  # noqa: S506
    except _Alias as exc:
        raise StackFileError(
            f"{path.name}: line {exc.line}: YAML alias *{exc.anchor}: aliases are not read in a stack file "
            "(a few of them can expand without bound); write the value out"
        ) from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path.name}: not valid YAML ({exc})") from None
    except RecursionError:
        raise StackFileError(f"{path.name}: nested too deep for a stack file") from None
    except UnicodeDecodeError as exc:
        raise StackFileError(f"{path.name}: not UTF-8 text (byte {exc.start})") from None
    if document is None:
        return {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(f"{path.name}: expected a map with a config: map, as `pulumi config set` writes")
    return dict(document.get("config") or {})


def unknown_keys(values: Mapping[Any, Any], origin: str) -> list[str]:
    """One problem per key of the project's namespace that ``Pulumi.yaml`` does not declare."""
    problems = []
    for raw in values:
        key = str(raw)
        namespace, sep, name = key.rpartition(":") if ":" in key else ("", "", key)
        if sep and namespace != PROJECT:
            continue  # another namespace: its provider's keys
        if name in KNOWN_KEYS:
            continue
        close = difflib.get_close_matches(name, sorted(KNOWN_KEYS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see the config: section of Pulumi.yaml"
        # The value is not shown: a mistyped key may hold a secret, and this goes to CI logs.
        problems.append(f"{key} (in {origin}): not a declared key of project {PROJECT!r}; {hint}")
    return problems


def check(stack: str, overrides: Mapping[str, str]) -> None:
    """Refuse a stack file the loader will not read, and unknown project keys in it or in ``overrides``."""
    path = path_of(stack)
    if not path.is_file():
        raise FileNotFoundError(f"no stack file Pulumi.{stack}.yaml in the project")
    values = load(path)
    problems = unknown_keys(values, path.name) + unknown_keys(overrides, "--set")
    region = overrides.get(REGION_KEY, values.get(REGION_KEY))
    if region is not None and not REGION.fullmatch(str(region)):
        problems.append(f"{REGION_KEY}: got {region!r}; expected an AWS Region code such as us-east-1")
    if problems:
        raise ConfigError(problems)
