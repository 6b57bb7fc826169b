"""Where the project's files are: the one place that knows the checkout's and the wheel's layout.

A *project directory* holds this project's ``Pulumi.yaml`` (``name: mysql-platform``), its stack
files ``Pulumi.<stack>.yaml``, ``__main__.py`` and ``sql/``. A command uses, in this order:

1. the current directory or the nearest of its parents that is a project directory, as the
   ``pulumi`` CLI looks for ``Pulumi.yaml`` (a project made by ``mysql-platform init``, or a
   checkout the user stands in);
2. the checkout this package was imported from (a source tree or an editable install);
3. the copy packaged in the wheel (``mysql_platform/data/project``, ``data/sql``): read only,
   so ``plan dev`` works from any directory, but nothing is ever written there.

The wheel's copies are made at build time from the checkout's root files (``setup.py``); an
editable install runs no build step, so the packaged data falls back to the checkout.
Nothing here reads a file at import time; no third-party import (the router install has none).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import stat
from pathlib import Path
from typing import Final

PROJECT_NAME: Final = "mysql-platform"
PROJECT_FILE: Final = "Pulumi.yaml"
# The files `init` copies and the wheel ships, besides sql/.
PROJECT_FILES: Final = ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "__main__.py")
PACKAGE_DIR: Final = Path(__file__).resolve().parent
DATA_DIR: Final = PACKAGE_DIR / "data"
# A Pulumi.yaml is a few kilobytes; a larger "project file" is not ours, and a device or a FIFO
# named Pulumi.yaml must not hang or exhaust a command that only looks for its project.
MAX_PROJECT_FILE_BYTES: Final = 1 << 20
log = logging.getLogger(__name__)
_ANY_NAME_LINE: Final = re.compile(r"^name:[ \t]*['\"]?([^'\"#\s]+)", re.M)
# `name: mysql-platform` at the top level of Pulumi.yaml, read without a YAML parser.
_NAME_LINE: Final = re.compile(r"^name:[ \t]*(['\"]?)" + re.escape(PROJECT_NAME) + r"\1[ \t]*(#.*)?$", re.M)


def is_project_dir(path: Path) -> bool:
    """``path`` holds a ``Pulumi.yaml`` naming this project, and both are trusted (:func:`_trusted`)."""
    text = _read_project_file(path / PROJECT_FILE)
    return text is not None and _NAME_LINE.search(text) is not None and _trusted(path)


def _read_project_file(path: Path) -> str | None:
    """The text of a regular file of at most MAX_PROJECT_FILE_BYTES, else None (never blocks:
    a FIFO opens at once with O_NONBLOCK and is then refused as not regular)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_PROJECT_FILE_BYTES:
            return None
        try:
            return handle.read(MAX_PROJECT_FILE_BYTES + 1).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None


def _trusted(path: Path) -> bool:
    """The directory and its Pulumi.yaml belong to the user running the command or to root, and
    no other user may add files to the directory. A project directory decides which program
    ``stack`` runs and which stack files ``plan`` reads, so, as git does with a repository owned by
    someone else, another user's directory is not taken as the project (a warning says why)."""
    me = os.geteuid()
    try:
        folder, file = path.stat(), (path / PROJECT_FILE).stat()
    except OSError:
        return False
    owners = {folder.st_uid, file.st_uid} - {me, 0}
    open_to_others = folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and folder.st_uid != me
    if owners or open_to_others:
        log.warning(
            "ignoring the project in %s: %s; run from a project directory of your own "
            "(mysql-platform init DIR)",
            path,
            f"owned by uid {sorted(owners)[0]}, not by you (uid {me}) or root"
            if owners
            else "other users may write into that directory",
        )
        return False
    return True


def checkout_root() -> Path | None:
    """The checkout this package runs from, or None when it runs from an installed copy."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and is_project_dir(root) else None


def found_project_dir(start: Path | None = None) -> Path | None:
    """Rules 1 and 2: a project directory a command may write into, or None. The installed
    package's own copy never counts, even when the command runs from inside it."""
    try:
        here = (Path.cwd() if start is None else start).resolve()
    except OSError:  # the current directory was deleted
        return checkout_root()
    for candidate in (here, *here.parents):
        if not is_packaged(candidate) and is_project_dir(candidate):
            return candidate
        _warn_if_another_project(candidate)
    return checkout_root()


@functools.cache  # once a process: the lookup runs for several defaults
def _warn_if_another_project(path: Path) -> None:
    """A Pulumi.yaml of another name is passed over: say so, or a renamed project would silently
    read the checkout's or the packaged stack files. The name is also the config keys' namespace
    (``mysql-platform:vpcCidr``), so this program's project keeps it."""
    text = _read_project_file(path / PROJECT_FILE)
    if text is None or _NAME_LINE.search(text):
        return
    other = _ANY_NAME_LINE.search(text)
    log.warning(
        "ignoring %s: its project is %s, not %s (the name is also the namespace of the config "
        "keys); looking further up",
        path / PROJECT_FILE,
        repr(other.group(1)) if other else "unnamed",
        PROJECT_NAME,
    )


def packaged_project_dir() -> Path:
    """The project files shipped with the package (the checkout's own in a source tree, so a
    stray ``data/`` there never shadows the root files)."""
    return checkout_root() or DATA_DIR / "project"


def packaged_sql_dir() -> Path:
    """The default migrations shipped with the package (the checkout's ``sql/`` in a source tree)."""
    root = checkout_root()
    return DATA_DIR / "sql" if root is None else root / "sql"


def is_packaged(path: Path) -> bool:
    """``path`` is inside the installed package's data: read it, never write there."""
    try:
        return path.resolve().is_relative_to(DATA_DIR.resolve())
    except OSError:
        return False


def project_dir(start: Path | None = None) -> Path:
    """The project directory a command reads: rule 1, else 2, else the packaged copy."""
    return found_project_dir(start) or packaged_project_dir()


def sql_dir(start: Path | None = None) -> Path:
    """The migrations of :func:`project_dir`: its ``sql/``, or the packaged ones."""
    found = found_project_dir(start)
    return packaged_sql_dir() if found is None else found / "sql"


def writable_dir(start: Path | None = None) -> Path:
    """Where a command keeps what it writes (``.local/``): the project directory, never the
    packaged copy; the current directory when there is no project directory."""
    found = found_project_dir(start)
    if found is not None:
        return found
    if start is not None:
        return start
    try:
        return Path.cwd()
    except OSError:  # the current directory was deleted: the command names the path it fails on
        return Path(".")
