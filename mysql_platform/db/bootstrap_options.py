"""The bootstrap's inputs: options, and what is derived from them and the outputs before connecting.

Everything here is checked without a server: a bad option, CA file, schema name, app user
or endpoint fails as :class:`BadInput` (exit 2) before the master password is sent anywhere.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mysql_platform.core import outputs
from mysql_platform.core.contract import Endpoint, StackOutputs
from mysql_platform.db import app_user, migration_files, sql_placeholders
from mysql_platform.db import connection as db
from mysql_platform.errors import EXIT_BAD_INPUT, PlatformError
from mysql_platform.project import sql_dir

# The project directory's sql/, else the migrations shipped with the package (read only).
DEFAULT_SQL_DIR = sql_dir()
# The application schema when neither --app-schema nor the outputs name one: dbName's
# default, and what the migrations created before they took the name from the outputs.
FALLBACK_APP_SCHEMA = "app"
# Where RDS's CA bundle is published (all regions); see "Using SSL/TLS to encrypt a
# connection to a DB instance" in the RDS user guide.
RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
LOCAL_ENVIRONMENT = "local"
# A day: longer waits are mistakes (and inf/NaN would wait forever).
MAX_TIMEOUT_S = 86400


class BadInput(PlatformError, ValueError):
    """An option or file given to the bootstrap is unusable."""

    exit_code = EXIT_BAD_INPUT
    label = "bad input"


@dataclass(frozen=True)
class Options:
    """Everything the bootstrap needs besides the outputs. Defaults are the CLI's."""

    sql_dir: Path = DEFAULT_SQL_DIR
    ssl_ca: str | None = None  # overrides StackOutputs.ssl_ca
    # Check that the certificate names the host we connect to. Turn off only when
    # connecting through a tunnel (the chain is still verified against the CA).
    tls_verify_identity: bool = True
    # TLS without verifying the server (no CA needed outside 'local'). Never the default:
    # whoever sits on the path can pose as the server and receive the master password.
    insecure_skip_verify: bool = False
    connect_timeout_s: float = 60.0  # overall deadline for reaching the writer
    replication_timeout_s: float = 30.0
    lock_timeout_s: int = 120
    ops_schema: str = "ops"  # holds schema_history (runner) and heartbeat (V002)
    app_user: str = "app"
    app_user_host: str = "%"
    # None: the outputs' db.database, else FALLBACK_APP_SCHEMA. Also ${database} in migrations.
    app_schema: str | None = None
    # None: next to the outputs file (CLI) or .local/<environment>-<user>.password (API).
    app_password_file: Path | None = None
    # Give an existing app user a new password (generated, or $MYSQL_PLATFORM_APP_PASSWORD's).
    rotate_app_password: bool = False
    # Take over an existing 'app_user'@'app_user_host' that no bootstrap recorded as its own
    # (one made before accounts were recorded). Never the master user.
    adopt_app_user: bool = False
    skip_replication_check: bool = False
    # Connect through the outputs' read/write-split proxy (writer_port/reader_port).
    via_proxy: bool = False
    # Endpoint overrides, e.g. local ends of an SSH tunnel; None means "from the outputs".
    # They win over via_proxy.
    writer: Endpoint | None = None
    readers: tuple[Endpoint, ...] | None = None


def ca_file(outputs_: StackOutputs, options: Options) -> str | None:
    """The CA file (--ssl-ca, else the outputs' ssl_ca), checked to be a readable PEM bundle."""
    ca, origin = (options.ssl_ca, "--ssl-ca") if options.ssl_ca else (outputs_.ssl_ca, "the outputs' ssl_ca")
    if ca is None:
        return None
    if not Path(ca).is_file():
        raise BadInput(f"{origin}: CA file '{ca}' does not exist or is not a file")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=ca)
    except (ssl.SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise BadInput(
            f"{origin}: CA file '{ca}' is not a PEM certificate bundle ({reason}); expected "
            f"'-----BEGIN CERTIFICATE-----' blocks, e.g. the RDS bundle from {RDS_CA_BUNDLE_URL}"
        ) from None
    return ca


def tls_ca(outputs_: StackOutputs, options: Options, warn: Callable[[str], None]) -> str | None:
    """The CA to verify the server with; None means TLS without verification (allowed or asked).

    Outside the local environment a missing CA is bad input: an unverified server may be
    anyone on the path, and the bootstrap sends it the master password.
    """
    ca = ca_file(outputs_, options)
    if options.insecure_skip_verify:
        warn(
            "--insecure-skip-verify: TLS is on but the server's certificate is NOT verified; anyone "
            "on the path can pose as the server and receive the master password. "
            f"Verify instead with --ssl-ca (RDS: {RDS_CA_BUNDLE_URL})"
        )
        return None
    if ca is not None:
        return ca
    if outputs_.environment != LOCAL_ENVIRONMENT:
        raise BadInput(
            f"no CA to verify the database server of environment '{outputs_.environment}' with "
            "(--ssl-ca or ssl_ca in the outputs); the master password is only sent to a verified "
            f"server. Get the RDS bundle: curl -fsSo global-bundle.pem {RDS_CA_BUNDLE_URL} and pass "
            "--ssl-ca global-bundle.pem (--insecure-skip-verify connects unverified: not recommended)"
        )
    warn("no CA given (--ssl-ca or ssl_ca in the outputs): TLS is required, but the server is NOT verified")
    return None


def target(outputs_: StackOutputs, endpoint: Endpoint, ca: str | None, options: Options) -> db.Target:
    return db.Target(
        host=endpoint.host,
        port=endpoint.port,
        user=outputs_.db.username,
        password=outputs_.db_password,
        ssl_ca=ca,
        # TLS passes through the proxy to the server, whose certificate names the
        # server, not the proxy: verify the chain only, as through a tunnel.
        verify_identity=options.tls_verify_identity and not options.via_proxy,
    )


def app_schema(outputs_: StackOutputs, options: Options) -> str:
    """The application schema: ``--app-schema``, else the outputs' ``db.database``, else "app".

    Validated here because it is pasted into SQL unquoted (``${database}``): it must be
    1-64 letters, digits or _ starting with a letter, the stack's dbName rule.
    """
    if options.app_schema is not None:
        value, origin = options.app_schema, "--app-schema"
    elif outputs_.db.database:
        value, origin = outputs_.db.database, "the outputs' db.database"
    else:
        value, origin = FALLBACK_APP_SCHEMA, "the fallback for an empty db.database"
    if not sql_placeholders.VALUE_RE.fullmatch(value):
        raise BadInput(
            f"app schema (from {origin}) must be 1-64 letters, digits or _ starting with a letter "
            f"({sql_placeholders.VALUE_RE.pattern}), got {value!r}"
        )
    try:
        app_user.validate_schema(value, options.ops_schema)
    except app_user.AppUserError as exc:
        raise BadInput(f"app schema (from {origin}): {exc}") from None
    return value


def placeholders(outputs_: StackOutputs, options: Options) -> dict[str, str]:
    """The values of ``${database}`` and ``${app_user}`` in migrations.

    ``${app_user}`` is defined only when the user name is a plain identifier (placeholder values
    are pasted unquoted); a file that uses it with another name fails naming the line.
    """
    return placeholder_values(app_schema(outputs_, options), options.app_user)


def placeholder_values(database: str, app_user: str) -> dict[str, str]:
    """``${database}``, and ``${app_user}`` when the user name is a plain identifier."""
    values = {"database": database}
    if sql_placeholders.VALUE_RE.fullmatch(app_user):
        values["app_user"] = app_user
    return values


def validate(options: Options) -> None:
    try:
        migration_files.validate_identifier(options.ops_schema, "ops schema")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    try:
        app_user.validate(options.app_user, options.app_user_host)
    except app_user.AppUserError as exc:
        raise BadInput(str(exc)) from None
    for name, seconds in (
        ("--connect-timeout", options.connect_timeout_s),
        ("--replication-timeout", options.replication_timeout_s),
        ("--lock-timeout", options.lock_timeout_s),
    ):
        # NaN passes "<= 0" and never ends a wait; inf never ends one either.
        if not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT_S:
            raise BadInput(
                f"{name} must be a positive, finite number of seconds up to {MAX_TIMEOUT_S}, got {seconds}"
            )


def endpoints(outputs_: StackOutputs, options: Options) -> tuple[Endpoint, tuple[Endpoint, ...]]:
    """Writer and readers: overrides first, then the proxy if asked, else ``db.writer``/``db.readers``."""
    writer, readers = outputs_.db.writer, outputs_.db.readers
    if options.via_proxy:
        proxy = outputs_.proxy
        if proxy is None:
            raise BadInput("--via-proxy: the outputs have no 'proxy' object (is the proxy enabled?)")
        writer = Endpoint(proxy.host, proxy.writer_port)
        readers = (Endpoint(proxy.host, proxy.reader_port),)
    if options.writer is not None:
        writer = options.writer
    if options.readers is not None:
        readers = options.readers
    return writer, readers


def password_file(outputs_: StackOutputs, options: Options, outputs_path: Path | None) -> Path:
    """--app-password-file, else ``<environment>-<user>.password`` beside the outputs file.

    Both parts of the name come from input: they are checked so that the file cannot
    land outside that folder ('/' or '..' in an environment name).
    """
    if options.app_password_file is not None:
        return options.app_password_file
    if not outputs.ENVIRONMENT_RE.fullmatch(outputs_.environment) or ".." in outputs_.environment:
        raise BadInput(
            f"environment {outputs_.environment!r} cannot name the app password file: expected a stack "
            "name (letters, digits, '-', '_', '.', starting with a letter or digit, no '..')"
        )
    try:
        app_user.validate(options.app_user, options.app_user_host)
    except app_user.AppUserError as exc:
        raise BadInput(str(exc)) from None
    folder = outputs_path.parent if outputs_path else Path(".local")
    return folder / f"{outputs_.environment}-{options.app_user}.password"


def app_user_spec(
    outputs_: StackOutputs, options: Options, schema: str, outputs_path: Path | None
) -> app_user.Spec:
    spec = app_user.Spec(
        name=options.app_user,
        host=options.app_user_host,
        schema=schema,
        ops_schema=options.ops_schema,
        master_user=outputs_.db.username,
        password_file=password_file(outputs_, options, outputs_path),
        rotate=options.rotate_app_password,
        adopt=options.adopt_app_user,
    )
    try:
        app_user.validate_spec(spec)
    except app_user.AppUserError as exc:
        raise BadInput(str(exc)) from None
    return spec
