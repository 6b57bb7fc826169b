"""Run the Pulumi program under Pulumi's own mocks and record what it registers (for the tests).

The engine is :mod:`mysql_platform.planning.mock_engine` (the plan command runs the same); this adds
:func:`shared_run`, one run per distinct question, shared by the tests that ask it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from mysql_platform.planning.mock_engine import (
    PROJECT,
    ROOT,
    ProgramRun,
    RecordingMocks,
    RecordingMonitor,
    Registered,
    config_string,
    run_program,
    stack_config,
    unwrap,
)

__all__ = [
    "PROJECT",
    "ROOT",
    "ProgramRun",
    "RecordingMocks",
    "RecordingMonitor",
    "Registered",
    "run_program",
    "shared_run",
    "stack_config",
    "unwrap",
]

_RUNS: dict[tuple[str, str, bool, str, str | None], ProgramRun] = {}


def shared_run(
    program: Callable[[], None],
    stack: str,
    *,
    preview: bool = False,
    overrides: Mapping[str, Any] | None = None,
    stack_file: str | None = None,
) -> ProgramRun:
    """:func:`run_program`, once per distinct (program, stack, preview, overrides, stack file).

    The mocks are deterministic, so every test asking the same question gets the same run;
    tests read a run and never change it.
    """
    if stack_file == stack:
        stack_file = None  # the default: the same run
    key = (
        f"{program.__module__}.{program.__qualname__}",
        stack,
        preview,
        # As the engine hands config over: 1 and "1" are the same question.
        json.dumps({k: config_string(v) for k, v in (overrides or {}).items()}, sort_keys=True),
        stack_file,
    )
    if key not in _RUNS:
        _RUNS[key] = run_program(program, stack, preview=preview, overrides=overrides, stack_file=stack_file)
    return _RUNS[key]
