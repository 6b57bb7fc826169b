"""The errors of the stack operations, and how the Automation API's failures map onto them.

Each carries the exit code the command line returns (:mod:`mysql_platform.errors`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Final

from pulumi import automation as auto
from semver import VersionInfo

from mysql_platform.errors import (
    EXIT_BAD_INPUT,
    EXIT_CLI_MISSING,
    EXIT_OPERATION_FAILED,
    EXIT_RESULTS_UNREADABLE,
    EXIT_STACK_BUSY,
    EXIT_STACK_NOT_FOUND,
    PlatformError,
)

CLI_INSTALL_HINT: Final = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi`, "
    "or see https://www.pulumi.com/docs/install/) and make sure `pulumi` is on PATH"
)


class AutomationError(PlatformError):
    """Base of every error this module raises; ``exit_code`` is what the command line returns."""

    exit_code = EXIT_OPERATION_FAILED


class BadInput(AutomationError, ValueError):
    """A stack name, config override, backend URL, work dir or requirements pin is invalid."""

    exit_code = EXIT_BAD_INPUT
    label = "bad input"


class PulumiCliError(AutomationError):
    """The Pulumi CLI cannot be used (missing, broken or too old)."""

    exit_code = EXIT_CLI_MISSING


class PulumiCliMissing(PulumiCliError):
    """The Pulumi CLI is not installed where we looked."""


class StackNotFound(AutomationError):
    """The stack does not exist in the backend (refresh, destroy and outputs never create one)."""

    exit_code = EXIT_STACK_NOT_FOUND


class StackBusy(AutomationError):
    """Another update (up, destroy, refresh, import) holds the stack's lock."""

    exit_code = EXIT_STACK_BUSY


class OperationFailed(AutomationError):
    """The pulumi command ran and failed; the message carries the engine's error diagnostics."""

    def __init__(self, message: str, diagnostics: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


class StackConflict(AutomationError):
    """Another client created the same stack at the same moment, and it still cannot be selected."""


class ResultsUnreadable(AutomationError):
    """The update itself succeeded, but reading its outputs or history afterwards failed."""

    exit_code = EXIT_RESULTS_UNREADABLE


def command_streams(exc: auto.CommandError) -> tuple[str, str]:
    # CommandError keeps only str(CommandResult): "\n code: N\n stdout: ...\n stderr: ...".
    text = str(exc)
    head, found, stderr = text.rpartition("\n stderr: ")
    if not found:
        return "", text
    _, found, stdout = head.partition("\n stdout: ")
    return (stdout if found else ""), stderr


def tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def engine_diagnostics(stdout: str) -> str:
    """The engine's "Diagnostics:" block from a run's stdout, where resource and program errors go."""
    _, found, rest = stdout.partition("\nDiagnostics:\n")
    if not found:
        return ""
    block = rest.split("\nResources:", 1)[0].split("\nOutputs:", 1)[0]
    return tail(block, 20)


def map_command_error(
    exc: auto.CommandError, stack_name: str, operation: str, diagnostics: Sequence[str] = ()
) -> AutomationError:
    """Translate the Automation API's CommandError family into this module's errors.

    ``diagnostics``: the error diagnostics the engine reported as events during the run. A
    failed resource or program writes them to stdout (and the event log), not to stderr.
    """
    stdout, stderr = command_streams(exc)
    stderr = tail(stderr)
    if isinstance(exc, auto.ConcurrentUpdateError):
        return StackBusy(
            f"stack '{stack_name}' is busy: another update holds its lock, so '{operation}' did not "
            "start and nothing was changed. Wait for it to finish and retry; if no update is running "
            f"(a crashed run left the lock), clear it with `pulumi cancel -s {stack_name}`.\n"
            f"pulumi said: {stderr}"
        )
    if isinstance(exc, auto.StackNotFoundError):
        return StackNotFound(
            f"stack '{stack_name}' does not exist in this backend ('{operation}' never creates one); "
            f"create it with `mysql-platform stack up {stack_name} --yes` or check --backend.\n"
            f"pulumi said: {stderr}"
        )
    if isinstance(exc, auto.StackAlreadyExistsError):
        return StackConflict(
            f"stack '{stack_name}' was created by someone else while '{operation}' ran and still cannot "
            f"be selected; retry.\npulumi said: {stderr}"
        )
    why = "\n".join(d.strip() for d in diagnostics if d.strip()) or engine_diagnostics(stdout)
    parts = [p for p in (why, stderr if stderr.strip() else "") if p]
    if not parts:
        parts = [tail(stdout) or "(pulumi printed nothing)"]
    return OperationFailed(
        f"pulumi {operation} on stack '{stack_name}' failed:\n" + "\n".join(parts), diagnostics
    )


def map_cli_error(exc: BaseException, where: str, minimum: VersionInfo) -> PulumiCliError:
    """Translate what ``auto.PulumiCommand`` raises when it cannot use the CLI."""
    if isinstance(exc, FileNotFoundError | PermissionError):
        return PulumiCliMissing(
            f"the Pulumi CLI was not found ({where}); the Automation API drives the CLI, it does not "
            f"replace it. Version {minimum} or newer is required: {CLI_INSTALL_HINT}"
        )
    if isinstance(exc, auto.InvalidVersionError):
        return PulumiCliError(f"the Pulumi CLI at {where} cannot be used: {exc} (need >= {minimum})")
    if isinstance(exc, subprocess.CalledProcessError):
        return PulumiCliError(
            f"`pulumi version` failed with exit status {exc.returncode} ({where}); reinstall the CLI "
            f"(>= {minimum}): {CLI_INSTALL_HINT}"
        )
    return PulumiCliError(f"the Pulumi CLI at {where} cannot be used: {exc}")
