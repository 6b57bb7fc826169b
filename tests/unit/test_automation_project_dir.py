"""The Automation API's project directory: found per call, and never the installed package's copy
(selecting a stack and saving its config write Pulumi.<stack>.yaml into the work dir)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mysql_platform import project
from mysql_platform.stack import automation
from mysql_platform.stack.automation import BadInput, Options


@pytest.fixture
def packaged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An installed package's data/project: the package's own directory, no checkout around it."""
    package = tmp_path / "site-packages" / "mysql_platform"
    data = package / "data"
    (data / "project").mkdir(parents=True)
    (data / "project" / "Pulumi.yaml").write_text("name: mysql-platform\n")
    monkeypatch.setattr(project, "PACKAGE_DIR", package)
    monkeypatch.setattr(project, "DATA_DIR", data)
    return data / "project"


def test_the_default_work_dir_is_looked_up_when_options_are_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "Pulumi.yaml").write_text("name: mysql-platform\n")
    monkeypatch.chdir(mine)
    assert Options().work_dir == mine


def test_the_packaged_copy_is_refused_as_a_work_dir(
    packaged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    options = Options()
    assert options.work_dir == packaged
    with pytest.raises(BadInput, match=r"mysql-platform init DIR"):
        automation.preview("dev", options)
    assert sorted(p.name for p in packaged.iterdir()) == ["Pulumi.yaml"]
