"""Where ``migrate`` and ``bootstrap`` find their connection settings, resolved as Flyway does.

For each setting the first that has it wins: the command line (``--outputs``), the environment
(``MYSQL_PLATFORM_OUTPUTS``), the project's config file, then the default. The config file is
``mysql-platform.toml`` in the current directory, else the ``[tool.mysql-platform]`` table of
``./pyproject.toml``; its keys are spelled as the long options (``outputs``, ``sql-dir`` ...) and
its relative paths are relative to the file's directory. An empty environment variable counts as
unset. The outputs default is ``.local/outputs.json`` (the local environment's) when it exists;
the migrations default is ``./sql``, as Flyway's, and its absence is an error naming the ways to
give one (never the migrations of the tool's own checkout).

Anything unusable (an unknown key, a wrong type, a bad number) is :class:`SettingsError` (exit 2)
naming where it came from, the key, the value and what is expected.
"""

from __future__ import annotations

import difflib
import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mysql_platform.db.bootstrap_options import BadInput

_log = logging.getLogger(__name__)

ENV_PREFIX: Final = "MYSQL_PLATFORM_"
CONFIG_FILE: Final = "mysql-platform.toml"
PYPROJECT: Final = "pyproject.toml"
PYPROJECT_TABLE: Final = "tool.mysql-platform"
LOCAL_OUTPUTS: Final = Path(".local") / "outputs.json"
SQL_DIR: Final = Path("sql")
# The deadline for reaching the writer: a person at a terminal hears sooner that it is down.
INTERACTIVE_CONNECT_TIMEOUT_S: Final = 10.0
UNATTENDED_CONNECT_TIMEOUT_S: Final = 60.0
# pyproject.toml files run to a few KiB; a settings file larger than this is a mistake.
MAX_CONFIG_BYTES: Final = 1 << 20

# The setting's kind: how a text (environment) or a TOML value becomes its value.
PATH, TEXT, SECONDS, WHOLE_SECONDS = "path", "text", "seconds", "whole seconds"
KINDS: Final[dict[str, str]] = {
    "outputs": PATH,
    "sql-dir": PATH,
    "ssl-ca": PATH,
    "ops-schema": TEXT,
    "app-user": TEXT,
    "app-schema": TEXT,
    "connect-timeout": SECONDS,
    "lock-timeout": WHOLE_SECONDS,
}
_EXPECTED: Final[dict[str, str]] = {
    PATH: "a path (a string without NUL)",
    TEXT: "a non-empty string without NUL",
    SECONDS: "a positive number of seconds",
    WHOLE_SECONDS: "a positive whole number of seconds",
}


class SettingsError(BadInput):
    """A setting from the environment or the config file is unusable."""


@dataclass(frozen=True)
class Resolved:
    """Each setting's value and where it came from (``--outputs``, ``$MYSQL_PLATFORM_OUTPUTS``,
    a file's path, or ``default``)."""

    values: dict[str, Any]
    sources: dict[str, str]


def env_name(key: str) -> str:
    return ENV_PREFIX + key.upper().replace("-", "_")


def interactive_default_timeout(stdin_tty: bool, stderr_tty: bool) -> float:
    """A person runs the command when stdin and stderr are terminals: then a short deadline."""
    return INTERACTIVE_CONNECT_TIMEOUT_S if stdin_tty and stderr_tty else UNATTENDED_CONNECT_TIMEOUT_S


def resolve(
    given: Mapping[str, Any],
    *,
    environ: Mapping[str, str],
    cwd: Path,
    connect_timeout_default: float,
) -> Resolved:
    """``given`` holds the command line's values (None: not given) of the keys this command has."""
    unknown = sorted(set(given) - set(KINDS))
    if unknown:
        raise ValueError(f"not settings: {', '.join(unknown)}; expected some of {', '.join(KINDS)}")
    config, config_path = _config(cwd)
    defaults = _defaults(cwd, connect_timeout_default)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, value in given.items():
        if value is not None:
            values[key], sources[key] = value, f"--{key}"
        elif environ.get(env_name(key)):
            values[key] = _from_text(key, environ[env_name(key)], f"${env_name(key)}", cwd)
            sources[key] = f"${env_name(key)}"
        elif key in config:
            assert config_path is not None
            values[key], sources[key] = config[key], str(config_path)
        else:
            values[key], sources[key] = defaults.get(key), "default"
    for key in values:
        _log.info("%s: %s (from %s)", key, values[key], sources[key])
    return Resolved(values, sources)


def check_sql_dir(resolved: Resolved) -> None:
    """A defaulted ``./sql`` that does not exist is an error naming the ways to give one."""
    if resolved.sources.get("sql-dir") == "default" and not Path(resolved.values["sql-dir"]).is_dir():
        raise SettingsError(missing_sql_dir_message(Path(resolved.values["sql-dir"])))


def missing_sql_dir_message(default: Path) -> str:
    return (
        f"no migrations directory: {default} does not exist. Run from your project's directory, or "
        f'pass --sql-dir DIR, set ${env_name("sql-dir")}, or put sql-dir = "DIR" in ./{CONFIG_FILE} '
        f"(or in [{PYPROJECT_TABLE}] of ./{PYPROJECT})"
    )


def missing_outputs_message() -> str:
    return (
        f'no outputs file: pass --outputs FILE, set ${env_name("outputs")}, put outputs = "FILE" in '
        f"./{CONFIG_FILE} (or in [{PYPROJECT_TABLE}] of ./{PYPROJECT}), or create ./{LOCAL_OUTPUTS} "
        "(`mysql-platform local up`, the default when it exists)"
    )


def _defaults(cwd: Path, connect_timeout: float) -> dict[str, Any]:
    local = cwd / LOCAL_OUTPUTS
    return {
        "outputs": local if local.is_file() else None,
        # Flyway's default location is ./sql too, relative to where the command runs.
        "sql-dir": cwd / SQL_DIR,
        "ops-schema": "ops",
        "app-user": "app",
        "connect-timeout": connect_timeout,
        "lock-timeout": 120,
    }


def _config(cwd: Path) -> tuple[dict[str, Any], Path | None]:
    """The config file's settings, checked and with paths made absolute; ({}, None) without one."""
    own = cwd / CONFIG_FILE
    if own.is_file():
        return _checked(_load(own), own), own
    pyproject = cwd / PYPROJECT
    if pyproject.is_file():
        table = _load(pyproject).get("tool", {}).get("mysql-platform")
        if table is None:
            return {}, None
        if not isinstance(table, dict):
            raise SettingsError(f"{pyproject}: [{PYPROJECT_TABLE}] must be a table, got {table!r}")
        return _checked(table, pyproject), pyproject
    return {}, None


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise SettingsError(f"{path} is larger than {MAX_CONFIG_BYTES} bytes: not a settings file")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise SettingsError(f"{path} nests arrays or tables too deeply to be a settings file") from None


def _checked(table: Mapping[str, Any], path: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KINDS:
            close = difflib.get_close_matches(key, list(KINDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SettingsError(f"{path}: unknown key {key!r}{hint}; expected one of {', '.join(KINDS)}")
        result[key] = _from_toml(key, value, f"{path}: key {key!r}", path.parent)
    return result


def _from_toml(key: str, value: object, where: str, base: Path) -> Any:
    kind = KINDS[key]
    if kind in (PATH, TEXT):
        if not isinstance(value, str) or not value or "\x00" in value:
            raise _bad(where, value, kind)
        return str(base / value) if key == "ssl-ca" else base / value if kind == PATH else value
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (kind == WHOLE_SECONDS and not isinstance(value, int))
    ):
        raise _bad(where, value, kind)
    return _positive(value, where, kind)


def _from_text(key: str, text: str, where: str, cwd: Path) -> Any:
    kind = KINDS[key]
    if kind == PATH:
        return str(cwd / text) if key == "ssl-ca" else cwd / text
    if kind == TEXT:
        return text
    try:
        number: float = int(text) if kind == WHOLE_SECONDS else float(text)
    except ValueError:
        raise _bad(where, text, kind) from None
    return _positive(number, where, kind)


def _positive(number: float, where: str, kind: str) -> float:
    if not math.isfinite(number) or number <= 0:
        raise _bad(where, number, kind)
    return number


def _bad(where: str, value: object, kind: str) -> SettingsError:
    return SettingsError(f"{where}: expected {_EXPECTED[kind]}, got {value!r}")
