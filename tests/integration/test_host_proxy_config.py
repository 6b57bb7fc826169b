"""The EC2 host's HAProxy configuration, as rendered into user data, passes real HAProxy's check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mysql_platform.components.program import program
from tests.support.pulumi_harness import run_program

pytestmark = pytest.mark.integration


def _config_from_user_data(user_data: str) -> str:
    body = user_data.split("<<'MYSQL_PLATFORM_HAPROXY_CFG'\n", 1)[1]
    return body.split("\nMYSQL_PLATFORM_HAPROXY_CFG\n", 1)[0] + "\n"


@pytest.mark.skipif(
    shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(), reason="no haproxy"
)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rendered_host_config_is_valid_for_haproxy(stack: str, tmp_path: Path) -> None:
    run = run_program(
        program,
        stack,
        # The read/write split needs a replica, and the free-tier dev stack has none.
        overrides={
            "proxyEnabled": True,
            "proxyAllowedSecurityGroupIds": ["sg-0123456789abcdef0"],
            "dbReplicaCount": 1,
        },
    )
    user_data = run.one("aws:ec2/instance:Instance", "host-instance").plain("userData")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(_config_from_user_data(user_data))
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    result = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout + result.stderr
