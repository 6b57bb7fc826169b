"""The Automation API's inline entry point is the program __main__.py runs.

The program tests run ``mysql_platform.components.program.program`` once per question; this file proves
that the inline source is that same function, so nothing else needs to run both.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mysql_platform.components.program
from mysql_platform.core.outputs import parse_outputs
from mysql_platform.stack import workspace
from tests.support.pulumi_harness import run_program

ROOT = Path(__file__).resolve().parents[2]


def test_inline_program_is_the_function_main_runs() -> None:
    assert workspace.inline_program() is mysql_platform.components.program.program
    tree = ast.parse((ROOT / "__main__.py").read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert ("mysql_platform.components.program", "program") in imported
    assert "program" in called


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_inline_exports_parse_into_the_outputs_automation_returns(stack: str) -> None:
    run = run_program(workspace.inline_program(), stack)
    parsed = parse_outputs(run.exports)
    assert parsed.environment == stack
    assert parsed.db.publicly_accessible is (stack == "dev")
    assert "db_password" in run.secret_exports
