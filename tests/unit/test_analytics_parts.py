"""The analytics commands' pure parts: names and layout, progress, result text."""

from __future__ import annotations

import decimal
import io
import json
import re

import pytest

from mysql_platform.analytics import catalog, display, layout
from mysql_platform.analytics.errors import BadInput
from mysql_platform.analytics.progress import Progress
from mysql_platform.analytics.table_text import aligned, as_json


@pytest.mark.parametrize(
    ("database", "table", "name"),
    [
        ("app", "orders", "app_orders"),
        # Any other name: normalised, and a digest of the exact name (tests/unit/test_analytics_names.py).
        ("App", "Order$Items", r"app_order_items_[0-9a-f]{10}"),
        ("a-b", "c", r"a_b_c_[0-9a-f]{10}"),
    ],
)
def test_athena_names(database: str, table: str, name: str) -> None:
    assert re.fullmatch(name, layout.athena_name(database, table))


def test_the_rds_layout() -> None:
    assert str(layout.table_folder("e1", "app", "orders")) == "e1/app/app.orders"
    assert str(layout.part_file(1, 7, "abc")) == "1/part-00007-abc.gz.parquet"
    assert layout.split_folder_name("app.orders") == ("app", "orders")
    with pytest.raises(BadInput, match="not a table folder"):
        layout.split_folder_name("orders")


def test_tables_lists() -> None:
    assert layout.parse_tables(" app.orders, app.customers ,") == ("app.orders", "app.customers")
    for bad in ("", "app", "app.orders.x", "app.or-ders", "app.`x`"):
        with pytest.raises(BadInput, match="--tables"):
            layout.parse_tables(bad)


@pytest.mark.parametrize("good", ["local-20261127-164147-287504", "mp-dev-1", "a"])
def test_export_ids_accepted(good: str) -> None:
    assert layout.check_export_id(good) == good


@pytest.mark.parametrize("bad", ["", "1abc", "a--b", "a-", "a_b", "a" * 61, "../x"])
def test_export_ids_refused(bad: str) -> None:
    with pytest.raises(BadInput, match="export id"):
        layout.check_export_id(bad)


def test_progress_on_a_terminal_redraws_one_line() -> None:
    out = io.StringIO()
    p = Progress(out, tty=True)
    p.update("export e1", 0, "STARTING")
    p.update("export e1", 0, "STARTING")  # unchanged: not redrawn
    p.update("export e1", 50, "")
    p.finish("done")
    text = out.getvalue()
    assert text.count("\r") == 2 and text.count("\n") == 2  # redrawn in place, closed once
    assert "[" + "#" * 15 + "-" * 15 + "]  50% export e1" in text and text.endswith("\ndone\n")


def test_progress_elsewhere_is_one_line_per_change() -> None:
    out = io.StringIO()
    p = Progress(out, tty=False)
    for percent in (0, 0, 10, 10, 100):
        p.update("export e1 IN_PROGRESS", percent)
    assert out.getvalue().splitlines() == [
        "export e1 IN_PROGRESS:   0%",
        "export e1 IN_PROGRESS:  10%",
        "export e1 IN_PROGRESS: 100%",
    ]


def test_results_as_text_and_json() -> None:
    rows = [
        ("paid", decimal.Decimal("18446744073709551615"), None, b"\x00\xff"),
        ("new", decimal.Decimal("1.50"), 2.5, b""),
    ]
    assert aligned(["status", "total", "f", "bin"], rows).splitlines() == [
        "status  total                 f     bin",
        "------  --------------------  ----  ------",
        "paid    18446744073709551615  NULL  0x00ff",
        "new     1.50                  2.5   0x",
    ]
    data = json.loads(as_json(["status", "total", "f", "bin"], rows, export="e1"))
    assert data["rows"][0] == {"status": "paid", "total": 18446744073709551615, "f": None, "bin": "0x00ff"}
    assert data["rows"][1]["total"] == "1.50" and data["export"] == "e1"


def test_a_database_with_a_dot_is_split_at_its_own_name() -> None:
    url = "s3://b/exports/e1/"
    found = [
        catalog.CatalogTable("a_b_t_x", f"{url}a.b/a.b.t"),
        catalog.CatalogTable("app_orders", f"{url}app/app.orders"),
    ]
    rows, warnings = catalog.compare(found, url, ["a.b.t", "app.orders"])
    assert warnings == []  # no "merged folders", no "catalogued no table" for a.b.t
    assert [r.folder for r in rows] == ["a.b/a.b.t", "app/app.orders"]
    assert rows[0].note == f"   (named a_b_t_x, not {layout.athena_name('a.b', 't')}: use a_b_t_x)"


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("orders", "orders"),
        ("zażółć 🐬", "zażółć 🐬"),
        ("evil\x1b]0;PWNED\x07\x1b[2J", "evil\\x1b]0;PWNED\\x07\\x1b[2J"),
        ("a\nb\tc\x7f", "a\\x0ab\\x09c\\x7f"),
        ("rtl\u202eltr\u200b", "rtl\\u202eltr\\u200b"),
        ("\U000e0001tag", "\\U000e0001tag"),
    ],
)
def test_names_are_printed_with_control_and_format_characters_escaped(name: str, printed: str) -> None:
    assert display.shown(name) == printed
    assert display.shown_table(name, "t") == f"{printed}.t"
