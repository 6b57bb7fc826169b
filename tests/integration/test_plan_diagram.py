"""``plan --diagram x.svg`` through the real Graphviz (the Debian package the CI installs), both views."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mysql_platform.cli import plan as plan_cli
from mysql_platform.errors import EXIT_OK


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (make system-deps)")
def test_graphviz_draws_the_stack_as_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "prod.svg"
    assert plan_cli.main(["prod", "--diagram", str(out), "--view", "resources"]) == EXIT_OK
    capsys.readouterr()
    root = ET.parse(out).getroot()  # noqa: S314 - our own Graphviz output: well-formed SVG
    assert root.tag.endswith("svg")
    text = out.read_text()
    assert "db&#45;primary (MySqlDatabase)" in text and "db&#45;replica&#45;1" in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (make system-deps)")
def test_graphviz_draws_the_architecture_as_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dev.svg"
    assert plan_cli.main(["dev", "--diagram", str(out)]) == EXIT_OK
    capsys.readouterr()
    root = ET.parse(out).getroot()  # noqa: S314 - our own Graphviz output: well-formed SVG
    assert root.tag.endswith("svg")
    text = out.read_text()
    assert "public subnets: route to the internet gateway" in text
    assert "203.0.113.10/32" in text and "tcp 3306 MySQL" in text
