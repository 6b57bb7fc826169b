"""Ctrl-C and SIGTERM during ``local query``, sent to a process of its own as a shell or timeout(1)
sends them: one line, exit 130 or 143, and the query's link folder removed. No database needed: a
landing file alone makes a query run without an export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mysql_platform import errors

ROOT = Path(__file__).resolve().parents[2]
LONG_QUERY = "SELECT count(*) FROM range(100000000000)"


def _started(tmp: Path, proc: subprocess.Popen[str]) -> None:
    """Wait until the query's link folder holds its link: the views exist and the query is next."""
    while not list(tmp.glob("mysql-platform-query-*/0.csv")):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.5)  # into DuckDB's scan; a signal before it must end the same way


@pytest.mark.parametrize(
    ("sig", "code", "line"),
    [
        (signal.SIGINT, errors.EXIT_INTERRUPTED, "local query: interrupted (Ctrl-C); nothing was kept"),
        (signal.SIGTERM, errors.EXIT_TERMINATED, "local query: terminated (SIGTERM); nothing was kept"),
    ],
)
def test_a_signal_during_a_query_is_one_line_and_leaves_no_links(
    tmp_path: Path, sig: signal.Signals, code: int, line: str
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp_path / "x.csv").write_text("a\n1\n")
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "mysql_platform.cli.local", "--state-dir", str(tmp_path / "state"),
            "query", "--landing", f"x={tmp_path / 'x.csv'}", LONG_QUERY]  # fmt: skip
    with subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:  # fmt: skip
        _started(tmp, proc)
        proc.send_signal(sig)
        _, err = proc.communicate()
    assert (proc.returncode, err) == (code, line + "\n")
    assert list(tmp.iterdir()) == []
