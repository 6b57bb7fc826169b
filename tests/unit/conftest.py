"""Fixtures that run the Pulumi program under mocks with the committed stack files."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.program import program
from scripts import automation
from tests.unit.pulumi_harness import ProgramRun, run_program

# Every entry point that runs the program: __main__.py calls `program`, and the
# Automation API passes `inline_program()` as `program=`. Each program test runs on both.
PROGRAMS: dict[str, Callable[[], None]] = {"main": program, "inline": automation.inline_program()}


@pytest.fixture(params=[False, True], ids=["up", "preview"])
def preview(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(params=sorted(PROGRAMS))
def entry_point(request: pytest.FixtureRequest) -> Callable[[], None]:
    return PROGRAMS[request.param]


@pytest.fixture
def dev(entry_point: Callable[[], None], preview: bool) -> ProgramRun:
    return run_program(entry_point, "dev", preview=preview)


@pytest.fixture
def prod(entry_point: Callable[[], None], preview: bool) -> ProgramRun:
    return run_program(entry_point, "prod", preview=preview)


@pytest.fixture(params=["dev", "prod"])
def any_stack(request: pytest.FixtureRequest, entry_point: Callable[[], None], preview: bool) -> ProgramRun:
    return run_program(entry_point, request.param, preview=preview)
