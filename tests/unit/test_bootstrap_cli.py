"""The bootstrap's input handling and pure helpers (no server: every case fails before connecting)."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from mysql_platform import errors
from mysql_platform.cli import bootstrap as bootstrap_cli
from mysql_platform.core import outputs
from mysql_platform.core.contract import Endpoint
from mysql_platform.db import app_user, bootstrap, bootstrap_options
from mysql_platform.db.migrations import RunResult

PASSWORD = "pw-" + "x" * 20


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def outputs_dict(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "environment": "test",
        "vpc_id": "vpc-1",
        "host": {"instance_id": "i-1", "public_ip": "", "public_dns": "", "ssh_user": "ec2-user"},
        "db": {
            "engine": "mysql",
            "engine_version": "8.0",
            # Unreachable on purpose: a test that gets as far as connecting exits 3, not 2.
            "writer": {"host": "127.0.0.1", "port": closed_port()},
            "readers": [],
            "database": "",
            "username": "admin",
            # Public: reached directly. A private one would go through the host (tested below).
            "publicly_accessible": True,
            "multi_az": False,
        },
        "db_password": PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs_dict()))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = bootstrap_cli.main(list(argv))
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
    return code, captured.err


def test_help_exits_zero_and_lists_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert bootstrap_cli.main(["--help"]) == 0
    assert "5 replication check failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [[], ["--outputs"], ["--outputs", "x", "--connect-timeout", "soon"], ["--outputs", "x", "--bogus"]],
)
def test_rejects_bad_arguments_with_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without --outputs the bootstrap reads ./.local/outputs.json when it exists: after `make demo`
    # that is the running local environment, which this test must not touch.
    monkeypatch.chdir(tmp_path)
    assert run(capsys, *argv)[0] == errors.EXIT_BAD_INPUT


def test_rejects_missing_outputs_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run(capsys, "--outputs", str(tmp_path / "nope.json"))
    assert code == 2 and "cannot read file" in err and "nope.json" in err


def test_rejects_malformed_outputs_naming_the_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = outputs_dict()
    del data["db"]["writer"]
    path = tmp_path / "o.json"
    path.write_text(json.dumps(data))
    code, err = run(capsys, "--outputs", str(path))
    assert code == 2 and "db.writer" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--app-user", "bad-name"], "application user name"),
        (["--app-schema", "app`; DROP"], "app schema"),
        (["--ops-schema", ""], "ops schema"),
        (["--connect-timeout", "0"], "--connect-timeout must be a positive"),
        (["--ssl-ca", "/nonexistent/ca.pem"], "CA file '/nonexistent/ca.pem'"),
        (["--via-proxy"], "no 'proxy' object"),
    ],
)
def test_rejects_bad_options_before_connecting(
    capsys: pytest.CaptureFixture[str], outputs_file: Path, extra: list[str], message: str
) -> None:
    code, err = run(capsys, "--outputs", str(outputs_file), *extra)
    assert code == errors.EXIT_BAD_INPUT, err
    assert message in err


def test_rejects_bad_migration_files_before_connecting(
    capsys: pytest.CaptureFixture[str], outputs_file: Path, tmp_path: Path
) -> None:
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "V001__ok.sql").write_text("SELECT 1;")
    (sql / "V2__bad_name.sql").write_text("SELECT 1;")
    code, err = run(capsys, "--outputs", str(outputs_file), "--sql-dir", str(sql))
    assert code == errors.EXIT_BAD_INPUT and "V2__bad_name.sql" in err


def test_unreachable_writer_exits_3(capsys: pytest.CaptureFixture[str], outputs_file: Path) -> None:
    # No CA in these outputs and the environment is not local: unverified only when asked.
    code, err = run(
        capsys, "--outputs", str(outputs_file), "--connect-timeout", "0.05", "--insecure-skip-verify"
    )
    assert code == errors.EXIT_CONNECT and "cannot connect to admin@127.0.0.1:" in err


def test_endpoint_overrides_win_over_proxy_and_outputs() -> None:
    data = outputs_dict(proxy={"host": "10.0.0.5", "writer_port": 3307, "reader_port": 3308})
    parsed = outputs.parse_outputs(data)
    assert bootstrap_options.endpoints(parsed, bootstrap.Options()) == (parsed.db.writer, ())
    via = bootstrap.Options(via_proxy=True)
    assert bootstrap_options.endpoints(parsed, via) == (
        Endpoint("10.0.0.5", 3307),
        (Endpoint("10.0.0.5", 3308),),
    )
    tunnel = bootstrap.Options(via_proxy=True, writer=Endpoint("127.0.0.1", 40000), readers=())
    assert bootstrap_options.endpoints(parsed, tunnel) == (Endpoint("127.0.0.1", 40000), ())


def test_password_file_defaults_next_to_the_outputs(tmp_path: Path) -> None:
    parsed = outputs.parse_outputs(outputs_dict())
    opts = bootstrap.Options(app_user="svc")
    assert (
        bootstrap_options.password_file(parsed, opts, tmp_path / "o.json") == tmp_path / "test-svc.password"
    )
    assert bootstrap_options.password_file(parsed, opts, None) == Path(".local/test-svc.password")
    explicit = bootstrap.Options(app_password_file=tmp_path / "p")
    assert bootstrap_options.password_file(parsed, explicit, tmp_path / "o.json") == tmp_path / "p"


def test_summary_lists_databases_counts_and_lag() -> None:
    user = app_user.AppUser("app", "%", "app", "in /x")
    report = bootstrap.Report(("TempDB", "app"), RunResult(applied=(), skipped=4), user)
    lines = bootstrap.summary(report)
    assert lines[0] == "databases: TempDB, app"
    assert lines[1] == "migrations: 0 applied, 4 skipped"
    assert "not checked" in lines[-1]


# --- the application password ------------------------------------------------------------------


def test_generates_a_0600_password_file_once_and_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(app_user.PASSWORD_ENV, raising=False)
    path = tmp_path / "sub" / "app.password"
    first = app_user.resolve_password(path)
    assert "generated" in first.origin and first.secret.reveal() not in first.origin
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.secret.reveal()) >= 32
    second = app_user.resolve_password(path)
    assert second.secret == first.secret and "generated" not in second.origin
    assert [p.name for p in path.parent.iterdir()] == ["app.password"]  # no temp file left


def test_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(app_user.PASSWORD_ENV, "from-env-value")
    source = app_user.resolve_password(tmp_path / "absent")
    assert source.secret.reveal() == "from-env-value" and not (tmp_path / "absent").exists()
    assert "from-env-value" not in source.origin


def test_rejects_empty_password_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(app_user.PASSWORD_ENV, raising=False)
    (tmp_path / "p").write_text("\n")
    with pytest.raises(app_user.AppUserError, match="is empty"):
        app_user.resolve_password(tmp_path / "p")


def test_losing_the_creation_race_uses_the_winners_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(app_user.PASSWORD_ENV, raising=False)
    path = tmp_path / "app.password"
    real_link = os.link

    def link_after_someone_else(src: Any, dst: Any) -> None:
        Path(dst).write_text("winner-password\n")
        real_link(src, dst)  # raises FileExistsError, as a lost race does

    monkeypatch.setattr(os, "link", link_after_someone_else)
    assert app_user.resolve_password(path).secret.reveal() == "winner-password"
    assert [p.name for p in tmp_path.iterdir()] == ["app.password"]


@pytest.mark.parametrize(("errno", "code"), [(1227, errors.EXIT_MIGRATION), (2013, errors.EXIT_CONNECT)])
def test_unclassified_database_errors_map_to_documented_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], errno: int, code: int
) -> None:
    from mysql.connector import errors as connector_errors

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise connector_errors.DatabaseError(errno=errno, msg=f"failure mentioning {PASSWORD}")

    monkeypatch.setattr(bootstrap, "bootstrap", boom)
    parsed = outputs.parse_outputs(outputs_dict())
    assert bootstrap.run(parsed, bootstrap.Options(), err=sys.stderr) == code
    err = capsys.readouterr().err
    assert f"error {errno}" in err and PASSWORD not in err and "Traceback" not in err


def test_library_run_prints_nothing_without_streams(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A service importing the bootstrap gets log records, not writes to its stdout/stderr."""

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise bootstrap.BadInput("stopped by the test")

    monkeypatch.setattr(bootstrap, "bootstrap", boom)
    parsed = outputs.parse_outputs(outputs_dict())
    with caplog.at_level(logging.ERROR, logger="mysql_platform.db.bootstrap"):
        assert bootstrap.run(parsed, bootstrap.Options()) == errors.EXIT_BAD_INPUT
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == ""
    assert [r.getMessage() for r in caplog.records] == ["bad input error: stopped by the test"]


def test_rejects_an_unwritable_password_file_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(app_user.PASSWORD_ENV, raising=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(app_user.AppUserError, match="cannot write the application password file"):
        app_user.resolve_password(blocker / "app.password")  # parent is a file


def test_private_db_goes_through_the_host_and_needs_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MYSQL_PLATFORM_SSH_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/id_* to fall back on
    data = outputs_dict(environment="prod")
    data["db"]["publicly_accessible"] = False
    data["host"]["public_dns"] = "ec2-198-51-100-7.compute-1.amazonaws.com"
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    # No CA in these outputs: unverified TLS only when asked (else exit 2 before the tunnel).
    code = bootstrap_cli.main(["--outputs", str(path), "--insecure-skip-verify"])
    err = capsys.readouterr().err
    assert code == errors.EXIT_CONNECT
    assert "through the EC2 host ec2-198-51-100-7.compute-1.amazonaws.com" in err
    assert "--ssh-key" in err
    assert PASSWORD not in err


def test_rejects_a_bad_ssh_port(outputs_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = bootstrap_cli.main(["--outputs", str(outputs_file), "--via-host", "--ssh-port", "70000"])
    assert code == errors.EXIT_BAD_INPUT
    assert "--ssh-port must be a TCP port (1-65535), got 70000" in capsys.readouterr().err


def test_via_proxy_verifies_the_chain_but_not_the_host_name() -> None:
    from mysql_platform.core.outputs import parse_outputs

    parsed = parse_outputs(
        outputs_dict(proxy={"host": "proxy.example.internal", "writer_port": 3306, "reader_port": 3307})
    )
    proxied = bootstrap.Options(via_proxy=True, ssl_ca="/ca.pem")
    writer, readers = bootstrap_options.endpoints(parsed, proxied)
    assert (writer.host, writer.port, readers[0].port) == ("proxy.example.internal", 3306, 3307)
    assert bootstrap_options.target(parsed, writer, "/ca.pem", proxied).verify_identity is False
    direct = bootstrap.Options(ssl_ca="/ca.pem")
    assert bootstrap_options.target(parsed, parsed.db.writer, "/ca.pem", direct).verify_identity is True


def test_writer_and_reader_overrides_replace_the_outputs_endpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A private prod DB would go through the host; an explicit --writer is the path instead.
    monkeypatch.delenv("MYSQL_PLATFORM_SSH_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    data = outputs_dict(environment="prod")
    data["db"]["publicly_accessible"] = False
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    port = closed_port()
    code = bootstrap_cli.main(
        ["--outputs", str(path), "--writer", f"127.0.0.1:{port}", "--reader", "127.0.0.1:1",
         "--connect-timeout", "0.05", "--insecure-skip-verify"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == errors.EXIT_CONNECT
    assert f"127.0.0.1:{port}" in err
    assert "SSH key" not in err and "ssh" not in err.lower()


@pytest.mark.parametrize("value", ["localhost", "127.0.0.1:", ":3306", "h:0", "h:70000", "h:x"])
def test_rejects_a_malformed_writer_override(
    outputs_file: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = bootstrap_cli.main(["--outputs", str(outputs_file), "--writer", value])
    assert code == errors.EXIT_BAD_INPUT
    assert f"expected HOST:PORT with a port in 1-65535, got {value!r}" in capsys.readouterr().err
