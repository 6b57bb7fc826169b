"""The build step pyproject.toml cannot declare: the project files go into the wheel.

``Pulumi.yaml``, the stack files, ``__main__.py`` and ``sql/*.sql`` live at the checkout's root,
the only copies in git. A wheel has no checkout beside it, so the build copies them into the
built package as ``mysql_platform/data/project/`` and ``mysql_platform/data/sql/``, where
:mod:`mysql_platform.project` finds them. Nothing is written into the source tree. An editable
install builds nothing: :mod:`mysql_platform.project` reads the checkout's own files instead.
MANIFEST.in keeps these files in an sdist, so a wheel built from it has them too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# mysql_platform.project.PROJECT_FILES: the same names (a unit test compares them).
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "__main__.py")


def project_data() -> dict[str, Path]:
    """Each packaged file, relative to ``mysql_platform/data``, and the root file it copies."""
    files = {f"project/{name}": ROOT / name for name in PROJECT_FILES}
    files.update({f"sql/{path.name}": path for path in sorted((ROOT / "sql").glob("*.sql"))})
    return files


class BuildWithProjectData(build_py):
    """``build_py``, then the project files copied into the built package's ``data/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        data = Path(self.build_lib) / "mysql_platform" / "data"
        # build/ outlives a build: a migration deleted from sql/ must not ship from the last one.
        shutil.rmtree(data, ignore_errors=True)
        for relative, source in project_data().items():
            target = data / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


setup(cmdclass={"build_py": BuildWithProjectData})
