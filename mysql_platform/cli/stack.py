"""``mysql-platform stack``: run this project's Pulumi stacks from the command line.

    mysql-platform stack preview dev
    mysql-platform stack up dev --yes
    mysql-platform stack outputs prod            # password masked
    mysql-platform stack bootstrap prod --ssh-key ~/.ssh/prod.pem

The operations are :mod:`mysql_platform.stack.automation`; ``bootstrap`` and ``up --bootstrap``
are :mod:`mysql_platform.orchestrate`. Exit codes: :mod:`mysql_platform.errors` (and ``--help``).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pulumi import automation as auto

from mysql_platform import orchestrate
from mysql_platform.cli.db_options import add_host_access_arguments, host_access_from_args
from mysql_platform.core.command_names import prog
from mysql_platform.core.contract import Secret
from mysql_platform.db import bootstrap_options
from mysql_platform.errors import (
    EXIT_CLI_MISSING,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_OPERATION_FAILED,
    EXIT_RESULTS_UNREADABLE,
    EXIT_STACK_BUSY,
    EXIT_STACK_NOT_FOUND,
    EXIT_USAGE,
    PlatformError,
)
from mysql_platform.project import project_dir
from mysql_platform.stack import automation, tunnel
from mysql_platform.stack.automation import BadInput, Options, ProgramSource
from mysql_platform.stack.config import (
    ConfigInput,
    parse_config_pair,
    parse_config_value,
    validate_backend_url,
    validate_stack_name,
)
from mysql_platform.stack.workspace import MINIMUM_CLI_VERSION

_EPILOG = f"""\
commands:
  preview    show what up would change (creates the stack if it is new)
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
        prog=prog("stack"),
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
        default=project_dir(),
        help="project directory whose __main__.py `pulumi` runs (default: the current project "
        "directory, else the checkout, else the copy installed with the package)",
    )
    source.add_argument(
        "--inline",
        action="store_true",
        help="run mysql_platform.components.program.program in this process instead",
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
    add_host_access_arguments(parser)
    return parser


def secret_overrides(pairs: Sequence[str], environ: Mapping[str, str]) -> dict[str, Secret]:
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
    config.update(secret_overrides(args.secret_from_env, environ))
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


def bootstrap_args(args: argparse.Namespace) -> tuple[bootstrap_options.Options, tunnel.HostAccess]:
    defaults = bootstrap_options.Options()
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
    return options, host_access_from_args(args)


def _print_line(line: str) -> None:
    print(line, flush=True)


def _print_error_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _summary(result: auto.UpResult | auto.RefreshResult | auto.DestroyResult) -> str:
    changes = result.summary.resource_changes or {}
    counts = ", ".join(f"{op} {n}" for op, n in sorted(changes.items())) or "no changes"
    return f"{result.summary.kind}: {result.summary.result} ({counts})"


def _up_command(args: argparse.Namespace, options: Options) -> int:
    boot = bootstrap_args(args) if args.bootstrap else None  # bad flags fail before the update
    result = automation.up(args.stack, options)
    _print_line(_summary(result))
    if boot is None:
        return EXIT_OK
    stack_outputs = automation.parse_outputs(result.outputs, args.stack)
    return orchestrate.bootstrap(stack_outputs, *boot, out=sys.stdout, err=sys.stderr)


def _dispatch(args: argparse.Namespace, options: Options) -> int:
    stack = args.stack
    if args.command == "preview":
        changes = automation.preview(stack, options).change_summary
        counts = ", ".join(f"{op} {n}" for op, n in sorted(changes.items()))
        _print_line(f"preview: {counts or 'no changes'}")
    elif args.command == "up":
        return _up_command(args, options)
    elif args.command == "refresh":
        _print_line(_summary(automation.refresh(stack, options)))
    elif args.command == "destroy":
        _print_line(_summary(automation.destroy(stack, options)))
    elif args.command == "outputs":
        print(automation.render_outputs(automation.outputs(stack, options), show_secrets=args.show_secrets))
    else:
        stack_outputs = automation.outputs(stack, options)
        boot = bootstrap_args(args)
        return orchestrate.bootstrap(stack_outputs, *boot, out=sys.stdout, err=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on bad arguments (it printed why), 0 on --help
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    # Warnings from the library (a region change, ...) reach the person at the terminal.
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    if args.command in _NEEDS_YES and not args.yes:
        print(
            f"error: '{args.command}' changes stack '{args.stack}': pass --yes to confirm "
            f"(run `mysql-platform stack preview {args.stack}` first to see what would change)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        return _dispatch(args, options_from_args(args, os.environ))
    except PlatformError as exc:  # the stack's errors, and bad bootstrap flags (exit 2)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
