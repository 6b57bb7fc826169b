"""The configuration keys, read from the ``config:`` schema of the project file ``Pulumi.yaml``.

``Pulumi.yaml`` is the one place a key is declared: its type, default and description. The
Pulumi CLI reads the same declarations (it type-checks stack values and fills in defaults);
the settings read them here, once, at import. Pulumi's string form of each stack value is
turned into the declared type by :func:`parse_value`.

The schema knows ``string``, ``integer``, ``boolean`` and ``array`` (of strings here). A map
has no schema type: it is declared without ``type`` and with a map default, and read as
``object`` (a map of strings, which arrives as JSON like arrays do).

The file is the one of the project directory (:func:`mysql_platform.project.project_dir`: the
current project, else the checkout, else the copy shipped in the wheel); a missing or
malformed file raises :class:`ProjectFileError` naming the path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import yaml  # type: ignore[import-untyped]

from mysql_platform import project
from mysql_platform.errors import EXIT_BAD_INPUT, PlatformError

FieldType = Literal["string", "integer", "boolean", "array", "object"]
RawGetter = Callable[[str], str | None]

# The project directory the command runs in (`pulumi up` runs the program there), else the
# checkout, else the packaged copy: mysql_platform.project states the rule.
PROJECT_FILE: Final = project.project_dir() / project.PROJECT_FILE
# The Python type each schema type's default (and parsed value) has.
_DEFAULT_TYPES: Final[dict[str, type]] = {"string": str, "integer": int, "boolean": bool, "array": list}


class ProjectFileError(PlatformError, RuntimeError):
    """``Pulumi.yaml`` is missing or its ``config:`` schema cannot be read; names the path."""

    exit_code = EXIT_BAD_INPUT
    label = "bad input"


@dataclass(frozen=True)
class Field:
    """One configuration key: its Pulumi name, type, default and meaning."""

    key: str
    type: FieldType
    default: Any
    description: str


@dataclass(frozen=True)
class ProjectSchema:
    """What the settings need from the project file: the project's name and its config keys."""

    project: str
    fields: tuple[Field, ...]


def load_schema(path: Path = PROJECT_FILE) -> ProjectSchema:
    """Read the project name and every ``config:`` declaration of ``path``; fail naming the path."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectFileError(
            f"{path}: not found; the settings read the config schema from the project's Pulumi.yaml, "
            "expected in the project directory (mysql-platform init DIR makes one)"
        ) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProjectFileError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise ProjectFileError(f"{path}: expected a Pulumi project file with a name")
    config = document.get("config")
    if not isinstance(config, dict) or not config:
        raise ProjectFileError(f"{path}: expected a config: section declaring the stack's keys")
    fields = tuple(_field(path, str(key), entry) for key, entry in config.items())
    return ProjectSchema(project=document["name"], fields=fields)


def _field(path: Path, key: str, entry: Any) -> Field:
    where = f"{path}: config key {key}"
    if not isinstance(entry, dict):
        raise ProjectFileError(f"{where}: expected a mapping with type, description and default")
    description, default = entry.get("description"), entry.get("default")
    if not isinstance(description, str) or not description:
        raise ProjectFileError(f"{where}: has no description")
    if "default" not in entry:
        # Every key has a default, so a stack file sets only what differs.
        raise ProjectFileError(f"{where}: has no default")
    declared = entry.get("type")
    if declared is None:
        if not isinstance(default, dict) or not all(isinstance(v, str) for v in default.values()):
            raise ProjectFileError(
                f"{where}: has no type, which only a map of strings may omit; got default {default!r}"
            )
        return Field(key, "object", default, description)
    if declared not in _DEFAULT_TYPES:
        raise ProjectFileError(f"{where}: got type {declared!r}; expected one of {', '.join(_DEFAULT_TYPES)}")
    if declared == "array" and entry.get("items") != {"type": "string"}:
        raise ProjectFileError(f"{where}: expected items of type string; got {entry.get('items')!r}")
    expected = _DEFAULT_TYPES[declared]
    # bool is an int in Python; an integer key's default must not be true or false.
    if not isinstance(default, expected) or (declared == "integer" and isinstance(default, bool)):
        raise ProjectFileError(f"{where}: got default {default!r}; expected a value of type {declared}")
    if isinstance(default, list) and not all(isinstance(v, str) for v in default):
        raise ProjectFileError(f"{where}: got default {default!r}; expected a list of strings")
    return Field(key, declared, default, description)


def snake_case(key: str) -> str:
    """The Settings attribute of a config key: ``dbReplicaCount`` -> ``db_replica_count``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def parse_value(field: Field, raw: str | None, problems: list[str]) -> Any:
    """Turn Pulumi's string form of a config value into the field's type (its default when unset)."""
    if raw is None:
        return _copy(field.default)
    if field.type == "string":
        return raw
    if field.type == "integer":
        try:
            return int(raw.strip())
        except ValueError:
            problems.append(f"{field.key}: got {raw!r}; expected an integer")
            return field.default
    if field.type == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        problems.append(f"{field.key}: got {raw!r}; expected true or false")
        return field.default
    if field.type == "object":
        return _parse_object(field, raw, problems)
    return _parse_array(field, raw, problems)


def _copy(default: Any) -> Any:
    # Defaults are shared by every parse: hand out copies of the mutable ones.
    if isinstance(default, list):
        return list(default)
    if isinstance(default, Mapping):
        return dict(default)
    return default


def _parse_object(field: Field, raw: str, problems: list[str]) -> dict[str, str]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.append(f"{field.key}: got {raw!r}; expected a map of strings (YAML map in the stack file)")
        return dict(field.default)
    return value


def _parse_array(field: Field, raw: str, problems: list[str]) -> list[str]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        problems.append(f"{field.key}: got {raw!r}; expected a list of strings (YAML list in the stack file)")
        return list(field.default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{field.key}: got {value!r}; expected a list of strings")
        return list(field.default)
    return value


SCHEMA: Final = load_schema()
PROJECT: Final = SCHEMA.project
FIELDS: Final = SCHEMA.fields
_FIELD_BY_KEY: Final = {f.key: f for f in FIELDS}


def field(key: str) -> Field:
    """The declaration of ``key``; KeyError for a key Pulumi.yaml does not declare."""
    return _FIELD_BY_KEY[key]
