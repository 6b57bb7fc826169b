"""Drive this project's stacks from Python (Pulumi Automation API) or the command line.

Python services::

    from scripts import automation
    from scripts.automation import Options

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

from components.contract import Secret, StackOutputs
from scripts import bootstrap as bootstrap_module
from scripts import tunnel
from scripts.outputs import OutputsError, from_automation

PROJECT_DIR: Final = Path(__file__).resolve().parent.parent
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

OnOutput = Callable[[str], Any]
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
    """The pulumi command ran and failed; the message carries the end of its output."""


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

    ``config`` values are strings; wrap a value in :class:`components.contract.Secret`
    to store it encrypted. Like ``pulumi up --config``, overrides are saved in the
    stack's config file (``Pulumi.<stack>.yaml`` in ``work_dir``).

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
    config: Mapping[str, str | Secret] = field(default_factory=dict)
    on_output: OnOutput | None = None
    on_event: OnEvent | None = None
    # A directory holding bin/pulumi (e.g. ~/.pulumi/versions/3.272.0); None = `pulumi` on PATH.
    pulumi_root: Path | None = None
    secrets_provider: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
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
    """Split a ``KEY=VALUE`` command-line override; the value may contain '='."""
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


def minimum_cli_version(requirements: Path = REQUIREMENTS) -> VersionInfo:
    """The oldest CLI we accept: the pinned SDK's version (Pulumi asks for CLI >= SDK)."""
    pins = read_pins(requirements)
    if "pulumi" not in pins:
        raise BadInput(f"'{requirements}' does not pin pulumi (expected a line 'pulumi==X.Y.Z')")
    try:
        return VersionInfo.parse(pins["pulumi"])
    except ValueError:
        raise BadInput(f"'{requirements}' pins pulumi=={pins['pulumi']}, not a X.Y.Z version") from None


def config_map(config: Mapping[str, str | Secret]) -> dict[str, auto.ConfigValue]:
    """Turn overrides into the Automation API's ConfigMap; ``Secret`` values stay secret."""
    out: dict[str, auto.ConfigValue] = {}
    for key, value in config.items():
        if not _CONFIG_KEY.match(key):
            raise BadInput(f"invalid config key {key!r}: expected letters, digits, '-', '_', '.' (ns:key)")
        if isinstance(value, Secret):
            out[key] = auto.ConfigValue(value=value.reveal(), secret=True)
        else:
            out[key] = auto.ConfigValue(value=str(value), secret=False)
    return out


def _command_stderr(exc: auto.CommandError) -> str:
    # CommandError keeps only str(CommandResult): "\n code: N\n stdout: ...\n stderr: ...".
    text = str(exc)
    _, found, stderr = text.rpartition("\n stderr: ")
    return stderr if found else text


def _tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def map_command_error(exc: auto.CommandError, stack_name: str, operation: str) -> AutomationError:
    """Translate the Automation API's CommandError family into this module's errors."""
    stderr = _tail(_command_stderr(exc))
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
    return OperationFailed(f"pulumi {operation} on stack '{stack_name}' failed:\n{stderr}")


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
    """Find and version-check the CLI, or raise :class:`PulumiCliError` saying what to do."""
    minimum = minimum_cli_version(options.requirements)
    where = (
        f"looked for {options.pulumi_root / 'bin' / 'pulumi'}"
        if options.pulumi_root is not None
        else "no `pulumi` on PATH"
    )
    try:
        return auto.PulumiCommand(
            root=None if options.pulumi_root is None else str(options.pulumi_root),
            version=minimum,
            skip_version_check=False,
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


@contextmanager
def _translated(stack_name: str, operation: str) -> Iterator[None]:
    try:
        yield
    except auto.CommandError as exc:
        raise map_command_error(exc, stack_name, operation) from None
    except auto.InvalidVersionError as exc:
        raise PulumiCliError(f"the Pulumi CLI cannot be used for '{operation}': {exc}") from None


def open_stack(stack_name: str, options: Options, *, create: bool, plugins: bool = True) -> auto.Stack:
    """Select the stack (creating it when ``create``), apply config, install inline plugins.

    ``plugins=False`` skips the plugin install for calls that load no provider (outputs).
    """
    validate_stack_name(stack_name)
    if not (options.work_dir / "Pulumi.yaml").is_file():
        raise BadInput(f"work dir '{options.work_dir}' has no Pulumi.yaml: expected this project's root")
    overrides = config_map(options.config)
    inline = options.source is ProgramSource.INLINE
    to_install = plugin_versions(options.requirements) if inline and plugins else {}
    command = pulumi_command(options)
    ws_options = _workspace_options(options, command)
    # refresh/destroy/outputs select only: a typo must not create an empty stack.
    opener = auto.create_or_select_stack if create else auto.select_stack
    with _translated(stack_name, "select stack"):
        if inline:
            stack = opener(stack_name, project_name=PROJECT_NAME, program=inline_program(), opts=ws_options)
        else:
            stack = opener(stack_name, work_dir=str(options.work_dir), opts=ws_options)
    with _translated(stack_name, "install plugins"):
        # An inline program has no requirements for the CLI to read plugins from.
        for name, version in to_install.items():
            stack.workspace.install_plugin(name, version)
    if overrides:
        with _translated(stack_name, "set config"):
            stack.set_all_config(overrides)
    return stack


def _run(
    stack_name: str, options: Options, operation: str, *, create: bool, call: Callable[[auto.Stack], T]
) -> T:
    stack = open_stack(stack_name, options, create=create)
    with _translated(stack_name, operation):
        return call(stack)


def preview(stack_name: str, options: Options = Options()) -> auto.PreviewResult:
    """``pulumi preview``; creates the stack if it does not exist yet."""

    def call(stack: auto.Stack) -> auto.PreviewResult:
        return stack.preview(on_output=options.on_output, on_event=options.on_event)

    return _run(stack_name, options, "preview", create=True, call=call)


def up(stack_name: str, options: Options = Options()) -> auto.UpResult:
    """``pulumi up --yes``; creates the stack if it does not exist yet."""

    def call(stack: auto.Stack) -> auto.UpResult:
        return stack.up(on_output=options.on_output, on_event=options.on_event)

    return _run(stack_name, options, "up", create=True, call=call)


def refresh(stack_name: str, options: Options = Options()) -> auto.RefreshResult:
    """``pulumi refresh --yes`` on an existing stack."""

    def call(stack: auto.Stack) -> auto.RefreshResult:
        return stack.refresh(on_output=options.on_output, on_event=options.on_event)

    return _run(stack_name, options, "refresh", create=False, call=call)


def destroy(stack_name: str, options: Options = Options()) -> auto.DestroyResult:
    """``pulumi destroy --yes`` on an existing stack (protected resources make it fail, by design)."""

    def call(stack: auto.Stack) -> auto.DestroyResult:
        return stack.destroy(on_output=options.on_output, on_event=options.on_event)

    return _run(stack_name, options, "destroy", create=False, call=call)


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
  {EXIT_CLI_MISSING}  the Pulumi CLI is missing, broken or older than the pinned SDK
  {EXIT_STACK_BUSY}  another update holds the stack's lock; nothing was changed, retry later
  {EXIT_OPERATION_FAILED}  the pulumi operation failed (its output says why)
  {EXIT_STACK_NOT_FOUND}  the stack does not exist (refresh/destroy/outputs/bootstrap never create it)
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
        help="config override saved to the stack, repeatable (e.g. aws:region=eu-west-1)",
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
    config: dict[str, str | Secret] = dict(parse_config_pair(p) for p in args.config)
    config.update(_secret_overrides(args.secret_from_env, environ))
    return Options(
        source=ProgramSource.INLINE if args.inline else ProgramSource.WORK_DIR,
        work_dir=args.work_dir.resolve(),
        backend_url=None if args.backend is None else validate_backend_url(args.backend),
        config=config,
        on_output=_print_line,
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
