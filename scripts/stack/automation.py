"""Drive this project's stacks from Python (Pulumi Automation API) or the command line.

Python services::

    from scripts.stack import automation
    from scripts.stack.automation import Options

    log = logging.getLogger("deploy")
    opts = Options(backend_url="s3://my-state-bucket", on_output=log.info)
    automation.up("dev", opts)
    outputs = automation.outputs("dev", opts)       # typed StackOutputs

People::

    python -m scripts.automation preview dev
    python -m scripts.automation up dev --yes
    python -m scripts.automation outputs prod            # password masked
    python -m scripts.automation bootstrap prod --ssh-key ~/.ssh/prod.pem

Both need the Pulumi CLI on PATH (or ``Options.pulumi_root``): the Automation
API drives it, it does not replace it. Nothing happens at import time.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import importlib
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO, TypeVar

from pulumi import automation as auto
from semver import VersionInfo

from mysql_platform_core.contract import Secret, StackOutputs
from mysql_platform_core.outputs import OutputsError, from_automation
from scripts.db import bootstrap as bootstrap_module
from scripts.stack import tunnel

logger = logging.getLogger(__name__)

PROJECT_DIR: Final = Path(__file__).resolve().parents[2]
PROJECT_NAME: Final = "mysql-platform"
REQUIREMENTS: Final = PROJECT_DIR / "requirements.txt"
# The function __main__.py runs; the inline source runs the very same one.
INLINE_PROGRAM: Final = "components.program:program"
# Resource plugins the program uses, keyed by plugin name -> pip package pinned in requirements.txt.
PLUGIN_PACKAGES: Final[Mapping[str, str]] = {"aws": "pulumi-aws", "random": "pulumi-random"}
CLI_INSTALL_HINT: Final = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi`, "
    "or see https://www.pulumi.com/docs/install/) and make sure `pulumi` is on PATH"
)

# Exit codes of the command line (also documented in --help). 3-5 are left to the
# bootstrap, whose codes `bootstrap` passes through unchanged.
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # unexpected error
EXIT_USAGE: Final = 2  # bad arguments or bad input (stack name, --config, work dir, outputs)
EXIT_CLI_MISSING: Final = 6  # Pulumi CLI missing, unusable or too old
EXIT_STACK_BUSY: Final = 7  # another update holds the stack's lock
EXIT_OPERATION_FAILED: Final = 8  # the pulumi operation itself failed
EXIT_STACK_NOT_FOUND: Final = 9  # refresh/destroy/outputs/bootstrap on a stack that does not exist
EXIT_RESULTS_UNREADABLE: Final = 10  # the update succeeded but its outputs could not be read

# The oldest CLI this module works with: `config set-all --json` (list-typed overrides, which
# the SDK's set_all_config_json sends) first shipped in CLI 3.202.0; the SDK itself gates inline
# refresh/destroy at 3.181.0 (pulumi/automation/_stack.py::_check_inline_support, SDK 3.272.0).
MINIMUM_CLI_VERSION: Final = VersionInfo(3, 202, 0)
SKIP_VERSION_CHECK_VAR: Final = "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"

OnOutput = Callable[[str], Any]
# An override: a string, a boolean or integer (sent as the CLI writes them: true, 3), a list of
# strings (for the array-typed keys), or a Secret (stored encrypted).
ConfigInput = str | bool | int | Sequence[str] | Secret
OnEvent = Callable[[auto.EngineEvent], Any]
T = TypeVar("T")

_STACK_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]*/){0,2}[A-Za-z0-9_.-]+$")
_STACK_NAME_MAX = 100
_CONFIG_KEY = re.compile(r"^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)?$")
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([0-9][^\s;#]*)")


# --- errors -----------------------------------------------------------------------------------


class AutomationError(Exception):
    """Base of every error this module raises; ``exit_code`` is what the command line returns."""

    exit_code = EXIT_OPERATION_FAILED


class BadInput(AutomationError, ValueError):
    """A stack name, config override, backend URL, work dir or requirements pin is invalid."""

    exit_code = EXIT_USAGE


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


# --- options ----------------------------------------------------------------------------------


class ProgramSource(enum.Enum):
    """Where the program comes from; both run ``components.program.program``."""

    # `pulumi` runs __main__.py in the project's own runtime, exactly like `pulumi up`.
    WORK_DIR = "work-dir"
    # The program runs in this process (debuggable, no subprocess), same function.
    INLINE = "inline"


@dataclass(frozen=True)
class Options:
    """How to reach and run a stack.

    ``config`` values are strings, booleans, integers or lists of strings (the array-typed
    keys such as ``dbAllowedCidrs``); wrap a string in :class:`mysql_platform_core.contract.Secret` to
    store it encrypted. Overrides are written only by :func:`preview` and :func:`up`, and, like
    ``pulumi up --config``, they are saved in the stack's config file (``Pulumi.<stack>.yaml``
    in ``work_dir``) in both program sources, so later runs keep them. ``refresh``, ``destroy``
    and ``outputs`` never write config.

    Selecting a stack is ``pulumi stack select``: it also becomes the current stack of
    ``work_dir`` for a person's later ``pulumi`` commands there.

    ``backend_url``: ``None`` keeps the user's current ``pulumi login``; otherwise
    ``https://api.pulumi.com``, ``file://~`` (what ``pulumi login --local`` uses),
    ``file:///abs/dir``, ``s3://bucket[/prefix]`` ... passed as ``PULUMI_BACKEND_URL``
    so the project file is never rewritten. DIY backends (file, s3) encrypt secrets with
    a passphrase: set ``PULUMI_CONFIG_PASSPHRASE`` (or ``..._FILE``) in ``env`` or the
    environment, or choose ``secrets_provider`` (e.g. ``awskms://alias/mysql-platform``)
    when the stack is created.
    """

    source: ProgramSource = ProgramSource.WORK_DIR
    work_dir: Path = PROJECT_DIR
    backend_url: str | None = None
    config: Mapping[str, ConfigInput] = field(default_factory=dict)
    on_output: OnOutput | None = None
    on_error: OnOutput | None = None
    on_event: OnEvent | None = None
    # A directory holding bin/pulumi (e.g. ~/.pulumi/versions/3.272.0); None = `pulumi` on PATH.
    pulumi_root: Path | None = None
    secrets_provider: str | None = None
    # Never in repr: it may hold PULUMI_CONFIG_PASSPHRASE or cloud credentials.
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    requirements: Path = REQUIREMENTS


# --- pure helpers (unit tested) ---------------------------------------------------------------


def validate_stack_name(name: str) -> str:
    """Return ``name`` if Pulumi would accept it as a stack name, else raise :class:`BadInput`."""
    if not name or len(name) > _STACK_NAME_MAX or not _STACK_NAME.match(name):
        raise BadInput(
            f"invalid stack name {name!r}: expected 1-{_STACK_NAME_MAX} characters of letters, digits, "
            "'-', '_' or '.', optionally qualified as org/stack or org/project/stack (e.g. 'dev', 'prod')"
        )
    return name


def validate_backend_url(url: str) -> str:
    if "://" not in url or url.startswith("://"):
        raise BadInput(
            f"invalid backend URL {url!r}: expected a URL such as https://api.pulumi.com, "
            "file://~ (pulumi login --local), file:///var/pulumi-state or s3://bucket/prefix"
        )
    return url


def parse_config_pair(text: str) -> tuple[str, str]:
    """Split a ``KEY=VALUE`` command-line pair; the value may contain '='."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep:
        # No '=': the whole text may be a value, so do not echo it.
        raise BadInput("invalid config override: expected KEY=VALUE (e.g. aws:region=eu-west-1), got no '='")
    if not _CONFIG_KEY.match(key):
        raise BadInput(
            f"invalid config key {key!r}: expected letters, digits, '-', '_', '.' with one optional "
            "namespace, like 'dbInstanceClass' or 'aws:region'"
        )
    return key, value


def parse_config_value(key: str, value: str) -> ConfigInput:
    """A command-line override's value: ``[...]`` is a JSON list of strings, anything else a string."""
    if not value.lstrip().startswith("["):
        return value
    try:
        items = json.loads(value)
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise BadInput(
            f"invalid list for config key {key!r}: expected a JSON list of strings such as "
            "'[\"198.51.100.7/32\"]', got " + repr(value)
        )
    return items


def read_pins(requirements: Path) -> dict[str, str]:
    """``package -> version`` for every ``name==version`` line of a requirements file."""
    try:
        lines = requirements.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInput(f"cannot read pinned requirements '{requirements}': {exc.strerror}") from None
    pins: dict[str, str] = {}
    for line in lines:
        match = _PIN.match(line.split("#", 1)[0])
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def plugin_versions(requirements: Path = REQUIREMENTS) -> dict[str, str]:
    """``plugin -> "vX.Y.Z"`` for the inline program, from the pip pins of the provider SDKs.

    A provider SDK's version is its plugin's version, so the pin is the one truth.
    """
    pins = read_pins(requirements)
    versions: dict[str, str] = {}
    for plugin, package in PLUGIN_PACKAGES.items():
        if package not in pins:
            raise BadInput(
                f"'{requirements}' does not pin {package} (expected a line '{package}==X.Y.Z'); "
                f"the inline program needs it to install the '{plugin}' plugin"
            )
        versions[plugin] = "v" + pins[package]
    return versions


def minimum_cli_version() -> VersionInfo:
    """The oldest CLI accepted: :data:`MINIMUM_CLI_VERSION`, set by the features the module uses.

    Not the pinned SDK's own version: the SDK drives older CLIs, and demanding the newest
    would turn every SDK bump into a forced CLI upgrade for every user.
    """
    return MINIMUM_CLI_VERSION


def _config_entry(key: str, value: ConfigInput) -> dict[str, Any]:
    """One key in the shape ``pulumi config --json`` prints (pkg/cmd/pulumi/config/config.go,
    ``configValueJSON``: value, objectValue, secret), which ``config set-all --json`` reads."""
    if isinstance(value, Secret):
        return {"value": value.reveal(), "secret": True}
    if isinstance(value, bool):
        return {"value": "true" if value else "false", "secret": False}
    if isinstance(value, int):
        return {"value": str(value), "secret": False}
    if isinstance(value, str):
        return {"value": value, "secret": False}
    items = list(value)
    if not all(isinstance(i, str) for i in items):
        raise BadInput(f"invalid list for config key {key!r}: expected strings only, got {items!r}")
    # A list as objectValue: stored as a YAML list, so Pulumi.yaml's array<string> type holds.
    # (--plaintext would store the JSON text as a string, which `up` then refuses.)
    return {"value": json.dumps(items), "objectValue": items, "secret": False}


def config_json(config: Mapping[str, ConfigInput]) -> str:
    """Plain overrides as the JSON document ``Stack.set_all_config_json`` passes to the CLI.

    Secrets are not in it: that document is a command-line argument, which ``ps`` shows to every
    user of the machine. :func:`set_secret` sends them on stdin instead.
    """
    out: dict[str, dict[str, Any]] = {}
    for key, value in config.items():
        if not _CONFIG_KEY.match(key):
            raise BadInput(f"invalid config key {key!r}: expected letters, digits, '-', '_', '.' (ns:key)")
        if not isinstance(value, Secret):
            out[key] = _config_entry(key, value)
    return json.dumps(out)


def set_secret(
    command: auto.PulumiCommand,
    work_dir: Path,
    env: Mapping[str, str],
    stack_name: str,
    key: str,
    value: Secret,
) -> None:
    """``pulumi config set --secret KEY`` with the value on stdin, never in argv.

    The CLI reads the value from stdin when none is given and stdin is not a terminal
    (pkg/cmd/pulumi/config/config_set.go); the SDK's set_config would put it in argv.
    """
    argv = [command.command, "--non-interactive", "config", "set", "--secret", key, "--stack", stack_name]
    # A fixed argv; the value goes on stdin.
    done = subprocess.run(
        argv,
        input=value.reveal(),
        capture_output=True,
        text=True,
        cwd=work_dir,
        env={**os.environ, **env, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        check=False,
    )
    if done.returncode != 0:
        raise OperationFailed(
            f"pulumi config set --secret {key} on stack '{stack_name}' failed:\n{_tail(done.stderr)}"
        )


def _command_streams(exc: auto.CommandError) -> tuple[str, str]:
    # CommandError keeps only str(CommandResult): "\n code: N\n stdout: ...\n stderr: ...".
    text = str(exc)
    head, found, stderr = text.rpartition("\n stderr: ")
    if not found:
        return "", text
    _, found, stdout = head.partition("\n stdout: ")
    return (stdout if found else ""), stderr


def _tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _engine_diagnostics(stdout: str) -> str:
    """The engine's "Diagnostics:" block from a run's stdout, where resource and program errors go."""
    _, found, rest = stdout.partition("\nDiagnostics:\n")
    if not found:
        return ""
    block = rest.split("\nResources:", 1)[0].split("\nOutputs:", 1)[0]
    return _tail(block, 20)


def map_command_error(
    exc: auto.CommandError, stack_name: str, operation: str, diagnostics: Sequence[str] = ()
) -> AutomationError:
    """Translate the Automation API's CommandError family into this module's errors.

    ``diagnostics``: the error diagnostics the engine reported as events during the run. A
    failed resource or program writes them to stdout (and the event log), not to stderr.
    """
    stdout, stderr = _command_streams(exc)
    stderr = _tail(stderr)
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
            f"create it with `python -m scripts.automation up {stack_name} --yes` or check --backend.\n"
            f"pulumi said: {stderr}"
        )
    if isinstance(exc, auto.StackAlreadyExistsError):
        return StackConflict(
            f"stack '{stack_name}' was created by someone else while '{operation}' ran and still cannot "
            f"be selected; retry.\npulumi said: {stderr}"
        )
    why = "\n".join(d.strip() for d in diagnostics if d.strip()) or _engine_diagnostics(stdout)
    parts = [p for p in (why, stderr if stderr.strip() else "") if p]
    if not parts:
        parts = [_tail(stdout) or "(pulumi printed nothing)"]
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


# --- the Automation API calls -----------------------------------------------------------------


def pulumi_command(options: Options) -> auto.PulumiCommand:
    """Find and version-check the CLI, or raise :class:`PulumiCliError` saying what to do.

    ``PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK`` skips the check, from the process environment
    (the SDK reads it there) or from ``Options.env``, like every other setting of the CLI.
    """
    minimum = minimum_cli_version()
    where = (
        f"looked for {options.pulumi_root / 'bin' / 'pulumi'}"
        if options.pulumi_root is not None
        else "no `pulumi` on PATH"
    )
    try:
        return auto.PulumiCommand(
            root=None if options.pulumi_root is None else str(options.pulumi_root),
            version=minimum,
            skip_version_check=SKIP_VERSION_CHECK_VAR in options.env,
        )
    except (OSError, subprocess.CalledProcessError, auto.InvalidVersionError) as exc:
        raise map_cli_error(exc, where if isinstance(exc, OSError) else "`pulumi`", minimum) from None


def inline_program() -> auto.PulumiFn:
    """The function the inline source runs: the one ``__main__.py`` calls."""
    module_name, _, attr = INLINE_PROGRAM.partition(":")
    try:
        program: auto.PulumiFn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise BadInput(f"the inline program {INLINE_PROGRAM} cannot be loaded: {exc}") from None
    return program


def _workspace_options(options: Options, command: auto.PulumiCommand) -> auto.LocalWorkspaceOptions:
    env = dict(options.env)
    if options.backend_url is not None:
        # The env var, not ProjectSettings.backend: setting project settings would rewrite Pulumi.yaml.
        env["PULUMI_BACKEND_URL"] = validate_backend_url(options.backend_url)
    return auto.LocalWorkspaceOptions(
        # The project dir in both modes, so Pulumi.<stack>.yaml (config, encryption salt)
        # is read and written where `pulumi` itself would.
        work_dir=str(options.work_dir),
        env_vars=env,
        secrets_provider=options.secrets_provider,
        pulumi_command=command,
    )


@dataclass
class RunLog:
    """What the engine reported during one operation, from its events."""

    diagnostics: list[str] = field(default_factory=list)
    summary_seen: bool = False

    def recorder(self, forward: OnEvent | None) -> OnEvent:
        def on_event(event: auto.EngineEvent) -> None:
            diag = event.diagnostic_event
            if diag is not None and diag.severity == "error":
                self.diagnostics.append(diag.message)
            if event.summary_event is not None:
                self.summary_seen = True
            if forward is not None:
                forward(event)

        return on_event

    @property
    def completed(self) -> bool:
        """The engine finished the operation and reported no error."""
        return self.summary_seen and not self.diagnostics


@contextmanager
def _translated(stack_name: str, operation: str, run_log: RunLog | None = None) -> Iterator[None]:
    try:
        yield
    except auto.CommandError as exc:
        diagnostics = run_log.diagnostics if run_log is not None else ()
        raise map_command_error(exc, stack_name, operation, diagnostics) from None
    except auto.InvalidVersionError as exc:
        raise PulumiCliError(f"the Pulumi CLI cannot be used for '{operation}': {exc}") from None


def _select(
    stack_name: str, options: Options, ws_options: auto.LocalWorkspaceOptions, create: bool
) -> auto.Stack:
    inline = options.source is ProgramSource.INLINE

    def attempt(opener: Callable[..., auto.Stack]) -> auto.Stack:
        if inline:
            return opener(stack_name, project_name=PROJECT_NAME, program=inline_program(), opts=ws_options)
        return opener(stack_name, work_dir=str(options.work_dir), opts=ws_options)

    # refresh/destroy/outputs select only: a typo must not create an empty stack.
    if not create:
        return attempt(auto.select_stack)
    try:
        return attempt(auto.create_or_select_stack)
    except auto.StackAlreadyExistsError:
        # Select found nothing, then another client's `stack init` won the race: it exists now.
        return attempt(auto.select_stack)


def _resource_count(stack: auto.Stack) -> int:
    summaries = stack.workspace.list_stacks()
    return next((s.resource_count or 0 for s in summaries if s.name == stack.name), 0)


def _current_value(stack: auto.Stack, key: str) -> str | None:
    try:
        return stack.get_config(key).value
    except auto.CommandError:
        return None  # not set


def warn_on_region_change(stack: auto.Stack, config: Mapping[str, ConfigInput]) -> bool:
    """Log a warning when an override moves a stack that has resources to another region.

    Every resource is regional: the next `up` replaces all of them, databases included.
    """
    new = config.get("aws:region")
    if new is None:
        return False
    old = _current_value(stack, "aws:region")
    if old is None or old == str(new):
        return False
    count = _resource_count(stack)
    if count == 0:
        return False
    logger.warning(
        "stack '%s': aws:region override %s -> %s on a stack with %d resources; "
        "`up` replaces every one of them in the new region (databases included, data not carried over)",
        stack.name,
        old,
        new,
        count,
    )
    return True


def open_stack(
    stack_name: str, options: Options, *, create: bool, plugins: bool = True, apply_config: bool = False
) -> auto.Stack:
    """Select the stack (creating it when ``create``), install inline plugins and, for
    ``apply_config`` (preview and up), write ``Options.config`` to the stack.

    ``plugins=False`` skips the plugin install for calls that load no provider (outputs).
    """
    validate_stack_name(stack_name)
    if not (options.work_dir / "Pulumi.yaml").is_file():
        raise BadInput(f"work dir '{options.work_dir}' has no Pulumi.yaml: expected this project's root")
    overrides = config_json(options.config) if apply_config and options.config else None
    inline = options.source is ProgramSource.INLINE
    to_install = plugin_versions(options.requirements) if inline and plugins else {}
    command = pulumi_command(options)
    ws_options = _workspace_options(options, command)
    with _translated(stack_name, "select stack"):
        stack = _select(stack_name, options, ws_options, create)
    with _translated(stack_name, "install plugins"):
        # An inline program has no requirements for the CLI to read plugins from.
        for name, version in to_install.items():
            stack.workspace.install_plugin(name, version)
    if overrides is not None:
        with _translated(stack_name, "set config"):
            warn_on_region_change(stack, options.config)
            stack.set_all_config_json(overrides)
        for key, value in options.config.items():
            if isinstance(value, Secret):
                set_secret(command, options.work_dir, ws_options.env_vars or {}, stack_name, key, value)
    return stack


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
            _, stderr = _command_streams(exc)
            raise ResultsUnreadable(
                f"pulumi {operation} on stack '{stack_name}' succeeded, but reading its results "
                f"afterwards failed, so they are not shown; `pulumi stack output -s {stack_name}` "
                f"reads them again once this is fixed.\npulumi said: {_tail(stderr)}"
            ) from None
        raise map_command_error(exc, stack_name, operation, run_log.diagnostics) from None
    except auto.InvalidVersionError as exc:
        raise PulumiCliError(f"the Pulumi CLI cannot be used for '{operation}': {exc}") from None


def preview(stack_name: str, options: Options = Options()) -> auto.PreviewResult:
    """``pulumi preview``; creates the stack if it does not exist yet."""

    def call(stack: auto.Stack, log: RunLog) -> auto.PreviewResult:
        return stack.preview(
            on_output=options.on_output, on_error=options.on_error, on_event=log.recorder(options.on_event)
        )

    return _update(stack_name, options, "preview", call, create=True, apply_config=True)


def up(stack_name: str, options: Options = Options()) -> auto.UpResult:
    """``pulumi up --yes``; creates the stack if it does not exist yet."""

    def call(stack: auto.Stack, log: RunLog) -> auto.UpResult:
        # show_secrets=False: the summary's config is never used here, and a decryption
        # problem must not turn a finished update into a failure.
        return stack.up(
            on_output=options.on_output,
            on_error=options.on_error,
            on_event=log.recorder(options.on_event),
            show_secrets=False,
        )

    return _update(stack_name, options, "up", call, create=True, apply_config=True)


def refresh(stack_name: str, options: Options = Options()) -> auto.RefreshResult:
    """``pulumi refresh --yes`` on an existing stack; ``Options.config`` is not written."""

    def call(stack: auto.Stack, log: RunLog) -> auto.RefreshResult:
        return stack.refresh(
            on_output=options.on_output,
            on_error=options.on_error,
            on_event=log.recorder(options.on_event),
            show_secrets=False,
        )

    return _update(stack_name, options, "refresh", call, create=False)


def destroy(stack_name: str, options: Options = Options()) -> auto.DestroyResult:
    """``pulumi destroy --yes`` on an existing stack (protected resources make it fail, by design).

    ``Options.config`` is not written: the stack's saved config is what it was built with.
    """

    def call(stack: auto.Stack, log: RunLog) -> auto.DestroyResult:
        return stack.destroy(
            on_output=options.on_output,
            on_error=options.on_error,
            on_event=log.recorder(options.on_event),
            show_secrets=False,
        )

    return _update(stack_name, options, "destroy", call, create=False)


def outputs(stack_name: str, options: Options = Options()) -> StackOutputs:
    """The stack's outputs contract, typed; the password stays a ``Secret``."""
    stack = open_stack(stack_name, options, create=False, plugins=False)
    with _translated(stack_name, "stack output"):
        raw = stack.outputs()
    return _parse_outputs(raw, stack_name)


def _parse_outputs(raw: Mapping[str, Any], stack_name: str) -> StackOutputs:
    try:
        return from_automation(raw)
    except OutputsError as exc:
        raise BadInput(f"stack '{stack_name}': {exc} (has `up` completed on this stack?)") from None


def bootstrap(
    stack_outputs: StackOutputs,
    bootstrap_options: bootstrap_module.Options | None = None,
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
    return bootstrap_module.run_via_host(
        stack_outputs,
        bootstrap_options or bootstrap_module.Options(),
        access or tunnel.HostAccess(),
        out=out,
        err=err,
    )


def up_and_bootstrap(
    stack_name: str,
    options: Options = Options(),
    bootstrap_options: bootstrap_module.Options | None = None,
    access: tunnel.HostAccess | None = None,
) -> int:
    """``up``, then the bootstrap with the outputs that ``up`` returned; the bootstrap's exit code.

    Raises like :func:`up` when the update fails (the bootstrap does not run then).
    """
    result = up(stack_name, options)
    return bootstrap(_parse_outputs(result.outputs, stack_name), bootstrap_options, access)


# --- command line -----------------------------------------------------------------------------

_EPILOG = f"""\
commands:
  preview    show what `up` would change (creates the stack if it is new)
  up         create or update the stack's resources (needs --yes)
  refresh    reconcile the stack's state with the cloud (needs --yes)
  destroy    delete the stack's resources (needs --yes; protected resources stop it)
  outputs    print the outputs contract as JSON (password masked unless --show-secrets)
  bootstrap  read the stack's outputs and run the bootstrap (schema) against its database;
             through an SSH tunnel via the EC2 host with --via-host, or automatically when the
             DB is not publicly accessible and the stack is not 'local' (key: --ssh-key, else
             $MYSQL_PLATFORM_SSH_KEY, else ~/.ssh/id_ed25519|id_ecdsa|id_rsa)

backend: default is your current `pulumi login`; --backend file://~ is `pulumi login --local`,
  --backend s3://bucket/prefix keeps state in S3 (DIY backends need PULUMI_CONFIG_PASSPHRASE).

exit codes:
  {EXIT_OK}  success
  {EXIT_FAILED}  unexpected error
  {EXIT_USAGE}  usage or bad input (stack name, --config, --backend, work dir, outputs)
  {EXIT_CLI_MISSING}  the Pulumi CLI is missing, broken or older than {MINIMUM_CLI_VERSION}
  {EXIT_STACK_BUSY}  another update holds the stack's lock; nothing was changed, retry later
  {EXIT_OPERATION_FAILED}  the pulumi operation failed (its output says why)
  {EXIT_STACK_NOT_FOUND}  the stack does not exist (refresh/destroy/outputs/bootstrap never create it)
  {EXIT_RESULTS_UNREADABLE} the update succeeded, but its outputs could not be read afterwards
  bootstrap (and up --bootstrap) pass the bootstrap's own codes through: 2 bad input,
     3 cannot connect or authenticate (including: the SSH tunnel could not be opened),
     4 migration failed, 5 replication check failed
"""

_NEEDS_YES = frozenset({"up", "refresh", "destroy"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.automation",
        description="Run this project's Pulumi stacks through the Automation API.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command", choices=["preview", "up", "refresh", "destroy", "outputs", "bootstrap"], help="operation"
    )
    parser.add_argument("stack", help="stack name: dev, prod, or org/project/stack")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--work-dir",
        type=Path,
        default=PROJECT_DIR,
        help="project directory whose __main__.py `pulumi` runs (default: this project)",
    )
    source.add_argument(
        "--inline", action="store_true", help="run components.program.program in this process instead"
    )
    parser.add_argument("--backend", metavar="URL", help="state backend URL (default: current login)")
    parser.add_argument(
        "--config",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="config override saved to the stack by preview and up, repeatable "
        "(e.g. dbInstanceClass=db.t4g.small; a list as JSON: dbAllowedCidrs='[\"198.51.100.7/32\"]')",
    )
    parser.add_argument(
        "--secret-from-env",
        metavar="KEY=ENV_VAR",
        action="append",
        default=[],
        help="secret config override whose value is read from ENV_VAR (never put secrets in argv)",
    )
    parser.add_argument("--secrets-provider", metavar="URL", help="secrets provider for a new stack")
    parser.add_argument("--pulumi-root", type=Path, metavar="DIR", help="use DIR/bin/pulumi, not PATH")
    parser.add_argument("--yes", action="store_true", help="confirm up, refresh and destroy")
    parser.add_argument("--show-secrets", action="store_true", help="outputs: print the password")
    boot = parser.add_argument_group("bootstrap (the bootstrap command, or up --bootstrap)")
    boot.add_argument("--bootstrap", action="store_true", help="up: run the bootstrap after a successful up")
    boot.add_argument("--ssl-ca", metavar="PATH", help="CA bundle to verify the DB (RDS: global-bundle.pem)")
    boot.add_argument("--sql-dir", type=Path, metavar="DIR", help="migrations (default: sql/)")
    boot.add_argument("--skip-replication-check", action="store_true")
    boot.add_argument(
        "--insecure-skip-verify",
        action="store_true",
        help="do not verify the server's certificate (TLS stays required; loud, never the default)",
    )
    boot.add_argument(
        "--rotate-app-password",
        action="store_true",
        help="set a new app password (from $MYSQL_PLATFORM_APP_PASSWORD, else generated)",
    )
    boot.add_argument(
        "--adopt-app-user", action="store_true", help="manage an app user an older bootstrap created"
    )
    boot.add_argument(
        "--app-schema",
        metavar="NAME",
        help="application schema (default: the stack's db.database output, i.e. dbName; 'app' if empty)",
    )
    bootstrap_module.add_host_access_arguments(parser)
    return parser


def _secret_overrides(pairs: Sequence[str], environ: Mapping[str, str]) -> dict[str, Secret]:
    out: dict[str, Secret] = {}
    for pair in pairs:
        key, var = parse_config_pair(pair)
        if not var or var not in environ:
            raise BadInput(f"--secret-from-env {key}={var}: environment variable {var!r} is not set")
        out[key] = Secret(environ[var])
    return out


def options_from_args(args: argparse.Namespace, environ: Mapping[str, str]) -> Options:
    """Validate the command line into :class:`Options` (raises :class:`BadInput`)."""
    validate_stack_name(args.stack)
    config: dict[str, ConfigInput] = {}
    for pair in args.config:
        key, value = parse_config_pair(pair)
        config[key] = parse_config_value(key, value)
    config.update(_secret_overrides(args.secret_from_env, environ))
    return Options(
        source=ProgramSource.INLINE if args.inline else ProgramSource.WORK_DIR,
        work_dir=args.work_dir.resolve(),
        backend_url=None if args.backend is None else validate_backend_url(args.backend),
        config=config,
        on_output=_print_line,
        on_error=_print_error_line,
        pulumi_root=args.pulumi_root,
        secrets_provider=args.secrets_provider,
    )


def _bootstrap_args(args: argparse.Namespace) -> tuple[bootstrap_module.Options, tunnel.HostAccess]:
    defaults = bootstrap_module.Options()
    options = dataclasses.replace(
        defaults,
        sql_dir=args.sql_dir or defaults.sql_dir,
        ssl_ca=args.ssl_ca,
        skip_replication_check=args.skip_replication_check,
        # None: the bootstrap takes the stack's own db.database, as for any outputs file.
        app_schema=args.app_schema,
        insecure_skip_verify=args.insecure_skip_verify,
        rotate_app_password=args.rotate_app_password,
        adopt_app_user=args.adopt_app_user,
    )
    try:
        access = bootstrap_module.host_access_from_args(args)
    except bootstrap_module.BadInput as exc:
        raise BadInput(str(exc)) from None
    return options, access


def render_outputs(stack_outputs: StackOutputs, *, show_secrets: bool = False) -> str:
    """The outputs as ``pulumi stack output --json`` prints them; the password masked by default."""
    return json.dumps(stack_outputs.to_dict(reveal_secrets=show_secrets), indent=2, sort_keys=True)


def _print_line(line: str) -> None:
    print(line, flush=True)


def _print_error_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _summary(result: auto.UpResult | auto.RefreshResult | auto.DestroyResult) -> str:
    changes = result.summary.resource_changes or {}
    counts = ", ".join(f"{op} {n}" for op, n in sorted(changes.items())) or "no changes"
    return f"{result.summary.kind}: {result.summary.result} ({counts})"


def _up_command(args: argparse.Namespace, options: Options) -> int:
    boot = _bootstrap_args(args) if args.bootstrap else None  # bad flags fail before the update
    result = up(args.stack, options)
    _print_line(_summary(result))
    if boot is None:
        return EXIT_OK
    return bootstrap(_parse_outputs(result.outputs, args.stack), *boot)


def _dispatch(args: argparse.Namespace, options: Options) -> int:
    stack = args.stack
    if args.command == "preview":
        changes = preview(stack, options).change_summary
        counts = ", ".join(f"{op} {n}" for op, n in sorted(changes.items()))
        _print_line(f"preview: {counts or 'no changes'}")
    elif args.command == "up":
        return _up_command(args, options)
    elif args.command == "refresh":
        _print_line(_summary(refresh(stack, options)))
    elif args.command == "destroy":
        _print_line(_summary(destroy(stack, options)))
    elif args.command == "outputs":
        print(render_outputs(outputs(stack, options), show_secrets=args.show_secrets))
    else:
        return bootstrap(outputs(stack, options), *_bootstrap_args(args))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Warnings from the library (a region change, ...) reach the person at the terminal.
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    if args.command in _NEEDS_YES and not args.yes:
        print(
            f"error: '{args.command}' changes stack '{args.stack}': pass --yes to confirm "
            f"(run `python -m scripts.automation preview {args.stack}` first to see what would change)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        return _dispatch(args, options_from_args(args, os.environ))
    except AutomationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
