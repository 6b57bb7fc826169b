"""`mysql-platform init DIR`: a project directory as `pulumi new` makes one, never overwriting."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from mysql_platform import __version__, project
from mysql_platform.cli import init
from mysql_platform.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
ROOT_FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "__main__.py")


def test_creates_the_missing_dir_with_the_project_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "project"
    assert main(["init", str(target)]) == 0
    for name in ROOT_FILES:
        assert (target / name).read_bytes() == (ROOT / name).read_bytes(), name
    sql = sorted(p.name for p in (ROOT / "sql").glob("*.sql"))
    assert sql and sorted(p.name for p in (target / "sql").iterdir()) == sql
    for name in sql:
        assert (target / "sql" / name).read_bytes() == (ROOT / "sql" / name).read_bytes()
    out = capsys.readouterr().out
    assert f"cd {target}" in out and "mysql-platform plan dev" in out


def _requirement_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


def test_requirements_from_a_checkout_name_its_directory(tmp_path: Path) -> None:
    # These tests run from a checkout: the line installs it (non-editable, as Pulumi's runtime
    # does), the only copy a fresh .venv can get; nothing is on a package index.
    assert main(["init", str(tmp_path)]) == 0
    text = (tmp_path / "requirements.txt").read_text()
    assert _requirement_lines(text) == [f"mysql-platform[full] @ {ROOT.as_uri()}"]
    assert f"wrote the line below from the checkout at {ROOT}." in text
    assert "replace it with `mysql-platform[full]==VERSION`" in text


WHEEL = "file:///srv/wheels/mysql_platform-0.1.0-py3-none-any.whl"


@pytest.mark.parametrize(
    ("checkout", "direct_url", "line"),
    [
        # A checkout runs: its directory, whatever metadata an install left beside it.
        (
            Path("/src/mp"),
            json.dumps({"url": WHEEL, "archive_info": {}}),
            "mysql-platform[full] @ file:///src/mp",
        ),
        # Installed from a wheel file, from a checkout dir (editable or not), from git.
        (None, json.dumps({"url": WHEEL, "archive_info": {"hashes": {}}}), f"mysql-platform[full] @ {WHEEL}"),
        (
            None,
            '{"url": "file:///src/mp", "dir_info": {"editable": true}}',
            "mysql-platform[full] @ file:///src/mp",
        ),
        (None, '{"url": "file:///src/mp", "dir_info": {}}', "mysql-platform[full] @ file:///src/mp"),
        (
            None,
            '{"url": "https://example.org/mp.git", "vcs_info": {"vcs": "git", "commit_id": "0a1b"}}',
            "mysql-platform[full] @ git+https://example.org/mp.git@0a1b",
        ),
        # From a package index (no direct_url.json), and a record that names no URL.
        (None, None, f"mysql-platform[full]=={__version__}"),
        (None, "{not json", f"mysql-platform[full]=={__version__}"),
    ],
    ids=["checkout", "wheel", "editable-dir", "dir", "git", "index", "unreadable-record"],
)
def test_requirements_name_the_copy_that_runs(
    monkeypatch: pytest.MonkeyPatch, checkout: Path | None, direct_url: str | None, line: str
) -> None:
    monkeypatch.setattr(project, "checkout_root", lambda: checkout)
    monkeypatch.setattr(init, "installed_direct_url", lambda: direct_url)
    assert _requirement_lines(init.requirements_text()) == [line]


def test_refuses_to_overwrite_names_every_existing_file_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("mine\n")
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "V001__create_tempdb.sql").write_text("mine\n")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Pulumi.yaml" in err and "sql/V001__create_tempdb.sql" in err and "nothing was written" in err
    assert (tmp_path / "Pulumi.yaml").read_text() == "mine\n"
    assert not (tmp_path / "Pulumi.dev.yaml").exists()


def test_a_file_in_place_of_the_dir_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").write_text("x")
    assert main(["init", str(tmp_path / "taken")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_a_dir_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 2
    assert "DIR" in capsys.readouterr().err


def _names(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def test_rejects_a_dangling_symlink_and_writes_nothing_through_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "d"
    target.mkdir()
    (target / "Pulumi.yaml").symlink_to(tmp_path / "victim")
    assert main(["init", str(target)]) == 2
    err = capsys.readouterr().err
    assert "already has Pulumi.yaml (a symlink);" in err and "nothing was written" in err
    assert not os.path.lexists(tmp_path / "victim")
    assert _names(target) == ["Pulumi.yaml"]


def test_rejects_a_symlinked_sql_dir_and_writes_nothing_into_its_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = tmp_path / "d"
    target.mkdir()
    (target / "sql").symlink_to(elsewhere)
    assert main(["init", str(target)]) == 2
    assert "already has sql (a symlink);" in capsys.readouterr().err
    assert list(elsewhere.iterdir()) == []
    assert _names(target) == ["sql"]


def test_rejects_a_file_in_place_of_sql_before_writing_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sql").write_text("mine\n")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "already has sql (not a directory);" in err and "nothing was written" in err
    assert _names(tmp_path) == ["sql"]


@pytest.mark.parametrize("swap", ["dangling requirements.txt", "sql symlink"])
def test_a_symlink_that_appears_after_the_checks_is_not_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], swap: str
) -> None:
    # The checks found nothing; the name appears before the write (another process, a race).
    # Both names come after files already written, so the run has something to remove.
    monkeypatch.setattr(init, "conflicts", lambda target, files: [])
    elsewhere = tmp_path / "elsewhere"
    target = tmp_path / "d"
    target.mkdir()
    if swap == "sql symlink":
        elsewhere.mkdir()
        (target / "sql").symlink_to(elsewhere)
    else:
        (target / "requirements.txt").symlink_to(elsewhere)
    assert main(["init", str(target)]) == 2
    err = capsys.readouterr().err
    name = "sql" if swap == "sql symlink" else "requirements.txt"
    assert f"cannot write '{target / name}" in err and "removed what this run had written" in err
    assert _names(target) == [name]
    assert not elsewhere.exists() or list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("record", ['{"url": "file:///srv/mp.whl", "archive_info": {}}', None])
def test_the_lookup_reads_direct_url_json_of_the_installed_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record: str | None
) -> None:
    # A distribution found first on sys.path, as an installer lays it out (PEP 610; none from an index).
    info = tmp_path / "mysql_platform-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mysql-platform\nVersion: 0.1.0\n")
    if record is not None:
        (info / "direct_url.json").write_text(record)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert init.installed_direct_url() == record


def test_the_next_steps_quote_dir_for_the_shell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "my db; rm -rf ~"
    assert main(["init", str(target)]) == 0
    out = capsys.readouterr().out
    cd = next(line.strip() for line in out.splitlines() if line.strip().startswith("cd "))
    assert shlex.split(cd) == ["cd", str(target)]


def test_rejects_an_empty_dir_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mysql-platform init: DIR is an empty string; expected a directory path")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_dir_under_a_dangling_symlink_fails_saying_nothing_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    assert main(["init", str(tmp_path / "link" / "project")]) == 2
    assert capsys.readouterr().err == (
        f"mysql-platform init: cannot write '{tmp_path / 'link' / 'project'}': No such file or directory; "
        "nothing was written\n"
    )
    assert not os.path.lexists(tmp_path / "nowhere")
