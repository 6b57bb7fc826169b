"""Drive this project's stacks from Python (Pulumi Automation API).

Python services::

    from mysql_platform.stack import automation
    from mysql_platform.stack.automation import Options

    log = logging.getLogger("deploy")
    # work_dir: a project directory (`mysql-platform init DIR` makes one); by default the one
    # mysql_platform.project finds from the current directory, looked up when Options() is made.
    opts = Options(work_dir=Path("deploy/mysql"), backend_url="s3://my-state-bucket", on_output=log.info)
    automation.up("dev", opts)
    outputs = automation.outputs("dev", opts)       # typed StackOutputs

The bootstrap after ``up`` is :func:`mysql_platform.orchestrate.up_and_bootstrap`; the command line
is :mod:`mysql_platform.cli.stack` (``mysql-platform stack``).

Both need the Pulumi CLI on PATH (or ``Options.pulumi_root``): the Automation
API drives it, it does not replace it. Nothing happens at import time: no CLI lookup, no
file read; each call does both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pulumi import automation as auto

from mysql_platform.core.contract import StackOutputs
from mysql_platform.core.outputs import OutputsError, from_automation
from mysql_platform.stack.automation_errors import AutomationError as AutomationError
from mysql_platform.stack.automation_errors import BadInput as BadInput
from mysql_platform.stack.automation_errors import OperationFailed as OperationFailed
from mysql_platform.stack.automation_errors import PulumiCliError as PulumiCliError
from mysql_platform.stack.automation_errors import PulumiCliMissing as PulumiCliMissing
from mysql_platform.stack.automation_errors import ResultsUnreadable as ResultsUnreadable
from mysql_platform.stack.automation_errors import StackBusy as StackBusy
from mysql_platform.stack.automation_errors import StackConflict as StackConflict
from mysql_platform.stack.automation_errors import StackNotFound as StackNotFound
from mysql_platform.stack.automation_errors import command_streams, map_command_error, tail
from mysql_platform.stack.config import ConfigInput as ConfigInput
from mysql_platform.stack.workspace import Options as Options
from mysql_platform.stack.workspace import ProgramSource as ProgramSource
from mysql_platform.stack.workspace import RunLog, open_stack, translated

T = TypeVar("T")


def _update(
    stack_name: str,
    options: Options,
    operation: str,
    call: Callable[[auto.Stack, RunLog], T],
    *,
    create: bool,
    apply_config: bool = False,
) -> T:
    """Run one engine operation, turning its failure into an error that says why."""
    stack = open_stack(stack_name, options, create=create, apply_config=apply_config)
    run_log = RunLog()
    try:
        return call(stack, run_log)
    except auto.CommandError as exc:
        if operation != "preview" and run_log.completed:
            # The SDK reads outputs (with --show-secrets) and history after the engine ran.
            _, stderr = command_streams(exc)
            raise ResultsUnreadable(
                f"pulumi {operation} on stack '{stack_name}' succeeded, but reading its results "
                f"afterwards failed, so they are not shown; `pulumi stack output -s {stack_name}` "
                f"reads them again once this is fixed.\npulumi said: {tail(stderr)}"
            ) from None
        raise map_command_error(exc, stack_name, operation, run_log.diagnostics) from None
    except auto.InvalidVersionError as exc:
        raise PulumiCliError(f"the Pulumi CLI cannot be used for '{operation}': {exc}") from None


def _streams(options: Options, log: RunLog) -> dict[str, Any]:
    """Where an operation's stdout, stderr and engine events go: the caller's callbacks, with the
    events also recorded for the error message."""
    return {
        "on_output": options.on_output,
        "on_error": options.on_error,
        "on_event": log.recorder(options.on_event),
    }


def preview(stack_name: str, options: Options | None = None) -> auto.PreviewResult:
    """``pulumi preview``; creates the stack if it does not exist yet."""
    options = Options() if options is None else options  # the project directory, looked up now

    def call(stack: auto.Stack, log: RunLog) -> auto.PreviewResult:
        return stack.preview(**_streams(options, log))

    return _update(stack_name, options, "preview", call, create=True, apply_config=True)


def up(stack_name: str, options: Options | None = None) -> auto.UpResult:
    """``pulumi up --yes``; creates the stack if it does not exist yet."""
    options = Options() if options is None else options  # the project directory, looked up now

    def call(stack: auto.Stack, log: RunLog) -> auto.UpResult:
        # show_secrets=False: the summary's config is never used here, and a decryption
        # problem must not turn a finished update into a failure.
        return stack.up(**_streams(options, log), show_secrets=False)

    return _update(stack_name, options, "up", call, create=True, apply_config=True)


def refresh(stack_name: str, options: Options | None = None) -> auto.RefreshResult:
    """``pulumi refresh --yes`` on an existing stack; ``Options.config`` is not written."""
    options = Options() if options is None else options  # the project directory, looked up now

    def call(stack: auto.Stack, log: RunLog) -> auto.RefreshResult:
        return stack.refresh(**_streams(options, log), show_secrets=False)

    return _update(stack_name, options, "refresh", call, create=False)


def destroy(stack_name: str, options: Options | None = None) -> auto.DestroyResult:
    """``pulumi destroy --yes`` on an existing stack (protected resources make it fail, by design).

    ``Options.config`` is not written: the stack's saved config is what it was built with.
    """
    options = Options() if options is None else options  # the project directory, looked up now

    def call(stack: auto.Stack, log: RunLog) -> auto.DestroyResult:
        return stack.destroy(**_streams(options, log), show_secrets=False)

    return _update(stack_name, options, "destroy", call, create=False)


def outputs(stack_name: str, options: Options | None = None) -> StackOutputs:
    """The stack's outputs contract, typed; the password stays a ``Secret``."""
    options = Options() if options is None else options  # the project directory, looked up now
    stack = open_stack(stack_name, options, create=False, plugins=False)
    with translated(stack_name, "stack output"):
        raw = stack.outputs()
    return parse_outputs(raw, stack_name)


def parse_outputs(raw: Mapping[str, Any], stack_name: str) -> StackOutputs:
    try:
        return from_automation(raw)
    except OutputsError as exc:
        raise BadInput(
            f"stack '{stack_name}': {exc} (has `mysql-platform stack up {stack_name} --yes` completed?)"
        ) from None


def render_outputs(stack_outputs: StackOutputs, *, show_secrets: bool = False) -> str:
    """The outputs as ``pulumi stack output --json`` prints them; the password masked by default."""
    return json.dumps(stack_outputs.to_dict(reveal_secrets=show_secrets), indent=2, sort_keys=True)
