"""A migrations folder and a history schema of one test's own, and the ``migrate`` CLI on them.

For the integration tests of ``mysql-platform migrate`` against a real MariaDB (the session's local
environment): each test has its own history schema (``--ops-schema``) and its own tables, so they
share one server without seeing each other's history.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import migrate as migrate_cli
from mysql_platform.local.env import LocalEnv


class Project:
    """A migrations folder and a history schema of one test's own, and the CLI on them."""

    def __init__(self, env: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.env, self.capsys = env, capsys
        self.tag = secrets.token_hex(3)
        self.ops = f"ops_{self.tag}"
        self.db = f"m_{self.tag}"
        self.sql = tmp_path / "sql"
        self.sql.mkdir()

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.sql / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text.replace("{db}", self.db), encoding="utf-8")
        return path

    def run(self, command: str, *extra: str) -> tuple[int, str, str]:
        argv = [command, "--outputs", str(self.env.outputs_path), "--sql-dir", str(self.sql)]
        code = migrate_cli.main([*argv, "--ops-schema", self.ops, *extra])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def with_client(self, script: str) -> str:
        """Apply ``script`` (``{db}`` standing for a schema of its own) with the mariadb client, as
        the reference; the name of that schema."""
        client_db = self.db + "_client"
        path = self.sql.parent / "client.sql"
        path.write_text(script.replace("{db}", client_db), encoding="utf-8")
        with path.open("rb") as stdin:
            subprocess.run(
                [
                    "mariadb",
                    f"--defaults-extra-file={self.env.paths.client_cnf}",
                    "--default-character-set=utf8mb4",
                ],
                stdin=stdin,
                check=True,
                capture_output=True,
            )
        return client_db

    def aside(self) -> Path:
        """Where a file waits while a test pretends it was not written yet."""
        return self.sql.parent / "aside.sql"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.env.ops_cursor("primary") as cur:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]

    def history(self) -> list[tuple[int, str, str]]:
        return [
            (int(v), str(kind), str(c))
            for v, kind, c in self.rows(
                f"SELECT version, kind, checksum FROM {self.ops}.schema_history ORDER BY 1"
            )
        ]


def three_files(p: Project) -> None:
    p.write(
        "V001__schema.sql", "CREATE DATABASE IF NOT EXISTS {db};\nCREATE TABLE {db}.t (id INT PRIMARY KEY);\n"
    )
    p.write("V002__rows.sql", "INSERT INTO {db}.t VALUES (1), (2);\n")
    p.write("V003__more.sql", "INSERT INTO {db}.t VALUES (3);\n")
