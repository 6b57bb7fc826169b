"""The wheel as services install it: fresh venvs with no checkout on sys.path, run from an empty
temporary directory, dependencies from PyPI (uv, the project venv's own; pip when it is absent).

- ``[router]``: routing imports and pulls in no Pulumi; the commands that need the full install
  say which extra to install, in one line, exit 2.
- ``[full]``: ``plan dev`` from an empty directory (the packaged project), ``init DIR`` then
  ``plan dev`` inside it, and the Automation API naming the missing Pulumi CLI (exit 6).
- ``[analytics]``: its modules import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mysql_platform.errors import EXIT_CLI_MISSING
from tests.support.wheel import build_from, build_wheel

UV = Path(sys.executable).parent / "uv"
# No PYTHONPATH, no checkout: PATH has the venv's bin and the system's, and no `pulumi`.
SYSTEM_PATH = "/usr/bin:/bin"


def _env(venv: Path, home: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR")}
    return {**keep, "PATH": f"{venv / 'bin'}:{SYSTEM_PATH}", "HOME": str(home)}


def _make_venv(wheel: Path, extra: str, where: Path) -> Path:
    """A fresh venv with ``wheel[extra]`` installed; prints how long it took."""
    started = time.monotonic()
    venv = where / f"venv-{extra}"
    requirement = f"mysql-platform[{extra}] @ {wheel.as_uri()}"
    if UV.is_file():
        subprocess.run(
            [str(UV), "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120
        )
        install = [str(UV), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), requirement]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", requirement]
    done = subprocess.run(install, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    print(f"venv [{extra}]: {time.monotonic() - started:.1f} s", file=sys.stderr)
    return venv


def _run(venv: Path, argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=_env(venv, cwd), capture_output=True, text=True, timeout=300)


def _python(venv: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(venv, [str(venv / "bin" / "python"), "-c", code], cwd)


def _console(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(venv, [str(venv / "bin" / "mysql-platform"), *args], cwd)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def router_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_venv(wheel, "router", tmp_path_factory.mktemp("router"))


@pytest.fixture(scope="module")
def full_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_venv(wheel, "full", tmp_path_factory.mktemp("full"))


@pytest.fixture(scope="module")
def analytics_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_venv(wheel, "analytics", tmp_path_factory.mktemp("analytics"))


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    work = tmp_path / "empty"
    work.mkdir()
    return work


# --- [router] -----------------------------------------------------------------------------------


def test_router_imports_from_the_installed_copy_without_pulumi(router_venv: Path, empty: Path) -> None:
    done = _python(
        router_venv,
        "import sys, mysql_platform\n"
        "from mysql_platform import router\n"
        "print(mysql_platform.__file__)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'yaml', 'semver')))\n",
        empty,
    )
    assert done.returncode == 0, done.stderr
    where, loaded = done.stdout.strip().splitlines()
    assert Path(where).is_relative_to(router_venv)
    assert loaded == "[]"


def test_router_install_has_no_pulumi(router_venv: Path, empty: Path) -> None:
    done = _python(router_venv, "import pulumi", empty)
    assert done.returncode != 0
    assert "No module named 'pulumi'" in done.stderr


@pytest.mark.parametrize("argv", [["plan", "dev"], ["stack", "preview", "dev"], ["stack", "outputs", "dev"]])
def test_router_install_names_the_missing_extra_in_one_line(
    router_venv: Path, empty: Path, argv: list[str]
) -> None:
    done = _console(router_venv, *argv, cwd=empty)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "pip install 'mysql-platform[full]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_router_install_runs_the_commands_that_need_no_extra(router_venv: Path, empty: Path) -> None:
    done = _console(router_venv, "--version", cwd=empty)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("mysql-platform ")


# --- [full] -------------------------------------------------------------------------------------


def test_plan_from_an_empty_dir_reads_the_packaged_project(full_venv: Path, empty: Path) -> None:
    done = _console(full_venv, "plan", "dev", cwd=empty)
    assert done.returncode == 0, done.stderr
    assert "policy:" in done.stdout
    assert list(empty.iterdir()) == []  # read only: nothing written beside the user


def test_init_then_plan_inside_the_new_project(wheel: Path, full_venv: Path, empty: Path) -> None:
    made = _console(full_venv, "init", "mine", cwd=empty)
    assert made.returncode == 0, made.stderr
    project = empty / "mine"
    # The venv was installed from the wheel file (PEP 610 direct_url.json): the line names it.
    line = (project / "requirements.txt").read_text().splitlines()[-1]
    assert line == f"mysql-platform[full] @ {wheel.as_uri()}"
    done = _console(full_venv, "plan", "dev", cwd=project)
    assert done.returncode == 0, done.stderr
    # Its own stack file is the one read: an out-of-range value there fails the plan.
    stack = project / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("config:", "config:\n  mysql-platform:azCount: 7", 1))
    bad = _console(full_venv, "plan", "dev", cwd=project)
    assert bad.returncode == 2
    assert "azCount: got 7" in bad.stderr
    again = _console(full_venv, "init", "mine", cwd=empty)
    assert again.returncode == 2
    assert "Pulumi.yaml" in again.stderr


def test_automation_imports_and_names_the_missing_pulumi_cli(full_venv: Path, empty: Path) -> None:
    assert _console(full_venv, "init", "svc", cwd=empty).returncode == 0
    done = _python(
        full_venv,
        "from pathlib import Path\n"
        "from mysql_platform.stack import automation\n"
        "state = 'file://' + str(Path('state').resolve())\n"
        "region = {'aws:region': 'eu-west-1'}\n"
        "opts = automation.Options(work_dir=Path('svc'), backend_url=state, config=region)\n"
        "try:\n"
        "    automation.preview('dev', opts)\n"
        "except automation.PulumiCliMissing as exc:\n"
        "    print('missing:', exc.exit_code, exc)\n",
        empty,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"missing: {EXIT_CLI_MISSING} ")
    assert "pulumi" in done.stdout.lower()
    cli = _console(full_venv, "stack", "preview", "dev", "--work-dir", "svc", cwd=empty)
    assert cli.returncode == EXIT_CLI_MISSING, cli.stderr
    assert "Traceback" not in cli.stderr


def test_stack_commands_refuse_the_packaged_copy(full_venv: Path, empty: Path) -> None:
    # They write Pulumi.<stack>.yaml into the work dir: outside a project they name `init`.
    done = _console(full_venv, "stack", "preview", "dev", cwd=empty)
    assert done.returncode == 2, done.stderr
    assert "mysql-platform init DIR" in done.stderr
    assert "Traceback" not in done.stderr


def test_automation_import_does_no_work(full_venv: Path, empty: Path) -> None:
    # Importing neither looks for the project directory nor starts anything: the default
    # Options (and its project directory) are made per call.
    done = _python(
        full_venv,
        "import subprocess, mysql_platform.project as p\n"
        "calls = []\n"
        "find = p.found_project_dir\n"
        "p.found_project_dir = lambda *a: calls.append(a) or find(*a)\n"
        "run = subprocess.Popen.__init__\n"
        "subprocess.Popen.__init__ = lambda *a, **k: calls.append(k) or run(*a, **k)\n"
        "import mysql_platform.stack.automation\n"
        "print(calls)\n",
        empty,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- [analytics] --------------------------------------------------------------------------------


def test_analytics_modules_import(analytics_venv: Path, empty: Path) -> None:
    done = _python(
        analytics_venv,
        "import importlib, pkgutil, mysql_platform.analytics as pkg\n"
        "names = [m.name for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names))\n",
        empty,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 5


def test_no_checkout_is_reachable(full_venv: Path, empty: Path) -> None:
    done = _python(full_venv, "import components", empty)
    assert done.returncode != 0
    assert shutil.which("pulumi", path=_env(full_venv, empty)["PATH"]) is None


def test_a_migration_deleted_since_the_last_build_is_not_shipped(wheel: Path) -> None:
    # pip builds in place and build/ outlives a build: the packaged sql/ is rebuilt, not added to.
    import zipfile

    source = wheel.parents[1] / "source"
    extra = source / "sql" / "V999__gone.sql"
    extra.write_text("SELECT 1;\n")
    with zipfile.ZipFile(build_from(source, wheel.parents[1] / "with-extra")) as built:
        assert "mysql_platform/data/sql/V999__gone.sql" in built.namelist()
    extra.unlink()
    with zipfile.ZipFile(build_from(source, wheel.parents[1] / "without-extra")) as built:
        assert "mysql_platform/data/sql/V999__gone.sql" not in built.namelist()
