"""``mysql-platform init DIR``: a project directory of one's own, as ``pulumi new`` makes one.

    mysql-platform init DIR

Writes ``Pulumi.yaml`` (the config schema), ``Pulumi.dev.yaml`` and ``Pulumi.prod.yaml``,
``__main__.py`` (which runs the installed package's program), ``sql/`` with the default
migrations, ``requirements.txt`` (what Pulumi's python runtime installs: this package with the
``[full]`` extra, the copy that runs: see :func:`requirement`) and a ``.gitignore`` for the
secrets the tools write.
DIR is created when missing; a name already there (a dangling symlink too, and a ``sql`` that
is a symlink or a file) is never written to: every check runs first, the command names every
such name and exits 2 having written nothing. Files are created exclusively (``O_EXCL``,
``O_NOFOLLOW``); a write that fails midway removes what the run created and exits 2 naming the
path. The sources are the packaged copies (:mod:`mysql_platform.project`), so it works from a
wheel as from a checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.metadata
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final

from mysql_platform import __version__, project
from mysql_platform.core.command_names import prog
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_OK

PROG: Final = prog("init")
REQUIREMENTS_NAME: Final = "requirements.txt"
GITIGNORE_NAME: Final = ".gitignore"
# What the tools write into a project directory that must not reach git: the same patterns as
# the checkout's .gitignore keeps for secrets (passwords, outputs files, keys, local state).
GITIGNORE: Final = """\
# Pulumi's virtualenv for this project (Pulumi.yaml: runtime.options.virtualenv)
.venv/
__pycache__/
# The local environment's state (`mysql-platform local up`): passwords, TLS keys, data.
.local/
# App passwords the bootstrap writes beside the outputs file, and its temporary files.
*.password
.*.password.*.tmp
# Outputs files hold the master password (`pulumi stack output --json --show-secrets`).
outputs*.json
*-outputs.json
*_outputs.json
out.json
# Client option files, private keys, a local Pulumi backend (`pulumi login file://.`).
client-*.cnf
*.key
.pulumi/
# Plans saved for `mysql-platform plan STACK --before FILE`.
*-plan.json
"""


DISTRIBUTION: Final = "mysql-platform"
REQUIREMENT: Final = "mysql-platform[full]"


def installed_direct_url() -> str | None:
    """The installed distribution's ``direct_url.json`` (PEP 610): present when it was installed
    from a file or URL (a wheel path, a checkout dir, editable or not); None when it came from a
    package index or is not installed."""
    try:
        return importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None


def _pep508_url(direct_url: str | None) -> str | None:
    """The URL pip takes back after ``@`` for a ``direct_url.json``, or None when it names none."""
    try:
        record: object = json.loads(direct_url or "null")
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("url"), str) or not record["url"]:
        return None
    url: str = record["url"]
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        url = f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
    subdirectory = record.get("subdirectory")
    return f"{url}#subdirectory={subdirectory}" if isinstance(subdirectory, str) and subdirectory else url


def requirement(version: str = __version__) -> tuple[str, str]:
    """The line that installs the copy running now, and where it came from (for a comment).

    The running copy decides: a checkout (a plain source tree, or an editable install of it)
    is named by its directory, since its code may differ from any installed metadata; an
    installed copy by the file or URL it was installed from; else by its version on an index.
    Pulumi's runtime pip-installs a directory non-editable, which a project wants.
    """
    checkout = project.checkout_root()
    if checkout is not None:
        return f"{REQUIREMENT} @ {checkout.as_uri()}", f"the checkout at {checkout}"
    url = _pep508_url(installed_direct_url())
    if url is not None:
        return f"{REQUIREMENT} @ {url}", "the file or URL this copy was installed from"
    return f"{REQUIREMENT}=={version}", f"version {version}, installed from a package index"


def requirements_text() -> str:
    # Pulumi's python runtime installs only this file into the project's virtualenv.
    line, source = requirement()
    return (
        "# What Pulumi's python runtime installs into .venv before it runs __main__.py:\n"
        "# the program and the CLI, the same copy that made this project.\n"
        f"# `mysql-platform init DIR` wrote the line below from {source}.\n"
        f"# To install another copy, replace it with `{REQUIREMENT}==VERSION` (from a package\n"
        f"# index) or `{REQUIREMENT} @ URL` (a wheel file, a checkout dir: file:///path).\n"
        f"{line}\n"
    )


def planned_files() -> dict[Path, Path | str]:
    """Each file to write, relative to DIR: the packaged file to copy, or the text to write."""
    source = project.packaged_project_dir()
    files: dict[Path, Path | str] = {Path(name): source / name for name in project.PROJECT_FILES}
    sql = project.packaged_sql_dir()
    for path in sorted(sql.glob("*.sql")):
        files[Path("sql") / path.name] = path
    files[Path(REQUIREMENTS_NAME)] = requirements_text()
    files[Path(GITIGNORE_NAME)] = GITIGNORE
    return files


def _missing_sources(files: dict[Path, Path | str]) -> list[Path]:
    return [source for source in files.values() if isinstance(source, Path) and not source.is_file()]


def conflicts(target: Path, files: dict[Path, Path | str]) -> list[str]:
    """Every name in ``target`` that would stop the run, checked before anything is written.

    A name counts when it exists in any form, a dangling symlink included (``exists()`` says
    False for one and writing through it would create its target). A directory a file needs
    (``sql/``) must be absent or a real directory: a symlink or a file there is named.
    """
    if not os.path.lexists(target):
        return []
    found: list[str] = []
    blocked: set[Path] = set()
    for parent in sorted({relative.parent for relative in files} - {Path(".")}):
        path = target / parent
        if path.is_symlink():
            found.append(f"{parent} (a symlink)")
        elif os.path.lexists(path) and not path.is_dir():
            found.append(f"{parent} (not a directory)")
        else:
            continue
        blocked.add(parent)
    for relative in files:
        path = target / relative
        if relative.parent not in blocked and os.path.lexists(path):
            found.append(f"{relative} (a symlink)" if path.is_symlink() else str(relative))
    return found


class WriteFailed(Exception):
    """A write failed midway; everything this run had created was removed again."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.removed = 0  # what this run had created and removed again
        self.left_behind: list[Path] = []  # what it could not remove


# What one step created, and how to remove it again.
_Undo = tuple[Path, Callable[[], None]]


def _write_order(files: dict[Path, bytes]) -> list[Path]:
    # Pulumi.yaml last: a directory left half-written (the process killed) has no Pulumi.yaml,
    # so no command takes it for a project directory.
    return sorted(files, key=lambda relative: relative == Path(project.PROJECT_FILE))


def _missing_dirs(target: Path) -> list[Path]:
    """``target`` and its parents that do not exist yet, outermost first."""
    missing: list[Path] = []
    for directory in (target, *target.parents):
        if os.path.lexists(directory):
            break
        missing.append(directory)
    return missing[::-1]


def _open_dir(name: Path | str, fds: contextlib.ExitStack, dir_fd: int | None = None) -> int:
    # Subdirectories are opened relative to DIR's descriptor without following a symlink, so a
    # sql/ swapped for a symlink after the checks is refused rather than written through.
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (0 if dir_fd is None else os.O_NOFOLLOW)
    fd = os.open(name, flags, dir_fd=dir_fd)
    fds.callback(os.close, fd)
    return fd


def _write_file(directory: int, path: Path, data: bytes, undo: list[_Undo]) -> None:
    name = path.name
    # O_EXCL refuses every existing name, a dangling symlink included; O_NOFOLLOW is a second
    # guard against writing through one.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o644, dir_fd=directory)
    undo.append((path, functools.partial(os.unlink, name, dir_fd=directory)))
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _content(source: Path | str) -> bytes:
    if not isinstance(source, Path):
        return source.encode("utf-8")
    with _naming(source):
        return source.read_bytes()


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise WriteFailed(path, exc.strerror or str(exc)) from exc


def _subdir(root: int, path: Path, undo: list[_Undo], fds: contextlib.ExitStack) -> int:
    name = path.name
    with contextlib.suppress(FileExistsError):  # a real directory there was checked before
        os.mkdir(name, 0o755, dir_fd=root)
        undo.append((path, functools.partial(os.rmdir, name, dir_fd=root)))
    return _open_dir(name, fds, dir_fd=root)


def _create(target: Path, contents: dict[Path, bytes], undo: list[_Undo],
            fds: contextlib.ExitStack) -> None:  # fmt: skip
    for directory in _missing_dirs(target):
        with _naming(directory):
            directory.mkdir()
        undo.append((directory, functools.partial(os.rmdir, directory)))
    with _naming(target):
        dirs = {Path("."): _open_dir(target, fds)}
    for relative in _write_order(contents):
        if relative.parent not in dirs:
            with _naming(target / relative.parent):
                dirs[relative.parent] = _subdir(dirs[Path(".")], target / relative.parent, undo, fds)
        with _naming(target / relative):
            _write_file(dirs[relative.parent], target / relative, contents[relative], undo)


def write_project(target: Path, files: dict[Path, Path | str]) -> None:
    """Write every file into ``target`` (creating it), or none: on an error (disk full, no
    permission, a name that appeared after the checks) remove what this run created and raise
    :class:`WriteFailed`. Subdirectories are one level deep (``sql/``)."""
    contents = {relative: _content(source) for relative, source in files.items()}
    undo: list[_Undo] = []
    with contextlib.ExitStack() as fds:
        try:
            _create(target, contents, undo, fds)
        except WriteFailed as failed:
            for path, remove in reversed(undo):
                try:
                    remove()
                    failed.removed += 1
                except OSError:
                    failed.left_behind.append(path)
            raise


def next_steps(target: Path) -> str:
    return (
        f"created a mysql-platform project in {target}\n"
        "next:\n"
        f"  cd {shlex.quote(str(target))}\n"
        "  mysql-platform plan dev          what the dev stack would create (offline, no credentials)\n"
        "  mysql-platform migrate new NAME  the next migration in sql/\n"
        "  pulumi stack select --create dev && pulumi up\n"
        "                                   the real stack (Pulumi CLI, AWS credentials; Pulumi\n"
        "                                   installs requirements.txt into .venv first)\n"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Create a project directory of one's own (as `pulumi new`): Pulumi.yaml, "
        "Pulumi.dev.yaml, Pulumi.prod.yaml, __main__.py, sql/, requirements.txt, .gitignore. "
        "Existing files are never overwritten.",
    )
    # A str, not a Path: Path("") is ".", which would scaffold the current directory unasked.
    parser.add_argument("dir", metavar="DIR", help="the project directory (created when missing)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if not args.dir:
        print(f"{PROG}: DIR is an empty string; expected a directory path ('.' for the current directory)",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    target = Path(args.dir)
    if os.path.lexists(target) and not target.is_dir():
        print(f"{PROG}: '{target}' exists and is not a directory; expected a directory to create files in",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    files = planned_files()
    missing = _missing_sources(files)
    if missing:
        names = ", ".join(str(path) for path in missing)
        print(f"{PROG}: this install lacks the project files it copies: {names}; reinstall mysql-platform",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    existing = conflicts(target, files)
    if existing:
        print(
            f"{PROG}: '{target}' already has {', '.join(existing)}; nothing was written "
            "(move them away or choose another DIR)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        write_project(target, files)
    except WriteFailed as exc:
        left = ", ".join(str(path) for path in exc.left_behind)
        undone = "removed what this run had written" if exc.removed else "nothing was written"
        undone = f"could not remove {left}" if left else undone
        print(f"{PROG}: cannot write '{exc.path}': {exc.reason}; {undone}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(next_steps(target), end="")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
