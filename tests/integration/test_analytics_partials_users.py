"""Stale `.partial-*` folders and their locks when another user owns them: the cleanup runs as
`nobody` in a process of its own (setuid needs one) and reports one line, never a traceback."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

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
