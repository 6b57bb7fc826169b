"""SSH local port-forwards through the environment's EC2 host.

Prod's database is not publicly accessible: only the EC2 host (same VPC, the
security group admits it on 3306) can reach it. This module runs one
``ssh -N`` process with one ``-L 127.0.0.1:LOCAL:DBHOST:DBPORT`` per database
endpoint, waits until every local port accepts connections, and yields the
local endpoints. The ssh process is terminated on every exit path.

The DB host names are resolved by the EC2 host, so RDS's private DNS names work.

Use it directly::

    with open_tunnel(SshTarget.from_outputs(outputs, key_path), [outputs.db.writer]) as tunnel:
        (local,) = tunnel.endpoints
        connect(host=local.host, port=local.port, ...)

or as a drop-in for the outputs (writer and readers rewritten to the forwards)::

    with tunnelled_outputs(outputs, SshTarget.from_outputs(outputs, key_path)) as local_outputs:
        bootstrap.run(local_outputs, ...)

The AWS Session Manager alternative (no SSH key, no inbound port 22) is
described in the README: ``aws ssm start-session --target INSTANCE_ID
--document-name AWS-StartPortForwardingSessionToRemoteHost
--parameters host=DBHOST,portNumber=3306,localPortNumber=LOCALPORT``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mysql_platform.core.contract import Endpoint, StackOutputs
from mysql_platform.errors import EXIT_CONNECT, PlatformError

LOOPBACK = "127.0.0.1"
DEFAULT_SSH_PORT = 22
DEFAULT_READY_TIMEOUT_S = 20.0
# Enough attempts to survive another process grabbing a port we picked between
# our probe and ssh's bind, which is the only reason a fresh attempt can help.
_PORT_RACE_ATTEMPTS = 3
_STOP_TIMEOUT_S = 5.0


class TunnelError(PlatformError, RuntimeError):
    """The tunnel could not be opened (ssh missing, key missing, host refused, timeout)."""

    exit_code = EXIT_CONNECT  # as the database being unreachable
    label = "connection"


@dataclass(frozen=True)
class SshTarget:
    """Where and how to ssh: the EC2 host from the outputs plus a private key.

    ``known_hosts`` is the file ssh records and checks host keys in
    (``StrictHostKeyChecking=accept-new``: a new host is trusted on first use, a
    changed key is refused). ``None`` means ssh's default (``~/.ssh/known_hosts``).
    ``config_file`` is passed as ``ssh -F``; ``None`` reads the user's ssh config
    (so a ProxyJump there still applies), ``/dev/null`` ignores it.
    """

    host: str
    user: str
    key_path: Path
    port: int = DEFAULT_SSH_PORT
    known_hosts: Path | None = None
    config_file: Path | None = None
    connect_timeout_s: int = 10

    @classmethod
    def from_outputs(
        cls,
        outputs: StackOutputs,
        key_path: str | Path,
        *,
        port: int = DEFAULT_SSH_PORT,
        known_hosts: str | Path | None = None,
        config_file: str | Path | None = None,
    ) -> SshTarget:
        """Build the target from the outputs contract's ``host.public_dns`` and ``host.ssh_user``."""
        host = outputs.host.public_dns or outputs.host.public_ip
        if not host:
            raise TunnelError(
                f"cannot tunnel into environment '{outputs.environment}': outputs 'host.public_dns' "
                "and 'host.public_ip' are both empty (does the EC2 host have a public address?)"
            )
        if not outputs.host.ssh_user:
            raise TunnelError(
                f"cannot tunnel into environment '{outputs.environment}': output 'host.ssh_user' is empty"
            )
        return cls(
            host=host,
            user=outputs.host.ssh_user,
            # Expanded here: Python does not expand "~", and the key is checked before ssh runs.
            key_path=Path(key_path).expanduser(),
            port=port,
            known_hosts=None if known_hosts is None else Path(known_hosts).expanduser(),
            config_file=None if config_file is None else Path(config_file).expanduser(),
        )


@dataclass(frozen=True)
class Tunnel:
    """A running forward: ``endpoints[i]`` on 127.0.0.1 reaches the i-th remote endpoint."""

    endpoints: tuple[Endpoint, ...]
    pid: int  # the ssh process, gone once the ``with`` block has exited


def needs_tunnel(outputs: StackOutputs) -> bool:
    """True when the DB can only be reached through the host.

    The local environment is always reachable on loopback, whatever it says
    about public access, so it never needs one.
    """
    return not outputs.db.publicly_accessible and outputs.environment != "local"


def free_local_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def ssh_command(target: SshTarget, forwards: Sequence[tuple[int, Endpoint]]) -> list[str]:
    """The ssh argv: no remote command, only the forwards, never a prompt."""
    argv = ["ssh"]
    if target.config_file is not None:
        argv += ["-F", str(target.config_file)]
    argv += ["-N"]
    for local_port, remote in forwards:
        argv += ["-L", f"{LOOPBACK}:{local_port}:{remote.host}:{remote.port}"]
    options = {
        # Fail instead of running without a forward the caller relies on.
        "ExitOnForwardFailure": "yes",
        # Never prompt for a password or passphrase: there is no one to answer.
        "BatchMode": "yes",
        "StrictHostKeyChecking": "accept-new",
        # Only the given key: an agent with many keys trips MaxAuthTries.
        "IdentitiesOnly": "yes",
        "ConnectTimeout": str(target.connect_timeout_s),
        # Notice a dead host within ~45 s rather than hanging on a stale TCP connection.
        "ServerAliveInterval": "15",
        "ServerAliveCountMax": "3",
        # Keep "Permanently added ... to known hosts" out of the error text.
        "LogLevel": "ERROR",
    }
    if target.known_hosts is not None:
        options["UserKnownHostsFile"] = str(target.known_hosts)
    for name, value in options.items():
        argv += ["-o", f"{name}={value}"]
    argv += ["-i", str(target.key_path), "-p", str(target.port), f"{target.user}@{target.host}"]
    return argv


def _check_prerequisites(target: SshTarget) -> None:
    if shutil.which("ssh") is None:
        raise TunnelError(
            "the OpenSSH client 'ssh' is not on PATH; install it (Debian: apt-get install openssh-client)"
        )
    if not target.key_path.is_file():
        raise TunnelError(f"ssh key '{target.key_path}' does not exist or is not a file")
    if not 1 <= target.port <= 65535:
        raise TunnelError(f"ssh port must be 1-65535, got {target.port}")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


def _read(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode("utf-8", errors="replace").strip()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_ready(
    proc: subprocess.Popen[bytes], ports: Sequence[int], stderr: IO[bytes], deadline: float, where: str
) -> None:
    """Return when every local port accepts; raise with ssh's own words if ssh exits first."""
    pending = list(ports)
    while pending:
        code = proc.poll()
        if code is not None:
            said = _read(stderr) or "(ssh printed nothing)"
            raise TunnelError(
                f"ssh to {where} exited with status {code} before the tunnel was up: {said}{_hint(said)}"
            )
        if _accepts(pending[0]):
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            raise TunnelError(
                f"ssh to {where} did not open local port(s) {pending} within the timeout; "
                f"ssh said: {_read(stderr) or '(nothing)'}"
            )
        time.sleep(0.05)


# ssh's words -> what usually causes them on this stack.
_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("Connection timed out", "Connection refused", "No route to host"),
        "the host's security group must admit your address on the SSH port (stack config "
        "sshAllowedCidrs); without SSH access use Session Manager (docs/aws.md)",
    ),
    (
        ("Permission denied",),
        "the key must be the private half of the stack's sshPublicKey, for the user in host.ssh_user",
    ),
    (
        ("REMOTE HOST IDENTIFICATION HAS CHANGED", "Host key verification failed"),
        "the host key changed (a replaced instance?): check it, then remove the old one with ssh-keygen -R",
    ),
)


def _hint(message: str) -> str:
    for markers, hint in _HINTS:
        if any(marker in message for marker in markers):
            return f" (hint: {hint})"
    return ""


def _is_port_race(error: TunnelError) -> bool:
    text = str(error)
    return "Address already in use" in text or "cannot listen to port" in text


@contextmanager
def open_tunnel(
    target: SshTarget,
    remotes: Sequence[Endpoint],
    *,
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S,
) -> Iterator[Tunnel]:
    """Forward a free local port to each remote endpoint; yield them as a :class:`Tunnel`.

    Raises :class:`TunnelError` with ssh's stderr when the host refuses (e.g.
    ``Permission denied (publickey)``) or the forwards are not up within
    ``ready_timeout_s``. The ssh process is gone when the block exits, however it exits.
    """
    if not remotes:
        raise TunnelError("open_tunnel needs at least one remote endpoint to forward")
    _check_prerequisites(target)
    where = f"{target.user}@{target.host}:{target.port}"
    for attempt in range(1, _PORT_RACE_ATTEMPTS + 1):
        ports = [free_local_port() for _ in remotes]
        # A stderr file, not a pipe: a chatty ssh must never block on a full pipe.
        with tempfile.TemporaryFile() as stderr:
            proc = subprocess.Popen(
                ssh_command(target, list(zip(ports, remotes, strict=True))),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                # Own process group: a Ctrl-C aimed at us must not kill ssh
                # before we have cleaned up, and never the other way round.
                start_new_session=True,
            )
            try:
                try:
                    _wait_ready(proc, ports, stderr, time.monotonic() + ready_timeout_s, where)
                except TunnelError as exc:
                    if attempt < _PORT_RACE_ATTEMPTS and _is_port_race(exc):
                        continue
                    raise
                yield Tunnel(endpoints=tuple(Endpoint(host=LOOPBACK, port=p) for p in ports), pid=proc.pid)
                return
            finally:
                _stop(proc)
    raise AssertionError("unreachable: the last attempt either yields or raises")  # pragma: no cover


@contextmanager
def tunnelled_outputs(
    outputs: StackOutputs,
    target: SshTarget,
    *,
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S,
) -> Iterator[StackOutputs]:
    """The same outputs with the writer and every reader replaced by a local forward."""
    remotes = [outputs.db.writer, *outputs.db.readers]
    with open_tunnel(target, remotes, ready_timeout_s=ready_timeout_s) as tunnel:
        local = tunnel.endpoints
        db = dataclasses.replace(outputs.db, writer=local[0], readers=local[1:])
        yield dataclasses.replace(outputs, db=db)


@dataclass(frozen=True)
class HostAccess:
    """How the bootstrap may go through the EC2 host (its --via-host/--ssh-* options).

    The tunnel is used when ``via_host`` is set, or automatically when the outputs
    say the DB is not publicly accessible and the environment is not ``local``.
    ``key_path`` None means :func:`default_key_path`.
    """

    via_host: bool = False
    key_path: Path | None = None
    ssh_port: int = DEFAULT_SSH_PORT
    known_hosts: Path | None = None
    config_file: Path | None = None
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S


def wanted(outputs: StackOutputs, access: HostAccess) -> bool:
    return access.via_host or needs_tunnel(outputs)


def target_for(outputs: StackOutputs, access: HostAccess) -> SshTarget:
    key = access.key_path or default_key_path()
    if key is None:
        raise TunnelError(
            f"the database of '{outputs.environment}' is reached through the EC2 host "
            f"{outputs.host.public_dns or outputs.host.public_ip}, but no SSH key was given: pass --ssh-key "
            "PATH or set MYSQL_PLATFORM_SSH_KEY (or use Session Manager, docs/aws.md)"
        )
    return SshTarget.from_outputs(
        outputs, key, port=access.ssh_port, known_hosts=access.known_hosts, config_file=access.config_file
    )


@contextmanager
def via_host(
    outputs: StackOutputs, access: HostAccess, writer: Endpoint, readers: Sequence[Endpoint]
) -> Iterator[tuple[Endpoint, tuple[Endpoint, ...]]]:
    """Yield the (writer, readers) to connect to: as given, or local forwards through the host.

    One ssh process carries every forward; it is gone when the block exits.
    """
    if not wanted(outputs, access):
        yield writer, tuple(readers)
        return
    target = target_for(outputs, access)
    with open_tunnel(target, [writer, *readers], ready_timeout_s=access.ready_timeout_s) as tunnel:
        yield tunnel.endpoints[0], tunnel.endpoints[1:]


def default_key_path() -> Path | None:
    """``$MYSQL_PLATFORM_SSH_KEY`` if set, else the first existing ~/.ssh/id_ed25519, id_ecdsa, id_rsa."""
    env = os.environ.get("MYSQL_PLATFORM_SSH_KEY")
    if env:
        return Path(env)
    for name in ("id_ed25519", "id_ecdsa", "id_rsa"):
        candidate = Path.home() / ".ssh" / name
        if candidate.is_file():
            return candidate
    return None
