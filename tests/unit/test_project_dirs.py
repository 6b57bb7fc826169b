"""Which project directory a command uses: the current project, else the checkout, else the
packaged copy; what it writes never goes into the packaged copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mysql_platform import project

ROOT = Path(__file__).resolve().parents[2]


def _project(path: Path, name: str = "mysql-platform") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    return path


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The package as a wheel installs it: no checkout above it, its data/ beside it."""
    package = tmp_path / "site-packages" / "mysql_platform"
    _project(package / "data" / "project")
    (package / "data" / "sql").mkdir(parents=True)
    monkeypatch.setattr(project, "PACKAGE_DIR", package)
    monkeypatch.setattr(project, "DATA_DIR", package / "data")
    return package


def test_the_checkout_is_found_from_the_package() -> None:
    assert project.checkout_root() == ROOT


@pytest.mark.parametrize(
    "text",
    ["name: mysql-platform\n", "name: 'mysql-platform'\n", 'runtime: python\nname: "mysql-platform"  # x\n'],
)
def test_a_project_dir_is_one_whose_pulumi_yaml_names_this_project(tmp_path: Path, text: str) -> None:
    (tmp_path / "Pulumi.yaml").write_text(text)
    assert project.is_project_dir(tmp_path)


@pytest.mark.parametrize(
    "text", ["name: other\n", "  name: mysql-platform\n", "name: mysql-platform-x\n", ""]
)
def test_another_pulumi_project_is_not_ours(tmp_path: Path, text: str) -> None:
    (tmp_path / "Pulumi.yaml").write_text(text)
    assert not project.is_project_dir(tmp_path)


def test_the_current_project_comes_first(tmp_path: Path) -> None:
    mine = _project(tmp_path / "mine")
    assert project.project_dir(mine) == mine
    assert project.sql_dir(mine) == mine / "sql"
    assert project.writable_dir(mine) == mine


def test_a_parent_project_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    mine = _project(tmp_path / "mine")
    (mine / "sql" / "deep").mkdir(parents=True)
    assert project.project_dir(mine / "sql" / "deep") == mine


def test_outside_any_project_a_checkout_is_used(tmp_path: Path) -> None:
    _project(tmp_path, name="someone-elses")
    assert project.project_dir(tmp_path) == ROOT
    assert project.sql_dir(tmp_path) == ROOT / "sql"
    assert project.writable_dir(tmp_path) == ROOT


def test_in_a_checkout_the_packaged_data_is_the_checkouts_own_files() -> None:
    # An editable install runs no build step: there is no data/ in the source tree.
    assert project.packaged_project_dir() == ROOT
    assert project.packaged_sql_dir() == ROOT / "sql"


def test_installed_and_outside_any_project_the_packaged_copy_is_read(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert project.checkout_root() is None
    assert project.project_dir(empty) == installed / "data" / "project"
    assert project.sql_dir(empty) == installed / "data" / "sql"


def test_installed_what_a_command_writes_goes_to_the_current_dir_never_the_package(
    installed: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert project.found_project_dir(empty) is None
    assert project.writable_dir(empty) == empty


def test_installed_a_project_of_ones_own_is_used(installed: Path, tmp_path: Path) -> None:
    mine = _project(tmp_path / "mine")
    assert project.project_dir(mine) == mine
    assert project.sql_dir(mine) == mine / "sql"


# --- what a project directory must be before it is trusted ----------------------------------


def test_a_fifo_named_pulumi_yaml_is_refused_without_blocking(tmp_path: Path) -> None:
    # Opening a FIFO for reading blocks until a writer comes: every command would hang.
    os.mkfifo(tmp_path / "Pulumi.yaml")
    assert not project.is_project_dir(tmp_path)
    assert project.found_project_dir(tmp_path) == project.checkout_root()


def test_a_pulumi_yaml_that_is_a_device_or_too_large_is_refused(tmp_path: Path) -> None:
    device = tmp_path / "device"
    device.mkdir()
    (device / "Pulumi.yaml").symlink_to("/dev/zero")
    large = _project(tmp_path / "large")
    with (large / "Pulumi.yaml").open("a") as handle:
        handle.write("# padding\n" * (project.MAX_PROJECT_FILE_BYTES // 10 + 1))
    assert not project.is_project_dir(device)
    assert not project.is_project_dir(large)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_another_users_project_is_not_trusted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    theirs = _project(tmp_path / "theirs")
    os.chown(theirs / "Pulumi.yaml", 4242, 4242)
    with caplog.at_level("WARNING", logger="mysql_platform.project"):
        assert project.found_project_dir(theirs) == project.checkout_root()
    assert "owned by uid 4242, not by you (uid 0) or root" in caplog.text


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory to another user needs root")
def test_a_directory_others_may_write_into_is_not_trusted(tmp_path: Path) -> None:
    shared = _project(tmp_path / "shared")
    os.chown(shared, 4242, 4242)
    os.chown(shared / "Pulumi.yaml", 0, 0)
    shared.chmod(0o1777)
    assert not project.is_project_dir(shared)
    shared.chmod(0o755)
    assert not project.is_project_dir(shared)  # still another user's directory


def test_my_own_group_writable_project_is_trusted(tmp_path: Path) -> None:
    mine = _project(tmp_path / "mine")
    mine.chmod(0o775)
    assert project.is_project_dir(mine)


def test_the_packaged_copy_is_never_the_project_even_from_inside_it(installed: Path) -> None:
    inside = installed / "data" / "project"
    assert project.found_project_dir(inside) is None
    assert project.writable_dir(inside) == inside  # what writes there refuses it (migrate new, stack)


def test_a_deleted_current_directory_is_no_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert project.found_project_dir() == project.checkout_root()
    assert project.writable_dir() in (ROOT, Path("."))


def test_migrate_new_never_writes_into_the_packaged_migrations(
    installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mysql_platform.cli import migrate

    packaged = installed / "data" / "sql"
    assert migrate.main(["new", "add_orders", "--sql-dir", str(packaged)]) == 2
    assert list(packaged.iterdir()) == []
    assert "installed with the package, which are never written to" in capsys.readouterr().err


def test_a_pulumi_yaml_of_another_project_is_passed_over_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    renamed = _project(tmp_path / "renamed", name="orders-db")
    with caplog.at_level("WARNING", logger="mysql_platform.project"):
        assert project.found_project_dir(renamed) == project.checkout_root()
    assert (
        f"ignoring {renamed / 'Pulumi.yaml'}: its project is 'orders-db', not mysql-platform" in caplog.text
    )
