"""The files an environment leaves for its clients: ``outputs.json`` and a client option file.

``outputs.json`` has exactly the shape of ``pulumi stack output --json --show-secrets``
(the contract in ``mysql_platform.core.contract``). ``client-admin.cnf`` lets the
``mariadb`` (or ``mysql``) client connect as the admin user through the proxy's writer
port, with TLS verified against the environment's CA, without the password on a
command line. Both are mode 0600 and rewritten only when their content changes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

from mysql_platform.core.contract import DbInfo, Endpoint, HostInfo, ProxyInfo, Secret, StackOutputs
from mysql_platform.local.layout import Paths, write_private
from mysql_platform.local.procs import LOOPBACK, LocalEnvError, os_user
from mysql_platform.local.state import ADMIN_USER, Secrets, State

# What an option file takes unquoted and unescaped (generated passwords always match).
_PLAIN_VALUE_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def build_outputs(paths: Paths, state: State, secrets_: Secrets) -> StackOutputs:
    primary = state.servers[state.roles.primary]
    # A fenced former primary is no reader until it has rejoined.
    readers = tuple(
        Endpoint(LOOPBACK, state.servers[n].port) for n in state.replicas if not state.servers[n].needs_rejoin
    )
    version = state.engine_version or ""
    return StackOutputs(
        environment="local",
        vpc_id="local",
        host=HostInfo(instance_id="local", public_ip=LOOPBACK, public_dns="localhost", ssh_user=os_user()),
        db=DbInfo(
            engine="mariadb",
            # RDS reports "8.0.39"; the server says "10.11.19-MariaDB-0+deb12u1".
            engine_version=version.split("-", 1)[0],
            writer=Endpoint(LOOPBACK, primary.port),
            readers=readers,
            database=state.db_name or "",
            username=ADMIN_USER,
            publicly_accessible=False,
            multi_az=False,
        ),
        db_password=Secret(secrets_.admin),
        proxy=ProxyInfo(
            host=LOOPBACK, writer_port=state.haproxy.writer_port, reader_port=state.haproxy.reader_port
        ),
        ssl_ca=str(paths.ca),
    )


def _write_if_changed(path: Path, text: str) -> None:
    # Unchanged files are not rewritten: a second `up` changes nothing.
    if path.exists() and path.read_text() == text:
        return
    write_private(path, text)


def write_outputs(path: Path, outputs: StackOutputs) -> None:
    _write_if_changed(path, json.dumps(outputs.to_dict(reveal_secrets=True), indent=2) + "\n")


def render_client_cnf(paths: Paths, state: State, secrets_: Secrets) -> str:
    """An option file for the admin user through the proxy's writer port (which follows failovers).

    ``[client]`` holds what both the MariaDB and the MySQL client read. Only MariaDB's
    clients read ``[client-mariadb]``, where ``ssl-verify-server-cert`` makes them check the
    certificate's host name too; MySQL's client verifies the chain against ``ssl-ca``
    (VERIFY_CA, its default when ``ssl-ca`` is given) and would warn about that option.
    """
    if not _PLAIN_VALUE_RE.fullmatch(secrets_.admin):
        raise LocalEnvError("the admin password in secrets.json is not a generated one")
    ca = str(paths.ca)
    if any(c in ca for c in "\n\"'\\#;"):
        raise LocalEnvError(f"cannot name the CA {ca!r} in an option file; use a plainer state dir path")
    return (
        "# Written by `mysql-platform local up`. Mode 0600: it holds the password.\n"
        "[client]\n"
        f"user={ADMIN_USER}\n"
        f"password={secrets_.admin}\n"
        f"host={LOOPBACK}\n"
        f"port={state.haproxy.writer_port}\n"
        f"ssl-ca={ca}\n"
        "\n[client-mariadb]\n"
        "ssl-verify-server-cert\n"
    )


def write_client_cnf(paths: Paths, state: State, secrets_: Secrets) -> None:
    _write_if_changed(paths.client_cnf, render_client_cnf(paths, state, secrets_))


def client_command(cnf: Path, cwd: Path | None = None, program: str = "mariadb") -> str:
    """A command line that connects with ``cnf``: relative to ``cwd`` when the file is under it."""
    here = (cwd or Path.cwd()).resolve()
    shown = os.path.relpath(cnf, here) if cnf.is_relative_to(here) else str(cnf)
    # --defaults-extra-file must be the first option.
    return f"{program} --defaults-extra-file={shlex.quote(shown)}"
