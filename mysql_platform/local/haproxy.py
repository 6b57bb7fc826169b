"""A client for HAProxy's runtime API (a unix socket), as the local environment uses it.

One command per connection: send it, read the answer until HAProxy closes.
"""

from __future__ import annotations

import socket
from typing import Any

from mysql_platform.local.procs import LocalEnvError


def runtime_api(sock_path: str, command: str, timeout: float = 2.0) -> str:
    """Send one command to HAProxy's runtime API and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(sock_path)
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def api_ok(sock_path: str, command: str) -> None:
    """Run a command that changes the proxy; raise when HAProxy refuses it."""
    answer = runtime_api(sock_path, command).strip()
    # Success is an empty answer or an informational sentence; failures say so.
    if any(word in answer.lower() for word in ("unknown", "error", "invalid", "require", "no such")):
        raise LocalEnvError(f"HAProxy runtime API refused '{command}': {answer}")


def api_ok_all(sock_path: str, commands: list[str]) -> None:
    """:func:`api_ok` for several commands sent at once (``;``-separated, one connection)."""
    if commands:
        api_ok(sock_path, "; ".join(commands))


def servers_state(sock_path: str) -> list[dict[str, Any]]:
    """HAProxy's own view of its servers: backend, server, address and UP/DOWN."""
    view = []
    # Columns: be_id be_name srv_id srv_name srv_addr srv_op_state ... srv_port is the 19th.
    for line in runtime_api(sock_path, "show servers state").splitlines():
        cols = line.split()
        if len(cols) > 18 and not line.startswith("#"):
            view.append(
                {
                    "backend": cols[1],
                    "server": cols[3],
                    "address": f"{cols[4]}:{cols[18]}",
                    "state": "UP" if cols[5] == "2" else "DOWN",
                }
            )
    return view
