"""`mysql-platform migrate` as a process, against a real server: it connects and applies with the
connector imported without OpenTelemetry, and with ``MYSQL_PLATFORM_CONNECTOR_OTEL=1`` (the
connector's own default, tracing loaded) alike. What the process loaded is read from inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mysql_platform.local.env import LocalEnv
from tests.support.probes import scalar

ROOT = Path(__file__).resolve().parents[2]
# Runs the CLI's main in the process, then reports what the connector decided and what was loaded.
PROBE = (
    "import json, sys\n"
    "from mysql_platform.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "from mysql.connector.opentelemetry import constants\n"
    "print(json.dumps({'code': code, 'otel_enabled': constants.OTEL_ENABLED,"
    " 'otel_loaded': 'opentelemetry.sdk.trace' in sys.modules}))\n"
)


def run_cli(env: LocalEnv, sql_dir: Path, ops_schema: str, extra_env: dict[str, str]) -> dict[str, object]:
    argv = ["migrate", "migrate", "--outputs", str(env.outputs_path), "--sql-dir", str(sql_dir)]
    argv += ["--ops-schema", ops_schema]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **extra_env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize(
    ("extra_env", "traced"),
    [({}, False), ({"MYSQL_PLATFORM_CONNECTOR_OTEL": "1"}, True)],
    ids=["default", "opt-in"],
)
def test_migrate_applies_with_and_without_the_connector_tracing(
    env: LocalEnv, tmp_path: Path, extra_env: dict[str, str], traced: bool
) -> None:
    # Each case its own history schema and table: the two cases share the module's server.
    name = "traced" if traced else "plain"
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    (sql_dir / "V001__probe.sql").write_text(
        "CREATE DATABASE IF NOT EXISTS startup_probe;\n"
        f"CREATE TABLE startup_probe.{name} (id INT PRIMARY KEY);\n"
    )
    report = run_cli(env, sql_dir, f"ops_startup_{name}", extra_env)
    assert report == {"code": 0, "otel_enabled": traced, "otel_loaded": traced}
    found = scalar(
        env, "writer",
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
        "startup_probe", name,
    )  # fmt: skip
    assert found == 1
