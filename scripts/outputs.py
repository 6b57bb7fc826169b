"""Parse the outputs contract from any of its three sources into one typed object.

Sources:
- a JSON file written by ``pulumi stack output --json --show-secrets``;
- the dict returned by the Automation API's ``stack.outputs()`` (values are
  ``OutputValue`` objects with ``.value`` and ``.secret``);
- the local environment's ``outputs.json`` (same shape as the CLI file, plus
  an optional ``ssl_ca``).

Every failure raises :class:`OutputsError` naming the key path that is missing
or malformed, and never includes the password.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components import contract
from components.contract import DbInfo, Endpoint, HostInfo, ProxyInfo, Secret, StackOutputs


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
    )


def _proxy(obj: Mapping[str, Any]) -> ProxyInfo:
    p = "proxy."
    return ProxyInfo(
        host=_str(obj, "host", p, allow_empty=False),
        writer_port=_port(obj, "writer_port", p),
        reader_port=_port(obj, "reader_port", p),
    )


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
    ssl_ca = data.get("ssl_ca")
    if ssl_ca is not None and not isinstance(ssl_ca, str):
        raise OutputsError(f"outputs: key 'ssl_ca' must be a path string, got {_describe(ssl_ca)}")
    return StackOutputs(
        environment=_str(data, contract.ENVIRONMENT, "", allow_empty=False),
        vpc_id=_str(data, contract.VPC_ID, "", allow_empty=False),
        host=_host(_object(data, contract.HOST, "")),
        db=_db(_object(data, contract.DB, "")),
        db_password=Secret(password),
        proxy=None if proxy_raw is None else _proxy(_object(data, contract.PROXY, "")),
        ssl_ca=ssl_ca,
    )


def from_json_file(path: str | Path) -> StackOutputs:
    """Read a ``pulumi stack output --json --show-secrets`` file or a local ``outputs.json``."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise OutputsError(f"outputs: cannot read file '{file}': {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputsError(
            f"outputs: file '{file}' is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return parse_outputs(data)


def from_automation(outputs: Mapping[str, Any]) -> StackOutputs:
    """Unwrap the Automation API's ``OutputMap`` (``OutputValue`` values) and parse it."""
    plain = {key: getattr(value, "value", value) for key, value in outputs.items()}
    return parse_outputs(plain)


def load(source: str | Path | Mapping[str, Any]) -> StackOutputs:
    """Parse from whichever source was given: a path, an Automation API map or a plain dict."""
    if isinstance(source, (str, Path)):
        return from_json_file(source)
    return from_automation(source)
