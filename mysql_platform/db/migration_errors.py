"""What applying migrations raises: each a :class:`mysql_platform.errors.PlatformError` with its exit code."""

from __future__ import annotations

from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_MIGRATION, PlatformError


class MigrationFileError(PlatformError, ValueError):
    """A migration file or directory is malformed (bad name, duplicate version, bad SQL text)."""

    exit_code = EXIT_BAD_INPUT
    label = "bad migration file"


class MigrationError(PlatformError, RuntimeError):
    """Applying migrations failed: bad statement, edited applied file, lock timeout."""

    exit_code = EXIT_MIGRATION
    label = "migration"


class HistoryTableError(MigrationError):
    """A migration dropped or changed the runner's history table (it was put back if possible)."""


class OutOfOrder(MigrationError):
    """A pending version is lower than one already applied (allowed with ``out_of_order``)."""


class PacketTooLarge(MigrationError):
    """A statement is larger than the server's ``max_allowed_packet``: it fails the same way every run."""
