"""What the command lines import before their first statement, checked in a fresh interpreter.

A fresh interpreter is a subprocess, so these run with the integration tests.

Each import costs start-up time on every run: OpenTelemetry's SDK (which the connector loads
when it is installed, and Pulumi installs it) was a third of ``import mysql.connector``, and
``importlib.metadata`` 40 ms of ``--help``. These tests fail when such an import comes back.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Never wanted before the first statement of `migrate` or `bootstrap`.
HEAVY = (
    "opentelemetry",
    "pulumi",
    "mysql_platform.stack.automation",
    "mysql_platform.cli.stack",
    "boto3",
    "botocore",
)


def loaded_after(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter at the checkout's root; what it leaves in ``result``."""
    script = "\n".join(
        (
            "import json, sys",
            "result = {}",
            code,
            "result['modules'] = sorted(sys.modules)",
            "print(json.dumps(result))",
        )
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, **(env or {})},
    )
    loaded: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def heavy(modules: object) -> list[str]:
    assert isinstance(modules, list)
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_opentelemetry_is_installed_here_so_the_checks_below_mean_something() -> None:
    # Pulumi depends on it; were it missing, the connector would skip it on its own.
    assert importlib.util.find_spec("opentelemetry") is not None


@pytest.mark.parametrize(
    "module", ["mysql_platform.cli.migrate", "mysql_platform.cli.bootstrap", "mysql_platform.db.connection"]
)
def test_the_database_commands_import_neither_opentelemetry_nor_pulumi(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert "mysql.connector" in loaded["modules"]  # type: ignore[operator]  # the connector itself: yes
    assert heavy(loaded["modules"]) == []


def test_the_connector_does_not_trace_and_opentelemetry_still_imports_afterwards() -> None:
    loaded = loaded_after(
        "import mysql_platform.cli.migrate\n"
        "from mysql.connector.opentelemetry import constants\n"
        "result['otel_enabled'] = constants.OTEL_ENABLED\n"
        "import opentelemetry.trace\n"  # what Pulumi does later in the same process: not blocked
        "result['otel_imported'] = 'opentelemetry.trace' in sys.modules"
    )
    assert loaded["otel_enabled"] is False
    assert loaded["otel_imported"] is True


def test_the_opt_in_variable_gives_the_connector_its_default_tracing() -> None:
    loaded = loaded_after(
        "import mysql_platform.db.connection\n"
        "from mysql.connector.opentelemetry import constants\n"
        "result['otel_enabled'] = constants.OTEL_ENABLED",
        env={"MYSQL_PLATFORM_CONNECTOR_OTEL": "1"},
    )
    assert loaded["otel_enabled"] is True


def test_migrate_imports_the_tunnel_machinery_only_to_connect() -> None:
    loaded = loaded_after("import mysql_platform.cli.migrate")
    assert "mysql_platform.orchestrate" not in loaded["modules"]  # type: ignore[operator]


def test_help_does_not_import_importlib_metadata() -> None:
    loaded = loaded_after(
        "from mysql_platform.cli.main import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])"
    )
    assert "importlib.metadata" not in loaded["modules"]  # type: ignore[operator]


def test_version_and_help_import_no_command_module() -> None:
    # The commands pull in Pulumi and the MySQL connector: `--help` must not pay for them.
    code = (
        "import sys; from mysql_platform.cli.main import main; main(['--help']); main(['--version']);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'mysql')"
        " or m.startswith('mysql_platform.cli.') and m != 'mysql_platform.cli.main'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_automation_command_imports_and_shows_help_without_the_pulumi_cli(tmp_path: Path) -> None:
    """Importing and --help must work without the CLI (services import us at start-up)."""
    empty = tmp_path / "empty-bin"  # a PATH with no pulumi on it, whether or not this machine has one
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"}
    env.update(PATH=str(empty), PYTHONPATH=str(ROOT))
    code = "import scripts.automation as a; a.main(['--help'])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "exit codes" in result.stdout
