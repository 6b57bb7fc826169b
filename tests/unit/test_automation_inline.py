"""The program's unit tests again, through the Automation API's inline entry point.

``scripts.automation`` hands ``inline_program()`` to ``create_or_select_stack(program=...)``.
Importing test_program's tests here collects them a second time, in this module,
where the ``entry_point`` fixture below replaces conftest's: every assertion
about the program is checked against the exact function the inline path runs,
with no test copied. (If conftest's PROGRAMS gains an "inline" entry, delete this file.)
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

import components.program
from scripts import automation
from scripts.outputs import parse_outputs
from tests.unit.pulumi_harness import run_program
from tests.unit.test_program import *  # noqa: F403 - the same assertions, collected again here

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def entry_point() -> Callable[[], None]:
    return automation.inline_program()


def test_inline_program_is_the_function_main_runs() -> None:
    assert automation.inline_program() is components.program.program
    tree = ast.parse((ROOT / "__main__.py").read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert ("components.program", "program") in imported
    assert "program" in called


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_inline_exports_parse_into_the_outputs_automation_returns(stack: str) -> None:
    run = run_program(automation.inline_program(), stack)
    parsed = parse_outputs(run.exports)
    assert parsed.environment == stack
    assert parsed.db.publicly_accessible is (stack == "dev")
    assert "db_password" in run.secret_exports
