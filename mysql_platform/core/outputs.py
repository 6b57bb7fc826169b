"""Parse the outputs contract from any of its three sources into one typed object.

Sources:
- a JSON file written by ``pulumi stack output --json --show-secrets``;
- the dict returned by the Automation API's ``stack.outputs()`` (values are
  ``OutputValue`` objects with ``.value`` and ``.secret``);
- the local environment's ``outputs.json`` (same shape as the CLI file, plus
  an optional ``ssl_ca``).

Every failure raises :class:`OutputsError` naming the key path that is missing
or malformed, and never includes the password. Hostile files get the same one-line
error, not a traceback: numbers with thousands of digits, nesting deep enough to
exhaust the parser's recursion, non-UTF-8 bytes, files larger than any outputs.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mysql_platform.core import contract
from mysql_platform.core.contract import (
    AlertsInfo,
    AnalyticsInfo,
    DbInfo,
    Endpoint,
    HostInfo,
    ProxyInfo,
    Secret,
    StackOutputs,
)

# Real outputs are a few kB; the analytics block included, far below this.
MAX_FILE_BYTES = 1024 * 1024
# Ports and counts fit in far fewer digits; Python refuses to convert more than 4300.
MAX_INT_DIGITS = 20
# A Pulumi stack name (letters, digits, -, _, .), starting with a letter or digit. The
# environment names files (the app password's), so no '/' and no '..' may pass.
ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class OutputsError(ValueError):
    """The outputs are missing a key or a key has the wrong type."""


def _require(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        raise OutputsError(f"outputs: missing key '{path}{key}'")
    return obj[key]


def _str(obj: Mapping[str, Any], key: str, path: str, *, allow_empty: bool = True) -> str:
    value = _require(obj, key, path)
    if not isinstance(value, str) or (not allow_empty and not value):
        raise OutputsError(
            f"outputs: key '{path}{key}' must be a non-empty string, got {_describe(value)}"
            if not allow_empty
            else f"outputs: key '{path}{key}' must be a string, got {_describe(value)}"
        )
    return value


def _bool(obj: Mapping[str, Any], key: str, path: str) -> bool:
    value = _require(obj, key, path)
    if not isinstance(value, bool):
        raise OutputsError(f"outputs: key '{path}{key}' must be true or false, got {_describe(value)}")
    return value


def _port(obj: Mapping[str, Any], key: str, path: str) -> int:
    value = _require(obj, key, path)
    # bool is an int subclass; a port of True is a bug upstream.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise OutputsError(f"outputs: key '{path}{key}' must be a TCP port (1-65535), got {_describe(value)}")
    return value


def _object(obj: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = _require(obj, key, path)
    if not isinstance(value, Mapping):
        raise OutputsError(f"outputs: key '{path}{key}' must be an object, got {_describe(value)}")
    return value


def _describe(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "int (too large)"  # str() of it may refuse (more than 4300 digits)
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else None
    if text is not None and len(text) <= 60:
        return f"{type(value).__name__} {text}"
    return type(value).__name__


def _endpoint(obj: Mapping[str, Any], path: str) -> Endpoint:
    return Endpoint(host=_str(obj, "host", path, allow_empty=False), port=_port(obj, "port", path))


def _host(obj: Mapping[str, Any]) -> HostInfo:
    p = "host."
    return HostInfo(**{k: _str(obj, k, p) for k in contract.HOST_KEYS})


def _db(obj: Mapping[str, Any]) -> DbInfo:
    p = "db."
    writer = _endpoint(_object(obj, "writer", p), "db.writer.")
    readers_raw = _require(obj, "readers", p)
    if not isinstance(readers_raw, list):
        raise OutputsError(f"outputs: key 'db.readers' must be a list, got {_describe(readers_raw)}")
    readers = []
    for i, item in enumerate(readers_raw):
        if not isinstance(item, Mapping):
            raise OutputsError(f"outputs: key 'db.readers[{i}]' must be an object, got {_describe(item)}")
        readers.append(_endpoint(item, f"db.readers[{i}]."))
    return DbInfo(
        engine=_str(obj, "engine", p, allow_empty=False),
        engine_version=_str(obj, "engine_version", p),
        writer=writer,
        readers=tuple(readers),
        database=_str(obj, "database", p),
        username=_str(obj, "username", p, allow_empty=False),
        publicly_accessible=_bool(obj, "publicly_accessible", p),
        multi_az=_bool(obj, "multi_az", p),
        topology=_topology(obj),
    )


def _topology(obj: Mapping[str, Any]) -> str:
    if "topology" not in obj:
        return contract.TOPOLOGY_INSTANCE
    value = obj["topology"]
    if value not in contract.TOPOLOGIES:
        allowed = ", ".join(contract.TOPOLOGIES)
        raise OutputsError(f"outputs: key 'db.topology' must be one of {allowed}, got {_describe(value)}")
    return str(value)


def _proxy(obj: Mapping[str, Any]) -> ProxyInfo:
    p = "proxy."
    return ProxyInfo(
        host=_str(obj, "host", p, allow_empty=False),
        writer_port=_port(obj, "writer_port", p),
        reader_port=_port(obj, "reader_port", p),
    )


def _analytics(obj: Mapping[str, Any]) -> AnalyticsInfo:
    p = "analytics."
    keys = [*contract.ANALYTICS_KEYS, *(k for k in contract.ANALYTICS_OPTIONAL_KEYS if k in obj)]
    return AnalyticsInfo(**{k: _str(obj, k, p, allow_empty=False) for k in keys})


def _alerts(obj: Mapping[str, Any]) -> AlertsInfo:
    return AlertsInfo(**{k: _str(obj, k, "alerts.", allow_empty=False) for k in contract.ALERTS_KEYS})


def _environment(data: Mapping[str, Any]) -> str:
    value = _str(data, contract.ENVIRONMENT, "", allow_empty=False)
    if not ENVIRONMENT_RE.fullmatch(value) or ".." in value:
        raise OutputsError(
            f"outputs: key '{contract.ENVIRONMENT}' must be a stack name (letters, digits, '-', '_', '.', "
            f"starting with a letter or digit, no '..'), got {_describe(value)}"
        )
    return value


def parse_outputs(data: Mapping[str, Any]) -> StackOutputs:
    """Parse plain (already unwrapped) outputs, as in the CLI's JSON."""
    if not isinstance(data, Mapping):
        raise OutputsError(f"outputs: expected a JSON object at the top level, got {_describe(data)}")
    password = _require(data, contract.DB_PASSWORD, "")
    if not isinstance(password, str) or not password:
        # Never echo the value: it is the secret.
        raise OutputsError(
            f"outputs: key '{contract.DB_PASSWORD}' must be a non-empty string "
            f"(was the stack output read with --show-secrets?), got {type(password).__name__}"
        )
    if password == "[secret]":
        raise OutputsError(
            f"outputs: key '{contract.DB_PASSWORD}' is masked; read the outputs with --show-secrets"
        )
    proxy_raw = data.get(contract.PROXY)
    analytics_raw = data.get(contract.ANALYTICS)
    alerts_raw = data.get(contract.ALERTS)
    ssl_ca = data.get("ssl_ca")
    if ssl_ca is not None and not isinstance(ssl_ca, str):
        raise OutputsError(f"outputs: key 'ssl_ca' must be a path string, got {_describe(ssl_ca)}")
    return StackOutputs(
        environment=_environment(data),
        vpc_id=_str(data, contract.VPC_ID, "", allow_empty=False),
        host=_host(_object(data, contract.HOST, "")),
        db=_db(_object(data, contract.DB, "")),
        db_password=Secret(password),
        proxy=None if proxy_raw is None else _proxy(_object(data, contract.PROXY, "")),
        analytics=None if analytics_raw is None else _analytics(_object(data, contract.ANALYTICS, "")),
        alerts=None if alerts_raw is None else _alerts(_object(data, contract.ALERTS, "")),
        ssl_ca=ssl_ca,
    )


def from_json_file(path: str | Path) -> StackOutputs:
    """Read a ``pulumi stack output --json --show-secrets`` file or a local ``outputs.json``."""
    file = Path(path)
    return parse_outputs(_load_json(file, _read_text(file)))


def _read_text(file: Path) -> str:
    try:
        # O_NONBLOCK: opening a FIFO would wait for a writer; a regular file ignores the flag.
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise OutputsError(f"outputs: cannot read file '{file}': {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutputsError(f"outputs: '{file}' is not a regular file (a FIFO, device or directory)")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise OutputsError(f"outputs: cannot read file '{file}': {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise OutputsError(f"outputs: file '{file}' is larger than {MAX_FILE_BYTES} bytes: not stack outputs")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OutputsError(f"outputs: file '{file}' is not UTF-8 text (byte {exc.start})") from None


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise OutputsError(f"a number with {digits} digits (at most {MAX_INT_DIGITS} expected)")
    return int(text)


def _no_constant(name: str) -> Any:
    raise OutputsError(f"{name}, which JSON does not allow")


def _load_json(file: Path, text: str) -> Any:
    try:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except OutputsError as exc:  # from the two hooks above
        problem = f"holds {exc}"
    except RecursionError:
        problem = "nests objects or lists too deeply to be stack outputs"
    except ValueError as exc:  # anything else the parser refuses to convert
        problem = f"is not valid JSON ({exc})"
    raise OutputsError(f"outputs: file '{file}' {problem}")


def permission_warning(path: str | Path) -> str | None:
    """A warning when the outputs file (it holds the master password) is readable by others."""
    file = Path(path)
    try:
        mode = stat.S_IMODE(file.stat().st_mode)
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    return (
        f"outputs file '{file}' holds the master password and is readable by group/others "
        f"(mode {mode:04o}); run: chmod 600 '{file}'"
    )


def from_automation(outputs: Mapping[str, Any]) -> StackOutputs:
    """Unwrap the Automation API's ``OutputMap`` (``OutputValue`` values) and parse it."""
    plain = {key: getattr(value, "value", value) for key, value in outputs.items()}
    return parse_outputs(plain)


def load(source: str | Path | Mapping[str, Any]) -> StackOutputs:
    """Parse from whichever source was given: a path, an Automation API map or a plain dict."""
    if isinstance(source, (str, Path)):
        return from_json_file(source)
    return from_automation(source)
