"""Where and how a stack runs: options, the Pulumi CLI, the workspace, selecting the stack.

Nothing happens at import time; every function here finds the CLI when it is called.
"""

from __future__ import annotations

import enum
import importlib
import importlib.metadata
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pulumi import automation as auto
from semver import VersionInfo

from mysql_platform import project
from mysql_platform.core.contract import Secret
from mysql_platform.stack.automation_errors import BadInput, PulumiCliError, map_cli_error, map_command_error
from mysql_platform.stack.config import (
    ConfigInput,
    config_json,
    set_secret,
    validate_backend_url,
    validate_stack_name,
    warn_on_region_change,
)

PROJECT_NAME: Final = project.PROJECT_NAME
# The function __main__.py runs; the inline source runs the very same one.
INLINE_PROGRAM: Final = "mysql_platform.components.program:program"
# Resource plugins the program uses, keyed by plugin name -> its provider SDK's pip package.
PLUGIN_PACKAGES: Final[Mapping[str, str]] = {"aws": "pulumi-aws", "random": "pulumi-random"}


# The oldest CLI this module works with: `config set-all --json` (list-typed overrides, which
# the SDK's set_all_config_json sends) first shipped in CLI 3.202.0; the SDK itself gates inline
# refresh/destroy at 3.181.0 (pulumi/automation/_stack.py::_check_inline_support, SDK 3.272.0).
MINIMUM_CLI_VERSION: Final = VersionInfo(3, 202, 0)
SKIP_VERSION_CHECK_VAR: Final = "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"

OnOutput = Callable[[str], Any]
OnEvent = Callable[[auto.EngineEvent], Any]

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([0-9][^\s;#]*)")


class ProgramSource(enum.Enum):
    """Where the program comes from; both run ``mysql_platform.components.program.program``."""

    # `pulumi` runs __main__.py in the project's own runtime, exactly like `pulumi up`.
    WORK_DIR = "work-dir"
    # The program runs in this process (debuggable, no subprocess), same function.
    INLINE = "inline"


@dataclass(frozen=True)
class Options:
    """How to reach and run a stack.

    ``config`` values are strings, booleans, integers or lists of strings (the array-typed
    keys such as ``dbAllowedCidrs``); wrap a string in :class:`mysql_platform.core.contract.Secret` to
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
    # The project directory by mysql_platform.project's rule, looked up when Options() is made.
    work_dir: Path = field(default_factory=project.project_dir)
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
    # The inline program's plugin versions: None = the installed provider SDKs' (the very ones
    # the inline program imports); a requirements file = its `pulumi-aws==X` pins.
    requirements: Path | None = None


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


def plugin_versions(requirements: Path | None = None) -> dict[str, str]:
    """``plugin -> "vX.Y.Z"`` for the inline program: the installed provider SDKs' versions, or
    the pins of ``requirements``.

    A provider SDK's version is its plugin's version. The inline program runs in this process,
    with the SDKs installed here, so their versions are the default; a project made by
    ``mysql-platform init`` pins the package, not the SDKs, in its requirements.txt.
    """
    if requirements is None:
        return _installed_plugin_versions()
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


def _installed_plugin_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for plugin, package in PLUGIN_PACKAGES.items():
        try:
            versions[plugin] = "v" + importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            raise BadInput(
                f"{package} is not installed; the inline program needs it for the '{plugin}' plugin: "
                "pip install 'mysql-platform[full]'"
            ) from None
    return versions


def minimum_cli_version() -> VersionInfo:
    """The oldest CLI accepted: :data:`MINIMUM_CLI_VERSION`, set by the features the module uses.

    Not the pinned SDK's own version: the SDK drives older CLIs, and demanding the newest
    would turn every SDK bump into a forced CLI upgrade for every user.
    """
    return MINIMUM_CLI_VERSION


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


def workspace_options(options: Options, command: auto.PulumiCommand) -> auto.LocalWorkspaceOptions:
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
def translated(stack_name: str, operation: str, run_log: RunLog | None = None) -> Iterator[None]:
    try:
        yield
    except auto.CommandError as exc:
        diagnostics = run_log.diagnostics if run_log is not None else ()
        raise map_command_error(exc, stack_name, operation, diagnostics) from None
    except auto.InvalidVersionError as exc:
        raise PulumiCliError(f"the Pulumi CLI cannot be used for '{operation}': {exc}") from None


def select(
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
    if project.is_packaged(options.work_dir):
        # Selecting a stack and saving its config write Pulumi.<stack>.yaml into the work dir.
        raise BadInput(
            f"no project directory here: work dir '{options.work_dir}' is the copy installed with the "
            "package, which is never written to; make one with `mysql-platform init DIR` and run from "
            "it (or pass its path: `mysql-platform stack preview STACK --work-dir DIR`)"
        )
    overrides = config_json(options.config) if apply_config and options.config else None
    inline = options.source is ProgramSource.INLINE
    to_install = plugin_versions(options.requirements) if inline and plugins else {}
    command = pulumi_command(options)
    ws_options = workspace_options(options, command)
    with translated(stack_name, "select stack"):
        stack = select(stack_name, options, ws_options, create)
    with translated(stack_name, "install plugins"):
        # An inline program has no requirements for the CLI to read plugins from.
        for name, version in to_install.items():
            stack.workspace.install_plugin(name, version)
    if overrides is not None:
        with translated(stack_name, "set config"):
            warn_on_region_change(stack, options.config)
            stack.set_all_config_json(overrides)
        for key, value in options.config.items():
            if isinstance(value, Secret):
                set_secret(command, options.work_dir, ws_options.env_vars or {}, stack_name, key, value)
    return stack
