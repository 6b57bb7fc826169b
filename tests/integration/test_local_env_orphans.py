"""The local environment never orphans its processes (real MariaDB and HAProxy on loopback).

``down`` finds the processes of its state dir by their command lines when the state file is
gone or corrupt, and stops exactly those (never another environment's, never a look-alike);
``make clean`` runs ``down`` before it deletes the state dir; ``up`` refuses a corrupt state in
one line that says what to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.local.env import LocalEnv, missing_binaries, start_fresh
from tests.support.probes import listening, pid_alive, scalar

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
NAMES = ("primary", "replica", "haproxy")


# --- helpers ----------------------------------------------------------------------


def _wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """The pids still alive after ``timeout`` (a process may linger a moment as a zombie)."""
    deadline = time.monotonic() + timeout
    while (alive := [p for p in pids if pid_alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return alive


def _pids(env: LocalEnv) -> list[int]:
    pids = [env.pid(n) for n in NAMES]
    assert all(p is not None and pid_alive(p) for p in pids), pids
    return [p for p in pids if p is not None]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class _Snapshot:
    """What an environment runs, taken while its state is intact, to check (and clean up) afterwards."""

    def __init__(self, env: LocalEnv) -> None:
        self.state_dir = env.state_dir
        self.pids = _pids(env)
        self.ports = env.all_ports()

    def survivors(self) -> list[int]:
        return _wait_gone(self.pids, timeout=2.0)

    def listening(self) -> list[int]:
        return [p for p in self.ports if listening(p)]

    def kill_leftovers(self) -> None:
        """Test cleanup when the code under test left processes behind: only ours, by pid."""
        for pid in self.pids:
            if pid_alive(pid) and str(self.state_dir) in _cmdline(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        _wait_gone(self.pids)


@pytest.fixture
def fresh_env(tmp_path: Path) -> Iterator[tuple[LocalEnv, _Snapshot]]:
    """A running environment of this test; whatever the test leaves running is killed by pid."""
    if missing_binaries():
        pytest.skip(f"local environment needs {', '.join(missing_binaries())}")
    env = start_fresh(tmp_path / "env")
    snap = _Snapshot(env)
    try:
        yield env, snap
    finally:
        with contextlib.suppress(Exception):
            LocalEnv(snap.state_dir).down(purge=True)
        snap.kill_leftovers()
        shutil.rmtree(snap.state_dir, ignore_errors=True)


def _cli(state_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a person runs it, in its own process (a traceback would show on stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.local_env", "--state-dir", str(state_dir), *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


CORRUPTIONS = {
    "truncated": '{"version": 1, "servers": {"db1": {"port": 2',
    "not-an-object": "null",
    "missing-keys": '{"version": 1, "initialized": true}',
    "bad-port": None,  # filled in from the real state: a port that is not a number
}


def _corrupt(env: LocalEnv, kind: str) -> None:
    if kind == "bad-port":
        state = json.loads(env.state_path.read_text())
        state["servers"]["db1"]["port"] = "not-a-port"
        env.state_path.write_text(json.dumps(state))
    elif kind == "deleted":
        env.state_path.unlink()
    else:
        text = CORRUPTIONS[kind]
        assert text is not None
        env.state_path.write_text(text)


# --- 10. orphans: down finds its processes without (or with a corrupt) state ----------------


def test_down_stops_everything_after_the_state_dir_was_deleted(fresh_env: Any) -> None:
    env, snap = fresh_env
    shutil.rmtree(env.state_dir)  # what `make clean` used to do under a running environment

    done = _cli(env.state_dir, "down")

    assert done.returncode == 0, done.stderr
    assert snap.survivors() == []
    assert snap.listening() == []
    # It says what it stopped, not "down in 0.00 s" over three running processes.
    assert "stopped 3 processes" in done.stdout
    assert not env.state_dir.exists(), "down must not recreate a deleted state dir"


@pytest.mark.parametrize("kind", ["deleted", "truncated", "not-an-object", "missing-keys", "bad-port"])
def test_down_stops_everything_with_a_missing_or_corrupt_state_file(fresh_env: Any, kind: str) -> None:
    env, snap = fresh_env
    _corrupt(env, kind)
    before = env.state_path.read_bytes() if env.state_path.exists() else None

    done = _cli(env.state_dir, "down")

    assert done.returncode == 0, done.stderr
    assert snap.survivors() == []
    assert snap.listening() == []
    assert "stopped 3 processes" in done.stdout
    # Without --purge the data and the (corrupt) file stay, for a human to look at.
    assert (env.state_dir / "db1" / "data").is_dir()
    assert (env.state_path.read_bytes() if env.state_path.exists() else None) == before


@pytest.mark.parametrize("kind", ["truncated", "not-an-object", "missing-keys", "bad-port"])
def test_down_purge_with_a_corrupt_state_stops_everything_and_deletes_the_dir(
    fresh_env: Any, kind: str
) -> None:
    env, snap = fresh_env
    _corrupt(env, kind)

    done = _cli(env.state_dir, "down", "--purge")

    assert done.returncode == 0, done.stderr
    assert snap.survivors() == []
    assert snap.listening() == []
    assert not env.state_dir.exists()


@pytest.mark.parametrize("kind", ["truncated", "not-an-object", "missing-keys", "bad-port"])
def test_rejects_up_on_a_corrupt_state_in_one_line_that_says_what_to_do(fresh_env: Any, kind: str) -> None:
    env, snap = fresh_env
    _corrupt(env, kind)

    done = _cli(env.state_dir, "up")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(env.state_dir) in lines[0] and "state.json" in lines[0] and "down --purge" in lines[0]
    # up refuses; it does not stop (or start) anything.
    assert [p for p in snap.pids if pid_alive(p)] == snap.pids


def test_rejects_up_while_processes_of_a_lost_state_still_run(fresh_env: Any) -> None:
    env, snap = fresh_env
    env.state_path.unlink()

    done = _cli(env.state_dir, "up")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "run `mysql-platform local down`" in done.stderr
    for pid in snap.pids:
        assert str(pid) in done.stderr
    # Not a second topology beside the orphans: the old one still runs, alone.
    assert [p for p in snap.pids if pid_alive(p)] == snap.pids
    assert not env.state_path.exists()


def test_down_never_stops_another_environment_or_a_look_alike(tmp_path: Path) -> None:
    """Match exact config paths of this state dir, by program: not a prefix, not any process."""
    if missing_binaries():
        pytest.skip(f"local environment needs {', '.join(missing_binaries())}")
    # "env" is a prefix of "env1": a substring match would take the neighbour's processes too.
    mine, neighbour = start_fresh(tmp_path / "env"), None
    snaps = [_Snapshot(mine)]
    decoy = None
    try:
        neighbour = start_fresh(tmp_path / "env1")
        snaps.append(_Snapshot(neighbour))
        # A process that is not a server but names our config files, as `tail -f` or an editor would.
        decoy = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(120)",
             f"--defaults-file={mine.state_dir}/db1/my.cnf", "-f", f"{mine.state_dir}/haproxy/haproxy.cfg"],
        )  # fmt: skip
        shutil.rmtree(mine.state_dir)

        done = _cli(mine.state_dir, "down")

        assert done.returncode == 0, done.stderr
        assert snaps[0].survivors() == []
        assert decoy.poll() is None, "down killed a process that only names our files"
        assert [p for p in snaps[1].pids if pid_alive(p)] == snaps[1].pids
        assert scalar(neighbour, "writer", "SELECT 1") == 1
    finally:
        if decoy is not None:
            decoy.kill()
            decoy.wait()
        if neighbour is not None:
            neighbour.down(purge=True)
        for snap in snaps:
            snap.kill_leftovers()


def test_down_after_a_long_state_dir_was_deleted_also_removes_its_socket_dir(tmp_path: Path) -> None:
    if missing_binaries():
        pytest.skip(f"local environment needs {', '.join(missing_binaries())}")
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    env = start_fresh(deep)
    snap = _Snapshot(env)
    socket_dir = Path(json.loads(env.state_path.read_text())["socket_dir"])
    assert not socket_dir.is_relative_to(deep)
    try:
        shutil.rmtree(deep)

        done = _cli(deep, "down")

        assert done.returncode == 0, done.stderr
        assert snap.survivors() == []
        assert not socket_dir.exists()
    finally:
        snap.kill_leftovers()
        shutil.rmtree(socket_dir, ignore_errors=True)


def _project_copy(root: Path, *, with_venv: bool) -> Path:
    """A directory laid out like the checkout, so `make clean` runs there and not on our own .local."""
    root.mkdir()
    for name in ("scripts", "components", "mysql_platform"):
        (root / name).symlink_to(REPO_ROOT / name)
    if with_venv:
        venv = Path(sys.prefix)
        assert (venv / "bin" / "python").exists(), f"tests run outside a venv ({sys.prefix})"
        (root / ".venv").symlink_to(venv)
    return root


def _make_clean(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-f", str(REPO_ROOT / "Makefile"), "clean"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("with_venv", [True, False], ids=["venv", "no-venv"])
def test_make_clean_stops_a_running_environment_before_deleting_it(tmp_path: Path, with_venv: bool) -> None:
    if missing_binaries() or shutil.which("make") is None:
        pytest.skip("needs the local environment binaries and make")
    root = _project_copy(tmp_path / "checkout", with_venv=with_venv)
    env = start_fresh(root / ".local")
    snap = _Snapshot(env)
    try:
        done = _make_clean(root)

        assert done.returncode == 0, done.stdout + done.stderr
        assert snap.survivors() == []
        assert snap.listening() == []
        assert not (root / ".local").exists()
    finally:
        snap.kill_leftovers()


@pytest.mark.parametrize("with_state_dir", [False, True], ids=["no-state-dir", "nothing-running"])
def test_make_clean_without_a_venv_or_anything_running_succeeds(tmp_path: Path, with_state_dir: bool) -> None:
    if shutil.which("make") is None:
        pytest.skip("needs make")
    root = _project_copy(tmp_path / "checkout", with_venv=False)
    if with_state_dir:
        (root / ".local" / "db1").mkdir(parents=True)
    (root / ".ruff_cache").mkdir()

    done = _make_clean(root)

    assert done.returncode == 0, done.stdout + done.stderr
    assert not (root / ".local").exists() and not (root / ".ruff_cache").exists()
