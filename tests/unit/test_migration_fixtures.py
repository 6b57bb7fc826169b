"""The tests' copy of the shipped migrations is the shipped migrations."""

from __future__ import annotations

from tests.support.migration_fixtures import FIXTURE_SQL, PROJECT_SQL


def test_every_fixture_migration_is_the_shipped_file_byte_for_byte() -> None:
    fixtures = sorted(FIXTURE_SQL.glob("V*.sql"))
    assert [p.name for p in fixtures] == [
        "V001__create_tempdb.sql",
        "V003__app_schema.sql",
        "V004__app_add_order_item.sql",
    ]
    for path in fixtures:
        shipped = PROJECT_SQL / path.name
        assert shipped.is_file(), f"sql/{path.name} is gone: the project ships it"
        assert shipped.read_bytes() == path.read_bytes(), f"sql/{path.name} differs from its test copy"
