"""scripts.automation against a stand-in Pulumi CLI that records its argv and answers as the real one.

The stand-in (tests/support/fake_pulumi.py) models each behaviour with the CLI or SDK source
that says so. Work-dir mode: the SDK runs it exactly as it would run `pulumi`.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mysql_platform import errors, orchestrate
from mysql_platform.cli import stack as stack_cli
from mysql_platform.core.contract import Secret
from mysql_platform.stack import automation, automation_errors, workspace
from mysql_platform.stack import config as stack_config
from mysql_platform.stack.automation import (
    OperationFailed,
    Options,
    PulumiCliError,
    ResultsUnreadable,
    StackNotFound,
)
from tests.support import docs, fake_pulumi

ROOT = Path(__file__).resolve().parents[2]
LIST_KEYS = [
    "dbAllowedCidrs",
    "sshAllowedCidrs",
    "proxyAllowedCidrs",
    "proxyAllowedSecurityGroupIds",
    "dbLogExports",
]
OUTPUTS = {
    "environment": {"value": "dev", "secret": False},
    "vpc_id": {"value": "vpc-0123", "secret": False},
    "host": {
        "value": {
            "instance_id": "i-0abc",
            "public_ip": "198.51.100.7",
            "public_dns": "ec2.example",
            "ssh_user": "ec2-user",
        },
        "secret": False,
    },
    "db": {
        "value": {
            "engine": "mysql",
            "engine_version": "8.4.7",
            "writer": {"host": "w.example", "port": 3306},
            "readers": [],
            "database": "app",
            "username": "admin",
            "publicly_accessible": True,
            "multi_az": False,
        },
        "secret": False,
    },
    "db_password": {"value": "s3cr3t-Pa55w0rd-xyz", "secret": True},
}


class Cli:
    """The stand-in's state: what it was sent, and what it should do next."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root, self.state, self.work = root, root / "state", work

    def scenario(self, **values: Any) -> None:
        (self.state / "scenario.json").write_text(json.dumps(values))

    def calls(self) -> list[list[str]]:
        return fake_pulumi.calls(self.state)

    def stack_file(self, stack: str = "dev") -> dict[str, Any]:
        return dict(yaml.safe_load((self.work / f"Pulumi.{stack}.yaml").read_text()))

    def main(self, command: str, stack: str, *argv: str) -> int:
        """The stack command line, run on this project copy with the stand-in CLI."""
        paths = ["--work-dir", str(self.work), "--pulumi-root", str(self.root)]
        return stack_cli.main([command, stack, *argv, *paths])

    def existing(self, stack: str, resources: int = 0) -> None:
        stacks = {stack: {"resources": resources, "outputs": {}}}
        (self.state / "stacks.json").write_text(json.dumps(stacks))


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    work = tmp_path / "project"
    work.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy2(ROOT / name, work / name)
    root = tmp_path / "pulumi"
    fake_pulumi.install(root / "bin", root / "state")
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(root / "state"))
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    return Cli(root, work)


@pytest.fixture
def options(cli: Cli) -> Callable[..., Options]:
    def make(**fields: Any) -> Options:
        return Options(work_dir=cli.work, pulumi_root=cli.root, backend_url="file:///tmp/state", **fields)

    return make


# --- 1. array-typed config ------------------------------------------------------------------


def test_plaintext_set_all_of_a_list_is_what_the_real_cli_refuses_at_up(cli: Cli) -> None:
    # What the module sent before: `config set-all --plaintext key=value` stores a string, and
    # the CLI's config validation refuses it for an array<string> key.
    import subprocess

    cli.existing("dev")
    env = {"FAKE_PULUMI_STATE": str(cli.state), "PATH": "/usr/bin:/bin"}
    pulumi = str(cli.root / "bin" / "pulumi")
    subprocess.run(
        [pulumi, "config", "set-all", "--stack", "dev", "--plaintext", 'dbAllowedCidrs=["198.51.100.7/32"]'],
        cwd=cli.work,
        env=env,
        check=True,
    )
    done = subprocess.run(
        [pulumi, "up", "--yes", "--stack", "dev"], cwd=cli.work, env=env, capture_output=True, text=True
    )
    assert done.returncode == 255
    assert "configuration key 'dbAllowedCidrs' must be of type 'array<string>'" in done.stderr


@pytest.mark.parametrize("key", LIST_KEYS)
def test_list_overrides_are_stored_as_lists_and_up_accepts_them(
    cli: Cli, options: Callable[..., Options], key: str
) -> None:
    value = (
        ["sg-0123456789abcdef0"]
        if "SecurityGroup" in key
        else (["error"] if key == "dbLogExports" else ["198.51.100.7/32"])
    )
    cli.scenario(outputs=OUTPUTS)
    automation.up("dev", options(config={key: value, "dbMultiAz": True, "dbReplicaCount": 1}))
    config = cli.stack_file()["config"]
    assert config[f"mysql-platform:{key}"] == value
    assert config["mysql-platform:dbMultiAz"] == "true"
    assert config["mysql-platform:dbReplicaCount"] == "1"
    set_all = next(c for c in cli.calls() if c[:2] == ["config", "set-all"])
    sent = json.loads(set_all[set_all.index("--json") + 1])
    assert sent[key] == {"value": json.dumps(value), "objectValue": value, "secret": False}
    assert "--plaintext" not in set_all


def test_secret_overrides_go_encrypted_and_never_in_repr(cli: Cli, options: Callable[..., Options]) -> None:
    cli.scenario(outputs=OUTPUTS)
    opts = options(
        config={"sshPublicKey": Secret("ssh-ed25519 AAAAsecret")},
        env={"PULUMI_CONFIG_PASSPHRASE": "pass-phrase-42"},
    )
    assert "pass-phrase-42" not in repr(opts) and "AAAAsecret" not in repr(opts)
    automation.up("dev", opts)
    stored = cli.stack_file()["config"]["mysql-platform:sshPublicKey"]
    assert set(stored) == {"secure"}
    # Never on a command line, where `ps` shows it: config set --secret reads it from stdin.
    assert not [c for c in cli.calls() if any("AAAAsecret" in a for a in c)]
    assert ["config", "set", "--secret", "sshPublicKey", "--stack", "dev"] in cli.calls()


def test_secret_from_env_never_reaches_argv(
    cli: Cli, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.scenario(outputs=OUTPUTS)
    monkeypatch.setenv("KEY_FOR_TEST", "ssh-ed25519 AAAAfromenv")
    code = cli.main("up", "dev", "--yes", "--secret-from-env", "sshPublicKey=KEY_FOR_TEST")
    assert code == 0, capsys.readouterr().err
    assert not [c for c in cli.calls() if any("AAAAfromenv" in a for a in c)]
    assert set(cli.stack_file()["config"]["mysql-platform:sshPublicKey"]) == {"secure"}


def test_command_line_takes_lists_as_json(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    cli.scenario(outputs=OUTPUTS)
    code = cli.main(
        "up",
        "dev",
        "--yes",
        "--backend",
        "file:///tmp/state",
        "--config",
        'dbAllowedCidrs=["198.51.100.7/32","203.0.113.0/24"]',
    )
    assert code == 0, capsys.readouterr().err
    assert cli.stack_file()["config"]["mysql-platform:dbAllowedCidrs"] == [
        "198.51.100.7/32",
        "203.0.113.0/24",
    ]


def test_command_line_rejects_a_list_that_is_not_json_strings(capsys: pytest.CaptureFixture[str]) -> None:
    code = stack_cli.main(["preview", "dev", "--config", "dbAllowedCidrs=[198.51.100.7/32]"])
    assert code == errors.EXIT_USAGE
    assert "invalid list for config key 'dbAllowedCidrs'" in capsys.readouterr().err


# --- 2. a failed update says why --------------------------------------------------------------

RDS_ERROR = (
    "creating RDS DB Instance (mysql-dev-primary-1a2b3c4d): operation error RDS: CreateDBInstance, "
    "api error InvalidParameterCombination: RDS does not support creating a DB instance with the "
    "following combination: DBInstanceClass=db.t4g.micro, Engine=mysql, EngineVersion=8.4.9"
)


def test_failed_update_carries_the_engine_diagnostics(cli: Cli, options: Callable[..., Options]) -> None:
    cli.scenario(up_fails={"resource": "db-primary-instance", "message": RDS_ERROR})
    with pytest.raises(OperationFailed) as info:
        automation.up("dev", options())
    assert "pulumi up on stack 'dev' failed:" in str(info.value)
    assert "InvalidParameterCombination" in str(info.value)
    assert info.value.diagnostics and "InvalidParameterCombination" in info.value.diagnostics[0]


def test_failed_update_message_reaches_the_command_line(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    cli.scenario(up_fails={"resource": "db-primary-instance", "message": RDS_ERROR})
    code = cli.main("up", "dev", "--yes")
    assert code == errors.EXIT_OPERATION_FAILED
    err = capsys.readouterr().err
    assert "InvalidParameterCombination" in err.split("error: pulumi up on stack 'dev' failed:", 1)[1]


def test_diagnostics_come_from_stdout_when_no_events_were_read() -> None:
    from pulumi.automation._cmd import CommandResult
    from pulumi.automation.errors import create_command_error

    stdout = (
        "Updating (dev)\n\nDiagnostics:\n  aws:rds:Instance (db-primary-instance):\n"
        f"    error: {RDS_ERROR}\n\nResources:\n"
    )
    error = create_command_error(CommandResult(stdout=stdout, stderr="", code=255))
    mapped = automation_errors.map_command_error(error, "dev", "up")
    assert "InvalidParameterCombination" in str(mapped)


# --- 3. the CLI version -----------------------------------------------------------------------


def test_accepts_the_oldest_cli_whose_features_the_module_uses(
    cli: Cli, options: Callable[..., Options], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "3.202.0")
    assert workspace.pulumi_command(options()).version == workspace.MINIMUM_CLI_VERSION


def test_refuses_an_older_cli_naming_the_minimum(
    cli: Cli, options: Callable[..., Options], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "3.201.0")
    with pytest.raises(PulumiCliError, match=r"need >= 3\.202\.0"):
        workspace.pulumi_command(options())


def test_version_check_can_be_skipped_from_options_env(
    cli: Cli, options: Callable[..., Options], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "3.150.0")
    command = workspace.pulumi_command(options(env={"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "1"}))
    assert str(command.version) == "3.150.0"


# --- 4. where overrides go --------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["refresh", "destroy", "outputs"])
def test_refresh_destroy_and_outputs_never_write_config(
    cli: Cli, options: Callable[..., Options], operation: str
) -> None:
    cli.existing("dev")
    cli.scenario(outputs=OUTPUTS)
    automation.up("dev", options())
    before = (cli.work / "Pulumi.dev.yaml").read_text()
    opts = options(config={"aws:region": "eu-west-1"})
    if operation == "outputs":
        assert automation.outputs("dev", opts).environment == "dev"
    else:
        getattr(automation, operation)("dev", opts)
    assert (cli.work / "Pulumi.dev.yaml").read_text() == before
    assert not [c for c in cli.calls() if c[:2] == ["config", "set-all"] and "eu-west-1" in " ".join(c)]


def test_warns_when_an_override_moves_a_stack_with_resources_to_another_region(
    cli: Cli, options: Callable[..., Options], caplog: pytest.LogCaptureFixture
) -> None:
    cli.existing("dev", resources=31)
    cli.scenario(outputs=OUTPUTS)
    with caplog.at_level(logging.WARNING, logger="mysql_platform.stack.config"):
        automation.preview("dev", options(config={"aws:region": "eu-west-1"}))
    assert any(
        "us-east-1 -> eu-west-1" in r.getMessage() and "31 resources" in r.getMessage()
        for r in caplog.records
    )


def test_no_region_warning_for_a_new_stack(
    cli: Cli, options: Callable[..., Options], caplog: pytest.LogCaptureFixture
) -> None:
    cli.existing("dev", resources=0)
    with caplog.at_level(logging.WARNING, logger="mysql_platform.stack.config"):
        automation.preview("dev", options(config={"aws:region": "eu-west-1"}))
    assert not caplog.records


# --- 5. success is not reported as failure ----------------------------------------------------


def test_results_that_cannot_be_read_after_a_successful_up_are_not_a_failed_update(
    cli: Cli, options: Callable[..., Options]
) -> None:
    cli.scenario(outputs=OUTPUTS, decrypt_fails=True)
    with pytest.raises(ResultsUnreadable) as info:
        automation.up("dev", options())
    assert "succeeded" in str(info.value) and "failed:" not in str(info.value).split("\n")[0]
    assert info.value.exit_code == errors.EXIT_RESULTS_UNREADABLE
    history = [c for c in cli.calls() if c[:2] == ["stack", "history"]]
    assert all("--show-secrets" not in c for c in history)


def test_history_is_read_without_secrets(cli: Cli, options: Callable[..., Options]) -> None:
    cli.scenario(outputs=OUTPUTS)
    result = automation.up("dev", options())
    assert result.summary.result == "succeeded"
    history = [c for c in cli.calls() if c[:2] == ["stack", "history"]]
    assert history and all("--show-secrets" not in c for c in history)


# --- 6. smaller points ------------------------------------------------------------------------


def test_stderr_is_streamed_to_on_error(cli: Cli, options: Callable[..., Options]) -> None:
    cli.existing("dev")
    cli.scenario(up_fails={"resource": "db-primary-instance", "message": RDS_ERROR})
    seen: list[str] = []
    (cli.work / "Pulumi.dev.yaml").write_text("config:\n  mysql-platform:dbAllowedCidrs: not-a-list\n")
    with pytest.raises(OperationFailed):
        automation.up("dev", options(on_error=seen.append))
    assert any("must be of type 'array<string>'" in line for line in seen)


def test_a_create_race_selects_the_stack_the_other_client_made(
    cli: Cli, options: Callable[..., Options]
) -> None:
    cli.scenario(outputs=OUTPUTS, init_race=True)
    automation.up("dev", options())
    selects = [c for c in cli.calls() if c[:2] == ["stack", "select"]]
    assert len(selects) == 2  # before the losing `stack init`, and after it


def test_selecting_a_missing_stack_for_destroy_is_stack_not_found(
    cli: Cli, options: Callable[..., Options]
) -> None:
    with pytest.raises(StackNotFound):
        automation.destroy("qa", options())
    assert not [c for c in cli.calls() if c[:2] == ["stack", "init"]]


def test_every_python_block_of_the_aws_page_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [b.code for b in docs.blocks("aws", "python")]
    assert blocks, "docs/aws.md has no Python sample"
    seen: list[tuple[str, str, Options]] = []
    for module, name in ((automation, "up"), (automation, "outputs"), (orchestrate, "up_and_bootstrap")):
        monkeypatch.setattr(module, name, lambda stack, opts, _n=name: seen.append((_n, stack, opts)) or 0)
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/aws.md python block {number}", "exec"), {})  # noqa: S102 - our docs
    assert [(n, s) for n, s, _ in seen] == [("up", "dev"), ("outputs", "dev"), ("up_and_bootstrap", "dev")]
    opts = seen[0][2]
    assert json.loads(stack_config.config_json(opts.config))["dbAllowedCidrs"]["objectValue"] == [
        "198.51.100.7/32"
    ]
