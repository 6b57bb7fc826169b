"""The Makefile's first-minute behaviour: help, the Python version gate, the venv rebuild, `down`
installing nothing, what `demo` installs.

GNU make runs for real, from a copy of the Makefile in a temporary directory with stand-in
interpreters, so nothing here touches the real .venv.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def _fake_python(path: Path, version: str, log: Path) -> Path:
    """A stand-in interpreter: logs its arguments, answers the version query with ``version``
    ("3 12 3.12.0"), and for ``-m venv DIR`` makes DIR/bin/python a copy of itself."""
    path.write_text(
        "#!/bin/sh\n"
        f'echo "$0 $*" >> {log}\n'
        'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then\n'
        '  mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit 0\n'
        "fi\n"
        'if [ "$1" = "-c" ]; then echo "' + version + '"; exit 0; fi\n'
        "exit 0\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    return tmp_path


def _make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )


@needs_make
def test_bare_make_lists_the_targets_and_installs_nothing(project: Path) -> None:
    bare = _make(project)
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout == _make(project, "help").stdout
    listed = dict(re.findall(r"^  (\S+) +(.+)$", bare.stdout, re.MULTILINE))
    for target in ("demo", "test", "down", "clean", "mutation", "help"):
        assert listed.get(target), f"{target} missing from make help"
    assert not (project / ".venv").exists()


@needs_make
@pytest.mark.parametrize(("version", "shown"), [("3 10 3.10.13", "3.10.13"), ("2 7 2.7.18", "2.7.18")])
def test_fails_at_once_on_python_older_than_3_11(project: Path, version: str, shown: str) -> None:
    log = project / "calls.log"
    old = _fake_python(project / "oldpython", version, log)
    done = _make(project, f"PYTHON={old}", "demo")
    assert done.returncode != 0
    assert "needs Python 3.11 or newer" in done.stderr
    assert f"is Python {shown}" in done.stderr
    assert not (project / ".venv").exists()
    # Only the version query ran: no venv, no apt, no install.
    assert all(" -c " in line for line in log.read_text().splitlines())


@needs_make
def test_fails_at_once_when_the_interpreter_is_missing(project: Path) -> None:
    done = _make(project, "PYTHON=/nonexistent/python3", "demo")
    assert done.returncode != 0
    assert "/nonexistent/python3 not found" in done.stderr


@needs_make
def test_rebuilds_a_venv_made_by_another_python_version(project: Path) -> None:
    log = project / "calls.log"
    python = _fake_python(project / "python312", "3 12 3.12.1", log)
    _fake_python(project / "stale", "3 10 3.10.13", log)
    (project / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(project / "stale", project / ".venv" / "bin" / "python")
    (project / ".venv" / "marker").write_text("old venv")

    done = _make(project, f"PYTHON={python}", "venv-python")
    assert done.returncode == 0, done.stderr
    assert "rebuilding .venv: it runs Python 3.10" in done.stdout
    assert "is Python 3.12" in done.stdout
    assert not (project / ".venv" / "marker").exists()
    assert f"{python} -m venv .venv" in log.read_text()

    # Same version now: kept as it is.
    (project / ".venv" / "marker").write_text("new venv")
    again = _make(project, f"PYTHON={python}", "venv-python")
    assert again.returncode == 0, again.stderr
    assert "rebuilding" not in again.stdout
    assert (project / ".venv" / "marker").exists()


@needs_make
def test_down_installs_nothing_and_runs_without_a_venv(project: Path) -> None:
    log = project / "calls.log"
    python = _fake_python(project / "python3", "3 11 3.11.7", log)
    done = _make(project, f"PYTHON={python}", "down")
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [f"{python} -m scripts.local_env down"]
    assert not (project / ".venv").exists()


@needs_make
def test_down_uses_the_venv_python_when_there_is_one(project: Path) -> None:
    log = project / "calls.log"
    python = _fake_python(project / "python3", "3 11 3.11.7", log)
    (project / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(python, project / ".venv" / "bin" / "python")
    done = _make(project, f"PYTHON={python}", "down")
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [".venv/bin/python -m scripts.local_env down"]


@needs_make
def test_demo_installs_the_runtime_requirements_only(project: Path) -> None:
    dry = _make(project, "-n", "demo").stdout
    assert "-r requirements.txt -e ." in dry
    assert "requirements-dev.txt" not in dry
    assert "-r requirements-dev.txt" in _make(project, "-n", "test").stdout
