"""Running the bootstrap against a local environment, and reading back what it did.

For the integration tests of the bootstrap: ``run_main`` runs the CLI in process, ``spawn`` as
its own process; ``sql_copy`` makes a copy of ``sql/`` to add or edit migrations in; the
rest read the servers (history, accounts, one value) or wait for something to happen.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.local.env import LocalEnv
from tests.support.migration_fixtures import FIXTURE_SQL

REPO = Path(__file__).resolve().parents[2]
SQL = FIXTURE_SQL  # the tests' own copy of the shipped migrations, never the checkout's sql/
REPO_VERSIONS = sorted(int(p.name[1:4]) for p in SQL.glob("V*.sql"))

SKIP = "--skip-replication-check"


def with_sql_dir(argv: tuple[str, ...]) -> list[str]:
    """``argv`` with ``--sql-dir`` the tests' migrations unless it names its own."""
    return list(argv) if "--sql-dir" in argv else [*argv, "--sql-dir", str(SQL)]


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = bootstrap_cli.main(with_sql_dir(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def spawn(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.bootstrap", *with_sql_dir(argv)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def history(env: LocalEnv, schema: str = "ops") -> list[tuple[int, str]]:
    with env.ops_cursor("primary") as cur:
        cur.execute(f"SELECT version, checksum FROM `{schema}`.schema_history ORDER BY version")
        return [(int(v), str(c)) for v, c in cur.fetchall()]


def scalar(env: LocalEnv, sql: str, role: str = "primary") -> Any:
    with env.ops_cursor(role) as cur:  # type: ignore[arg-type]
        cur.execute(sql)
        return cur.fetchone()[0]


def sql_copy(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(SQL, target)
    for name, text in (extra or {}).items():
        (target / name).write_text(text, encoding="utf-8")
    return target


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def unique(prefix: str = "u") -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def rows(
    env: LocalEnv, sql: str, params: tuple[Any, ...] = (), role: str = "primary"
) -> list[tuple[Any, ...]]:
    with env.ops_cursor(role) as cur:  # type: ignore[arg-type]
        cur.execute(sql, params)
        return [tuple(row) for row in cur.fetchall()] if cur.with_rows else []


def auth_string(env: LocalEnv, user: str, host: str = "%") -> str:
    found = rows(
        env, "SELECT authentication_string FROM mysql.user WHERE User = %s AND Host = %s", (user, host)
    )
    return str(found[0][0]) if found else ""


def can_log_in(env: LocalEnv, user: str, password: str) -> bool:
    try:
        env.connect("writer", user=user, password=password).close()
    except Exception as exc:
        assert "1045" in str(exc), exc
        return False
    return True


def copy_outputs(env: LocalEnv, folder: Path, **changes: Any) -> Path:
    data = json.loads(env.outputs_path.read_text())
    data.update(changes)
    for key, value in changes.items():
        if value is None:
            del data[key]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "outputs.json"
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return path


def stderr_line(err: str) -> str:
    """stderr is one line and no traceback."""
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err.strip()
