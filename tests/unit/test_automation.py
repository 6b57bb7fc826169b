"""scripts.automation: argument and error handling, pins, error mapping, outputs.

Nothing here runs the Pulumi CLI: where the CLI matters, PATH is emptied so the
real lookup fails for real. Operations against AWS are in tests/live.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
from pathlib import Path

import pytest
from pulumi import automation as auto
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

from mysql_platform import errors, orchestrate
from mysql_platform.cli import stack as stack_cli
from mysql_platform.core.contract import Endpoint, Secret
from mysql_platform.db import bootstrap
from mysql_platform.stack import automation, automation_errors, workspace
from mysql_platform.stack import config as stack_config
from mysql_platform.stack.automation import (
    BadInput,
    OperationFailed,
    Options,
    PulumiCliError,
    PulumiCliMissing,
    StackBusy,
    StackNotFound,
)

ROOT = Path(__file__).resolve().parents[2]

OUTPUTS = {
    "environment": "prod",
    "vpc_id": "vpc-0123",
    "host": {
        "instance_id": "i-0abc",
        "public_ip": "198.51.100.7",
        "public_dns": "ec2-198-51-100-7.compute-1.amazonaws.com",
        "ssh_user": "ec2-user",
    },
    "db": {
        "engine": "mysql",
        "engine_version": "8.0.40",
        "writer": {"host": "db-primary.abc.us-east-1.rds.amazonaws.com", "port": 3306},
        "readers": [{"host": "db-replica-1.abc.us-east-1.rds.amazonaws.com", "port": 3306}],
        "database": "app",
        "username": "admin",
        "publicly_accessible": False,
        "multi_az": True,
    },
    "db_password": "s3cr3t-Pa55w0rd-xyz",
}


def _as_automation(data: dict[str, object]) -> dict[str, auto.OutputValue]:
    return {k: auto.OutputValue(value=v, secret=k == "db_password") for k, v in data.items()}


@pytest.fixture
def no_pulumi_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with no pulumi on it (whether or not this machine has one), ssh etc. irrelevant here."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    return empty


# --- command line: arguments ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bad name", "", "../prod", "dev;rm", "a/b/c/d", "dev/", "dev@x", "x" * 101])
def test_rejects_bad_stack_name(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert stack_cli.main(["preview", name]) == errors.EXIT_USAGE
    err = capsys.readouterr().err
    assert "invalid stack name" in err
    assert repr(name) in err


@pytest.mark.parametrize("name", ["dev", "prod", "feature_x.1", "acme/dev", "acme/mysql-platform/prod"])
def test_accepts_pulumi_stack_names(name: str) -> None:
    assert stack_config.validate_stack_name(name) == name


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("dbInstanceClass", "expected KEY=VALUE"),
        ("=db.t4g.micro", "invalid config key ''"),
        ("bad key=1", "invalid config key 'bad key'"),
        ("a:b:c=1", "invalid config key 'a:b:c'"),
    ],
)
def test_rejects_bad_config_syntax(pair: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert stack_cli.main(["preview", "dev", "--config", pair]) == errors.EXIT_USAGE
    assert message in capsys.readouterr().err


def test_config_value_may_contain_equals_and_namespace() -> None:
    assert stack_config.parse_config_pair("aws:region=eu-west-1") == ("aws:region", "eu-west-1")
    assert stack_config.parse_config_pair("tags=a=b") == ("tags", "a=b")


def test_rejects_secret_from_unset_env_var(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE_42", raising=False)
    code = stack_cli.main(["preview", "dev", "--secret-from-env", "dbPassword=NOT_SET_ANYWHERE_42"])
    assert code == errors.EXIT_USAGE
    assert "'NOT_SET_ANYWHERE_42' is not set" in capsys.readouterr().err


def test_rejects_backend_that_is_not_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert stack_cli.main(["preview", "dev", "--backend", "my-bucket"]) == errors.EXIT_USAGE
    assert "invalid backend URL 'my-bucket'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["up", "refresh", "destroy"])
def test_rejects_changing_command_without_yes(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert stack_cli.main([command, "dev"]) == errors.EXIT_USAGE
    assert "pass --yes" in capsys.readouterr().err


def test_rejects_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert stack_cli.main(["deploy", "dev"]) == errors.EXIT_USAGE
    assert "invalid choice: 'deploy'" in capsys.readouterr().err


def test_rejects_work_dir_without_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = stack_cli.main(["preview", "dev", "--work-dir", str(tmp_path)])
    assert code == errors.EXIT_USAGE
    assert "has no Pulumi.yaml" in capsys.readouterr().err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert stack_cli.main(["--help"]) == errors.EXIT_OK
    out = capsys.readouterr().out
    for code in (0, 2, 6, 7, 8, 9):
        assert f"\n  {code}  " in out


def test_options_from_args_keeps_secrets_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW_FOR_TEST", "hunter2-long")
    args = stack_cli.build_parser().parse_args(
        ["up", "dev", "--inline", "--config", "aws:region=eu-west-1", "--secret-from-env", "dbPw=PW_FOR_TEST"]
    )
    options = stack_cli.options_from_args(args, os.environ)
    assert options.source is automation.ProgramSource.INLINE
    assert options.config["aws:region"] == "eu-west-1"
    assert options.config["dbPw"] == Secret("hunter2-long")
    assert "hunter2" not in repr(options)
    sent = json.loads(stack_config.config_json(options.config))
    # The JSON document is a command-line argument: secrets go on stdin instead.
    assert "dbPw" not in sent and "hunter2" not in json.dumps(sent)
    assert sent["aws:region"] == {"value": "eu-west-1", "secret": False}


# --- the CLI is missing ---------------------------------------------------------------------


def test_missing_cli_is_a_clear_error_and_exit_code(
    no_pulumi_on_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stack_cli.main(["preview", "dev"]) == errors.EXIT_CLI_MISSING
    err = capsys.readouterr().err
    assert "Pulumi CLI was not found" in err
    assert "on PATH" in err
    assert automation_errors.CLI_INSTALL_HINT in err
    assert str(workspace.minimum_cli_version()) in err


def test_missing_cli_raises_pulumi_cli_missing_from_the_api(no_pulumi_on_path: Path) -> None:
    with pytest.raises(PulumiCliMissing, match="not found"):
        automation.outputs("dev")


def test_missing_cli_under_pulumi_root_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(PulumiCliMissing) as exc:
        workspace.pulumi_command(Options(pulumi_root=tmp_path))
    assert str(tmp_path / "bin" / "pulumi") in str(exc.value)


def test_too_old_cli_maps_to_cli_error() -> None:
    error = auto.InvalidVersionError("Minimum version requirement failed.")
    mapped = automation_errors.map_cli_error(error, "`pulumi`", VersionInfo.parse("3.272.0"))
    assert type(mapped) is PulumiCliError
    assert mapped.exit_code == errors.EXIT_CLI_MISSING
    assert "3.272.0" in str(mapped)


# --- pins from requirements.txt ---------------------------------------------------------------


def test_plugin_versions_come_from_requirements_and_match_installed_sdks() -> None:
    versions = workspace.plugin_versions()
    assert versions == {
        "aws": "v" + importlib.metadata.version("pulumi-aws"),
        "random": "v" + importlib.metadata.version("pulumi-random"),
    }


def test_plugin_versions_follow_the_file(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# comment\npulumi==3.1.0\nPulumi_AWS == 6.0.1  # aws\npulumi-random==4.0.0 ; python_version>'3'\n"
    )
    assert workspace.plugin_versions(req) == {"aws": "v6.0.1", "random": "v4.0.0"}


def test_rejects_requirements_without_a_plugin_pin(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("pulumi==3.1.0\npulumi-aws>=6\npulumi-random==4.0.0\n")
    with pytest.raises(BadInput, match=r"does not pin pulumi-aws \(expected a line 'pulumi-aws==X.Y.Z'\)"):
        workspace.plugin_versions(req)


def test_minimum_cli_version_is_what_the_module_uses_not_the_sdk_pin() -> None:
    # `config set-all --json` (CLI 3.202.0) is the newest CLI feature the module relies on;
    # the SDK's own gate for inline refresh/destroy is 3.181 (_stack._check_inline_support).
    assert workspace.minimum_cli_version() == VersionInfo.parse("3.202.0")
    assert workspace.minimum_cli_version() < VersionInfo.parse(importlib.metadata.version("pulumi"))


# --- CommandError mapping ---------------------------------------------------------------------


def _command_error(stderr: str, stdout: str = "") -> auto.CommandError:
    # Exactly how the Automation API builds its errors from a failed CLI run.
    return create_command_error(auto.CommandResult(stdout=stdout, stderr=stderr, code=255))


@pytest.mark.parametrize(
    "stderr",
    [
        "error: [409] Conflict: Another update is currently in progress.",
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
        "or delete the lock file with `pulumi cancel`.",
    ],
)
def test_concurrent_update_maps_to_stack_busy(stderr: str) -> None:
    error = _command_error(stderr)
    assert isinstance(error, auto.ConcurrentUpdateError)
    mapped = automation_errors.map_command_error(error, "prod", "up")
    assert isinstance(mapped, StackBusy)
    assert mapped.exit_code == errors.EXIT_STACK_BUSY == 7
    assert "stack 'prod' is busy" in str(mapped)
    assert "nothing was changed" in str(mapped)
    assert stderr.splitlines()[0] in str(mapped)


def test_missing_stack_maps_to_stack_not_found() -> None:
    error = _command_error("error: no stack named 'qa' found")
    mapped = automation_errors.map_command_error(error, "qa", "stack output")
    assert isinstance(mapped, StackNotFound)
    assert mapped.exit_code == errors.EXIT_STACK_NOT_FOUND


def test_other_failures_keep_the_end_of_stderr() -> None:
    noise = "\n".join(f"line {i}" for i in range(40))
    error = _command_error(noise + "\nerror: creating RDS DB Instance: InvalidParameterCombination")
    mapped = automation_errors.map_command_error(error, "dev", "up")
    assert type(mapped) is OperationFailed
    assert mapped.exit_code == errors.EXIT_OPERATION_FAILED
    assert "pulumi up on stack 'dev' failed" in str(mapped)
    assert "InvalidParameterCombination" in str(mapped)
    assert "line 0\n" not in str(mapped)


def test_translated_maps_inside_the_block() -> None:
    with pytest.raises(StackBusy), workspace.translated("dev", "destroy"):
        raise _command_error("error: [409] Conflict: Another update is currently in progress.")


# --- outputs ----------------------------------------------------------------------------------


def test_outputs_are_unwrapped_from_automation_values() -> None:
    parsed = automation.parse_outputs(_as_automation(OUTPUTS), "prod")
    assert parsed.environment == "prod"
    assert parsed.db.writer.host == "db-primary.abc.us-east-1.rds.amazonaws.com"
    assert parsed.db.readers[0].port == 3306
    assert parsed.db.publicly_accessible is False
    assert parsed.db_password == Secret("s3cr3t-Pa55w0rd-xyz")


def test_rejects_outputs_missing_a_key() -> None:
    broken = {k: v for k, v in OUTPUTS.items() if k != "host"}
    with pytest.raises(BadInput, match=r"stack 'prod': outputs: missing key 'host'"):
        automation.parse_outputs(_as_automation(broken), "prod")


def test_rendered_outputs_mask_the_password_unless_asked() -> None:
    parsed = automation.parse_outputs(_as_automation(OUTPUTS), "prod")
    masked = automation.render_outputs(parsed)
    assert "s3cr3t" not in masked
    assert json.loads(masked)["db_password"] == "[secret]"
    assert json.loads(automation.render_outputs(parsed, show_secrets=True))["db_password"] == (
        "s3cr3t-Pa55w0rd-xyz"
    )


# --- bootstrap endpoints --------------------------------------------------------------------


def test_tunnelled_bootstrap_checks_the_ca_chain_but_not_the_host_name() -> None:
    local = Endpoint("127.0.0.1", 40001)
    readers = [Endpoint("127.0.0.1", 40002)]
    through = orchestrate.endpoint_options(
        bootstrap.Options(ssl_ca="/ca.pem"), local, readers, tunnelled=True
    )
    assert (through.writer, through.readers) == (local, tuple(readers))
    assert through.ssl_ca == "/ca.pem"
    assert through.tls_verify_identity is False
    direct = orchestrate.endpoint_options(
        bootstrap.Options(ssl_ca="/ca.pem"), local, readers, tunnelled=False
    )
    assert direct.tls_verify_identity is True


def test_bootstrap_safety_flags_reach_the_bootstrap() -> None:
    args = stack_cli.build_parser().parse_args(
        ["bootstrap", "prod", "--insecure-skip-verify", "--rotate-app-password", "--adopt-app-user"]
    )
    options, _ = stack_cli.bootstrap_args(args)
    assert options.insecure_skip_verify and options.rotate_app_password and options.adopt_app_user
    defaults, _ = stack_cli.bootstrap_args(stack_cli.build_parser().parse_args(["bootstrap", "prod"]))
    assert not (defaults.insecure_skip_verify or defaults.rotate_app_password or defaults.adopt_app_user)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "db",
            (
                "mysql_platform.stack",
                "mysql_platform.local",
                "mysql_platform.cli",
                "mysql_platform.orchestrate",
            ),
        ),
        (
            "stack",
            ("mysql_platform.db", "mysql_platform.local", "mysql_platform.cli", "mysql_platform.orchestrate"),
        ),
    ],
)
def test_rejects_imports_between_subpackages(package: str, forbidden: tuple[str, ...]) -> None:
    """What combines the database and the stack lives above both
    (mysql_platform.orchestrate, mysql_platform.cli)."""
    files = sorted((ROOT / "mysql_platform" / package).glob("*.py"))
    assert files, f"mysql_platform/{package} has no modules"
    found = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(_imported_modules(path))
        if name.startswith(forbidden)
    ]
    assert found == []
