"""The project's Python files parsed once per test session: several tests read every module's tree
(the import rules, the commands that messages suggest), and parsing them is most of their cost."""

from __future__ import annotations

import ast
import functools
from pathlib import Path


@functools.cache
def parsed(path: Path) -> ast.Module:
    """``path``'s syntax tree; tests read it and never change it."""
    return ast.parse(path.read_text(), str(path))
