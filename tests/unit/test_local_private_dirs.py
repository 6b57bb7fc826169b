"""A state dir another user owns or may write is refused before anything runs in it."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from mysql_platform.local.layout import check_private
from mysql_platform.local.procs import LocalEnvError


def test_a_state_dir_of_ones_own_passes(tmp_path: Path) -> None:
    (tmp_path / "etcd" / "tls").mkdir(parents=True)
    (tmp_path / "etcd" / "tls" / "ca.pem").write_text("x")
    check_private(tmp_path)


def test_rejects_a_directory_writable_by_others(tmp_path: Path) -> None:
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls").chmod(0o777)
    with pytest.raises(
        LocalEnvError, match=r"tls is a symbolic link or writable by other users \(mode drwxrwxrwx\)"
    ):
        check_private(tmp_path)


def test_rejects_a_planted_symlink(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "etcd").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(LocalEnvError, match="etcd is a symbolic link"):
        check_private(tmp_path)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_rejects_a_certificate_another_user_planted(tmp_path: Path) -> None:
    tls = tmp_path / "etcd" / "tls"
    tls.mkdir(parents=True)
    planted = tls / "ca.pem"
    planted.write_text("their CA")
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(planted, nobody, -1)
    with pytest.raises(LocalEnvError, match=f"ca.pem belongs to uid {nobody}, not to you"):
        check_private(tmp_path)
