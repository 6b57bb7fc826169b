"""Where an environment's unix sockets live: under the state dir, or in a temp dir when that is too long.

A unix socket path must fit sockaddr_un (107 bytes); a deep state dir (a test's tmp path)
would not, so its sockets go to a ``mysql-platform-*`` dir in the temp dir, recorded in the
state as ``socket_dir``. ``down`` also finds such a dir through the processes' own sockets,
for when the state file is gone.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mysql_platform.local.layout import Paths
from mysql_platform.local.procs import FoundProcess, unix_socket_paths
from mysql_platform.local.state import HAPROXY, SERVER_NAMES, StateStore

# sockaddr_un.sun_path is 108 bytes including the NUL.
MAX_SOCKET_PATH = 107
# The temp dir that holds the sockets when the state dir's path is too long for them.
SOCKET_DIR_PREFIX = "mysql-platform-"


def ensure_socket_dir(paths: Paths, store: StateStore) -> None:
    """Make (and record) the socket dir unless the recorded one still exists."""
    state = store.current()
    if state.socket_dir and Path(state.socket_dir).is_dir():
        return
    preferred = paths.state_dir / "run"
    longest = max([*SERVER_NAMES, HAPROXY], key=len) + ".sock"
    if len(str(preferred / longest).encode()) <= MAX_SOCKET_PATH:
        preferred.mkdir(mode=0o700, exist_ok=True)
        state.socket_dir = str(preferred)
    else:
        state.socket_dir = tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX)
    store.save()


def remove_tmp_socket_dir(paths: Paths, store: StateStore) -> None:
    """Delete a socket dir outside the state dir (its processes are stopped) and forget it."""
    state = store.current()
    if state.socket_dir and not Path(state.socket_dir).is_relative_to(paths.state_dir):
        shutil.rmtree(state.socket_dir, ignore_errors=True)
        state.socket_dir = None
        store.save()


def tmp_socket_dirs(paths: Paths, found: list[FoundProcess]) -> set[Path]:
    """Socket dirs made by :func:`ensure_socket_dir` in the temp dir, as the processes' sockets name them."""
    tmp = Path(tempfile.gettempdir()).resolve()
    dirs = {Path(path).parent for p in found for path in unix_socket_paths(p.pid)}
    return {
        d
        for d in dirs
        if d.parent.resolve() == tmp
        and d.name.startswith(SOCKET_DIR_PREFIX)
        and not d.is_relative_to(paths.state_dir)
    }
