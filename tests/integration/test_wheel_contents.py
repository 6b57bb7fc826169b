"""The wheel as released: built offline from a copy of the sources, its file list and metadata read.

One top-level import package (mysql_platform), every module of it, and the project files a
checkout-less install needs (Pulumi.yaml, the stack files, __main__.py, sql/) as package data,
byte for byte the root's copies. The dependencies: the router's only, the rest in extras.
"""

from __future__ import annotations

import ast
import email.parser
import zipfile

import pytest

from mysql_platform import project
from tests.support.wheel import ROOT, build_wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    with zipfile.ZipFile(build_wheel(tmp_path_factory.mktemp("wheel"))) as built:
        yield built


def _requirements(name: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line]


def test_one_top_level_import_package(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    (dist_info,) = (top for top in tops if top.endswith(".dist-info"))
    assert tops - {dist_info} == {"mysql_platform"}
    (top_level,) = [n for n in wheel.namelist() if n.endswith("top_level.txt")] or [None]
    if top_level is not None:
        assert wheel.read(top_level).decode().split() == ["mysql_platform"]


def test_every_module_of_the_package_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    shipped = set(wheel.namelist())
    source = ROOT / "mysql_platform"
    modules = {
        path.relative_to(ROOT).as_posix()
        for path in source.rglob("*.py")
        if "__pycache__" not in path.parts and "data" not in path.relative_to(source).parts[:1]
    }
    assert modules
    assert modules <= shipped, sorted(modules - shipped)
    assert "mysql_platform/py.typed" in shipped


def test_the_project_files_ship_as_package_data_identical_to_the_root_copies(wheel: zipfile.ZipFile) -> None:
    expected = {f"mysql_platform/data/project/{name}": ROOT / name for name in project.PROJECT_FILES}
    expected |= {f"mysql_platform/data/sql/{p.name}": p for p in (ROOT / "sql").glob("*.sql")}
    shipped = {name for name in wheel.namelist() if name.startswith("mysql_platform/data/")}
    assert shipped == set(expected)
    for name, root_copy in expected.items():
        assert wheel.read(name) == root_copy.read_bytes(), name


def test_no_checkout_folder_ships(wheel: zipfile.ZipFile) -> None:
    for name in wheel.namelist():
        assert not name.startswith(("components/", "scripts/", "tests/", "bench/", "policy/", "sql/")), name


def test_the_metadata_asks_for_the_router_only_and_offers_the_extras(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    message = email.parser.Parser().parsestr(wheel.read(metadata).decode())
    requires = message.get_all("Requires-Dist") or []
    base = sorted(r for r in requires if "extra ==" not in r)
    assert base == sorted(_requirements("requirements-router.txt"))
    assert not [r for r in base if r.startswith("pulumi")]
    assert set(message.get_all("Provides-Extra") or []) == {"router", "full", "analytics"}

    def extra(name: str) -> list[str]:
        return sorted(r.split(";")[0].strip() for r in requires if f'extra == "{name}"' in r)

    assert extra("router") == sorted(_requirements("requirements-router.txt"))
    assert extra("full") == sorted(_requirements("requirements-full.txt"))
    assert extra("analytics") == sorted(_requirements("requirements-analytics.txt"))


def test_init_copies_the_files_the_wheel_ships() -> None:
    # setup.py's list and mysql_platform.project's are written twice (setup.py cannot import the
    # package it builds): they must name the same files.
    text = (ROOT / "setup.py").read_text()
    line = next(line for line in text.splitlines() if line.startswith("PROJECT_FILES = "))
    assert ast.literal_eval(line.partition("=")[2].strip()) == project.PROJECT_FILES
