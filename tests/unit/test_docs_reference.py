"""The reference pages' generator (docs/hooks/reference.py) says what the code and the project say."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from types import ModuleType

import pytest
import yaml

from mysql_platform import errors
from mysql_platform.cli import main as cli
from tests.support import docs


def load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_reference_hook", docs.DOCS / "hooks" / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = load_hook()


def test_every_key_of_pulumi_yaml_is_a_settings_row_with_its_type() -> None:
    declared = yaml.safe_load((docs.ROOT / "Pulumi.yaml").read_text())["config"]
    table = hook.settings_table()
    for key, entry in declared.items():
        assert f"| `{key}` | {entry.get('type', 'object')} |" in table, key
    assert table.count("\n| `") == len(declared)


def test_every_exit_code_constant_is_in_the_table() -> None:
    table = hook.exit_codes_table()
    for name in dir(errors):
        if name.startswith("EXIT_"):
            assert f"| {getattr(errors, name)} | `{name}` |" in table, name


def test_the_outputs_table_names_every_export() -> None:
    table = hook.outputs_table()
    for key in ("environment", "vpc_id", "host", "db", "db_password", "proxy", "analytics", "alerts"):
        assert f"| `{key}` |" in table, key
    assert "`writer_port`" in table and "`topic_arn`" in table


def test_the_cli_page_has_every_subcommand_and_its_help_as_the_command_prints_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", hook.HELP_COLUMNS)
    paths = [path for path, _ in hook.command_parsers()]
    for expected in (
        "mysql-platform",
        "mysql-platform local query",
        "mysql-platform migrate undo",
        "mysql-platform plan",
    ):
        assert expected in paths
    assert set(cli.COMMANDS) <= {p.split()[1] for p in paths if " " in p}
    page = hook.cli_help()
    for path in paths:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert cli.main([*path.split()[1:], "--help"]) == 0
        assert f"## `{path}`\n\n```text\n{printed.getvalue().rstrip()}\n```" in page, path


def test_markers_are_replaced_and_an_unknown_one_is_refused() -> None:
    out = hook.render("# Exit codes\n\n<!-- reference:exit-codes -->\n")
    assert "<!--" not in out and "| 130 | `EXIT_INTERRUPTED` |" in out
    with pytest.raises(ValueError, match="reference:nope"):
        hook.render("<!-- reference:nope -->")


def test_every_reference_page_has_its_marker() -> None:
    for name, marker in (
        ("settings", "settings"),
        ("outputs", "outputs"),
        ("exit-codes", "exit-codes"),
        ("cli", "cli"),
    ):
        assert f"<!-- reference:{marker} -->" in docs.page(f"reference/{name}")
