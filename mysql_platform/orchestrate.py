"""What combines the database operations with stack access: the bootstrap through an SSH
tunnel via the EC2 host, and ``up`` followed by the bootstrap.

Python services::

    from mysql_platform import orchestrate
    from mysql_platform.db.bootstrap_options import Options as BootstrapOptions
    from mysql_platform.stack import automation

    code = orchestrate.bootstrap(automation.outputs("prod"), BootstrapOptions(ssl_ca="global-bundle.pem"))
    code = orchestrate.up_and_bootstrap("dev", automation.Options(), BootstrapOptions())

They return the bootstrap's exit code (:mod:`mysql_platform.errors`). Progress and errors go to
the ``out``/``err`` streams when given, else to the loggers: nothing is printed by default.
:mod:`mysql_platform.db` and :mod:`mysql_platform.stack` never import each other; this module does both.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

# First: the connector without OpenTelemetry (see that module), before bootstrap_options loads it.
from mysql_platform.db import connector as _connector  # noqa: F401  # isort: skip

from mysql_platform.core.contract import Endpoint, StackOutputs
from mysql_platform.db.bootstrap_options import Options, endpoints, tls_ca
from mysql_platform.errors import PlatformError
from mysql_platform.stack import tunnel

if TYPE_CHECKING:
    from mysql_platform.stack import automation

_log = logging.getLogger(__name__)


def endpoint_options(
    options: Options, writer: Endpoint, readers: Sequence[Endpoint], *, tunnelled: bool
) -> Options:
    """The options pointed at these endpoints.

    Through a tunnel we connect to 127.0.0.1, which the RDS certificate does not
    name, so only the chain is verified against the CA; ssh's host key check
    authenticates the hop and the host connects to the real RDS name.
    """
    return dataclasses.replace(
        options,
        writer=writer,
        readers=tuple(readers),
        tls_verify_identity=options.tls_verify_identity and not tunnelled,
    )


Work = Callable[[StackOutputs, Options], int]


def run_via_host(
    outputs_: StackOutputs,
    options: Options,
    access: tunnel.HostAccess,
    *,
    outputs_path: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    work: Work | None = None,
    label: str = "bootstrap",
) -> int:
    """``work`` (default :func:`mysql_platform.db.bootstrap.run`), through an SSH tunnel via the EC2 host
    when asked or when the DB is private; ``work`` gets the options pointed at the tunnel's ends.

    The tunnel is closed on every exit path. One that cannot be opened is a
    connection failure (exit 3).
    """
    if work is None:

        def work(o: StackOutputs, opts: Options) -> int:
            from mysql_platform.db import bootstrap as db_bootstrap  # the connector: only when it connects

            return db_bootstrap.run(o, opts, outputs_path=outputs_path, out=out, err=err)

    if options.writer is not None and not access.via_host:
        # An explicit --writer (e.g. a Session Manager forward) is the path: no automatic tunnel.
        return work(outputs_, options)
    try:
        writer, readers = endpoints(outputs_, options)
        tunnelled = tunnel.wanted(outputs_, access)
        if tunnelled:
            tls_ca(outputs_, options, lambda _line: None)  # a missing CA fails before the tunnel; run warns
        with tunnel.via_host(outputs_, access, writer, readers) as (local_writer, local_readers):
            return work(outputs_, endpoint_options(options, local_writer, local_readers, tunnelled=tunnelled))
    except PlatformError as exc:  # BadInput (2), TunnelError (3)
        from mysql_platform.db.bootstrap import printer

        printer(err, _log.error, f"{label}: ")(f"{exc.label} error: {exc}")
        return exc.exit_code


def bootstrap(
    stack_outputs: StackOutputs,
    bootstrap_options: Options | None = None,
    access: tunnel.HostAccess | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the bootstrap against these outputs; returns the bootstrap's exit code.

    Goes through an SSH tunnel via the EC2 host when ``access.via_host`` is set or
    the DB is private (not publicly accessible, environment not ``local``). A tunnel
    that cannot be opened is a connection failure: the bootstrap's exit code 3.
    """
    return run_via_host(
        stack_outputs, bootstrap_options or Options(), access or tunnel.HostAccess(), out=out, err=err
    )


def up_and_bootstrap(
    stack_name: str,
    options: automation.Options | None = None,
    bootstrap_options: Options | None = None,
    access: tunnel.HostAccess | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``up``, then the bootstrap with the outputs that ``up`` returned; the bootstrap's exit code.

    Raises like :func:`mysql_platform.stack.automation.up` when the update fails (the bootstrap
    does not run then).
    """
    from mysql_platform.stack import automation  # Pulumi's SDK: imported only by what runs it

    result = automation.up(stack_name, options or automation.Options())
    stack_outputs = automation.parse_outputs(result.outputs, stack_name)
    return bootstrap(stack_outputs, bootstrap_options, access, out=out, err=err)
