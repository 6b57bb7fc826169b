"""No password of the environment is logged: ``up`` creates its accounts by their hashes, so
neither the primary's binlog nor any replica's relay log or binlog holds one of secrets.json's
values. Real MariaDB, two replicas; a password sent in clear is the control that the search
finds what is there."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from mysql_platform.local.env import LocalEnv, missing_binaries
from tests.support.probes import execute, servers_lacking

LOG_FILES = ("binlog.[0-9]*", "relay-bin.[0-9]*")


@pytest.fixture
def two_replicas(tmp_path: Path) -> Iterator[LocalEnv]:
    if missing_binaries():
        pytest.skip("local environment binaries missing")
    env = LocalEnv(tmp_path / "env", replicas=2)
    try:
        env.up()
        yield env
    finally:
        env.down(purge=True)


def binlog_events(env: LocalEnv) -> str:
    """Every event of every binary log of the primary, as the admin account reads them."""
    with contextlib.closing(env.connect("primary")) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute("SHOW BINARY LOGS")
        files = [str(row[0]) for row in cur.fetchall()]
        events = []
        for name in files:
            cur.execute(f"SHOW BINLOG EVENTS IN '{name}'")
            events += [str(row[-1]) for row in cur.fetchall()]
    return "\n".join(events)


def logs_on_disk(env: LocalEnv) -> dict[str, bytes]:
    """Each server's binlogs and relay logs, read from its datadir, by server."""
    return {
        name: b"".join(
            f.read_bytes()
            for pattern in LOG_FILES
            for f in sorted((env.state_dir / name / "data").glob(pattern))
            if not f.name.endswith(".index")
        )
        for name in env.store.current().names
    }


def test_no_password_of_secrets_json_is_in_any_binlog_or_relay_log(two_replicas: LocalEnv) -> None:
    env = two_replicas
    passwords = json.loads(env.secrets_path.read_text())
    # The control: a password sent in clear reaches every log the search reads.
    canary = f"canary-{secrets.token_hex(12)}"
    execute(env, "writer", f"CREATE USER 'canary'@'localhost' IDENTIFIED BY '{canary}'")
    execute(env, "writer", "CREATE DATABASE canary_replicated")
    assert servers_lacking(env, "canary_replicated") == []
    events, files = binlog_events(env), logs_on_disk(env)
    assert sorted(files) == ["db1", "db2", "db3"]
    assert canary in events
    assert [name for name, logs in files.items() if canary.encode() not in logs] == []

    found = [f"{key} in SHOW BINLOG EVENTS" for key, value in passwords.items() if value in events]
    found += [
        f"{key} in the logs of {name}"
        for name, logs in files.items()
        for key, value in passwords.items()
        if value.encode() in logs
    ]
    assert found == []
