"""The outputs' db.database drives the application schema (no server: all fail before connecting)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mysql_platform import errors, orchestrate
from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.cli import stack as stack_cli
from mysql_platform.core import outputs
from mysql_platform.db import bootstrap, bootstrap_options
from mysql_platform.db.migration_files import Migration, MigrationFileError
from mysql_platform.local import cli as local_cli
from mysql_platform.local import env as local_env
from tests.unit.test_bootstrap_cli import PASSWORD, outputs_dict


def with_database(database: str, **overrides: Any) -> dict[str, Any]:
    data = outputs_dict(**overrides)
    data["db"]["database"] = database
    return data


def write_outputs(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def discovered(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """Records the placeholders the bootstrap discovers migrations with, then stops it (exit 2)."""
    calls: list[dict[str, str]] = []

    def record(_sql_dir: Path, placeholders: dict[str, str] | None = None, **_: Any) -> list[Migration]:
        calls.append(dict(placeholders or {}))
        raise MigrationFileError("stopped by the test after discovery")

    monkeypatch.setattr(bootstrap.migration_kinds, "discover_all", record)
    return calls


# --- which schema the bootstrap uses --------------------------------------------------------


@pytest.mark.parametrize(
    ("database", "override", "expected"),
    [("shop", None, "shop"), ("shop", "billing", "billing"), ("", None, "app"), ("", "billing", "billing")],
)
def test_app_schema_is_the_override_else_the_outputs_database_else_app(
    database: str, override: str | None, expected: str
) -> None:
    parsed = outputs.parse_outputs(with_database(database))
    assert bootstrap_options.app_schema(parsed, bootstrap.Options(app_schema=override)) == expected


def test_bootstrap_fills_database_placeholder_from_the_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], discovered: list[dict[str, str]]
) -> None:
    path = write_outputs(tmp_path, with_database("shop"))
    assert bootstrap_cli.main(["--outputs", str(path)]) == errors.EXIT_BAD_INPUT
    assert discovered == [{"database": "shop", "app_user": "app"}]
    assert bootstrap_cli.main(["--outputs", str(path), "--app-schema", "billing"]) == errors.EXIT_BAD_INPUT
    assert discovered[-1] == {"database": "billing", "app_user": "app"}
    assert "stopped by the test" in capsys.readouterr().err


def test_bootstrap_says_so_when_it_falls_back_to_app(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], discovered: list[dict[str, str]]
) -> None:
    path = write_outputs(tmp_path, with_database(""))
    assert bootstrap_cli.main(["--outputs", str(path)]) == errors.EXIT_BAD_INPUT
    assert discovered == [{"database": "app", "app_user": "app"}]
    assert "db.database is empty (dbName unset): application schema 'app'" in capsys.readouterr().out


@pytest.mark.parametrize("database", ["my-db", "1shop", "shop`; DROP DATABASE mysql; --"])
def test_rejects_an_outputs_database_that_is_not_a_plain_identifier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], discovered: list[dict[str, str]], database: str
) -> None:
    path = write_outputs(tmp_path, with_database(database))
    assert bootstrap_cli.main(["--outputs", str(path)]) == errors.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "app schema (from the outputs' db.database) must be 1-64 letters" in err
    assert repr(database) in err and PASSWORD not in err
    assert discovered == [], "nothing may be read or sent with an unsafe name"


def test_help_says_where_the_app_schema_comes_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert bootstrap_cli.main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "default: the outputs' db.database, i.e. the stack's dbName; 'app' if that is empty" in out


# --- the Automation API delegates with the stack's own database --------------------------------


def test_automation_bootstrap_uses_the_stacks_database_by_default(discovered: list[dict[str, str]]) -> None:
    parsed = outputs.parse_outputs(with_database("shop"))
    assert orchestrate.bootstrap(parsed) == errors.EXIT_BAD_INPUT
    args = stack_cli.build_parser().parse_args(["bootstrap", "dev"])
    options, access = stack_cli.bootstrap_args(args)
    assert orchestrate.bootstrap(parsed, options, access) == errors.EXIT_BAD_INPUT
    assert discovered == [{"database": "shop", "app_user": "app"}, {"database": "shop", "app_user": "app"}]


def test_automation_bootstrap_accepts_an_app_schema_override(discovered: list[dict[str, str]]) -> None:
    parsed = outputs.parse_outputs(with_database("shop"))
    args = stack_cli.build_parser().parse_args(["bootstrap", "dev", "--app-schema", "billing"])
    assert orchestrate.bootstrap(parsed, *stack_cli.bootstrap_args(args)) == errors.EXIT_BAD_INPUT
    assert discovered == [{"database": "billing", "app_user": "app"}]


# --- the local environment's name -------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "1shop", "shop-eu", "shop`", "x" * 65, "shop\n"])
def test_local_env_rejects_a_database_name_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    state_dir = tmp_path / "env"
    assert local_cli.main(["--state-dir", str(state_dir), "up", "--db-name", name]) == 1
    err = capsys.readouterr().err
    assert "database name must be 1-64 letters, digits or _ starting with a letter" in err
    assert repr(name) in err
    assert not state_dir.exists()


def test_local_env_up_takes_a_database_name() -> None:
    args = local_cli.build_parser().parse_args(["up", "--db-name", "shop"])
    assert args.db_name == "shop"
    assert local_cli.build_parser().parse_args(["up"]).db_name is None
    assert local_env.LocalEnv(Path("unused"), db_name="shop").db_name == "shop"
