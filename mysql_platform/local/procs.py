"""Processes, ports and binaries for the local environment (``mysql_platform.local``).

Finding and running the MariaDB/HAProxy/openssl binaries, telling a live
process from a zombie or a reused pid, finding a state dir's processes by their
command lines (when its state file is gone), starting, signalling and reaping the
children, and picking free loopback ports. It also defines ``LocalEnvError``, which
every ``mysql_platform.local`` module raises; ``mysql_platform.local.env`` re-exports it with
``find_binary`` and ``missing_binaries``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
# Ports below Linux's ephemeral range (32768+), so an outgoing connection
# cannot grab one between our free-port check and the server's bind.
PORT_RANGE = (20000, 32000)
POLL_S = 0.01

log = logging.getLogger(__name__)


class LocalEnvError(RuntimeError):
    """The local environment could not do what was asked; the message says why."""


# Server binaries live in /usr/sbin, which a non-root user's PATH often lacks.
_SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
REQUIRED_BINARIES = ("mariadbd", "mariadb-install-db", "mariadb", "haproxy", "openssl")


def find_binary(name: str) -> str | None:
    """Absolute path of ``name`` from PATH or the sbin directories, or None."""
    found = shutil.which(name)
    if found:
        return found
    for directory in _SBIN_DIRS:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def missing_binaries() -> list[str]:
    """The programs the local environment needs that this machine lacks."""
    return [name for name in REQUIRED_BINARIES if find_binary(name) is None]


def binary(name: str) -> str:
    found = find_binary(name)
    if found is None:
        raise LocalEnvError(
            f"'{name}' not found in PATH or {_SBIN_DIRS}; install the system packages (make system-deps)"
        )
    return found


def _proc_state(pid: int) -> str | None:
    """The state letter from /proc/PID/stat, or None when the pid is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may contain spaces.
    return stat.rsplit(")", 1)[1].split()[0]


def alive(pid: int | None) -> bool:
    """True until the whole process is gone.

    A killed process lingers as a zombie until reaped (kill -0 says alive),
    and a multi-threaded one shows its leader as a zombie while other threads
    are still exiting with its sockets open: dead means zombie with no thread left.
    """
    if pid is None:
        return False
    state = _proc_state(pid)
    if state is None:
        return False
    if state not in ("Z", "X"):
        return True
    try:
        return len(os.listdir(f"/proc/{pid}/task")) > 1
    except OSError:
        return False


@dataclass(frozen=True)
class ProcessMarker:
    """How to recognise a process the environment started: its program and one exact argument.

    The argument is an absolute config path of one state dir, compared whole (a substring
    would also match ``/x/env1/...`` for ``/x/env`` and any ``tail -f`` of the file); the
    program is the real executable, which a look-alike command line cannot fake.
    """

    program: str  # basename of /proc/PID/exe, e.g. "mariadbd"
    argument: str  # one whole argv element, e.g. "--defaults-file=/abs/state/db1/my.cnf"


@dataclass(frozen=True)
class FoundProcess:
    """A live process that one of the environment's markers matched."""

    name: str  # the environment's name for it: db1, db2, haproxy
    pid: int


def _argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    # NUL-terminated arguments; strip the last NUL rather than assume it is there.
    return raw.decode(errors="replace").removesuffix("\0").split("\0") if raw else []


def _program(pid: int) -> str | None:
    """Basename of the executable (an upgraded binary reads "... (deleted)"), None when unreadable."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None
    return Path(exe.removesuffix(" (deleted)")).name


def _owned_by_us(pid: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.geteuid()
    except OSError:
        return False


def runs(pid: int | None, marker: ProcessMarker) -> bool:
    """True when ``pid`` is alive, is this user's, and runs ``marker``'s program with its argument."""
    if pid is None or not alive(pid) or marker.argument not in _argv(pid):
        return False
    return _owned_by_us(pid) and _program(pid) == marker.program


def find_processes(markers: Mapping[str, ProcessMarker]) -> list[FoundProcess]:
    """Every live process some marker matches, in the markers' order; without any recorded pid."""
    wanted = [m.argument.encode() for m in markers.values()]
    found: list[FoundProcess] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        # Cheap filter before the exact checks: most processes name none of our files.
        if not any(arg in raw for arg in wanted):
            continue
        found += [FoundProcess(name, int(entry)) for name, m in markers.items() if runs(int(entry), m)]
    order = list(markers)
    return sorted(found, key=lambda p: (order.index(p.name), p.pid))


def unix_socket_paths(pid: int) -> list[str]:
    """Paths of the unix sockets ``pid`` has bound (from /proc/net/unix, by socket inode)."""
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[len("socket:[") : -1])
    paths: list[str] = []
    with contextlib.suppress(OSError):
        # Columns: Num RefCount Protocol Flags Type St Inode [Path]
        for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
            cols = line.split(maxsplit=7)
            if len(cols) == 8 and cols[6] in inodes and cols[7].startswith("/"):
                paths.append(cols[7])
    return paths


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option the servers set, so a TIME_WAIT leftover does not count as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOOPBACK, port)) == 0


def pick_ports(count: int, taken: set[int]) -> list[int]:
    chosen: list[int] = []
    for _ in range(1000):
        port = PORT_RANGE[0] + secrets.randbelow(PORT_RANGE[1] - PORT_RANGE[0])
        if port not in taken and port not in chosen and port_free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise LocalEnvError(f"could not find {count} free TCP ports on {LOOPBACK} in {PORT_RANGE}")


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def os_user() -> str:
    """The effective user's name, which unix_socket authentication checks (not $USER)."""
    return pwd.getpwuid(os.geteuid()).pw_name


def run_tool(argv: list[Any], what: str) -> None:
    """Run one of the required binaries; failing, raise with the tail of its stderr."""
    done = subprocess.run(
        [binary(str(argv[0])), *(str(a) for a in argv[1:])],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        last = "\n".join(done.stderr.decode(errors="replace").splitlines()[-15:])
        raise LocalEnvError(f"could not {what} ({argv[0]} exited {done.returncode}):\n{last}")


# --- children: start, signal, wait for and reap ------------------------------------


class Children:
    """The processes this Python process started, by the environment's name for them.

    Their Popen handles are kept so that they are reaped (no zombies) when they exit.
    """

    def __init__(self) -> None:
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str, argv: list[str], log_path: Path) -> int:
        """Start ``argv`` in its own session (it outlives the CLI), output appended to ``log_path``."""
        with open(log_path, "ab") as out:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._procs[name] = proc
        return proc.pid

    def reap(self, name: str) -> None:
        """Forget ``name`` once it has exited (and collect its exit status)."""
        proc = self._procs.get(name)
        if proc is not None and proc.poll() is not None:
            del self._procs[name]

    def wait_exit(self, pid: int, timeout: float) -> bool:
        """True once ``pid`` is gone (reaped, when it is our child); False after ``timeout``."""
        child = next((n for n, proc in self._procs.items() if proc.pid == pid), None)
        if child is not None:
            # Our child: waitpid returns once every thread is gone, and reaps it.
            try:
                self._procs[child].wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            del self._procs[child]
            return True
        deadline = time.monotonic() + timeout
        while alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)
        return True


def signal_if_ours(pid: int, marker: ProcessMarker, sig: signal.Signals) -> None:
    """Send ``sig`` to ``pid`` only if it still runs ``marker`` (it may have exited and been reused)."""
    if runs(pid, marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def stop_all(
    found: list[FoundProcess],
    marker_of: Callable[[str], ProcessMarker],
    children: Children,
    timeout: float,
) -> None:
    """SIGTERM all, SIGKILL what has not exited after ``timeout``; raise if any survives that."""
    for proc in found:
        signal_if_ours(proc.pid, marker_of(proc.name), signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in found:
        if not children.wait_exit(proc.pid, max(0.0, deadline - time.monotonic())):
            log.warning("%s (pid %d) ignored SIGTERM for %.0f s; killing it", proc.name, proc.pid, timeout)
            signal_if_ours(proc.pid, marker_of(proc.name), signal.SIGKILL)
    left = [p for p in found if not children.wait_exit(p.pid, 5.0)]
    if left:
        raise LocalEnvError(
            "still running after SIGKILL: " + ", ".join(f"{p.name} (pid {p.pid})" for p in left)
        )
    for proc in found:
        log.info("stopped %s (pid %d)", proc.name, proc.pid)
