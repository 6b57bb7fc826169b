"""The layout's import rules, checked on the source: who may import whom.

- mysql_platform.components (the Pulumi program) imports only the shared code (core, errors, project);
- mysql_platform.core (shared pure code) imports nothing else of the project;
- the subpackages (analytics, db, local, planning, stack) never import each other: what combines
  them lives above them, in mysql_platform.orchestrate and mysql_platform.cli;
- the router imports only the shared code and the database layer (db), never Pulumi, so that
  ``mysql-platform[router]`` works without it;
- the checkout's ``components/`` and ``scripts/`` are thin layers that nothing in the package imports;
- nothing imports __main__.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from tests.support.source_trees import parsed

ROOT = Path(__file__).resolve().parents[2]
SUBPACKAGES = (
    "mysql_platform.analytics",
    "mysql_platform.db",
    "mysql_platform.local",
    "mysql_platform.planning",
    "mysql_platform.stack",
)
SHARED = ("mysql_platform.core", "mysql_platform.errors", "mysql_platform.project")
# Everything of the project that is not shared code: what a lower layer must not reach.
PROJECT_PARTS = (
    *SUBPACKAGES,
    "mysql_platform.router",
    "mysql_platform.components",
    "mysql_platform.cli",
    "mysql_platform.orchestrate",
    "components",
    "scripts",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache  # several rules read the same files
def imported_modules(path: Path) -> frozenset[str]:
    """Every module a file imports, absolute names (``from x import y`` counts ``x`` and ``x.y``)."""
    found: set[str] = set()
    for node in ast.walk(parsed(path)):
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


def test_components_import_only_the_shared_code() -> None:
    others = tuple(p for p in PROJECT_PARTS if p != "mysql_platform.components")
    assert offenders(sources("mysql_platform/components"), others) == []


def test_shared_code_imports_nothing_else_of_the_project() -> None:
    assert offenders(sources("mysql_platform/core"), PROJECT_PARTS) == []


def test_the_router_imports_only_the_shared_code_and_the_database_layer() -> None:
    allowed = ("mysql_platform.router", "mysql_platform.db")
    forbidden = tuple(p for p in PROJECT_PARTS if p not in allowed)
    assert offenders(sources("mysql_platform/router"), (*forbidden, "pulumi", "pulumi_aws")) == []


def test_the_package_never_imports_the_checkouts_thin_layers() -> None:
    assert offenders(sources("mysql_platform"), ("components", "scripts")) == []


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_no_two_script_subpackages_import_each_other(package: str) -> None:
    others = tuple(p for p in SUBPACKAGES if p != package)
    above = (
        "mysql_platform.orchestrate",
        "mysql_platform.cli",
        "mysql_platform.router",
        "components",
        "scripts",
    )
    files = sources(package.replace(".", "/"))
    assert files, f"{package} has no modules"
    assert offenders(files, others + above) == []


def test_nothing_imports_main() -> None:
    files = sources("mysql_platform", "components", "scripts", "tests", "bench")
    assert offenders(files, ("__main__",)) == []


def test_the_rules_see_a_forbidden_import(tmp_path: Path) -> None:
    # The checker itself can fail: a file importing mysql_platform.stack from mysql_platform.db is caught.
    probe = tmp_path / "probe.py"
    probe.write_text("from mysql_platform.stack import tunnel\nimport mysql_platform.local.env\n")
    assert imported_modules(probe) >= {
        "mysql_platform.stack",
        "mysql_platform.stack.tunnel",
        "mysql_platform.local.env",
    }


def test_integration_tests_use_shared_helpers_not_other_suites() -> None:
    # Shared test helpers live in tests/support; bench/ and tests/unit are not libraries.
    assert offenders(sources("tests/integration"), ("tests.unit", "bench")) == []
