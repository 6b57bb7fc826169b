"""The layout's import rules, checked on the source: who may import whom.

- components/ (the Pulumi program) never imports scripts/;
- mysql_platform_core/ (shared pure code) imports neither components/ nor scripts/;
- the subpackages of scripts/ (analytics, db, local, planning, stack) never import each other: what
  combines them lives above them, in scripts/orchestrate.py and scripts/cli/;
- nothing imports __main__.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBPACKAGES = ("scripts.analytics", "scripts.db", "scripts.local", "scripts.planning", "scripts.stack")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache  # several rules read the same files
def imported_modules(path: Path) -> frozenset[str]:
    """Every module a file imports, absolute names (``from x import y`` counts ``x`` and ``x.y``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(found)


def sources(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{module_name(f)} imports {m}"
        for f in files
        for m in sorted(imported_modules(f))
        if any(within(m, p) for p in forbidden)
    ]


def test_components_never_import_scripts() -> None:
    assert offenders(sources("components"), ("scripts",)) == []


def test_shared_code_imports_neither_components_nor_scripts() -> None:
    assert offenders(sources("mysql_platform_core"), ("components", "scripts")) == []


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_no_two_script_subpackages_import_each_other(package: str) -> None:
    others = tuple(p for p in SUBPACKAGES if p != package)
    above = (
        "scripts.orchestrate",
        "scripts.cli",
        "scripts.bootstrap",
        "scripts.migrate",
        "scripts.plan",
        "scripts.automation",
        "scripts.local_env",
    )
    files = sources(package.replace(".", "/"))
    assert files, f"{package} has no modules"
    assert offenders(files, others + above) == []


def test_nothing_imports_main() -> None:
    files = sources("components", "mysql_platform_core", "scripts", "tests", "bench")
    assert offenders(files, ("__main__",)) == []


def test_the_rules_see_a_forbidden_import(tmp_path: Path) -> None:
    # The checker itself can fail: a file importing scripts.stack from scripts.db is caught.
    probe = tmp_path / "probe.py"
    probe.write_text("from scripts.stack import tunnel\nimport scripts.local.env\n")
    assert imported_modules(probe) >= {"scripts.stack", "scripts.stack.tunnel", "scripts.local.env"}


def test_integration_tests_use_shared_helpers_not_other_suites() -> None:
    # Shared test helpers live in tests/support; bench/ and tests/unit are not libraries.
    assert offenders(sources("tests/integration"), ("tests.unit", "bench")) == []
