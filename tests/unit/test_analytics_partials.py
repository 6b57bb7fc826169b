"""The ``.partial-<export id>`` folders and their locks: a lock file is only ever a regular file this
process opened itself, a folder or lock it cannot use is one clear line, a folder left is reported
as left, and a fresh export waits out the moment another export's cleanup holds its new lock."""

from __future__ import annotations

import fcntl
import os
import pwd
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mysql_platform.analytics import partials
from mysql_platform.analytics.errors import BadInput

NOBODY = "nobody"
# The part that runs as another user: imports first (the interpreter may live where that user cannot
# read), then setgid/setuid, then the partials call; its outcome on stdout, one line.
AS_NOBODY = """
import os, sys
from pathlib import Path
from mysql_platform.analytics import partials
from mysql_platform.analytics.errors import BadInput
os.setgid({gid}); os.setuid({uid})
root = Path(sys.argv[1])
try:
    if sys.argv[2] == "claim":
        with partials.claimed(root, "local-1"):
            pass
        print("claimed")
    else:
        done = partials.remove_stale(root)
        print(f"removed={{done.removed}} not_removed={{[(str(p), why) for p, why in done.not_removed]}}")
except BadInput as exc:
    print(f"BadInput {{exc.exit_code}}: {{exc}}")
"""


def _as_nobody(root: Path, action: str) -> str:
    user = pwd.getpwnam(NOBODY)
    script = AS_NOBODY.format(uid=user.pw_uid, gid=user.pw_gid)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", script, str(root), action], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip
    assert done.returncode == 0 and not done.stderr, done.stderr
    return done.stdout.strip()


@pytest.fixture
def shared() -> Iterator[Path]:
    """An exports folder owned by nobody, where nobody can reach it (pytest's tmp_path is root's 0700)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: it runs a part as the user nobody, next to files root owns")
    top = Path(tempfile.mkdtemp(prefix="partials-"))
    top.chmod(0o755)
    root = top / "exports"
    root.mkdir()
    user = pwd.getpwnam(NOBODY)
    os.chown(root, user.pw_uid, user.pw_gid)
    try:
        yield root
    finally:
        subprocess.run(["rm", "-rf", str(top)], check=True)


def test_a_lock_file_another_user_owns_is_one_line(shared: Path) -> None:
    (shared / ".partial-local-0.lock").touch(0o600)  # root's, unreadable to nobody
    assert _as_nobody(shared, "stale") == (
        f"BadInput 2: cannot open the lock file {shared}/.partial-local-0.lock: Permission denied; run "
        "the export as the user who owns the exports folder, or remove the file "
        f"(rm {shared}/.partial-local-0.lock) when no export runs"
    )


def test_a_read_only_exports_folder_is_one_line(shared: Path) -> None:
    shared.chmod(0o555)
    assert _as_nobody(shared, "claim").startswith(
        f"BadInput 2: cannot open the lock file {shared}/.partial-local-1.lock: Permission denied;"
    )


def test_a_folder_that_cannot_be_removed_is_reported_as_left(shared: Path) -> None:
    killed = shared / ".partial-local-0"
    (killed / "root-owned").mkdir(parents=True)
    (killed / "root-owned" / "f").touch()  # nobody may not unlink it: root owns its folder
    os.chown(killed, pwd.getpwnam(NOBODY).pw_uid, -1)
    assert _as_nobody(shared, "stale") == (
        f"removed=[] not_removed=[('{killed}', 'Permission denied: {killed}/root-owned/f')]"
    )
    assert killed.exists()


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
