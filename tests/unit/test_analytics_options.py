"""``local export`` and ``local query``: an option value they cannot use is refused before anything
runs (exit 2, naming the option, the value and what is expected), and a temporary folder or an
export record they cannot use is one line, never a traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mysql_platform import errors
from mysql_platform.analytics import local_query
from mysql_platform.analytics.errors import BadInput
from mysql_platform.cli import local as local_cli


def _run(capsys: pytest.CaptureFixture[str], state: Path, *argv: str) -> tuple[int, str]:
    code = local_cli.main(["--state-dir", str(state), *argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "option", "value", "expected"),
    [
        (["export", "--batch-rows", "0"], "--batch-rows", "0", "at least 1"),
        (["export", "--batch-rows", "-1"], "--batch-rows", "-1", "at least 1"),
        (["export", "--batch-rows", "many"], "--batch-rows", "many", "at least 1"),
        (["query", "--max-rows", "-3", "SELECT 1"], "--max-rows", "-3", "at least 0"),
        (["query", "--memory-limit", "abc", "SELECT 1"], "--memory-limit", "abc", "a number and a unit"),
        (["query", "--memory-limit", "1XB", "SELECT 1"], "--memory-limit", "1XB", "a number and a unit"),
    ],
)
def test_an_unusable_option_value_is_bad_input(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    option: str,
    value: str,
    expected: str,
) -> None:
    # No environment in tmp_path: an accepted value would fail later, with 11, not 2.
    code, err = _run(capsys, tmp_path, *argv)
    assert code == errors.EXIT_BAD_INPUT
    error = err.strip().splitlines()[-1]
    assert option in error and f"'{value}'" in error and expected in error
    assert "Traceback" not in err


@pytest.mark.parametrize(("argv", "value"), [(["export", "--batch-rows", "1"], 1),
                                            (["query", "--max-rows", "0", "SELECT 1"], 0)])  # fmt: skip
def test_the_least_usable_value_is_taken(argv: list[str], value: int) -> None:
    args = local_cli.build_parser().parse_args(argv)
    assert (args.batch_rows if argv[0] == "export" else args.max_rows) == value


def test_memory_sizes_duckdb_takes_are_taken() -> None:
    for size in ("1GB", "512MB", "2GiB", "1.5GB", "100kb"):
        args = local_cli.build_parser().parse_args(["query", "--memory-limit", size, "SELECT 1"])
        assert args.memory_limit == size


def test_a_link_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    gone = local_query.Links(tmp_path / "no-such-folder")  # as a full or vanished TMPDIR fails
    with pytest.raises(BadInput, match=r"^cannot link .*a\.csv in .*no-such-folder \(.+\): expected"):
        gone.to(tmp_path / "a.csv", ".csv")
    with pytest.raises(BadInput, match=r"^cannot link .*a\\x00b\.csv"):
        local_query.Links(tmp_path).to(tmp_path / "a\0b.csv", ".csv")


def test_a_recorded_folder_with_a_nul_is_one_line(tmp_path: Path) -> None:
    export = tmp_path / "local-1"
    (export / "app" / "app.orders" / "1").mkdir(parents=True)
    pq.write_table(pa.table({"i": [1]}), export / "app" / "app.orders" / "1" / "part-00000-x.gz.parquet")
    info = {"export_id": "local-1", "tables": [{"database": "app", "table": "orders", "folder": "app/a\0b"}]}
    (export / "export_info_local-1.json").write_text(json.dumps(info))
    with pytest.raises(BadInput, match=r"has a folder 'app/a\\x00b' with a NUL character"):
        local_query.table_files(export)


def test_duckdb_spills_into_the_private_link_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    folder = tmp_path / "links"
    folder.mkdir(mode=0o700)
    con = local_query.connect(None, {"a": tmp_path / "a.csv"}, local_query.Links(folder))
    try:
        (where,) = con.execute("SELECT current_setting('temp_directory')").fetchone() or ("",)
        con.execute("SELECT count(*) FROM a").fetchall()
    finally:
        con.close()
    assert Path(where) == folder / "spill"
    assert (folder / "spill").stat().st_mode & 0o777 == 0o700
    assert list(cwd.iterdir()) == []


def test_text_output_escapes_control_characters_in_names_and_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.csv").write_text("v\nfine\n")
    sql = "SELECT chr(27) || '[2J' AS \"\x1b[41mx\", 'a\\b' AS back FROM a"
    code = local_cli.main(["--state-dir", str(tmp_path / "state"), "query", "--landing",
                           f"a={tmp_path / 'a.csv'}", sql])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "\x1b" not in out + err
    assert out.splitlines()[0].startswith("\\x1b[41mx") and "\\x1b[2J" in out.splitlines()[2]
    assert "a\\b" in out  # a value's backslash as stored


def test_a_duckdb_message_is_escaped_and_names_the_users_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = tmp_path / "raw.csv"
    landing.write_text("n\n1\n\x1b[2Jtwelve\n")
    code = local_cli.main(["--state-dir", str(tmp_path / "state"), "query", "--landing", f"r={landing}",
                           "SELECT CAST(n AS INTEGER) FROM r"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == errors.EXIT_TASK_FAILED
    assert "\x1b" not in err and "\\x1b[2Jtwelve" in err and err.count("\n") == 1
    assert "mysql-platform-query-" not in err


def test_a_duckdb_message_names_the_users_file_not_its_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = tmp_path / "raw.json"
    landing.write_text('{"a": 1}\n{"a":\n')
    code = local_cli.main(["--state-dir", str(tmp_path / "state"), "query", "--landing", f"r={landing}",
                           "SELECT * FROM r"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == errors.EXIT_TASK_FAILED and err.count("\n") == 1
    assert f'Malformed JSON in file "{landing}"' in err and "mysql-platform-query-" not in err


def _export(root: Path, parts: list[str]) -> Path:
    export = root / "local-1"
    for i, part in enumerate(parts):
        (export / "app" / "app.t" / part).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"i": [i]}), export / "app" / "app.t" / part)
    info = {"export_id": "local-1", "tables": [{"database": "app", "table": "t", "folder": "app/app.t"}]}
    (export / "export_info_local-1.json").write_text(json.dumps(info))
    return export


@pytest.mark.parametrize(
    ("parts", "links"),
    [
        ([f"1/part-{i:05d}-x.gz.parquet" for i in range(6)], 1),  # as an export writes them
        (["1/part-00000-x.gz.parquet", "1/part-[1]-x.gz.parquet", "1/part-00002-x.gz.parquet"], 3),
    ],
)
def test_a_table_folder_is_one_link_unless_a_path_below_it_reads_as_a_pattern(
    tmp_path: Path, parts: list[str], links: int
) -> None:
    folder = tmp_path / "links"
    folder.mkdir()
    con = local_query.connect(_export(tmp_path, parts), {}, local_query.Links(folder))
    try:
        assert sorted(r[0] for r in con.execute("SELECT i FROM app_t").fetchall()) == list(range(len(parts)))
    finally:
        con.close()
    assert len([p for p in folder.iterdir() if p.is_symlink()]) == links


def test_a_backslash_in_a_name_is_shown_doubled() -> None:
    from mysql_platform.analytics.display import shown

    assert shown("esc\\x1b[2J") == "esc\\\\x1b[2J"
    assert shown("esc\x1b[2J") == "esc\\x1b[2J"  # the two no longer print alike


def test_a_table_given_twice_is_called_a_duplicate() -> None:
    from mysql_platform.analytics import layout

    with pytest.raises(BadInput, match=r"^--tables: 'app\.Orders' is given twice: expected each table once$"):
        layout.parse_tables("app.Orders,app.Orders")
    assert layout.parse_tables("app.Orders,app.orders") == ("app.Orders", "app.orders")


@pytest.mark.parametrize(("make", "kind"), [(lambda p: p.mkdir(), "a folder"), (os.mkfifo, "a FIFO")])
def test_a_landing_path_that_is_not_a_file_says_what_it_is(
    tmp_path: Path, make: Callable[[Path], None], kind: str
) -> None:
    make(tmp_path / "raw.csv")
    with pytest.raises(BadInput, match=rf"^--landing r: '.*raw\.csv' is {kind}, expected a regular file$"):
        local_query.parse_landing([f"r={tmp_path / 'raw.csv'}"])
