"""A throwaway OpenSSH server on a loopback port, for the tunnel tests.

Everything lives in one temp dir: host key, user key, authorized_keys,
config, pid file. The server runs in the foreground (``-D``) and logs to
stderr (``-e``) into a file the tests can show when something fails.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"  # sshd refuses to re-exec itself unless started by absolute path
PRIVSEP_DIR = Path("/run/sshd")


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    key_path: Path  # private key the server accepts
    other_key_path: Path  # a valid key the server does not know
    known_hosts: Path
    log_path: Path
    pid: int

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def sshd_available() -> str | None:
    """None when the test can run, else the reason it cannot."""
    if not Path(SSHD).exists():
        return f"{SSHD} not installed (Debian: apt-get install openssh-server)"
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "ssh/ssh-keygen not on PATH (Debian: apt-get install openssh-client)"
    return None


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
        capture_output=True,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_banner(port: int, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"sshd on port {port} sent no banner within {timeout_s}s: {log.read_text()}")


def _config(base: Path, port: int, host_key: Path, authorized_keys: Path) -> str:
    return "\n".join(
        [
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"PidFile {base / 'sshd.pid'}",
            f"AuthorizedKeysFile {authorized_keys}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            # Tests run as root here; keys only, as on a real host.
            "PermitRootLogin prohibit-password",
            # pytest's tmp dirs are not owned the way StrictModes wants.
            "StrictModes no",
            "UsePAM no",
            "AllowTcpForwarding local",
            "PermitTTY no",
            "X11Forwarding no",
            "LogLevel VERBOSE",
            "",
        ]
    )


@contextmanager
def run_sshd(base: Path) -> Iterator[SshServer]:
    """Start sshd with fresh keys under ``base``; stop it on exit."""
    base.mkdir(parents=True, exist_ok=True)
    host_key, user_key, other_key = base / "host_ed25519", base / "user_ed25519", base / "other_ed25519"
    for key in (host_key, user_key, other_key):
        _keygen(key)
    authorized_keys = base / "authorized_keys"
    authorized_keys.write_text(Path(f"{user_key}.pub").read_text())
    config = base / "sshd_config"
    port = _free_port()
    config.write_text(_config(base, port, host_key, authorized_keys))
    if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
        # sshd's compiled-in privilege separation directory; absent when the
        # package was installed without starting the service.
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True)
    log = base / "sshd.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            # Its own process group, so teardown also ends the per-connection
            # children, which outlive the listener otherwise.
            start_new_session=True,
        )
    try:
        _wait_banner(port, proc, log)
        yield SshServer(
            port=port,
            user=getpass.getuser(),
            key_path=user_key,
            other_key_path=other_key,
            known_hosts=base / "known_hosts",
            log_path=log,
            pid=proc.pid,
        )
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
