"""mysql_platform.stack.tunnel without a server: the ssh command line, when a tunnel is used, input errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mysql_platform.core.contract import DbInfo, Endpoint, HostInfo, Secret, StackOutputs
from mysql_platform.stack import tunnel
from mysql_platform.stack.tunnel import HostAccess, SshTarget, TunnelError


def _outputs(environment: str = "prod", public: bool = False) -> StackOutputs:
    return StackOutputs(
        environment=environment,
        vpc_id="vpc-1",
        host=HostInfo("i-1", "198.51.100.7", "ec2-198-51-100-7.compute-1.amazonaws.com", "ec2-user"),
        db=DbInfo(
            engine="mysql",
            engine_version="8.0.40",
            writer=Endpoint("primary.abc.rds.amazonaws.com", 3306),
            readers=(Endpoint("replica-1.abc.rds.amazonaws.com", 3307),),
            database="app",
            username="admin",
            publicly_accessible=public,
            multi_az=True,
        ),
        db_password=Secret("pw-not-printed"),
    )


def _option(argv: list[str], name: str) -> str:
    values = [
        argv[i + 1].split("=", 1)[1]
        for i, a in enumerate(argv)
        if a == "-o" and argv[i + 1].startswith(name + "=")
    ]
    assert len(values) == 1, f"expected one -o {name}=..., found {values}"
    return values[0]


def test_ssh_command_forwards_each_endpoint_and_never_prompts() -> None:
    target = SshTarget("bastion.example.com", "ec2-user", Path("/k/id"), port=2222, known_hosts=Path("/k/kh"))
    argv = tunnel.ssh_command(target, [(40001, Endpoint("db-a", 3306)), (40002, Endpoint("db-b", 3307))])
    assert argv[0] == "ssh"
    assert "-N" in argv
    forwards = [argv[i + 1] for i, a in enumerate(argv) if a == "-L"]
    assert forwards == ["127.0.0.1:40001:db-a:3306", "127.0.0.1:40002:db-b:3307"]
    assert _option(argv, "ExitOnForwardFailure") == "yes"
    assert _option(argv, "BatchMode") == "yes"
    assert _option(argv, "StrictHostKeyChecking") == "accept-new"
    assert _option(argv, "UserKnownHostsFile") == "/k/kh"
    assert int(_option(argv, "ServerAliveInterval")) > 0
    assert argv[-5:] == ["-i", "/k/id", "-p", "2222", "ec2-user@bastion.example.com"]
    assert "-F" not in argv  # the user's ssh config applies unless a file is given


def test_ssh_command_binds_only_loopback() -> None:
    argv = tunnel.ssh_command(SshTarget("h", "u", Path("k")), [(1234, Endpoint("db", 3306))])
    assert argv[argv.index("-L") + 1].startswith("127.0.0.1:")


@pytest.mark.parametrize(
    ("environment", "public", "expected"),
    [("prod", False, True), ("prod", True, False), ("dev", True, False), ("local", False, False)],
)
def test_needs_tunnel_only_for_a_private_db_outside_local(
    environment: str, public: bool, expected: bool
) -> None:
    assert tunnel.needs_tunnel(_outputs(environment, public)) is expected


def test_via_host_flag_forces_the_tunnel() -> None:
    assert tunnel.wanted(_outputs("dev", public=True), HostAccess(via_host=True)) is True
    assert tunnel.wanted(_outputs("dev", public=True), HostAccess()) is False


def test_target_comes_from_the_outputs_host() -> None:
    target = SshTarget.from_outputs(_outputs(), "/keys/prod.pem", port=22)
    assert (target.host, target.user, target.key_path) == (
        "ec2-198-51-100-7.compute-1.amazonaws.com",
        "ec2-user",
        Path("/keys/prod.pem"),
    )


def test_target_expands_the_home_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    target = SshTarget.from_outputs(_outputs(), "~/.ssh/prod.pem", known_hosts="~/kh")
    assert (target.key_path, target.known_hosts) == (tmp_path / ".ssh/prod.pem", tmp_path / "kh")


def test_target_falls_back_to_the_public_ip() -> None:
    outputs = _outputs()
    no_dns = dataclasses.replace(outputs, host=dataclasses.replace(outputs.host, public_dns=""))
    assert SshTarget.from_outputs(no_dns, "k").host == "198.51.100.7"


def test_rejects_outputs_without_a_host_address() -> None:
    outputs = _outputs()
    no_addr = dataclasses.replace(
        outputs, host=dataclasses.replace(outputs.host, public_dns="", public_ip="")
    )
    with pytest.raises(TunnelError, match=r"'host.public_dns' and 'host.public_ip' are both empty"):
        SshTarget.from_outputs(no_addr, "k")


def test_rejects_private_db_without_any_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MYSQL_PLATFORM_SSH_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/id_* to fall back to
    with pytest.raises(TunnelError, match="no SSH key was given: pass --ssh-key"):
        tunnel.target_for(_outputs(), HostAccess())


def test_key_from_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYSQL_PLATFORM_SSH_KEY", "/keys/from-env")
    assert tunnel.target_for(_outputs(), HostAccess()).key_path == Path("/keys/from-env")


def test_no_tunnel_yields_the_endpoints_unchanged() -> None:
    outputs = _outputs("dev", public=True)
    with tunnel.via_host(outputs, HostAccess(), outputs.db.writer, outputs.db.readers) as (writer, readers):
        assert writer == outputs.db.writer
        assert readers == outputs.db.readers


def test_rejects_a_missing_key_file_before_running_ssh(tmp_path: Path) -> None:
    target = SshTarget("h", "u", tmp_path / "absent")
    with pytest.raises(TunnelError, match="does not exist"), tunnel.open_tunnel(target, [Endpoint("db", 1)]):
        pytest.fail("unreachable")


def test_free_local_port_is_bindable() -> None:
    import socket

    port = tunnel.free_local_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
