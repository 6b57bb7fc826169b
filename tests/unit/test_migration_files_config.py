"""Script configuration files beside migrations, and reading ahead (no server)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mysql_platform.db.migration_files import MigrationFileError, load_migration
from mysql_platform.db.prefetch import Prefetched
from mysql_platform.db.script_config import ScriptConfig


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_conf_file_placeholders_are_replaced_in_a_transaction(tmp_path: Path) -> None:
    migration = load_migration(
        write(tmp_path / "V001__a.sql", "SELECT '${database}';\n"), {"database": "shop"}
    )
    assert migration.config == ScriptConfig(placeholder_replacement=True, execute_in_transaction=True)
    assert migration.statements[0].text == "SELECT 'shop'"


def test_a_conf_file_turns_placeholders_and_the_transaction_off(tmp_path: Path) -> None:
    # A dump's data may hold "${": with replacement off it is data, not a malformed placeholder.
    path = write(
        tmp_path / "V001__dump.sql", "INSERT INTO t VALUES ('${ not a placeholder', '${database}');\n"
    )
    write(
        tmp_path / "V001__dump.sql.conf",
        "# a dump\nplaceholderReplacement = false\nexecuteInTransaction=FALSE\n",
    )
    migration = load_migration(path, {"database": "shop"})
    assert migration.config == ScriptConfig(placeholder_replacement=False, execute_in_transaction=False)
    assert migration.statements[0].text == "INSERT INTO t VALUES ('${ not a placeholder', '${database}')"


def test_a_malformed_placeholder_names_the_way_out(tmp_path: Path) -> None:
    path = write(tmp_path / "V001__dump.sql", "SELECT 1;\nINSERT INTO t VALUES ('${\\x01');\n")
    with pytest.raises(
        MigrationFileError,
        match=r"line 2: malformed placeholder .*placeholderReplacement=false in V001__dump\.sql\.conf",
    ):
        load_migration(path, parse=False)


@pytest.mark.parametrize("line", ["placeholderReplacement=no", "outOfOrder=true", "executeInTransaction"])
def test_a_bad_conf_line_is_refused_naming_the_file_and_line(tmp_path: Path, line: str) -> None:
    path = write(tmp_path / "V001__a.sql", "SELECT 1;\n")
    write(tmp_path / "V001__a.sql.conf", f"\n{line}\n")
    with pytest.raises(
        MigrationFileError, match=r"V001__a\.sql\.conf': line 2: expected one of placeholderReplacement"
    ):
        load_migration(path)


def test_prefetched_yields_everything_in_order_from_another_thread() -> None:
    seen: list[str] = []

    def source() -> Iterator[int]:
        for i in range(100):
            seen.append(threading.current_thread().name)
            yield i

    assert list(Prefetched(source(), depth=3)) == list(range(100))
    assert set(seen) == {"prefetch"}


def test_prefetched_raises_the_sources_error_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        raise ValueError("bad line 7")

    got: list[int] = []
    with pytest.raises(ValueError, match="bad line 7"):
        for item in Prefetched(source()):
            got.append(item)
    assert got == [1]


def test_prefetched_stops_its_thread_when_the_caller_stops_early() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    ahead = Prefetched(endless(), depth=2)
    for item in ahead:
        if item == 5:
            break
    ahead.close()
    assert not ahead._thread.is_alive()
    assert len(produced) <= 5 + 1 + 2 + 1  # what was taken, the queue, and one in hand
