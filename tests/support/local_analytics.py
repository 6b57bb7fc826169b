"""What the local analytics integration tests share: the `local` command run in-process, and a
wait until the replica (which `local export` reads) has every transaction of the primary."""

from __future__ import annotations

import pytest

from mysql_platform.cli import local as local_cli
from mysql_platform.local.env import LocalEnv


def run_local(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``mysql-platform local ARGV...``: its exit code, stdout and stderr."""
    code = local_cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def catch_up(env: LocalEnv) -> None:
    """Wait until the replica has every transaction of the primary (the export reads the replica)."""
    with env.connect("primary") as primary, primary.cursor() as cur:
        cur.execute("SELECT @@gtid_binlog_pos")
        (position,) = cur.fetchone()
    with env.connect("replica") as replica, replica.cursor() as cur:
        cur.execute("SELECT MASTER_GTID_WAIT(%s, 30)", (position,))
        assert cur.fetchone() == (0,)
