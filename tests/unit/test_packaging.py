"""The `mysql-platform` console script's dispatcher and the package metadata.

The dispatcher runs in-process with stand-in command modules. What starts a process is with the
integration tests: what `--help` imports (test_import_cost.py), the Makefile (test_makefile.py).
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import tomllib
import types
from pathlib import Path

import pytest

from mysql_platform.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]


class Recorder:
    """A stand-in command ``main``: records its argv and the root logger's level, returns ``code``."""

    def __init__(self, code: int = 0, raises: SystemExit | None = None, log: str | None = None) -> None:
        self.code, self.raises, self.log = code, raises, log
        self.calls: list[list[str]] = []
        self.root_levels: list[int] = []

    def __call__(self, argv: list[str]) -> int:
        self.calls.append(argv)
        self.root_levels.append(logging.getLogger().level)
        if self.log:
            logging.getLogger("scripts.fake").warning(self.log)
            logging.getLogger("scripts.fake").info("info: %s", self.log)
        if self.raises is not None:
            raise self.raises
        return self.code


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> dict[str, Recorder]:
    """Every subcommand's module replaced by a stand-in (the real ones are not imported)."""
    recorders: dict[str, Recorder] = {}
    for name, command in cli.COMMANDS.items():
        recorder = Recorder()
        module = types.ModuleType(command.module)
        setattr(module, command.function, recorder)
        monkeypatch.setitem(sys.modules, command.module, module)
        recorders[name] = recorder
    return recorders


# --- the dispatcher's own options ------------------------------------------------------------


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mysql-platform {VERSION}"


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: mysql-platform")
    for name in ("local", "bootstrap", "migrate", "plan", "stack", "--verbose", "--quiet", "--version"):
        assert name in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "invalid choice: 'nope'"),
        (["nope", "--help"], "invalid choice: 'nope'"),
        ([], "the following arguments are required: COMMAND"),
        (["--verbose"], "the following arguments are required: COMMAND"),
        (["--verbose", "--quiet", "local"], "not allowed with argument"),
        (["--no-such-option", "local"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_rejects_bad_arguments_with_exit_2_and_no_systemexit(
    argv: list[str], message: str, commands: dict[str, Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
    assert all(not r.calls for r in commands.values())


# --- delegation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("local", "mysql_platform.cli.local"),
        ("bootstrap", "mysql_platform.cli.bootstrap"),
        ("migrate", "mysql_platform.cli.migrate"),
        ("plan", "mysql_platform.cli.plan"),
        ("stack", "mysql_platform.cli.stack"),
        ("init", "mysql_platform.cli.init"),
    ],
)
def test_delegates_to_the_command_module(name: str, module: str) -> None:
    # Modules of the package, not the checkout's scripts/ shims: the wheel ships no scripts/.
    assert cli.COMMANDS[name].module == module
    assert cli.COMMANDS[name].function == "main"


def test_every_command_module_is_in_the_installed_package() -> None:
    # The checkout's scripts/ shims are not shipped: a command naming one fails in a wheel install.
    for name, command in cli.COMMANDS.items():
        assert command.module.startswith("mysql_platform."), (name, command.module)
        spec = importlib.util.find_spec(command.module)
        assert spec is not None and spec.origin is not None, (name, command.module)
        assert Path(spec.origin).is_relative_to(ROOT / "mysql_platform"), (name, spec.origin)


@pytest.mark.parametrize(
    ("missing", "extra"),
    [("pulumi", "full"), ("yaml", "full"), ("pulumi_aws.ec2", "full"), ("pyarrow", "analytics")],
)
def test_a_missing_extra_is_named_in_one_line_with_exit_2(
    missing: str, extra: str, commands: dict[str, Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    commands["plan"].raises = ModuleNotFoundError(f"No module named '{missing}'", name=missing)
    assert cli.main(["plan", "dev"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"mysql-platform plan: needs the [{extra}] install ({missing} is not installed): "
        f"pip install 'mysql-platform[{extra}]'\n"
    )


def test_a_missing_module_no_extra_ships_is_not_hidden(commands: dict[str, Recorder]) -> None:
    commands["plan"].raises = ModuleNotFoundError("No module named 'nope'", name="nope")
    with pytest.raises(ModuleNotFoundError, match="nope"):
        cli.main(["plan", "dev"])


@pytest.mark.parametrize(
    "rest",
    [
        [],
        ["up", "--semi-sync"],
        ["--help"],
        ["-h"],
        # What looks like the dispatcher's own options belongs to the command once it is named.
        ["--version"],
        ["-v", "status", "--json"],
        ["down", "--", "--purge", "-q"],
        ["preview", "dev", "--config", "aws:region=eu-west-1", "--yes"],
        ["--state-dir", "state dir", "up", ""],
    ],
)
@pytest.mark.parametrize("name", ["local", "bootstrap", "migrate", "stack"])
def test_passes_the_remaining_argv_through_unchanged(
    name: str, rest: list[str], commands: dict[str, Recorder]
) -> None:
    assert cli.main([name, *rest]) == 0
    assert commands[name].calls == [rest]
    assert all(not r.calls for other, r in commands.items() if other != name)


def test_returns_the_command_exit_code(commands: dict[str, Recorder]) -> None:
    commands["stack"].code = 4
    assert cli.main(["stack", "up", "dev", "--yes"]) == 4


@pytest.mark.parametrize(("raised", "code"), [(SystemExit(2), 2), (SystemExit(0), 0), (SystemExit(None), 0)])
def test_turns_a_command_systemexit_into_its_exit_code(
    raised: SystemExit, code: int, commands: dict[str, Recorder]
) -> None:
    commands["local"].raises = raised
    assert cli.main(["local", "--bad"]) == code


def test_a_command_systemexit_message_goes_to_stderr_with_exit_1(
    commands: dict[str, Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    commands["bootstrap"].raises = SystemExit("bootstrap: gave up")
    assert cli.main(["bootstrap"]) == 1
    assert "bootstrap: gave up" in capsys.readouterr().err


# --- logging ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "level"),
    [
        ([], logging.WARNING),
        (["--verbose"], logging.INFO),
        (["-v"], logging.INFO),
        (["--quiet"], logging.ERROR),
    ],
)
def test_sets_the_root_log_level_for_the_command_and_restores_it(
    flags: list[str], level: int, commands: dict[str, Recorder]
) -> None:
    root = logging.getLogger()
    before = root.level
    handlers = list(root.handlers)
    assert cli.main([*flags, "local", "status"]) == 0
    assert commands["local"].root_levels == [level]
    assert root.level == before
    assert root.handlers == handlers


def test_library_warnings_reach_stderr_named_by_the_command(
    commands: dict[str, Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    commands["local"].log = "state file unreadable"
    assert cli.main(["local", "down"]) == 0
    err = capsys.readouterr().err
    assert "mysql-platform local: warning: state file unreadable" in err
    assert "info:" not in err


def test_quiet_hides_library_warnings_and_verbose_shows_progress(
    commands: dict[str, Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    commands["local"].log = "state file unreadable"
    assert cli.main(["--quiet", "local", "down"]) == 0
    assert "state file unreadable" not in capsys.readouterr().err
    assert cli.main(["--verbose", "local", "down"]) == 0
    err = capsys.readouterr().err
    assert "mysql-platform local: info: info: state file unreadable" in err


# --- package metadata -------------------------------------------------------------------------


def test_the_console_script_is_the_dispatcher() -> None:
    assert PYPROJECT["project"]["scripts"] == {"mysql-platform": "mysql_platform.cli.main:main"}


def test_builds_with_setuptools() -> None:
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"
    assert any(r.startswith("setuptools") for r in PYPROJECT["build-system"]["requires"])


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][0-9A-Za-z.]*")


def test_the_base_install_is_the_router_and_every_extra_its_own_pinned_list() -> None:
    # Extras only add packages: the base must be the router's, or [router] would pull in Pulumi.
    assert "dependencies" in PYPROJECT["project"]["dynamic"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]
    assert dynamic["dependencies"] == {"file": ["requirements-router.txt"]}
    assert dynamic["optional-dependencies"] == {
        "router": {"file": ["requirements-router.txt"]},
        "full": {"file": ["requirements-full.txt"]},
        "analytics": {"file": ["requirements-analytics.txt"]},
    }
    for name in ("requirements-router.txt", "requirements-full.txt", "requirements-analytics.txt"):
        lines = _requirement_lines(ROOT / name)
        assert lines, name
        for line in lines:
            # setuptools reads requirement lines only (no -r/-e/--options), each pinned exactly.
            assert PIN.fullmatch(line), f"{name}: {line}"
    assert {line.split("==")[0] for line in _requirement_lines(ROOT / "requirements-router.txt")} == {
        "mysql-connector-python"
    }
    full = {line.split("==")[0] for line in _requirement_lines(ROOT / "requirements-full.txt")}
    assert {"pulumi", "pulumi-aws", "pulumi-random", "etcd3gw", "pyyaml", "semver"} <= full


def test_requirements_txt_is_the_full_runtime_router_and_full() -> None:
    # Pulumi's python runtime and `make demo` install requirements.txt: the whole runtime.
    assert _requirement_lines(ROOT / "requirements.txt") == [
        "-r requirements-router.txt",
        "-r requirements-full.txt",
    ]


def _runtime() -> set[str]:
    return {
        line.split("==")[0].lower()
        for name in ("requirements-router.txt", "requirements-full.txt")
        for line in _requirement_lines(ROOT / name)
    }


def test_the_analytics_extra_is_its_own_pinned_list_outside_the_demo() -> None:
    # boto3, DuckDB and pyarrow (about 80 MB) only for `pip install -e '.[analytics]'` and the tests.
    lines = _requirement_lines(ROOT / "requirements-analytics.txt")
    # botocore pinned beside boto3, which admits a whole minor series of it.
    assert {line.split("==")[0] for line in lines} == {"boto3", "botocore", "duckdb", "pyarrow"}
    assert all(PIN.fullmatch(line) for line in lines)
    assert not _runtime() & {"boto3", "duckdb", "pyarrow", "moto"}
    assert "-r requirements-analytics.txt" in _requirement_lines(ROOT / "requirements-dev.txt")


@pytest.mark.parametrize("name", ["requirements-dev.txt", "requirements-mutation.txt"])
def test_tool_requirements_are_pinned_and_not_runtime(name: str) -> None:
    lines = _requirement_lines(ROOT / name)
    for line in lines:
        assert line.startswith("-r ") or "==" in line, line
    runtime = _runtime()
    tools = {line.split("==")[0].lower() for line in lines if "==" in line}
    assert not runtime & tools
    assert not {"pytest", "ruff", "mypy", "mutmut", "uv"} & runtime


def test_mutmut_is_pinned_for_the_mutation_target() -> None:
    assert any(
        re.fullmatch(r"mutmut==[0-9.]+", line)
        for line in _requirement_lines(ROOT / "requirements-mutation.txt")
    )


def test_every_code_directory_is_a_shipped_package() -> None:
    # namespaces = false: a directory of modules without __init__.py would silently stay out of the wheel.
    find = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    assert find["namespaces"] is False
    patterns = [re.compile(re.escape(p).replace(r"\*", ".*") + "$") for p in find["include"]]
    for top in ("mysql_platform",):
        for folder in [ROOT / top, *(p for p in (ROOT / top).rglob("*") if p.is_dir())]:
            if folder.name == "__pycache__" or not any(folder.glob("*.py")):
                continue
            package = ".".join(folder.relative_to(ROOT).parts)
            assert (folder / "__init__.py").is_file(), f"{package} has modules but no __init__.py"
            assert any(p.match(package) for p in patterns), f"{package} is not in the package list"


def test_an_error_met_on_import_is_one_line_with_its_exit_code(
    commands: dict[str, Recorder], capsys: pytest.CaptureFixture[str]
) -> None:
    from mysql_platform.components.config_schema import ProjectFileError

    commands["plan"].raises = ProjectFileError("/p/Pulumi.yaml: expected a config: section")
    assert cli.main(["plan", "dev"]) == 2
    assert capsys.readouterr().err == (
        "mysql-platform plan: bad input error: /p/Pulumi.yaml: expected a config: section\n"
    )


def test_a_reader_that_stops_reading_ends_the_command_with_141(commands: dict[str, Recorder]) -> None:
    # `mysql-platform plan dev | head -2`: no BrokenPipeError traceback, the exit status of SIGPIPE.
    commands["plan"].raises = BrokenPipeError(32, "Broken pipe")
    assert cli.main(["plan", "dev"]) == 141
