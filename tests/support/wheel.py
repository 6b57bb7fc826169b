"""Build the project's wheel offline from a copy of its sources, as a release would.

The copy keeps the checkout free of build/ and egg-info; the build backend is the dev
requirements' setuptools (no build isolation, no index), so no network is needed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What an sdist holds (MANIFEST.in): the build configuration, the root's project files, the package.
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "requirements.txt",
    "requirements-router.txt",
    "requirements-full.txt",
    "requirements-analytics.txt",
    "Pulumi.yaml",
    "Pulumi.dev.yaml",
    "Pulumi.prod.yaml",
    "__main__.py",
    "sql",
    "mysql_platform",
)


class WheelBuildError(RuntimeError):
    """pip could not build the wheel offline here; the message is pip's last line."""


def build_wheel(work: Path) -> Path:
    """The path of a wheel freshly built in ``work`` from a copy of the sources."""
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    return build_from(source, work / "wheels")


def build_from(source: Path, wheels: Path) -> Path:
    """The wheel pip builds from the source tree ``source`` (in place: its build/ stays) into ``wheels``."""
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", str(wheels), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if build.returncode != 0:
        raise WheelBuildError(
            "pip cannot build the wheel offline (needs setuptools>=70.1 from requirements-dev.txt "
            f"in {sys.prefix}): {build.stderr.strip().splitlines()[-1:]}"
        )
    (wheel,) = wheels.glob("mysql_platform-*.whl")
    return wheel
