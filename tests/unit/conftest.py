"""Fixtures that run the Pulumi program under mocks with the committed stack files.

``__main__.py`` and the Automation API's inline source run the very same function
(test_automation_inline.py proves it), so the program tests run it once, through
``mysql_platform.components.program.program``, and share each distinct run across tests.

``no_connection`` fails a bootstrap input test that gets as far as connecting.
"""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.components.program import program
from mysql_platform.db import connection as db
from tests.support.pulumi_harness import ProgramRun, shared_run


@pytest.fixture(params=[False, True], ids=["up", "preview"])
def preview(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def dev(preview: bool) -> ProgramRun:
    return shared_run(program, "dev", preview=preview)


@pytest.fixture
def prod(preview: bool) -> ProgramRun:
    return shared_run(program, "prod", preview=preview)


@pytest.fixture(params=["dev", "prod"])
def any_stack(request: pytest.FixtureRequest, preview: bool) -> ProgramRun:
    return shared_run(program, request.param, preview=preview)


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the bootstrap tries to connect: the input must be refused first."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the bootstrap tried to connect")

    monkeypatch.setattr(db, "open_connection", refuse)


@pytest.fixture
def shared_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan command builds the plans the plan tests read: one mock run per question."""
    from mysql_platform.cli import plan as plan_cli
    from tests.support.plans import shared_make_plan

    monkeypatch.setattr(plan_cli, "make_plan", shared_make_plan)
