"""The one exit-code table of the command lines, and the base of every error that carries one.

The numbers are documented (README, ``--help``): they do not change. The bootstrap uses
0, 2-5 and 130; the stack commands use 0-2 and 6-10 and pass the bootstrap's codes through
(``bootstrap``, ``up --bootstrap``); the analytics commands use 0-3, 11-13, 130 and 143. This module
imports nothing of the project, so every subpackage may use it.
"""

from __future__ import annotations

from typing import Final

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # unexpected error
EXIT_BAD_INPUT: Final = 2  # bad arguments or bad input; nothing was changed
EXIT_USAGE: Final = EXIT_BAD_INPUT  # the stack commands' name for it
EXIT_CONNECT: Final = 3  # cannot connect to or authenticate with the database (or lost it, or no tunnel)
EXIT_MIGRATION: Final = 4  # applying the schema failed (migration, history, app user)
EXIT_REPLICATION: Final = 5  # a reader did not return the heartbeat in time
EXIT_CLI_MISSING: Final = 6  # Pulumi CLI missing, unusable or too old
EXIT_STACK_BUSY: Final = 7  # another update holds the stack's lock
EXIT_OPERATION_FAILED: Final = 8  # the pulumi operation itself failed
EXIT_STACK_NOT_FOUND: Final = 9  # refresh/destroy/outputs/bootstrap on a stack that does not exist
EXIT_RESULTS_UNREADABLE: Final = 10  # the update succeeded but its outputs could not be read
EXIT_NOT_FOUND: Final = 11  # analytics: no such snapshot, crawler, workgroup, export or table
EXIT_DENIED: Final = 12  # analytics: no AWS credentials, or AWS refused a call, a role or a key
EXIT_TASK_FAILED: Final = 13  # analytics: an export task, a crawl or a query failed
EXIT_INTERRUPTED: Final = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_TERMINATED: Final = 143  # 128 + SIGTERM: timeout(1), CI cancellation, container stop
EXIT_BROKEN_PIPE: Final = 141  # 128 + SIGPIPE: what read the output stopped reading (`| head`)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is (sockets shut, one last line) but reported as 143."""


def interrupt_exit(exc: KeyboardInterrupt) -> tuple[int, str]:
    """(exit code, what happened) for Ctrl-C or SIGTERM."""
    return (
        (EXIT_TERMINATED, "terminated (SIGTERM)")
        if isinstance(exc, Terminated)
        else (
            EXIT_INTERRUPTED,
            "interrupted (Ctrl-C)",
        )
    )


class PlatformError(Exception):
    """Base of the errors a command line turns into an exit code.

    ``exit_code`` is what the command line returns for it; ``label`` names the kind of
    failure in the bootstrap's one-line message (``bootstrap: <label> error: ...``).
    """

    exit_code: int = EXIT_FAILED
    label: str = "unexpected"
