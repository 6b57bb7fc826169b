"""The analytics commands' errors, each with its exit code (the table is in mysql_platform/errors.py)."""

from __future__ import annotations

from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_DENIED, EXIT_NOT_FOUND, EXIT_TASK_FAILED, PlatformError


class AnalyticsError(PlatformError):
    exit_code = EXIT_TASK_FAILED
    label = "analytics"


class BadInput(AnalyticsError):
    """Bad arguments or outputs; nothing was started."""

    exit_code = EXIT_BAD_INPUT


class NotFound(AnalyticsError):
    """A snapshot, crawler, workgroup, export or table that does not exist."""

    exit_code = EXIT_NOT_FOUND


class Denied(AnalyticsError):
    """No credentials, or AWS refused the call, the role or the key."""

    exit_code = EXIT_DENIED


class TaskFailed(AnalyticsError):
    """An export task, a crawl or a query ran and failed (or was cancelled, or timed out)."""

    exit_code = EXIT_TASK_FAILED


class MissingExtra(BadInput):
    """boto3, DuckDB or pyarrow is not installed."""


def require_extra(module: str) -> None:
    """Import ``module`` or say which extra brings it."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"this command needs the Python package '{module}', which is in the analytics extra: "
            "pip install 'mysql-platform[analytics]' (in a checkout: `make deps-analytics`)"
        ) from None
