"""Stack names, backend URLs and config overrides: validated, and sent to the CLI safely.

Secrets never reach a command line (``ps`` shows it to every user): :func:`config_json`
leaves them out and :func:`set_secret` sends each on stdin.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from mysql_platform.core.contract import Secret
from mysql_platform.stack.automation_errors import BadInput, OperationFailed, tail

logger = logging.getLogger(__name__)

# An override: a string, a boolean or integer (sent as the CLI writes them: true, 3), a list of
# strings (for the array-typed keys), or a Secret (stored encrypted).
ConfigInput = str | bool | int | Sequence[str] | Secret

_STACK_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]*/){0,2}[A-Za-z0-9_.-]+$")
_STACK_NAME_MAX = 100
_CONFIG_KEY = re.compile(r"^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)?$")


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
            f"pulumi config set --secret {key} on stack '{stack_name}' failed:\n{tail(done.stderr)}"
        )


def resource_count(stack: auto.Stack) -> int:
    summaries = stack.workspace.list_stacks()
    return next((s.resource_count or 0 for s in summaries if s.name == stack.name), 0)


def current_value(stack: auto.Stack, key: str) -> str | None:
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
    old = current_value(stack, "aws:region")
    if old is None or old == str(new):
        return False
    count = resource_count(stack)
    if count == 0:
        return False
    logger.warning(
        "stack '%s': aws:region override %s -> %s on a stack with %d resources; "
        "`pulumi up` replaces every one of them in the new region "
        "(databases included, data not carried over)",
        stack.name,
        old,
        new,
        count,
    )
    return True
