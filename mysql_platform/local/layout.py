"""Where one environment keeps its files, and how its private files are written.

Everything lives under the state dir (an absolute path): ``state.json`` and
``secrets.json`` (:mod:`mysql_platform.local.state`), ``outputs.json`` and ``client-admin.cnf``
(:mod:`mysql_platform.local.outputs`), ``tls/``, one directory per server and ``haproxy/``.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from mysql_platform.local.procs import LocalEnvError

# What holds keys, certificates, sockets, configuration and data: another user who may write
# any of it could plant a certificate etcd then trusts, or a socket the tools then talk to.
_PRIVATE_DIRS = ("", "tls", "run", "etcd", "etcd/tls", "agents", "haproxy", "db1", "db2", "db3")


def new_password() -> str:
    return secrets.token_urlsafe(24)


def write_private(path: Path, text: str) -> None:
    """Write a file that only the owner can read, never briefly world-readable."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Paths:
    """Where one environment keeps its files (all under ``state_dir``, an absolute path)."""

    state_dir: Path

    @property
    def outputs(self) -> Path:
        return self.state_dir / "outputs.json"

    @property
    def state(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def secrets(self) -> Path:
        return self.state_dir / "secrets.json"

    @property
    def client_cnf(self) -> Path:
        """Option file for the mariadb/mysql client, as the admin user through the writer port."""
        return self.state_dir / "client-admin.cnf"

    @property
    def tls_dir(self) -> Path:
        return self.state_dir / "tls"

    @property
    def ca(self) -> Path:
        return self.tls_dir / "ca.pem"

    @property
    def haproxy_cfg(self) -> Path:
        return self.state_dir / "haproxy" / "haproxy.cfg"

    def server_dir(self, name: str) -> Path:
        return self.state_dir / name

    def datadir(self, name: str) -> Path:
        return self.state_dir / name / "data"

    def cnf(self, name: str) -> Path:
        return self.state_dir / name / "my.cnf"

    def error_log(self, name: str) -> Path:
        return self.state_dir / name / "error.log"


def check_private(state_dir: Path) -> None:
    """Refuse a state dir (or one of its directories, or a file under ``tls``/``etcd/tls``) that
    another user owns or may write: it would trust what that user put there."""
    me = os.geteuid()
    paths = [state_dir / sub for sub in _PRIVATE_DIRS]
    paths += [
        f for sub in ("tls", "etcd/tls") if (state_dir / sub).is_dir() for f in (state_dir / sub).iterdir()
    ]
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if info.st_uid != me:
            raise LocalEnvError(
                f"{path} belongs to uid {info.st_uid}, not to you (uid {me}): whoever owns it could plant "
                "keys, certificates or sockets the environment would trust; use a state dir of your own"
            )
        if stat.S_ISLNK(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise LocalEnvError(
                f"{path} is a symbolic link or writable by other users (mode {stat.filemode(info.st_mode)}): "
                f"the environment would trust what they put there; fix it (chmod go-w {path}) or use a "
                "state dir of your own"
            )
