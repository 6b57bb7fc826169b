"""Reaching an environment's writer from the benchmark: options for the ``mariadb`` and
``mariadb-dump`` programs (the password in a 0600 option file), SQL piped into ``mariadb``,
and the :class:`mysql_platform.db.connection.Target` for mysql-connector.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mysql_platform.core.contract import StackOutputs
from mysql_platform.db import connection as db


@contextlib.contextmanager
def client_options(outputs: StackOutputs) -> Iterator[list[str]]:
    """Options for ``mariadb``/``mariadb-dump`` to the writer; the password in a 0600 file.

    The password never goes on a command line (``ps`` shows it). ``--defaults-extra-file``
    must be the first option, so callers put these right after the program name.
    """
    with tempfile.TemporaryDirectory(prefix="bench-cnf-") as tmp:
        cnf = Path(tmp) / "client.cnf"
        fd = os.open(cnf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"[client]\npassword={outputs.db_password.reveal()}\n")
        w = outputs.db.writer
        opts = [
            f"--defaults-extra-file={cnf}",
            f"--host={w.host}",
            f"--port={w.port}",
            f"--user={outputs.db.username}",
        ]
        if outputs.ssl_ca:
            opts += [f"--ssl-ca={outputs.ssl_ca}", "--ssl-verify-server-cert"]
        else:
            opts += ["--ssl"]
        yield opts


def target(outputs: StackOutputs) -> db.Target:
    """The writer as a mysql-connector target: the outputs' user and password, TLS with their CA."""
    w = outputs.db.writer
    return db.Target(w.host, w.port, outputs.db.username, outputs.db_password, ssl_ca=outputs.ssl_ca)


def run_client(outputs: StackOutputs, sql: str, *extra: str) -> None:
    """Pipe ``sql`` into the ``mariadb`` client (utf8mb4, comments kept); raise with its stderr."""
    with client_options(outputs) as opts:
        argv = ["mariadb", *opts, "--default-character-set=utf8mb4", "--comments", *extra]
        proc = subprocess.run(argv, input=sql.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"mariadb exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
