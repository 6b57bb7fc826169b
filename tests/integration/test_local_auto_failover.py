"""The local automatic failover: etcd and one agent per server, no command run. Real etcd, real
MariaDB, real HAProxy; the drills of ``bench/failover_drill.py --auto``, once each."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mysql_platform import router
from mysql_platform.cli import local as local_cli
from mysql_platform.local import auto_drills, autofailover, etcd
from mysql_platform.local.drill import run_drill
from mysql_platform.local.env import LocalEnv
from mysql_platform.local.procs import missing_binaries
from tests.support.probes import execute, servers_lacking

AutoEnv = Callable[..., LocalEnv]


@pytest.fixture
def auto_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AutoEnv]:
    missing = [*missing_binaries(), *([] if shutil.which("etcd") else ["etcd"])]
    if missing:
        pytest.skip(f"auto-failover needs {', '.join(missing)} (install: make system-deps)")
    made: list[LocalEnv] = []

    def make(*, semi_sync: bool = False, members: int = 1, replicas: int = 1) -> LocalEnv:
        path = tmp_path_factory.mktemp("auto")
        argv = ["--state-dir", str(path), "up", "--auto-failover", "--etcd-members", str(members),
                "--replicas", str(replicas)]  # fmt: skip
        env = LocalEnv(path, semi_sync=semi_sync)
        made.append(env)  # torn down even when its `up` fails
        with contextlib.redirect_stdout(io.StringIO()):
            assert local_cli.main(argv + (["--semi-sync"] if semi_sync else [])) == 0
        return env

    yield make
    for env in made:
        env.down(purge=True)


def _wait(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _router_over(env: LocalEnv) -> Callable[[], router.Router]:
    return lambda: router.connect(env.outputs_path, user="admin", password=env.admin_password)


def _leader(env: LocalEnv) -> str | None:
    summary = env.status().get("auto_failover") or {}
    return summary.get("leader")


def test_up_starts_etcd_and_agents_status_shows_them_and_down_stops_them(auto_env: AutoEnv) -> None:
    env = auto_env()
    status = env.status()
    assert status["healthy"], status["problems"]
    auto = status["auto_failover"]
    assert auto["leader"] == status["roles"]["primary"] and auto["lease_ttl_s"] == 1
    assert [m["alive"] for m in auto["etcd"]] == [True]
    assert {s: a["alive"] for s, a in auto["agents"].items()} == {"db1": True, "db2": True}
    assert auto["agents"]["db2"]["view"]["role"] == "replica"
    names = sorted(p.name for p in env.processes())
    assert names == ["agent-db1", "agent-db2", "db1", "db2", "etcd1", "haproxy"]
    stopped = env.down()
    assert sorted(p.name for p in stopped) == names and env.processes() == []


def test_a_killed_primary_is_replaced_with_no_command(auto_env: AutoEnv) -> None:
    env = auto_env()
    old = env.status()["roles"]["primary"]
    result = run_drill(env, auto=True, detect_timeout_s=15)
    assert result.acked_after_failover > 0
    new = env.status()["roles"]["primary"]
    assert new != old and _leader(env) == new
    writer = json.loads(env.outputs_path.read_text())["db"]["writer"]["port"]
    assert writer == env.port("primary")


def test_with_semi_sync_no_acknowledged_write_is_lost(auto_env: AutoEnv) -> None:
    env = auto_env(semi_sync=True)
    result = run_drill(env, auto=True, detect_timeout_s=15)
    assert result.lost_acked == 0 and result.acked_before_kill > 0 and result.acked_after_failover > 0


@pytest.mark.parametrize("pause_agent", [False, True], ids=["server-hung", "machine-paused"])
@pytest.mark.parametrize("semi_sync", [False, True], ids=["async", "semi-sync"])
def test_a_hung_primary_acknowledges_nothing_it_queued_and_rejoins_after_up(
    auto_env: AutoEnv, semi_sync: bool, pause_agent: bool
) -> None:
    # Clients connected before the hang (its own port, HAProxy, the router) each send one INSERT
    # into it. It is killed before it can resume (by its watchdog, or by the promoting agent when
    # the watchdog is paused too), so none of those is acknowledged, and none is lost.
    env = auto_env(semi_sync=semi_sync)
    old = env.status()["roles"]["primary"]
    result = auto_drills.hang_drill(env, pause_agent=pause_agent, open_router=_router_over(env))
    assert result.sent == 9
    assert result.lost == 0 and result.acked == 0, result
    assert result.old_primary_killed, result
    assert result.waited_max_s < 15, result
    assert result.rejoined, result
    status = env.status()
    assert status["roles"]["primary"] != old and status["healthy"], status["problems"]


def test_without_etcd_nobody_is_promoted_and_the_primary_stops_writes(auto_env: AutoEnv) -> None:
    env = auto_env()
    result = auto_drills.etcd_outage_drill(env, outage_s=3.0)
    assert not result.promoted
    assert result.primary_fenced
    _wait(lambda: env.status()["healthy"])


def test_a_planned_switchover_with_agents_moves_the_leader_too(auto_env: AutoEnv) -> None:
    env = auto_env()
    old = env.status()["roles"]["primary"]
    blocked = auto_drills.switchover_block(env)
    assert blocked < 30  # writes resumed (the figure itself is the benchmark's)
    new = env.status()["roles"]["primary"]
    assert new != old
    _wait(lambda: _leader(env) == new)
    _wait(lambda: env.status()["healthy"])


def test_three_members_keep_quorum_with_one_down(auto_env: AutoEnv) -> None:
    env = auto_env(members=3)
    settings = autofailover.load(env.state_dir)
    assert settings is not None and len(settings.members) == 3
    os.kill(int(etcd.pid_file(env.state_dir, "etcd3").read_text()), signal.SIGKILL)
    old = env.status()["roles"]["primary"]
    env.kill("primary")
    _wait(lambda: env.status()["roles"]["primary"] != old)
    auto = env.status()["auto_failover"]
    assert [m["alive"] for m in auto["etcd"]] == [True, True, False]
    assert auto["leader"] == env.status()["roles"]["primary"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--etcd-members", "2"], "expected 1, or 3"), (["--lease-ttl", "0"], "leases of 1 s and more")],
)
def test_bad_settings_are_refused(
    tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = local_cli.main(["--state-dir", str(tmp_path / "env"), "up", "--auto-failover", *extra])
    assert code == 1 and message in capsys.readouterr().err
    assert not (tmp_path / "env").exists()  # refused before anything started


def test_agents_do_not_outlive_their_environment(auto_env: AutoEnv) -> None:
    # A state dir deleted without `down` (its settings file gone): the agents exit by themselves.
    env = auto_env()
    agents = [p for p in env.processes() if p.name.startswith("agent-")]
    assert len(agents) == 2
    autofailover.config_path(env.state_dir).unlink()
    _wait(lambda: not [p for p in env.processes() if p.name.startswith("agent-")], timeout=5)


def test_two_replicas_the_more_advanced_wins_and_the_other_follows_it(auto_env: AutoEnv) -> None:
    env = auto_env(replicas=2)
    status = env.status()
    assert status["healthy"], status["problems"]
    assert len(json.loads(env.outputs_path.read_text())["db"]["readers"]) == 2
    result = auto_drills.two_replicas_drill(env)
    assert result.winner == result.expected
    assert result.follower_caught_up
    # The outputs are rewritten last, after the proxy: the drill may return just before.
    winner_port = env.store.current().servers[result.winner].port
    _wait(lambda: json.loads(env.outputs_path.read_text())["db"]["writer"]["port"] == winner_port, timeout=5)
    _wait(lambda: _leader(env) == result.winner)


def _up(env: LocalEnv) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return local_cli.main(["--state-dir", str(env.state_dir), "up"])


def test_up_after_an_automatic_failover_brings_the_former_primary_back_as_a_replica(
    auto_env: AutoEnv,
) -> None:
    env = auto_env(replicas=2)
    env.kill("primary")
    _wait(lambda: env.status()["roles"]["primary"] != "db1")
    new = env.status()["roles"]["primary"]
    _wait(lambda: _leader(env) == new)
    assert env.store.current().servers["db1"].needs_rejoin

    assert _up(env) == 0
    status = env.status()
    assert status["healthy"], status["problems"]
    assert status["roles"]["primary"] == new and not env.store.current().servers["db1"].needs_rejoin
    assert status["auto_failover"]["agents"]["db1"]["view"]["role"] == "replica"
    execute(env, "writer", "CREATE DATABASE after_rejoin")
    assert servers_lacking(env, "after_rejoin") == []


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh-folder", "servers-already-up"])
def test_two_ups_at_once_start_one_etcd_and_one_agent_per_server(tmp_path: Path, fresh: bool) -> None:
    if missing_binaries() or not shutil.which("etcd"):
        pytest.skip("auto-failover needs the local environment's binaries and etcd")
    state_dir = tmp_path / "env"
    cli = [sys.executable, "-m", "scripts.local_env", "--state-dir", str(state_dir), "up", "--auto-failover"]
    env = LocalEnv(state_dir)
    try:
        if not fresh:
            # Both `up`s then reach etcd and the agents at once (their servers part takes no time).
            env.up()
        procs = [subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        names = sorted(p.name for p in env.processes())
        assert names == ["agent-db1", "agent-db2", "db1", "db2", "etcd1", "haproxy"]
        # The pid files name the processes that run (no dead etcd pid), on the settings' ports.
        status = env.status()
        assert status["healthy"], status["problems"]
    finally:
        env.down(purge=True)


def test_status_is_not_healthy_while_the_primary_is_read_only(auto_env: AutoEnv) -> None:
    env = auto_env()
    with env.ops_cursor("primary") as cur:
        cur.execute("SET GLOBAL read_only = ON")  # not the agent's fence: it stays
    status = env.status()
    assert not status["healthy"]
    assert [p for p in status["problems"] if p.startswith("the primary db1 is read-only (fenced): ")]
    assert status["auto_failover"]["leader"] == "db1"  # its agent still leads and reports
