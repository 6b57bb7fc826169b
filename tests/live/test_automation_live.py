"""Real Pulumi CLI (and AWS) runs of scripts.automation. Never faked: skipped with a reason instead.

- Tests needing only the CLI use a throwaway file:// backend and passphrase.
- Tests needing AWS also need credentials (env vars, AWS_PROFILE or ~/.aws files).
- ``up``/``destroy`` create billable resources and take ~15 minutes: they also need
  MYSQL_PLATFORM_LIVE_UP=1 and MYSQL_PLATFORM_LIVE_CIDR (your address, admitted to the dev DB).

Every test works on a copy of the project in a temp dir, so `pulumi stack init`
(which writes an encryption salt into Pulumi.<stack>.yaml) never edits the repo.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mysql_platform import orchestrate
from mysql_platform.db import bootstrap
from mysql_platform.stack import automation, workspace
from mysql_platform.stack.automation import Options, ProgramSource, StackNotFound

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
# requirements.txt names the other two with -r lines (Pulumi's runtime installs it).
PROJECT_FILES = (
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.prod.yaml",
    "__main__.py",
    "requirements.txt",
    "requirements-router.txt",
    "requirements-full.txt",
)


def _aws_credentials_present() -> bool:
    env = os.environ
    if env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE") or env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return True
    if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return True
    home = Path.home() / ".aws"
    return (home / "credentials").is_file() or (home / "config").is_file()


needs_cli = pytest.mark.skipif(
    shutil.which("pulumi") is None,
    reason="the Pulumi CLI is not on PATH (install: curl -fsSL https://get.pulumi.com | sh)",
)
needs_aws = pytest.mark.skipif(
    not _aws_credentials_present(),
    reason="no AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE, web identity or ~/.aws files)",
)
needs_up_opt_in = pytest.mark.skipif(
    os.environ.get("MYSQL_PLATFORM_LIVE_UP") != "1"
    or not os.environ.get("MYSQL_PLATFORM_LIVE_CIDR")
    or not os.environ.get("MYSQL_PLATFORM_LIVE_SSL_CA"),
    reason="creates billable AWS resources for ~15 minutes: set MYSQL_PLATFORM_LIVE_UP=1, "
    "MYSQL_PLATFORM_LIVE_CIDR=<your public address>/32 (admitted to the dev DB) and "
    "MYSQL_PLATFORM_LIVE_SSL_CA=<path to the RDS global-bundle.pem> to run",
)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    work = tmp_path / "project"
    work.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, work / name)
    shutil.copytree(ROOT / "components", work / "components", ignore=shutil.ignore_patterns("__pycache__"))
    # Pulumi.yaml names the virtualenv .venv relative to the project.
    (work / ".venv").symlink_to(ROOT / ".venv")
    return work


@pytest.fixture
def make_options(project_copy: Path, tmp_path: Path) -> Callable[..., Options]:
    state = tmp_path / "state"
    state.mkdir()

    def make(source: ProgramSource = ProgramSource.WORK_DIR, **overrides: object) -> Options:
        fields: dict[str, object] = {
            "source": source,
            "work_dir": project_copy,
            "backend_url": f"file://{state}",
            "env": {"PULUMI_CONFIG_PASSPHRASE": "live-test-only"},
            "on_output": print,
            **overrides,
        }
        return Options(**fields)  # type: ignore[arg-type]

    return make


@needs_cli
def test_outputs_of_a_missing_stack_is_stack_not_found(make_options: Callable[..., Options]) -> None:
    with pytest.raises(StackNotFound, match="stack 'no-such-stack' does not exist"):
        automation.outputs("no-such-stack", make_options())


@needs_cli
def test_cli_passes_the_version_check() -> None:
    command = workspace.pulumi_command(Options())
    assert command.version is not None
    assert command.version >= workspace.minimum_cli_version()


@needs_cli
@needs_aws
@pytest.mark.parametrize("source", list(ProgramSource), ids=lambda s: s.value)
def test_preview_dev_plans_the_whole_stack(
    source: ProgramSource, make_options: Callable[..., Options]
) -> None:
    result = automation.preview("dev", make_options(source))
    assert result.change_summary.get("create", 0) > 10


@needs_cli
@needs_aws
@needs_up_opt_in
def test_up_bootstrap_destroy_dev(make_options: Callable[..., Options]) -> None:
    cidr = os.environ["MYSQL_PLATFORM_LIVE_CIDR"]
    # A real list: the key is array<string> in Pulumi.yaml, and the CLI refuses a string there.
    options = make_options(config={"dbAllowedCidrs": [cidr]})
    try:
        # The bootstrap verifies the server against the RDS CA bundle outside 'local'.
        boot = bootstrap.Options(ssl_ca=os.environ["MYSQL_PLATFORM_LIVE_SSL_CA"])
        code = orchestrate.up_and_bootstrap("dev", options, boot)
        assert code == 0
        outputs = automation.outputs("dev", options)
        assert outputs.environment == "dev"
        assert outputs.db.publicly_accessible is True
    finally:
        automation.destroy("dev", options)
