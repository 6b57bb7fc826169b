"""Read/write routing for Python services, with read-your-writes, from the outputs contract.

    from mysql_platform import router

    with router.connect(".local/outputs.json", user="app", password=app_password) as db:
        db.execute("INSERT INTO orders (customer_id) VALUES (%s)", (7,))      # the writer
        rows = db.query("SELECT id FROM orders WHERE customer_id = %s", (7,))  # a replica, which has it

See the README's section for service authors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mysql_platform.core.contract import Secret, StackOutputs
from mysql_platform.router.cluster import Credentials
from mysql_platform.router.errors import (
    AmbiguousWrite,
    NoReader,
    RouterError,
    RoutingRefused,
    SessionLost,
    WriteNotApplied,
    WriterUnavailable,
)
from mysql_platform.router.router import Router
from mysql_platform.router.session import Session
from mysql_platform.router.settings import RouterSettings
from mysql_platform.router.statement_run import Result
from mysql_platform.router.statements import Route, route_of
from mysql_platform.router.topology import source_of

__all__ = [
    "AmbiguousWrite",
    "NoReader",
    "Result",
    "Route",
    "Router",
    "RouterError",
    "RouterSettings",
    "RoutingRefused",
    "Session",
    "SessionLost",
    "WriteNotApplied",
    "WriterUnavailable",
    "connect",
    "route_of",
]


def connect(
    outputs: StackOutputs | str | Path | Callable[[], StackOutputs],
    *,
    user: str | None = None,
    password: Secret | str | None = None,
    database: str | None = None,
    ssl_ca: str | None = None,
    insecure_skip_verify: bool = False,
    settings: RouterSettings | None = None,
) -> Router:
    """A router over the writer and readers named by ``outputs``.

    ``outputs``: a stack's outputs (parsed), the path of an outputs file (re-read when it
    changes, e.g. after the local ``failover``), or a function returning them (called again
    when the writer fails). ``user``/``password`` default to the outputs' master user; services
    pass their application user. TLS is always on and verified against ``ssl_ca`` (the outputs'
    CA in the local environment, the RDS bundle on AWS); ``insecure_skip_verify`` encrypts
    without verifying, and must be asked for.
    """
    source = source_of(outputs)
    first = source.load()
    ca = ssl_ca or first.ssl_ca
    if ca is None and not insecure_skip_verify:
        raise RouterError(
            "router: no CA to verify the servers with: pass ssl_ca (for RDS, the global bundle "
            "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem), or insecure_skip_verify=True"
        )
    if password is None:
        secret = first.db_password if user in (None, first.db.username) else None
        if secret is None:
            raise RouterError(f"router: no password for user {user!r}: pass password=")
    else:
        secret = password if isinstance(password, Secret) else Secret(password)
    credentials = Credentials(
        user=user or first.db.username,
        password=secret,
        database=database if database is not None else (first.db.database or None),
        ssl_ca=None if insecure_skip_verify and not ssl_ca else ca,
    )
    return Router(source, credentials, settings or RouterSettings())
