"""The package as people install it: a wheel built from the sources, installed into a throwaway
venv, and its `mysql-platform` console script run for real.

The wheel is built offline (tests.support.wheel: the build backend comes from the dev
requirements, no build isolation) from a copy of the sources, so the checkout gets no build/ or
egg-info. The throwaway venv has no pip and installs no dependencies: a .pth file lends it the
project venv's site-packages (pulumi, the MySQL connector), while the package itself is the copy
installed from the wheel, which comes first on sys.path. The installs with their extras from
PyPI, in fresh venvs: test_wheel_installs.py.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from tests.support.wheel import ROOT, build_wheel

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a throwaway venv with the package installed from a freshly built wheel."""
    work = tmp_path_factory.mktemp("console-script")
    wheel = build_wheel(work)

    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).check_returncode()
    python = venv / "bin" / "python"
    install = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-q", str(wheel)]
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
    ).stdout.strip()
    Path(purelib, "zz_project_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv / "bin"


def _console(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([str(bin_dir / "mysql-platform"), *args], cwd=cwd)


def test_the_wheel_installs_the_package_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = _run(
        [str(installed / "python"), "-c", "import mysql_platform.cli.main as m; print(m.__file__)"],
        cwd=tmp_path,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.parent)


def test_version(installed: Path, tmp_path: Path) -> None:
    done = _console(installed, "--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"mysql-platform {VERSION}"


def test_local_help_is_the_local_environment_help(installed: Path, tmp_path: Path) -> None:
    done = _console(installed, "local", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: mysql-platform local "), done.stdout
    for command in ("up", "down", "status", "failover", "--state-dir"):
        assert command in done.stdout
    assert done.stderr == ""
    # Installed, outside any project: the state dir is the current directory's, never site-packages.
    where = _run(
        [
            str(installed / "python"),
            "-c",
            "from mysql_platform.local.env import DEFAULT_STATE_DIR as d; print(d)",
        ],
        cwd=tmp_path,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip() == str(tmp_path.resolve() / ".local")


@pytest.mark.parametrize(
    ("command", "expected"), [("stack", "preview"), ("bootstrap", "--outputs"), ("migrate", "baseline")]
)
def test_other_commands_help(installed: Path, tmp_path: Path, command: str, expected: str) -> None:
    done = _console(installed, "--quiet", command, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: mysql-platform {command} "), done.stdout
    assert expected in done.stdout
    assert done.stderr == ""


def test_unknown_command_exits_2(installed: Path, tmp_path: Path) -> None:
    done = _console(installed, "no-such-command", cwd=tmp_path)
    assert done.returncode == 2
    assert "invalid choice: 'no-such-command'" in done.stderr


def test_a_checkout_shim_shows_the_same_usage() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.migrate", "info", "--target", "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.startswith("usage: mysql-platform migrate info "), done.stderr
