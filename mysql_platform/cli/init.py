"""``mysql-platform init DIR``: a project directory of one's own, as ``pulumi new`` makes one.

    mysql-platform init DIR

Writes ``Pulumi.yaml`` (the config schema), ``Pulumi.dev.yaml`` and ``Pulumi.prod.yaml``,
``__main__.py`` (which runs the installed package's program), ``sql/`` with the default
migrations, ``requirements.txt`` (what Pulumi's python runtime installs: this package with the
``[full]`` extra, at this version) and a ``.gitignore`` for the secrets the tools write.
DIR is created when missing; a file already there is never overwritten: the command names
every such file and exits 2 having written nothing. The sources are the packaged copies
(:mod:`mysql_platform.project`), so it works from a wheel as from a checkout.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
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


def requirements_text(version: str = __version__) -> str:
    # Pulumi's python runtime installs only this file into the project's virtualenv.
    return (
        "# What Pulumi's python runtime installs into .venv before it runs __main__.py:\n"
        "# the program and the CLI, pinned to the version that made this project.\n"
        f"mysql-platform[full]=={version}\n"
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


def write_project(target: Path, files: dict[Path, Path | str]) -> None:
    for relative, source in files.items():
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copyfile(source, destination)
        else:
            destination.write_text(source, encoding="utf-8")


def next_steps(target: Path) -> str:
    return (
        f"created a mysql-platform project in {target}\n"
        "next:\n"
        f"  cd {target}\n"
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
    parser.add_argument("dir", type=Path, metavar="DIR", help="the project directory (created when missing)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    target: Path = args.dir
    if target.exists() and not target.is_dir():
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
    existing = [str(relative) for relative in files if (target / relative).exists()]
    if existing:
        print(
            f"{PROG}: '{target}' already has {', '.join(existing)}; nothing was written "
            "(move them away or choose another DIR)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        write_project(target, files)
    except OSError as exc:
        print(f"{PROG}: cannot write into '{target}': {exc.strerror} ({exc.filename})", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(next_steps(target), end="")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
