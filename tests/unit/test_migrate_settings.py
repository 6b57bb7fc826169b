"""Where migrate's and bootstrap's settings come from: command line, environment, config file, default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import migrate_settings as ms

ALL_UNSET: dict[str, Any] = dict.fromkeys(ms.KINDS)


def resolve(cwd: Path, environ: dict[str, str] | None = None, **given: Any) -> ms.Resolved:
    return ms.resolve({**ALL_UNSET, **given}, environ=environ or {}, cwd=cwd, connect_timeout_default=60.0)


def test_command_line_wins_over_environment_over_file_over_default(tmp_path: Path) -> None:
    (tmp_path / "mysql-platform.toml").write_text(
        'outputs = "from-file.json"\nsql-dir = "migrations"\nops-schema = "ops_file"\nlock-timeout = 7\n'
    )
    env = {"MYSQL_PLATFORM_OUTPUTS": "from-env.json", "MYSQL_PLATFORM_SQL_DIR": "env-sql"}
    r = resolve(tmp_path, env, outputs=Path("cli.json"))
    assert r.values["outputs"] == Path("cli.json") and r.sources["outputs"] == "--outputs"
    assert r.values["sql-dir"] == tmp_path / "env-sql" and r.sources["sql-dir"] == "$MYSQL_PLATFORM_SQL_DIR"
    assert r.values["ops-schema"] == "ops_file" and r.sources["ops-schema"] == str(
        tmp_path / "mysql-platform.toml"
    )
    assert r.values["lock-timeout"] == 7
    assert r.values["app-user"] == "app" and r.sources["app-user"] == "default"
    # ./sql where the command runs, as Flyway's default: never the tool's own checkout's sql/.
    elsewhere = resolve(tmp_path / "elsewhere")
    assert elsewhere.values["sql-dir"] == tmp_path / "elsewhere" / "sql"
    with pytest.raises(ms.SettingsError, match=r"no migrations directory: .*elsewhere/sql does not exist"):
        ms.check_sql_dir(elsewhere)
    (tmp_path / "elsewhere" / "sql").mkdir(parents=True)
    ms.check_sql_dir(resolve(tmp_path / "elsewhere"))


def test_relative_paths_in_the_file_resolve_against_its_directory(tmp_path: Path) -> None:
    (tmp_path / "mysql-platform.toml").write_text('outputs = "o/out.json"\nssl-ca = "ca.pem"\n')
    r = resolve(tmp_path)
    assert r.values["outputs"] == tmp_path / "o" / "out.json"
    assert r.values["ssl-ca"] == str(tmp_path / "ca.pem")


def test_pyproject_table_is_read_when_there_is_no_own_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.mysql-platform]\napp-schema = "shop"\nconnect-timeout = 2.5\n'
    )
    r = resolve(tmp_path)
    assert r.values["app-schema"] == "shop" and r.values["connect-timeout"] == 2.5
    assert r.sources["app-schema"] == str(tmp_path / "pyproject.toml")


def test_a_pyproject_without_the_table_is_no_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert resolve(tmp_path).sources["ops-schema"] == "default"


def test_outputs_default_is_the_local_environments_file_when_it_exists(tmp_path: Path) -> None:
    assert resolve(tmp_path).values["outputs"] is None
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "outputs.json").write_text("{}")
    assert resolve(tmp_path).values["outputs"] == tmp_path / ".local" / "outputs.json"


def test_the_connect_timeout_default_is_short_for_a_person_at_a_terminal() -> None:
    assert ms.interactive_default_timeout(True, True) == 10.0
    assert ms.interactive_default_timeout(True, False) == 60.0
    assert ms.interactive_default_timeout(False, True) == 60.0


def test_an_empty_environment_variable_counts_as_unset(tmp_path: Path) -> None:
    assert resolve(tmp_path, {"MYSQL_PLATFORM_OPS_SCHEMA": ""}).values["ops-schema"] == "ops"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('output = "x.json"\n', r"mysql-platform.toml: unknown key 'output' \(did you mean 'outputs'\?\)"),
        ("outputs = 3\n", r"key 'outputs': expected a path \(a string without NUL\), got 3"),
        (
            'outputs = "o.json\\u0000x"\n',
            r"key 'outputs': expected a path \(a string without NUL\), got 'o.json\\x00x'",
        ),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", r"nests arrays or tables too deeply"),
        (
            'connect-timeout = "ten"\n',
            r"key 'connect-timeout': expected a positive number of seconds, got 'ten'",
        ),
        ("connect-timeout = -1\n", r"expected a positive number of seconds, got -1"),
        ("lock-timeout = 1.5\n", r"key 'lock-timeout': expected a positive whole number of seconds, got 1.5"),
        ("lock-timeout = true\n", r"got True"),
        ('app-user = ""\n', r"key 'app-user': expected a non-empty string without NUL, got ''"),
        ("outputs = \n", r"mysql-platform.toml is not valid TOML"),
    ],
)
def test_a_bad_config_file_is_refused_naming_file_key_value_and_expectation(
    tmp_path: Path, text: str, match: str
) -> None:
    (tmp_path / "mysql-platform.toml").write_text(text)
    with pytest.raises(ms.SettingsError, match=match) as info:
        resolve(tmp_path)
    assert info.value.exit_code == 2 and str(tmp_path) in str(info.value)


def test_a_bad_environment_value_is_refused_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(
        ms.SettingsError, match=r"\$MYSQL_PLATFORM_CONNECT_TIMEOUT: expected a positive number"
    ):
        resolve(tmp_path, {"MYSQL_PLATFORM_CONNECT_TIMEOUT": "soon"})
    with pytest.raises(
        ms.SettingsError, match=r"\$MYSQL_PLATFORM_LOCK_TIMEOUT: .* whole number .* got '2.5'"
    ):
        resolve(tmp_path, {"MYSQL_PLATFORM_LOCK_TIMEOUT": "2.5"})
    with pytest.raises(ms.SettingsError, match="got nan"):
        resolve(tmp_path, {"MYSQL_PLATFORM_CONNECT_TIMEOUT": "nan"})


def test_the_missing_outputs_message_names_the_four_ways() -> None:
    message = ms.missing_outputs_message()
    for way in (
        "--outputs",
        "$MYSQL_PLATFORM_OUTPUTS",
        "mysql-platform.toml",
        "[tool.mysql-platform]",
        ".local/outputs.json",
    ):
        assert way in message


def test_each_value_and_its_source_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger=ms.__name__)
    resolve(tmp_path, {"MYSQL_PLATFORM_APP_USER": "shopper"})
    assert "app-user: shopper (from $MYSQL_PLATFORM_APP_USER)" in caplog.text
    assert "ops-schema: ops (from default)" in caplog.text
