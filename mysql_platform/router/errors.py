"""What the router raises: whether a write was applied is always part of the answer.

A caller retries a :class:`WriteNotApplied` safely: nothing reached a writer that could
have applied it. An :class:`AmbiguousWrite` is never retried by the router: the
connection died after the statement (or COMMIT) was sent, so it may or may not have
committed; the caller decides (an idempotent write can be retried, others checked).
SQL errors the server returns (duplicate key, syntax) are the connector's own
exceptions, unchanged.
"""

from __future__ import annotations

from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_CONNECT, PlatformError


class RouterError(PlatformError):
    """Base class of the router's errors; messages never hold a password."""

    exit_code = EXIT_CONNECT
    label = "router"


class RoutingRefused(RouterError):
    """A statement the router will not run on a pooled connection (bad input, nothing sent)."""

    exit_code = EXIT_BAD_INPUT


class WriteNotApplied(RouterError):
    """Nothing was applied: no writer could be reached, or it refused the write as read-only."""


class WriterUnavailable(WriteNotApplied):
    """No writable server answered within the router's ``writer_wait_s``."""


class AmbiguousWrite(RouterError):
    """The connection was lost after a write (or COMMIT) was sent: it may have committed."""


class NoReader(RouterError):
    """A read found neither a healthy reader nor a reachable writer."""


class SessionLost(RouterError):
    """The connection that held a session's state (locks, temporary tables, variables) was lost."""
