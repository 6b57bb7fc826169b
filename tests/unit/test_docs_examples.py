"""Every ```python and ```sh block of README.md and docs/ is run, or says why not.

A block is one of three kinds. Marked ``<!-- run by: tests/PATH.py -->``: that test runs it (it
needs a real server or a fake Pulumi CLI), and it must name the block's page. Marked
``<!-- not run: REASON -->``: it needs what a test here cannot have (AWS, root, a running
environment) and says what. Unmarked: it runs here, offline and in-process: a Python block is
compiled and executed; a shell block may hold only ``mysql-platform plan ...``, ``--help`` and
``--version`` commands, each run through the console script's ``main`` in a scratch directory
(``> FILE`` writes its output there). Anything else unmarked fails, naming the block.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from mysql_platform.cli import main as cli
from mysql_platform.errors import EXIT_BAD_INPUT, EXIT_FAILED
from tests.support import docs
from tests.support.docs import Block

RUNNABLE = ("python", "sh")
COMMANDS = ("mysql-platform", ".venv/bin/mysql-platform")
# A command that ran but failed (1) or was refused as bad input (2) means the example is wrong;
# the plan's other codes (3 refused, 4 policy, 5 changes) are outcomes the pages describe.
FAILED = (EXIT_FAILED, EXIT_BAD_INPUT)


def commands(block: Block) -> list[list[str]]:
    """A shell block's commands as argument lists: continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", block.code)
    return [words for line in text.splitlines() if (words := shlex.split(line, comments=True))]


def problem(block: Block) -> str | None:
    """Why the block is neither marked nor runnable here; None when it is one or the other."""
    if block.marker is not None:
        kind, detail = block.marker
        if kind == "not run":
            return None
        test = docs.ROOT / detail
        if not test.is_file():
            return f"{block.where}: `run by: {detail}`: no such test file"
        if f'"{block.page}"' not in test.read_text(encoding="utf-8"):
            return f"{block.where}: `run by: {detail}`: that test never reads the page {block.page!r}"
        return None
    if block.lang == "python":
        return None
    for words in commands(block):
        if words[0] not in COMMANDS or not (
            words[1:2] == ["plan"] or "--help" in words or "--version" in words
        ):
            return (
                f"{block.where}: `{shlex.join(words)}` cannot run offline here; run the block in a "
                "test and mark it `<!-- run by: tests/PATH.py -->`, or mark it `<!-- not run: REASON -->`"
            )
    return None


def run(block: Block, workdir: Path) -> list[tuple[str, int, str]]:
    """Run an unmarked block; (command, exit code, stderr) for each command of a shell block."""
    if block.lang == "python":
        exec(compile(block.code, block.where, "exec"), {})  # noqa: S102 - the docs' own examples
        return []
    results = []
    for words in commands(block):
        args, target = words[1:], None
        if ">" in args:
            at = args.index(">")
            args, target = args[:at], workdir / args[at + 1]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(args)
        if target is not None:
            target.write_text(out.getvalue())
        results.append((shlex.join(words), code, err.getvalue()))
    return results


BLOCKS = docs.all_blocks(*RUNNABLE)


def test_the_docs_have_examples_of_each_kind() -> None:
    kinds = {b.marker[0] if b.marker else "runs here" for b in BLOCKS}
    assert kinds == {"not run", "run by", "runs here"}, kinds


@pytest.mark.parametrize("block", BLOCKS, ids=[b.where for b in BLOCKS])
def test_every_block_runs_or_says_why_not(block: Block) -> None:
    assert problem(block) is None, problem(block)


RUN_HERE = [b for b in BLOCKS if b.marker is None]


@pytest.mark.parametrize("block", RUN_HERE, ids=[b.where for b in RUN_HERE])
def test_the_unmarked_blocks_run(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command, code, err in run(block, tmp_path):
        assert code not in FAILED and "Traceback" not in err, f"{block.where}: {command}: exit {code}\n{err}"


# --- the rules themselves, on blocks made up here --------------------------------------------


def made_up(code: str, lang: str = "sh", marker: tuple[str, str] | None = None) -> Block:
    return Block(page="router", line=1, lang=lang, code=code, marker=marker)


def test_an_unmarked_block_that_cannot_run_here_is_named() -> None:
    found = problem(made_up("pulumi up -s dev\n"))
    assert found is not None and "router line 1: `pulumi up -s dev`" in found and "not run:" in found
    assert problem(made_up("mysql-platform local up   # starts MariaDB\n")) is not None


def test_a_marked_block_passes_only_with_a_reason_or_a_test_that_reads_its_page() -> None:
    assert problem(made_up("pulumi up\n", marker=("not run", "needs AWS"))) is None
    assert problem(made_up("x\n", marker=("run by", "tests/integration/test_router.py"))) is None
    missing = problem(made_up("x\n", marker=("run by", "tests/unit/no_such_test.py")))
    assert missing is not None and "no such test file" in missing
    unread = problem(made_up("x\n", marker=("run by", "tests/unit/test_plan.py")))
    assert unread is not None and "never reads the page 'router'" in unread


def test_shell_commands_are_split_as_a_shell_would(tmp_path: Path) -> None:
    block = made_up("mysql-platform plan dev \\\n  --json > dev-plan.json   # saved\n# a comment\n")
    assert commands(block) == [["mysql-platform", "plan", "dev", "--json", ">", "dev-plan.json"]]
    assert problem(block) is None
    [(_, code, _)] = run(block, tmp_path)
    assert code == 0 and (tmp_path / "dev-plan.json").read_text().startswith("{")


def test_a_failing_command_is_reported() -> None:
    [(_, code, err)] = run(made_up("mysql-platform plan nosuchstack\n"), Path("."))
    assert code in FAILED and "nosuchstack" in err


def test_the_readme_links_to_pages_that_exist() -> None:
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", docs.page("README"))
    assert links, "the README links to no page"
    missing = [link for link in links if not (docs.ROOT / link).exists()]
    assert not missing, missing
