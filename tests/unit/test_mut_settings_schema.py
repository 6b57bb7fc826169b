"""The config schema read from Pulumi.yaml, and the tag rules RDS imposes: exact messages.

Written against the survivors of a mutation run (tests/mutation/). The tags go through the
settings' public API (tests/support/settings_api.py). Pure: no Pulumi runtime.
"""

from __future__ import annotations

import locale
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mysql_platform.components.config_schema import ProjectFileError, load_schema
from tests.support.settings_api import problems

TYPES = "string, integer, boolean, array"
RDS_CHARACTERS = "RDS takes letters, digits, spaces and _ . : / = + - @ only"


def schema_error(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectFileError) as info:
        load_schema(path)
    return str(info.value)


def field_error(tmp_path: Path, entry: Any) -> str:
    path = tmp_path / "Pulumi.yaml"
    text = yaml.safe_dump({"name": "mysql-platform", "config": {"someKey": entry}})
    return schema_error(path, text).removeprefix(f"{path}: config key someKey: ")


# --- the project file -----------------------------------------------------------------------


def test_a_missing_project_file_says_where_it_was_looked_for(tmp_path: Path) -> None:
    missing = tmp_path / "Pulumi.yaml"
    with pytest.raises(ProjectFileError) as info:
        load_schema(missing)
    assert str(info.value) == (
        f"{missing}: not found; the settings read the config schema from the project's Pulumi.yaml, "
        "expected in the project directory (mysql-platform init DIR makes one)"
    )


def test_invalid_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.yaml"
    message = schema_error(path, "name: [unclosed\n")
    assert message.startswith(f"{path}: not valid YAML (while parsing a flow sequence")
    assert message.endswith(")")


@pytest.mark.parametrize("text", ["- a list\n", "runtime: python\n", "name: 5\n", "just text\n"])
def test_rejects_a_document_that_is_no_named_project(tmp_path: Path, text: str) -> None:
    path = tmp_path / "Pulumi.yaml"
    assert schema_error(path, text) == f"{path}: expected a Pulumi project file with a name"


@pytest.mark.parametrize("config", ["config: {}\n", "config: [a]\n", "config: text\n", ""])
def test_rejects_a_missing_or_empty_config_section(tmp_path: Path, config: str) -> None:
    path = tmp_path / "Pulumi.yaml"
    assert schema_error(path, "name: p\n" + config) == (
        f"{path}: expected a config: section declaring the stack's keys"
    )


@pytest.fixture
def ascii_locale() -> Iterator[None]:
    """The C locale, whose default text encoding is ASCII (a server's LANG may be unset)."""
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


@pytest.mark.usefixtures("ascii_locale")
def test_reads_a_non_ascii_description_as_utf_8_whatever_the_locale(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.yaml"
    text = "name: p\nconfig:\n  k:\n    type: string\n    description: Zürich\n    default: ''\n"
    path.write_bytes(text.encode("utf-8"))
    assert load_schema(path).fields[0].description == "Zürich"


# --- one declaration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (5, "expected a mapping with type, description and default"),
        ("text", "expected a mapping with type, description and default"),
        ({"type": "string", "description": "", "default": ""}, "has no description"),
        ({"type": "string", "description": 5, "default": ""}, "has no description"),
        ({"type": "number", "description": "d", "default": 1}, f"got type 'number'; expected one of {TYPES}"),
        ({"type": "array", "description": "d", "default": []}, "expected items of type string; got None"),
        (
            {"type": "array", "items": {"type": "integer"}, "description": "d", "default": []},
            "expected items of type string; got {'type': 'integer'}",
        ),
        (
            {"description": "d", "default": {"a": 1}},
            "has no type, which only a map of strings may omit; got default {'a': 1}",
        ),
        (
            {"type": "integer", "description": "d", "default": "1"},
            "got default '1'; expected a value of type integer",
        ),
        (
            {"type": "array", "items": {"type": "string"}, "description": "d", "default": ["a", 2]},
            "got default ['a', 2]; expected a list of strings",
        ),
    ],
)
def test_rejects_a_malformed_declaration_with_an_exact_message(
    tmp_path: Path, entry: Any, expected: str
) -> None:
    assert field_error(tmp_path, entry) == expected


# --- tags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (
            {"rds:team": "x"},
            ["tags: got key 'rds:team'; rds: is reserved by RDS, which refuses a key that starts with it"],
        ),
        (
            {"RDS:Team": "x"},
            ["tags: got key 'RDS:Team'; rds: is reserved by RDS, which refuses a key that starts with it"],
        ),
        (
            {"team": "aws:x"},
            ["tags: got value 'aws:x' for key 'team'; RDS refuses a value that starts with aws: or rds:"],
        ),
        (
            {"team": "RDS:x"},
            ["tags: got value 'RDS:x' for key 'team'; RDS refuses a value that starts with aws: or rds:"],
        ),
        (
            {"te#am": "a!b!c?"},
            [
                f"tags: got key 'te#am'; '#' (U+0023) not allowed: {RDS_CHARACTERS}",
                "tags: got value 'a!b!c?' for key 'te#am'; '!' (U+0021), '?' (U+003F) not allowed: "
                + RDS_CHARACTERS,
            ],
        ),
        (
            {"team": "a\u2603"},
            [f"tags: got value 'a\u2603' for key 'team'; '\u2603' (U+2603) not allowed: {RDS_CHARACTERS}"],
        ),
    ],
)
def test_tag_problems_are_exact(tags: dict[str, str], expected: list[str]) -> None:
    assert problems(tags=tags) == expected


def test_tags_of_every_allowed_character_pass() -> None:
    assert problems(tags={"Ünïcode key 9_.:/=+-@": "väl ue 9_.:/=+-@", "x": "\u00a0"}, azCount="x") == [
        "azCount: got 'x'; expected an integer"
    ]
