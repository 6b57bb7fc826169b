"""The SSH tunnel for real: OpenSSH server on loopback, the local MariaDB behind it.

The outputs' host is pointed at a throwaway sshd (public_dns 127.0.0.1, ssh_user
the current user), so the path is the one prod takes: ssh -L through the host to
the writer and readers, then the bootstrap against the local ends.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mysql_platform import errors, orchestrate
from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.core.contract import Endpoint, StackOutputs
from mysql_platform.core.outputs import from_json_file
from mysql_platform.db import bootstrap, bootstrap_options
from mysql_platform.local.env import LocalEnv
from mysql_platform.stack.tunnel import (
    HostAccess,
    SshTarget,
    TunnelError,
    free_local_port,
    open_tunnel,
    tunnelled_outputs,
)
from tests.integration.sshd import SshServer, run_sshd, sshd_available
from tests.support.migration_fixtures import FIXTURE_SQL

DEV_NULL = Path(os.devnull)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    reason = sshd_available()
    if reason:
        pytest.skip(reason)
    with run_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


def _target(server: SshServer, key: Path | None = None) -> SshTarget:
    return SshTarget(
        host="127.0.0.1",
        user=server.user,
        key_path=key or server.key_path,
        port=server.port,
        known_hosts=server.known_hosts,
        config_file=DEV_NULL,  # the runner's ~/.ssh/config must not change the test
    )


class Greeter:
    """A TCP server that sends a fixed greeting to every client: something to forward to."""

    def __init__(self, greeting: bytes) -> None:
        self.greeting = greeting
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = Endpoint("127.0.0.1", self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(self.greeting)


@pytest.fixture
def greeters() -> Iterator[list[Greeter]]:
    made = [Greeter(b"writer"), Greeter(b"reader")]
    yield made
    for g in made:
        g.sock.close()


def _read_greeting(endpoint: Endpoint) -> bytes:
    with socket.create_connection((endpoint.host, endpoint.port), timeout=5) as conn:
        return conn.recv(16)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def _refused(endpoint: Endpoint) -> bool:
    try:
        socket.create_connection((endpoint.host, endpoint.port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def _via_sshd(outputs: StackOutputs, server: SshServer) -> StackOutputs:
    host = dataclasses.replace(outputs.host, public_dns="127.0.0.1", ssh_user=server.user)
    return dataclasses.replace(outputs, host=host)


def _access(server: SshServer, key: Path | None = None, *, via_host: bool = True) -> HostAccess:
    return HostAccess(
        via_host=via_host,
        key_path=key or server.key_path,
        ssh_port=server.port,
        known_hosts=server.known_hosts,
        config_file=DEV_NULL,
    )


# --- the forward itself ---------------------------------------------------------------------


def test_each_local_port_reaches_its_remote(sshd: SshServer, greeters: list[Greeter]) -> None:
    started = time.monotonic()
    with open_tunnel(_target(sshd), [g.endpoint for g in greeters]) as tunnel:
        setup_s = time.monotonic() - started
        local = tunnel.endpoints
        assert [e.host for e in local] == ["127.0.0.1", "127.0.0.1"]
        assert {e.port for e in local}.isdisjoint({g.endpoint.port for g in greeters})
        assert [_read_greeting(e) for e in local] == [b"writer", b"reader"]
    assert setup_s < 5, f"tunnel took {setup_s:.2f}s to come up"


def test_tunnel_is_closed_after_normal_exit(sshd: SshServer, greeters: list[Greeter]) -> None:
    with open_tunnel(_target(sshd), [greeters[0].endpoint]) as tunnel:
        pid, (local,) = tunnel.pid, tunnel.endpoints
        assert not _gone(pid)
    assert _gone(pid)
    assert _refused(local)


def test_tunnel_is_closed_after_an_exception(sshd: SshServer, greeters: list[Greeter]) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        open_tunnel(_target(sshd), [greeters[0].endpoint]) as tunnel,
    ):
        pid, (local,) = tunnel.pid, tunnel.endpoints
        assert _read_greeting(local) == b"writer"
        raise RuntimeError("boom")
    assert _gone(pid)
    assert _refused(local)


def test_fails_when_the_host_refuses_the_key(sshd: SshServer, greeters: list[Greeter]) -> None:
    with (
        pytest.raises(TunnelError) as exc,
        open_tunnel(_target(sshd, sshd.other_key_path), [greeters[0].endpoint]),
    ):
        pytest.fail("the tunnel must not open with a key the host does not know")
    message = str(exc.value)
    assert "Permission denied (publickey)" in message
    assert f"{sshd.user}@127.0.0.1:{sshd.port}" in message
    assert "private half of the stack's sshPublicKey" in message


def test_fails_when_nothing_listens_on_the_ssh_port(sshd: SshServer, greeters: list[Greeter]) -> None:
    closed = dataclasses.replace(_target(sshd), port=free_local_port())  # nothing listens there
    with (
        pytest.raises(TunnelError, match="Connection refused") as exc,
        open_tunnel(closed, [greeters[1].endpoint]),
    ):
        pytest.fail("unreachable")
    assert "sshAllowedCidrs" in str(exc.value)  # says what to fix on this stack


def test_fails_clearly_when_the_key_file_is_missing(sshd: SshServer, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-key"
    with (
        pytest.raises(TunnelError, match=re.escape(f"ssh key '{missing}' does not exist")),
        open_tunnel(_target(sshd, missing), [Endpoint("127.0.0.1", 3306)]),
    ):
        pytest.fail("unreachable")


# --- the bootstrap through the host -----------------------------------------------------------


def _bootstrap_options(env: LocalEnv, outputs: StackOutputs) -> bootstrap.Options:
    # The same app password file the CLI would use, so the shared environment's app user keeps it.
    pw_file = bootstrap_options.password_file(outputs, bootstrap.Options(), env.outputs_path)
    return bootstrap.Options(app_password_file=pw_file, ssl_ca=str(env.ca_path), sql_dir=FIXTURE_SQL)


def test_bootstraps_the_local_writer_through_the_tunnel(local_env: LocalEnv, sshd: SshServer) -> None:
    outputs = _via_sshd(from_json_file(local_env.outputs_path), sshd)
    out, err = io.StringIO(), io.StringIO()
    code = orchestrate.bootstrap(
        outputs, _bootstrap_options(local_env, outputs), _access(sshd), out=out, err=err
    )
    assert code == errors.EXIT_OK, err.getvalue()
    printed = out.getvalue()
    writer = outputs.db.writer
    # Connected to a local forward, not to the writer's own port.
    connected = next(line for line in printed.splitlines() if line.startswith("connected to writer"))
    assert "@127.0.0.1:" in connected
    assert not connected.endswith(f":{writer.port}")
    assert "replica lag:" in printed  # the reader was reached too (through its own forward)
    assert "Accepted publickey" in sshd.log()


def test_private_db_outside_local_goes_through_the_host_without_asking(
    local_env: LocalEnv, sshd: SshServer
) -> None:
    plain = from_json_file(local_env.outputs_path)
    private = dataclasses.replace(plain.db, publicly_accessible=False)
    outputs = dataclasses.replace(_via_sshd(plain, sshd), environment="prod", db=private)
    options = _bootstrap_options(local_env, plain)
    out, err = io.StringIO(), io.StringIO()
    code = orchestrate.bootstrap(outputs, options, _access(sshd, via_host=False), out=out, err=err)
    assert code == errors.EXIT_OK, err.getvalue()
    assert f":{plain.db.writer.port}\n" not in out.getvalue()


def test_bootstrap_reports_a_refused_host_as_a_connection_error(local_env: LocalEnv, sshd: SshServer) -> None:
    outputs = _via_sshd(from_json_file(local_env.outputs_path), sshd)
    out, err = io.StringIO(), io.StringIO()
    access = _access(sshd, sshd.other_key_path)
    code = orchestrate.bootstrap(outputs, _bootstrap_options(local_env, outputs), access, out=out, err=err)
    assert code == errors.EXIT_CONNECT
    assert "Permission denied (publickey)" in err.getvalue()
    assert outputs.db_password.reveal() not in err.getvalue() + out.getvalue()


def test_bootstrap_command_line_goes_through_the_host(
    local_env: LocalEnv, sshd: SshServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = _via_sshd(from_json_file(local_env.outputs_path), sshd)
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs.to_dict(reveal_secrets=True)))
    pw_file = bootstrap_options.password_file(outputs, bootstrap.Options(), local_env.outputs_path)
    code = bootstrap_cli.main(
        ["--outputs", str(outputs_file), "--via-host", "--ssh-key", str(sshd.key_path),
         "--ssh-port", str(sshd.port), "--known-hosts", str(sshd.known_hosts),
         "--app-password-file", str(pw_file), "--sql-dir", str(FIXTURE_SQL)]
    )  # fmt: skip
    printed = capsys.readouterr()
    assert code == errors.EXIT_OK, printed.err
    connected = next(line for line in printed.out.splitlines() if line.startswith("connected to writer"))
    assert not connected.endswith(f":{outputs.db.writer.port}")
    assert outputs.db_password.reveal() not in printed.out + printed.err


def test_tunnelled_outputs_point_writer_and_readers_at_the_forwards(
    local_env: LocalEnv, sshd: SshServer
) -> None:
    outputs = from_json_file(local_env.outputs_path)
    with tunnelled_outputs(outputs, _target(sshd)) as local:
        assert local.db.writer.port not in {outputs.db.writer.port, *(r.port for r in outputs.db.readers)}
        assert len(local.db.readers) == len(outputs.db.readers)
        assert (local.db_password, local.host, local.environment) == (
            outputs.db_password,
            outputs.host,
            outputs.environment,
        )
        with socket.create_connection((local.db.writer.host, local.db.writer.port), timeout=5) as conn:
            assert conn.recv(5)  # MariaDB's greeting came back through the forward
