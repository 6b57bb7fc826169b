"""The one JSON document a ``migrate`` command writes under ``--json`` (shape in docs/migrations.md).

    {"command": "info", "ok": true, "exit_code": 0, "error": null, ...the command's fields}
    {"command": "migrate", "ok": false, "exit_code": 3, "error": {"kind": "connect", "message": "..."}, ...}

``error.kind`` follows the exit code (:mod:`mysql_platform.errors`): ``bad_input`` (2), ``connect`` (3),
``migration`` (4), ``interrupted`` (130, Ctrl-C; 143, SIGTERM), else ``failed``. The command's
fields are present on failure too, holding what was known when it stopped (empty lists, nulls).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from mysql_platform.errors import (
    EXIT_BAD_INPUT,
    EXIT_CONNECT,
    EXIT_INTERRUPTED,
    EXIT_MIGRATION,
    EXIT_OK,
    EXIT_TERMINATED,
)

ERROR_KINDS = {
    EXIT_BAD_INPUT: "bad_input",
    EXIT_CONNECT: "connect",
    EXIT_MIGRATION: "migration",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_TERMINATED: "interrupted",
}

# Each command's fields and their values before anything is known.
EMPTY_FIELDS: dict[str, dict[str, Any]] = {
    "migrate": {
        "dry_run": False,
        "target": None,
        "applied": [],
        "already_applied": None,
        "above_target": None,
        "repeatables": [],
        "callbacks": [],
        "batches": [],
    },
    "info": {"target": None, "versions": [], "repeatables": [], "callbacks": []},
    "validate": {"offline": False, "files": None, "problems": []},
    "repair": {"changes": [], "refusals": [], "changed": False},
    "baseline": {"version": None, "marked": []},
    "current": {"current": None, "pending": None, "text": None},
    "undo": {"target": None, "undone": []},
}


def document(command: str, exit_code: int, fields: Mapping[str, Any], message: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"command": command, "ok": exit_code == EXIT_OK, "exit_code": exit_code}
    doc["error"] = (
        None
        if exit_code == EXIT_OK
        else {"kind": ERROR_KINDS.get(exit_code, "failed"), "message": message or f"exit code {exit_code}"}
    )
    doc.update(EMPTY_FIELDS.get(command, {}))
    doc.update(fields)
    return doc


class Emitter:
    """Writes one document per run, however the run ends (the first one wins)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.done = False

    def emit(
        self, command: str, exit_code: int, fields: Mapping[str, Any], message: str | None = None
    ) -> None:
        if self.done:
            return
        self.done = True
        self.write(json.dumps(document(command, exit_code, fields, message), indent=2, default=str))
