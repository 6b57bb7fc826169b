"""What the plan refuses before the program runs: unknown project keys, and stack files the
bounded loader will not read (an alias bomb, an oversized file)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.errors import EXIT_BAD_INPUT
from mysql_platform.planning import mock_engine, stack_file

pytestmark = pytest.mark.usefixtures("shared_plans")

# The classic "billion laughs": nine levels of nine aliases, 9**9 strings once expanded.
BILLION_LAUGHS = "\n".join(
    [
        "config:",
        '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"  a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)),
        "  mysql-platform:tags: *a8",
    ]
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory holding dev's stack file, where the plan and the engine look for stack files."""
    (tmp_path / "Pulumi.dev.yaml").write_text((mock_engine.ROOT / "Pulumi.dev.yaml").read_text())
    monkeypatch.setattr(stack_file, "ROOT", tmp_path)
    monkeypatch.setattr(mock_engine, "ROOT", tmp_path)
    return tmp_path


def test_an_unknown_set_key_is_refused_naming_the_closest_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_cli.main(["dev", "--set", "dbReplicaCunt=1"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "dbReplicaCunt (in --set): not a declared key" in err and "'1'" not in err
    assert "did you mean 'dbReplicaCount'?" in err
    assert plan_cli.main(["dev", "--set", "mysql-platform:dbReplicaCunt=1"]) == EXIT_BAD_INPUT
    assert "mysql-platform:dbReplicaCunt" in capsys.readouterr().err


def test_other_namespaces_pass_through(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_cli.main(["dev", "--set", "aws:region=us-east-1", "--set", "dbReplicaCount=0"]) == 0
    assert stack_file.unknown_keys({"aws:region": "x", "pulumi:tags": "y", "dbReplicaCount": 0}, "t") == []


def test_an_unknown_key_in_the_stack_file_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (project / "Pulumi.dev.yaml").open("a") as f:
        f.write("  mysql-platform:dbInstanceClas: db.t4g.small\n")
    assert plan_cli.main(["dev"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "mysql-platform:dbInstanceClas (in Pulumi.dev.yaml): not a declared key" in err
    assert "did you mean 'dbInstanceClass'?" in err


def test_a_billion_laughs_stack_file_fails_fast_naming_the_alias(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = project / "Pulumi.bomb.yaml"
    bomb.write_text(BILLION_LAUGHS)
    assert bomb.stat().st_size < 1024  # small on disk
    start = time.monotonic()
    assert plan_cli.main(["bomb"]) == EXIT_BAD_INPUT
    assert time.monotonic() - start < 2
    err = capsys.readouterr().err
    assert "Pulumi.bomb.yaml: line 3: YAML alias *a0" in err
    assert "Traceback" not in err


def test_an_oversized_stack_file_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Pulumi.big.yaml").write_text("config:\n" + "# padding\n" * 30_000)
    assert plan_cli.main(["big"]) == EXIT_BAD_INPUT
    assert f"more than the {stack_file.MAX_BYTES} a stack file may have" in capsys.readouterr().err


def test_a_mistyped_key_never_echoes_its_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_cli.main(["dev", "--set", "dbPasswrd=hunter2secret"]) == EXIT_BAD_INPUT
    assert "hunter2secret" not in capsys.readouterr().err


def test_a_stack_file_nested_too_deep_is_bad_input(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Five times Python's default recursion limit: the parser's recursion runs out long before.
    (project / "Pulumi.dev.yaml").write_text("config:\n  x: " + "[" * 5000 + "]" * 5000 + "\n")
    assert plan_cli.main(["dev"]) == EXIT_BAD_INPUT
    assert "Pulumi.dev.yaml: nested too deep for a stack file" in capsys.readouterr().err


@pytest.mark.parametrize("region", ["", "mars", "US-EAST-1", "us-east"])
def test_a_region_that_is_no_aws_region_code_is_refused(
    region: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan_cli.main(["dev", "--set", f"aws:region={region}"]) == EXIT_BAD_INPUT
    assert f"aws:region: got {region!r}; expected an AWS Region code" in capsys.readouterr().err


def test_a_duplicate_allowed_cidr_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["dev", "--set", 'dbAllowedCidrs=["203.0.113.10/32","203.0.113.10/32"]']
    assert plan_cli.main(argv) == EXIT_BAD_INPUT
    assert "dbAllowedCidrs: 203.0.113.10/32 listed twice" in capsys.readouterr().err


def _saved(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "before.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100000 + "]" * 100000, "before.json: JSON nested too deep for a saved plan"),
        (b"\xff\xfe{}", "before.json: not UTF-8 text"),
        ('{"format": 1}', "before.json: no 'stack' field"),
        (
            '{"format": 1, "stack": "dev", "region": null, "overrides": {}, "exports": {}, "resources": []}',
            "before.json: region is a JSON NoneType, expected str",
        ),
        (
            '{"format": 1, "stack": "dev", "region": "us-east-1", "overrides": {}, "exports": {}, '
            '"resources": [{"type": "t", "name": "n", "parent": "", "component": false, "inputs": null}]}',
            "before.json: resources[0].inputs is a JSON NoneType, expected dict",
        ),
    ],
    ids=["deep", "not-utf8", "missing-field", "null-region", "null-inputs"],
)
def test_a_hostile_saved_plan_is_bad_input_naming_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, message: str
) -> None:
    assert plan_cli.main(["dev", "--before", _saved(tmp_path, text)]) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


def test_a_saved_plan_must_be_a_regular_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_cli.main(["dev", "--before", "/dev/zero"]) == EXIT_BAD_INPUT
    assert "/dev/zero: not a regular file" in capsys.readouterr().err
