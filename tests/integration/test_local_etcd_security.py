"""etcd of the local automatic failover against a local user without its certificates, and against
reports that lie. Real etcd, real etcdctl run as another OS user, real MariaDB and agents."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from mysql_platform.local import autofailover, etcd
from mysql_platform.local.consensus import Consensus
from mysql_platform.local.env import LocalEnv
from tests.integration.test_local_auto_failover import AutoEnv, auto_env

__all__ = ["auto_env"]  # the fixture, shared

OTHER_USER = "nobody"


@pytest.fixture
def as_other_user() -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    if shutil.which("etcdctl") is None:
        pytest.skip("etcdctl is not installed (make system-deps installs etcd-client)")
    if os.geteuid() != 0:
        pytest.skip(f"running etcdctl as {OTHER_USER} needs root")

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["etcdctl", "--dial-timeout=1s", "--command-timeout=2s", *argv],
            user=OTHER_USER,
            env={"ETCDCTL_API": "3", "PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    yield run


def _consensus(env: LocalEnv) -> Consensus:
    settings = autofailover.load(env.state_dir)
    assert settings is not None
    return Consensus(env.state_dir, settings.members)


def _endpoint(env: LocalEnv, scheme: str) -> str:
    settings = autofailover.load(env.state_dir)
    assert settings is not None
    return f"--endpoints={scheme}://127.0.0.1:{settings.members[0].client_port}"


def test_rejects_a_local_user_without_the_certificates(
    auto_env: AutoEnv, as_other_user: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    env = auto_env()
    primary = env.status()["roles"]["primary"]
    consensus = _consensus(env)
    leader = consensus.leader()
    assert leader is not None and leader.name == primary
    key = consensus.prefix + "leader"
    tls = etcd.tls_dir(env.state_dir)
    attempts = [
        # Take the leader key, revoke the leader's lease, read everything: over TLS without a
        # client certificate, over plain HTTP, and with the environment's own files.
        ("put", key, "forged", "--insecure-skip-tls-verify", _endpoint(env, "https")),
        ("put", key, "forged", _endpoint(env, "http")),
        ("lease", "revoke", f"{leader.lease_id:x}", "--insecure-skip-tls-verify", _endpoint(env, "https")),
        ("get", "--prefix", "/", "--insecure-skip-tls-verify", _endpoint(env, "https")),
        ("get", "--prefix", "/", _endpoint(env, "https"), f"--cacert={tls / 'ca.pem'}",
         f"--cert={tls / 'client.pem'}", f"--key={tls / 'client.key'}"),
    ]  # fmt: skip
    for argv in attempts:
        done = as_other_user(*argv)
        assert done.returncode != 0, (argv, done.stdout)
    for private in ("client.key", "member.key"):
        assert (tls / private).stat().st_mode & 0o077 == 0
    assert (env.state_dir / "etcd").stat().st_mode & 0o077 == 0
    time.sleep(2 * 1.0)  # a lease: had anything worked, a failover would have started by now
    after = consensus.leader()
    assert after is not None and after.name == primary and after.lease_id == leader.lease_id
    assert env.status()["roles"]["primary"] == primary


def test_a_forged_report_for_a_lagging_replica_does_not_win(auto_env: AutoEnv) -> None:
    # db "behind" lags (SQL thread stopped); a report claims it is far ahead, under a long lease,
    # and its agent is paused so nothing overwrites it. The election reads the servers themselves.
    env = auto_env(replicas=2)
    state = env.store.load()
    assert state is not None
    behind, ahead = state.replicas
    with env.servers.ops_connection(behind) as conn:
        conn.cursor().execute("STOP SLAVE SQL_THREAD")
    with env.connect("primary") as conn:
        cur = conn.cursor()
        cur.execute("CREATE DATABASE IF NOT EXISTS drill")
        cur.execute("CREATE TABLE drill.forged (id INT AUTO_INCREMENT PRIMARY KEY)")
        cur.execute("INSERT INTO drill.forged () VALUES (), ()")
    agent_pid = int((autofailover.agent_dir(env.state_dir) / f"{behind}.pid").read_text())
    os.kill(agent_pid, signal.SIGSTOP)
    try:
        consensus = _consensus(env)
        lease = consensus.grant(120)
        forged = {"name": behind, "healthy": True, "role": "replica", "gtid": "0-1-999999",
                  "read_only": True, "diverged": False, "at": time.time()}  # fmt: skip
        consensus.report(behind, forged, lease)
        assert json.loads(json.dumps(consensus.reports()[behind]))["gtid"] == "0-1-999999"
        old = state.roles.primary
        env.kill("primary")
        deadline = time.monotonic() + 20
        while env.store.load().roles.primary == old:  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "no promotion: the forged report blocked the election"
            time.sleep(0.05)
        assert env.store.current().roles.primary == ahead
        consensus.revoke(lease)
    finally:
        os.kill(agent_pid, signal.SIGCONT)
