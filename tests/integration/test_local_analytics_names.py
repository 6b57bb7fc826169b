"""``local export`` and ``local query`` over table names MariaDB accepts and a file system does not:
slashes and ``..``, names that differ only by ``-`` and ``_``, glob characters; and the hidden
folders an export killed midway leaves behind."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mysql_platform.analytics import layout
from mysql_platform.analytics.display import shown
from mysql_platform.local.env import LocalEnv
from tests.support.local_analytics import catch_up, run_local

# A database per case, so that each case fails on its own; each table with the notes its rows hold:
# each view must give back its own rows.
ODD_TABLES = {
    # From <exports>/.partial-<id>/trav/: the state dir's parent.
    "trav": {"x/../../../../escaped": ["outside?"], "plain": ["plain"]},
    "alike": {"sales-2024": ["dash"], "sales_2024": ["underscore", "underscore"]},
    # stats2 is what the glob stats[2024] matches: read instead of it, silently.
    "globs": {"stats[2024]": ["bracket"] * 3, "stats2": ["decoy"] * 5},
    # A table named as the mapping hashes `Orders`: it must not take that name from it.
    "hashy": {"Orders": ["upper"], layout.athena_name("hashy", "Orders").removeprefix("hashy_"): ["named"]},
    # All five are punct_a_b_<digest>: the summary must say which is which.
    "punct": {
        "a'b": ["quote"],
        'a"b': ["double"],
        "a/b": ["slash"],
        "a`b": ["backquote"],
        "a\\b": ["backslash"],
    },
    # Printed raw, these would retitle the terminal, clear it, break or reverse the line.
    "ctl": {"evil\x1b]0;PWNED\x07\x1b[2J\x1b[31mred": ["evil"], "new\nline": ["nl"], "rtl\u202eltr": ["rtl"]},
}
RAW_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\u202e]")  # a newline is the end of a line


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@pytest.fixture(scope="module")
def odd(env: LocalEnv) -> LocalEnv:
    with env.connect("writer") as conn, conn.cursor() as cur:
        for database, tables in ODD_TABLES.items():
            cur.execute(f"CREATE DATABASE {database}")
            for table, notes in tables.items():
                name = f"{database}.{_quoted(table)}"
                cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, note VARCHAR(20))")
                rows = ", ".join(f"({i}, %s)" for i in range(len(notes)))
                cur.execute(f"INSERT INTO {name} VALUES {rows}", notes)
    catch_up(env)
    return env


def _state(env: LocalEnv, where: Path, database: str) -> Path:
    """A state dir whose outputs name ``database``: the one ``local export`` exports."""
    where.mkdir(parents=True)
    outputs = json.loads(env.outputs_path.read_text())
    outputs["db"]["database"] = database
    (where / "outputs.json").write_text(json.dumps(outputs))
    return where


def _views(capsys: pytest.CaptureFixture[str], state: Path) -> dict[str, list[str]]:
    """Every view ``local query`` offers, with the notes its rows hold."""
    code, out, err = run_local(capsys, "--state-dir", str(state), "query", "--json",
                          "SELECT view_name FROM duckdb_views() WHERE NOT internal")  # fmt: skip
    assert code == 0, err
    found = {}
    for row in json.loads(out)["rows"]:
        name = row["view_name"]
        sql = f'SELECT note FROM "{name}" ORDER BY note'
        code, out, err = run_local(capsys, "--state-dir", str(state), "query", "--json", sql)
        assert code == 0, err
        found[name] = [r["note"] for r in json.loads(out)["rows"]]
    return found


def _exported(state: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, list[str]]:
    """Export the state dir's database; its views, each checked against the export's summary."""
    code, out, err = run_local(capsys, "--state-dir", str(state), "export")
    assert code == 0, err
    views = _views(capsys, state)
    for name in views:
        assert out.count(f" -> {name}  ") == 1, out  # the summary names the views the query has
    return views


def test_a_table_name_never_leaves_the_export(
    odd: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = _state(odd, tmp_path / "state", "trav")
    views = _exported(state, capsys)
    assert sorted(views.values()) == sorted(ODD_TABLES["trav"].values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]
    assert sorted(p.name for p in state.iterdir()) == ["exports", "outputs.json"]
    (export,) = (state / "exports").iterdir()
    written = [p for p in state.rglob("*") if p.is_file() and p.name != "outputs.json"]
    assert len(written) == len(ODD_TABLES["trav"]) + 1  # a file per table, and export_info
    assert all(p.resolve().is_relative_to(export.resolve()) for p in written)


def test_two_tables_alike_after_normalising_stay_two(
    odd: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    views = _exported(_state(odd, tmp_path / "state", "alike"), capsys)
    assert sorted(views.values()) == sorted(ODD_TABLES["alike"].values())


def test_a_table_named_as_another_is_hashed_does_not_block_the_export(
    odd: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    views = _exported(_state(odd, tmp_path / "state", "hashy"), capsys)
    assert sorted(views.values()) == sorted(ODD_TABLES["hashy"].values())


def test_glob_characters_in_a_table_name_are_read_as_themselves(
    odd: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    views = _exported(_state(odd, tmp_path / "state", "globs"), capsys)
    assert sorted(views.values()) == sorted(ODD_TABLES["globs"].values())


# Each with what DuckDB's glob would read instead (with a backslash, DuckDB reads p*\\b as p*/b).
@pytest.mark.parametrize(("name", "decoy"), [("st[ab]", "sta"), ("p*\\b", "p*/b"), ("p[a]\\b", None),
                                             ("p?\\b", None)])  # fmt: skip
def test_glob_characters_in_the_state_dir_are_read_as_themselves(
    odd: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, decoy: str | None
) -> None:
    state = _state(odd, tmp_path / name, "alike")
    if decoy is not None:
        _exported(_state(odd, tmp_path / decoy, "globs"), capsys)  # an export of other tables
    views = _exported(state, capsys)
    assert sorted(views.values()) == sorted(ODD_TABLES["alike"].values())


@pytest.fixture
def state(odd: LocalEnv, tmp_path: Path) -> Path:
    return _state(odd, tmp_path / "state", "alike")


@pytest.fixture
def busy_lock(state: Path) -> Iterator[Path]:
    """The lock of a partial export that is still being written: held, as its export holds it."""
    (state / "exports").mkdir()
    lock = state / "exports" / ".partial-local-busy.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        yield lock
    finally:
        os.close(fd)


def test_stale_partial_exports_are_removed_and_running_ones_kept(
    state: Path, busy_lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = state / "exports"
    for name in (".partial-local-killed", ".partial-local-busy"):
        (exports / name / "alike").mkdir(parents=True)
    # A killed export's lock file stays behind, unlocked: the kernel let go when the process died.
    (exports / ".partial-local-killed.lock").touch()
    code, out, err = run_local(capsys, "--state-dir", str(state), "export")
    assert code == 0, err
    left = sorted(p.name for p in exports.iterdir() if p.name.startswith("."))
    assert left == [".partial-local-busy", ".partial-local-busy.lock"]
    assert "removed .partial-local-killed" in out


def test_the_summary_names_each_table_with_its_view(
    odd: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = _state(odd, tmp_path / "state", "punct")
    code, out, err = run_local(capsys, "--state-dir", str(state), "export")
    assert code == 0, err
    for table, notes in ODD_TABLES["punct"].items():
        (line,) = [line for line in out.splitlines() if line.startswith(f"  punct.{shown(table)} -> ")]
        view = line.split(" -> ")[1].split()[0]
        code, got, err = run_local(
            capsys, "--state-dir", str(state), "query", "--json", f"SELECT note FROM {view}"
        )
        assert code == 0, err
        assert [r["note"] for r in json.loads(got)["rows"]] == notes


def test_control_characters_in_names_are_printed_escaped(
    odd: LocalEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = _state(odd, tmp_path / "state", "ctl")
    code, out, err = run_local(capsys, "--state-dir", str(state), "export")
    assert code == 0, err
    assert not RAW_CONTROLS.search(out + err), out + err
    assert "ctl.evil\\x1b]0;PWNED\\x07\\x1b[2J\\x1b[31mred -> ctl_evil__0_pwned" in out
    assert "export evil\\x1b]0;PWNED" in err and "ctl.new\\x0aline -> " in out and "rtl\\u202eltr" in out
    code, out, err = run_local(capsys, "--state-dir", str(state), "export", "--tables", "ctl.missing")
    assert code == 11 and "has no table 'missing'" in err and not RAW_CONTROLS.search(err), err


@pytest.mark.parametrize("target", ["absent", "folder"])
def test_a_lock_file_that_is_a_link_is_refused(
    state: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    pointed = tmp_path / "pointed"
    if target == "folder":
        pointed.mkdir()
    (state / "exports").mkdir()
    lock = state / "exports" / ".partial-local-planted.lock"
    lock.symlink_to(pointed)
    code, _, err = run_local(capsys, "--state-dir", str(state), "export")
    assert (code, err) == (
        2,
        f"local export: {lock} is a symbolic link, not an export's lock file: remove it (rm {lock})\n",
    )
    assert pointed.exists() == (target == "folder")  # nothing created through the link


@pytest.fixture
def undeletable(state: Path) -> Iterator[Path]:
    """A killed export's folder holding a file not even root may remove (chattr +i, immutable)."""
    killed = state / "exports" / ".partial-local-killed"
    killed.mkdir(parents=True)
    (killed / "f").touch()
    made = subprocess.run(["chattr", "+i", str(killed / "f")], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"chattr +i is needed to make a file no one may remove: {made.stderr.strip()}")
    try:
        yield killed
    finally:
        subprocess.run(["chattr", "-i", str(killed / "f")], check=True)


def test_a_folder_that_cannot_be_removed_is_not_reported_removed(
    state: Path, undeletable: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_local(capsys, "--state-dir", str(state), "export")
    assert code == 0, err
    assert "removed .partial-local-killed" not in out
    assert (
        f"not removed {undeletable}, the unfinished folder of a killed export (Operation not permitted: "
        f"{undeletable}/f): remove it by hand when no export runs (rm -rf)"
    ) in err
