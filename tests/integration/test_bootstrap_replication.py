"""The bootstrap and the replica: writes reach it and the reader port reads from it, the wait for
readers fences the next read, and a stopped replica fails the replication check with its own
exit code.

Real MariaDB primary/replica + HAProxy: one environment for the module (conftest's ``env``);
the test that stops the replica gets a fresh one from ``local_env_factory``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest

from mysql_platform import errors
from mysql_platform.db import replication_check
from mysql_platform.local.env import LocalEnv
from tests.support.bootstrap_env import run_main, scalar, wait_until

# --- writes reach the replica; reads through the reader port come from the replica ------------


def test_writes_reach_the_replica_and_reader_port_reads_come_from_it(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, "--outputs", str(env.outputs_path), "--via-proxy")
    assert code == 0, err
    assert f"connected to writer admin@127.0.0.1:{env.port('writer')}" in out
    assert f"replica lag: 127.0.0.1:{env.port('reader')}" in out

    replica_id = scalar(env, "SELECT @@server_id", "replica")
    email = f"{secrets.token_hex(6)}@example.test"
    writer, reader = env.connect("writer"), env.connect("reader")
    try:
        with writer.cursor() as wcur, reader.cursor() as rcur:
            wcur.execute("SELECT @@server_id")
            assert wcur.fetchone()[0] != replica_id
            rcur.execute("SELECT @@server_id, @@read_only")
            assert rcur.fetchone() == (replica_id, 1)
            wcur.execute("INSERT INTO app.customers (email, display_name) VALUES (%s, 'r')", (email,))

            def visible() -> bool:
                rcur.execute("SELECT COUNT(*) FROM app.customers WHERE email = %s", (email,))
                return bool(rcur.fetchone()[0])

            wait_until(visible, 10, "the row to reach the replica through the reader port")
    finally:
        writer.close()
        reader.close()


# --- replica stopped: the replication check fails with its own exit code ----------------------


def test_fails_replication_check_with_its_own_exit_code_when_the_replica_is_stopped(
    local_env_factory: Callable[..., LocalEnv], capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = local_env_factory()
    outputs = str(fresh.outputs_path)
    assert run_main(capsys, "--outputs", outputs)[0] == 0

    # Replica up but not applying: the heartbeat never shows up.
    with fresh.ops_cursor("replica") as cur:
        cur.execute("STOP SLAVE SQL_THREAD")
    code, _out, err = run_main(capsys, "--outputs", outputs, "--replication-timeout", "1")
    assert code == errors.EXIT_REPLICATION, err
    assert f"not visible on reader(s) 127.0.0.1:{fresh.port('replica')} within 1 s" in err
    with fresh.ops_cursor("replica") as cur:
        cur.execute("START SLAVE SQL_THREAD")

    fresh.stop("replica")

    started = time.monotonic()
    code, _out, err = run_main(capsys, "--outputs", outputs, "--replication-timeout", "2")
    assert code == errors.EXIT_REPLICATION, err
    assert f"reader 127.0.0.1:{fresh.port('replica')}" in err
    assert time.monotonic() - started < 10

    # Through the proxy the reader port falls back to the primary: that is not a replica either.
    code, _out, err = run_main(capsys, "--outputs", outputs, "--via-proxy", "--replication-timeout", "2")
    assert code == errors.EXIT_REPLICATION, err
    assert "answered by the writer itself" in err


# --- the wait for readers fences the next read through the reader port ----------------------------


def test_wait_for_readers_makes_the_next_read_through_the_reader_port_see_the_write(
    env: LocalEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(capsys, "--outputs", str(env.outputs_path), "--skip-replication-check")[0] == 0
    replica_id = scalar(env, "SELECT @@server_id", "replica")
    writer, reader = env.connect("writer"), env.connect("reader")
    try:
        with writer.cursor() as wcur, reader.cursor() as rcur:
            rcur.execute("SELECT @@server_id")
            assert rcur.fetchone()[0] == replica_id, "the reader port must be served by the replica"
            for _ in range(25):
                email = f"{secrets.token_hex(6)}@fence.test"
                wcur.execute("INSERT INTO app.customers (email, display_name) VALUES (%s, 'f')", (email,))
                lags = replication_check.wait_for_readers(writer, [reader], timeout_s=5)
                assert len(lags) == 1 and lags[0] >= 0
                # One read, no retry: the fence guarantees it.
                rcur.execute("SELECT COUNT(*) FROM app.customers WHERE email = %s", (email,))
                assert rcur.fetchone()[0] == 1
    finally:
        writer.close()
        reader.close()
