"""`mysql-platform init DIR` where other processes take part: git reads the .gitignore it writes,
`plan` runs in the project it made, and a write fails midway under a real file-size limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mysql_platform.cli import init
from mysql_platform.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def _names(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def test_the_gitignore_keeps_the_secrets_out(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == 0
    for name in ("secret.password", ".local/secrets.json", "outputs.json", "client-app.cnf", "tls.key"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    ignored = subprocess.run(
        ["git", "-C", str(tmp_path), "check-ignore", "secret.password", ".local/secrets.json",
         "outputs.json", "client-app.cnf", "tls.key"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert len(ignored.stdout.split()) == 5, ignored.stdout


def _plan(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mysql_platform.cli.main", "plan", "dev"],
        cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )  # fmt: skip


def test_plan_runs_inside_the_new_project_on_its_own_stack_file(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    assert init.main([str(target)]) == 0
    done = _plan(target)
    assert done.returncode == 0, done.stderr
    assert "policy:" in done.stdout
    # The project's own stack file is the one read, not the checkout's.
    stack = target / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("config:", "config:\n  mysql-platform:azCount: 7", 1))
    done = _plan(target)
    assert done.returncode == 2, done.stderr
    assert "azCount: got 7" in done.stderr


def _init_with_file_size_limit(target: Path, limit: int) -> subprocess.CompletedProcess[str]:
    # A real write error midway: the process may not write a file larger than `limit` bytes
    # (RLIMIT_FSIZE; Python ignores SIGXFSZ, so the write fails with EFBIG).
    code = (
        "import resource, sys\n"
        "hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, hard))\n"
        "from mysql_platform.cli.init import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def _limit_that_fails_only_pulumi_yaml() -> int:
    sizes = {
        str(relative): len(source.read_bytes()) if isinstance(source, Path) else len(source.encode())
        for relative, source in init.planned_files().items()
    }
    limit = sizes.pop("Pulumi.yaml") - 1
    assert max(sizes.values()) < limit, sizes  # every other file fits: the failure is midway
    return limit


def test_a_write_failing_midway_removes_the_files_and_the_dirs_it_made(tmp_path: Path) -> None:
    done = _init_with_file_size_limit(tmp_path / "new" / "project", _limit_that_fails_only_pulumi_yaml())
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"mysql-platform init: cannot write '{tmp_path / 'new' / 'project' / 'Pulumi.yaml'}': "
        "File too large; removed what this run had written\n"
    )
    assert _names(tmp_path) == []


def test_a_write_failing_midway_keeps_what_was_there_before(tmp_path: Path) -> None:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "V900__mine.sql").write_text("mine\n")
    done = _init_with_file_size_limit(tmp_path, _limit_that_fails_only_pulumi_yaml())
    assert done.returncode == 2, done.stderr
    assert "File too large; removed what this run had written" in done.stderr
    assert _names(tmp_path) == ["sql", "sql/V900__mine.sql"]
    assert (tmp_path / "sql" / "V900__mine.sql").read_text() == "mine\n"
