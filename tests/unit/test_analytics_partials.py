"""The ``.partial-<export id>`` folders and their locks: a lock file is only ever a regular file this
process opened itself, a folder or lock it cannot use is one clear line, a folder left is reported
as left, and a fresh export waits out the moment another export's cleanup holds its new lock."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from mysql_platform.analytics import partials
from mysql_platform.analytics.errors import BadInput


@pytest.mark.parametrize("kind", ["dangling link", "link to a folder", "folder", "fifo"])
def test_a_lock_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    lock = tmp_path / ".partial-local-1.lock"
    target = tmp_path / "created"
    if kind == "dangling link":
        lock.symlink_to(target)
    elif kind == "link to a folder":
        target.mkdir()
        lock.symlink_to(target)
    elif kind == "folder":
        lock.mkdir()
    else:
        os.mkfifo(lock)
    refused = r"\.partial-local-1\.lock is (a symbolic link|a folder|not a regular file)"
    with pytest.raises(BadInput, match=refused), partials.claimed(tmp_path, "local-1"):
        pass
    with pytest.raises(BadInput, match="remove it"):
        partials.remove_stale(tmp_path)
    assert target.exists() == (kind == "link to a folder")  # nothing made through the link


def test_an_export_waits_while_another_exports_cleanup_holds_its_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # remove_stale() in another export holds the lock of a lock file it found with no folder yet.
    held = os.open(tmp_path / ".partial-local-1.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    waits: list[float] = []

    def pause(seconds: float) -> None:  # the other export lets go while this one waits
        waits.append(seconds)
        os.close(held)

    monkeypatch.setattr(partials, "pause", pause, raising=False)
    with partials.claimed(tmp_path, "local-1") as partial:
        assert partial.is_dir()
    assert len(waits) == 1


def test_a_folder_its_export_renamed_after_the_listing_is_not_reported_nor_its_lock_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Export A renames its folder into place and lets go of its lock between B's listing and B's
    lock: B must take the folder for gone, and remove the lock file it made."""
    partial = tmp_path / ".partial-local-1"
    (partial / "app").mkdir(parents=True)
    (partial / "app" / "part").write_text("x")
    real_try = partials._try_lock

    def a_finishes(lock: Path) -> int | None:
        partial.rename(tmp_path / "local-1")
        return real_try(lock)

    monkeypatch.setattr(partials, "_try_lock", a_finishes)
    done = partials.remove_stale(tmp_path)
    assert (done.removed, done.not_removed) == ([], [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local-1"]
    assert (tmp_path / "local-1" / "app" / "part").read_text() == "x"


def test_an_export_of_an_id_that_appears_before_its_lock_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two exports of one id: the other renames its folder into place after this one looked, before
    it took the lock. The check under the lock refuses it before the database is touched."""
    from mysql_platform.analytics import local_export

    real = partials.remove_stale

    def the_other_finishes(root: Path) -> partials.Cleanup:
        (root / "local-1").mkdir()
        return real(root)

    monkeypatch.setattr(partials, "remove_stale", the_other_finishes)
    with pytest.raises(BadInput, match=r"^export 'local-1' already exists in .+: export again$"):
        local_export.export_database(None, "app", tmp_path, "local-1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local-1"]
