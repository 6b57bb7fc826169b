"""The one mapping from (database, table) to an export's folders and the Athena name, over any names
MariaDB accepts: the folder stays inside the export, no two tables share a name, Athena takes it."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import unicodedata
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysql_platform.analytics import layout, local_query
from mysql_platform.analytics.errors import BadInput
from tests.support.properties import example_count

ATHENA = re.compile(r"[a-z0-9_]{1,255}")
ROOT = "/exports"
TRICKY = [
    "..", ".", "/", "a/b", "../../../../tmp/x", "x/../../y", ".hidden", "stats[2024]", "s*", "q?",
    "sales-2024", "sales_2024", "Orders", "orders", "ORDERS", "Order$Items", "a.b", "a\x00b", "\\",
    unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café"), "zażółć 🐬", "",
    "a" * 64, "b" * 300, "orders_175fc9ed14",
]  # fmt: skip


def examples(count: int) -> settings:
    """``count`` examples in CI (HYPOTHESIS_PROFILE=ci), a tenth in the quick unit loop."""
    return settings(
        max_examples=example_count(count),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def variants(name: str) -> list[str]:
    """Names that normalise alike: case, ``-`` against ``_``, unicode forms, a dot for a slash."""
    return [
        name,
        name.upper(),
        name.lower(),
        name.replace("_", "-"),
        name.replace("-", "_"),
        name.replace("/", "."),
        unicodedata.normalize("NFD", name),
        unicodedata.normalize("NFC", name),
    ]


def hashed_form(name: str) -> str:
    """The table name that, kept as it is, would be ``app.<name>``'s hashed name."""
    return layout.athena_name("app", name).removeprefix("app_")


HASHED_LIKE = r"[a-z0-9_]{0,12}_[0-9a-f]{10}"
names = st.one_of(
    st.sampled_from(TRICKY),
    st.text(min_size=1, max_size=80),
    st.text(alphabet="aB-_.$/[]*?", min_size=1, max_size=12),
    st.text(min_size=200, max_size=400),
    st.from_regex(HASHED_LIKE, fullmatch=True),
)
name_sets = st.lists(names, min_size=1, max_size=8).map(
    lambda found: sorted({v for n in found for v in [*variants(n), hashed_form(n)]})
)


def _inside(database: str, table: str) -> bool:
    path = posixpath.normpath(posixpath.join(ROOT, str(layout.table_folder("e1", database, table))))
    return path.startswith(f"{ROOT}/e1/")


@examples(300)
@given(database=st.one_of(st.just("app"), names), table=names)
def test_the_folder_stays_inside_the_export(database: str, table: str) -> None:
    assert _inside(database, table)
    folders = layout.table_folder("e1", database, table).parts[1:]
    for part in folders:
        assert "/" not in part and "\x00" not in part and not part.startswith(".")
        assert 0 < len(part.encode()) <= layout.FOLDER_NAME_MAX
        assert not set(part) & set("*?[]{}\\")  # nothing DuckDB or a shell reads as a glob


@examples(300)
@given(database=st.one_of(st.just("app"), names), table=names)
def test_athena_takes_the_name(database: str, table: str) -> None:
    assert ATHENA.fullmatch(layout.athena_name(database, table))


@examples(200)
@given(tables=name_sets)
def test_no_two_tables_of_a_database_share_a_name(tables: list[str]) -> None:
    athena = {layout.athena_name("app", t) for t in tables}
    folders = {str(layout.table_folder("e1", "app", t)).casefold() for t in tables}  # APFS, NTFS
    assert len(athena) == len(folders) == len(tables)


@examples(100)
@given(databases=st.lists(names, min_size=1, max_size=3, unique=True), tables=name_sets)
def test_across_databases_names_differ_or_both_tables_are_named(
    databases: list[str], tables: list[str]
) -> None:
    pairs = [(d, t) for d in databases for t in tables]
    try:
        found = layout.names_of(pairs)
    except BadInput as refused:
        text = str(refused)
        assert sum(f"'{d}.{t}'" in text for d, t in pairs) >= 2, text
        return
    assert len({n.athena for n in found}) == len({(n.database_folder, n.folder) for n in found}) == len(pairs)


@examples(300)
@given(database=st.one_of(st.just("app"), names), table=names)
def test_a_kept_name_never_has_the_hashed_form(database: str, table: str) -> None:
    found = layout.names(database, table)
    tail = re.compile(r"_[0-9a-f]{10}$")
    if found.athena == f"{database}_{table}":  # kept as it is
        assert not tail.search(found.athena) and not tail.search(found.folder)
    if found.database_folder == database:
        assert not tail.search(database)


def test_a_table_named_as_another_is_hashed_is_not_refused() -> None:
    hashed = layout.names("app", "Orders").athena.removeprefix("app_")
    found = layout.names_of([("app", "Orders"), ("app", hashed)])
    assert found[1].athena != found[0].athena and found[1].athena.startswith(f"app_{hashed}_")
    for database in ("x_ab", layout.names("App", "t").database_folder):
        assert layout.names(database, "0123456789").athena != f"{database}_0123456789"


def test_plain_names_are_what_rds_and_the_crawler_give() -> None:
    plain = layout.names("app", "order_items")
    assert (plain.database_folder, plain.folder, plain.athena) == (
        "app",
        "app.order_items",
        "app_order_items",
    )


def test_other_names_carry_a_digest_of_the_exact_name() -> None:
    dash, underscore = layout.names("app", "sales-2024"), layout.names("app", "sales_2024")
    assert underscore.athena == "app_sales_2024"
    assert re.fullmatch(r"app_sales_2024_[0-9a-f]{10}", dash.athena)
    assert dash.folder == "app.sales_2024_" + dash.athena[-10:]
    assert layout.names("app", "sales-2024") == dash  # the same in every export


def test_a_collision_the_rule_cannot_rule_out_names_both_tables() -> None:
    with pytest.raises(BadInput, match=r"tables 'a_b\.c' and 'a\.b_c' would both be 'a_b_c'"):
        layout.names_of([("a_b", "c"), ("a", "b_c")])


@pytest.mark.parametrize("odd", ["d[1]", "s*", "q?", "[!a]", "b]r", "c{a,b}", "p*\\b", "p[a]\\b", "p?\\b"])
def test_duckdb_reads_a_linked_path_as_itself(tmp_path: Path, odd: str) -> None:
    # Given the path itself, DuckDB reads "d[1]" as a glob even in a list of files (it reads "d1"),
    # and "p*\\b" as the folder "p*" and "b" in it.
    for i, folder in enumerate([odd, "d1", "sx", "qx", "a", "cb", "p*/b", "pa/b", "px/b"]):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        if not (tmp_path / folder / "f.parquet").exists():
            pq.write_table(pa.table({"i": [i]}), tmp_path / folder / "f.parquet")
    path = tmp_path / odd / "f.parquet"
    links = local_query.Links(local_query.link_folder())
    try:
        read = duckdb.connect().execute("SELECT i FROM read_parquet(?)", [[links.to(path, ".parquet")]])
        assert read.fetchall() == [(0,)]
    finally:
        shutil.rmtree(links.folder)


def test_a_landing_file_with_glob_characters_is_read_as_itself(tmp_path: Path) -> None:
    (tmp_path / "raw[1].csv").write_text("k\nbracket\n")
    (tmp_path / "raw1.csv").write_text("k\ndecoy\n")
    landing = local_query.parse_landing([f"raw={tmp_path / 'raw[1].csv'}"])
    with local_query.session(None, landing) as (con, links):
        assert local_query.run(con, "SELECT k FROM raw", 10, links).rows == [("bracket",)]


def _legacy_export(root: Path, tables: list[str]) -> Path:
    """An export as written before the mapping: ``<database>/<database>.<table>``, no ``folder``."""
    export = root / "local-1"
    for i, table in enumerate(tables):
        folder = export / "app" / f"app.{table}" / "1"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"i": [i]}), folder / "part-00000-x.gz.parquet")
    info = {"export_id": "local-1", "tables": [{"database": "app", "table": t} for t in tables]}
    (export / "export_info_local-1.json").write_text(json.dumps(info))
    return export


def test_an_older_export_reads_with_todays_names(tmp_path: Path) -> None:
    export = _legacy_export(tmp_path, ["sales-2024", "sales_2024"])
    files = local_query.table_files(export)
    assert {name: [f.parent.parent.name for f in found] for name, found in files.items()} == {
        layout.athena_name("app", "sales-2024"): ["app.sales-2024"],
        "app_sales_2024": ["app.sales_2024"],
    }


def test_an_older_export_with_a_folder_outside_it_is_refused(tmp_path: Path) -> None:
    export = _legacy_export(tmp_path, ["orders"])
    info = json.loads((export / "export_info_local-1.json").read_text())
    info["tables"].append({"database": "app", "table": "../../../../x"})
    (export / "export_info_local-1.json").write_text(json.dumps(info))
    with pytest.raises(BadInput, match=r"table 'app\.\.\./(\.\./)+x' has its folder outside the export"):
        local_query.table_files(export)
