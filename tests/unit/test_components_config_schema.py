"""Reading the config schema from Pulumi.yaml: what a broken declaration or a missing file says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mysql_platform.components.config_schema import PROJECT_FILE, Field, ProjectFileError, load_schema
from tests.support.pulumi_harness import ROOT


def write_project(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "Pulumi.yaml"
    path.write_text(yaml.safe_dump({"name": "mysql-platform", "runtime": "python", "config": config}))
    return path


def test_the_project_file_is_the_repository_root_pulumi_yaml() -> None:
    assert PROJECT_FILE == ROOT / "Pulumi.yaml"


def test_reads_key_type_default_and_description_in_order(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        {
            "azCount": {"type": "integer", "description": "Zones.", "default": 2},
            "cidrs": {"type": "array", "items": {"type": "string"}, "description": "C.", "default": ["a"]},
            "tags": {"description": "Tags.", "default": {}},
        },
    )
    schema = load_schema(path)
    assert schema.project == "mysql-platform"
    assert schema.fields == (
        Field("azCount", "integer", 2, "Zones."),
        Field("cidrs", "array", ["a"], "C."),
        Field("tags", "object", {}, "Tags."),
    )


def test_fails_naming_the_path_when_pulumi_yaml_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "site-packages" / "Pulumi.yaml"
    with pytest.raises(ProjectFileError) as info:
        load_schema(missing)
    assert str(info.value).startswith(f"{missing}: not found")


def test_fails_naming_the_path_when_there_is_no_config_section(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.yaml"
    path.write_text("name: mysql-platform\nruntime: python\n")
    with pytest.raises(ProjectFileError, match="expected a config: section") as info:
        load_schema(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"type": "integer", "description": "x"}, "has no default"),
        ({"type": "integer", "default": 1}, "has no description"),
        ({"type": "number", "description": "x", "default": 1}, "got type 'number'"),
        ({"type": "integer", "description": "x", "default": True}, "expected a value of type integer"),
        ({"type": "boolean", "description": "x", "default": "false"}, "expected a value of type boolean"),
        ({"type": "array", "description": "x", "default": []}, "expected items of type string"),
        (
            {"type": "array", "items": {"type": "string"}, "description": "x", "default": [1]},
            "expected a list of strings",
        ),
        ({"description": "x", "default": []}, "only a map of strings may omit"),
    ],
)
def test_rejects_a_malformed_declaration(tmp_path: Path, entry: dict[str, Any], fragment: str) -> None:
    path = write_project(tmp_path, {"someKey": entry})
    with pytest.raises(ProjectFileError) as info:
        load_schema(path)
    message = str(info.value)
    assert message.startswith(f"{path}: config key someKey: "), message
    assert fragment in message
