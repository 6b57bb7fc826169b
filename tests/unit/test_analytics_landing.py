"""``local query --landing``: a landing file is read as that file whatever its path holds, DuckDB is
never given a path it may read as a pattern, and a bad landing name or file is one line."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mysql_platform import errors
from mysql_platform.cli import local as local_cli


def _query(capsys: pytest.CaptureFixture[str], state: Path, *argv: str) -> tuple[int, str, str]:
    code = local_cli.main(["--state-dir", str(state), "query", "--json", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def links_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the query's links go in (``tempfile`` reads TMPDIR once, and caches it)."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


# Each file holds "real"; the decoy, where DuckDB's glob would look, holds "decoy".
@pytest.mark.parametrize(("file", "decoy"), [("q*\\z.csv", "q*/z.csv"), ("p[a]\\b.csv", "pa/b.csv"),
                                             ("r?\\s.csv", None), ("raw[1].csv", "raw1.csv")])  # fmt: skip
def test_a_landing_file_is_read_as_that_file(
    tmp_path: Path, links_tmp: Path, capsys: pytest.CaptureFixture[str], file: str, decoy: str | None
) -> None:
    (tmp_path / file).write_text("who\nreal\n")
    if decoy is not None:
        (tmp_path / decoy).parent.mkdir(exist_ok=True)
        (tmp_path / decoy).write_text("who\ndecoy\n")
    code, out, err = _query(
        capsys, tmp_path / "state", "--landing", f"x={tmp_path / file}", "SELECT * FROM x"
    )
    assert code == 0, err
    assert json.loads(out)["rows"] == [{"who": "real"}]
    assert list(links_tmp.iterdir()) == []  # the links went with the command


def test_a_temporary_folder_duckdb_would_read_as_a_pattern_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t[1]").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t[1]"))
    (tmp_path / "a.csv").write_text("who\nreal\n")
    code, _, err = _query(capsys, tmp_path / "state", "--landing", f"x={tmp_path / 'a.csv'}", "SELECT 1")
    assert code == errors.EXIT_BAD_INPUT
    assert "t[1]" in err and "set TMPDIR to a folder without them" in err and err.count("\n") == 1


def test_two_landing_names_that_differ_only_in_case_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.csv").write_text("who\nreal\n")
    landing = ["--landing", f"a={tmp_path / 'a.csv'}", "--landing", f"A={tmp_path / 'a.csv'}"]
    code, _, err = _query(capsys, tmp_path / "state", *landing, "SELECT 1")
    assert code == errors.EXIT_BAD_INPUT
    assert (
        err == "local query: --landing A: a is given already (DuckDB's names ignore case): one file a name\n"
    )


def test_a_malformed_landing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text('{"a": 1}\n{"a": \n')
    code, _, err = _query(capsys, tmp_path / "state", "--landing", f"j={tmp_path / 'bad.json'}", "SELECT 1")
    assert code == errors.EXIT_TASK_FAILED
    assert (
        err.startswith(f"local query: --landing j: reading {tmp_path / 'bad.json'}: ")
        and err.count("\n") == 1
    )


def _export(state: Path) -> None:
    """An export of one table, app.orders (view app_orders), as ``local export`` writes it."""
    export = state / "exports" / "local-1"
    (export / "app" / "app.orders" / "1").mkdir(parents=True)
    pq.write_table(pa.table({"i": [1]}), export / "app" / "app.orders" / "1" / "part-00000-x.gz.parquet")
    info = {"export_id": "local-1", "tables": [{"database": "app", "table": "orders"}]}
    (export / "export_info_local-1.json").write_text(json.dumps(info))


def test_a_landing_name_a_view_has_in_another_case_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _export(tmp_path / "state")
    (tmp_path / "a.csv").write_text("who\nreal\n")
    code, _, err = _query(
        capsys, tmp_path / "state", "--landing", f"APP_ORDERS={tmp_path / 'a.csv'}", "SELECT 1"
    )
    assert code == errors.EXIT_BAD_INPUT
    assert "--landing APP_ORDERS: the export already has a table of that name" in err and err.count("\n") == 1


def test_a_failed_query_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.csv").write_text("who\nreal\n")
    code, _, err = _query(
        capsys, tmp_path / "state", "--landing", f"x={tmp_path / 'a.csv'}", "SELECT * FROM y"
    )
    assert code == errors.EXIT_TASK_FAILED
    assert err.startswith("local query: query failed: Catalog Error: Table with name y does not exist!")
    assert err.count("\n") == 1 and "LINE 1" not in err
