"""The kinds of migration files, a run's order, --target, repeatable states, undo's choice (no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mysql_platform.db import migration_plan, migration_repeatables, migration_status, migration_undo
from mysql_platform.db.migrate_json import document
from mysql_platform.db.migration_errors import MigrationError
from mysql_platform.db.migration_files import Migration, MigrationFileError
from mysql_platform.db.migration_history import Applied
from mysql_platform.db.migration_kinds import discover_all, kind_of


def write(dir_: Path, name: str, text: str = "SELECT 1;\n") -> Path:
    path = dir_ / name
    path.write_text(text, encoding="utf-8")
    return path


def m(version: int, name: str, script: str | None = None) -> Migration:
    return Migration(
        version, name, Path(script or f"V{version:03d}__{name}.sql"), checksum=f"c{version}{name}"
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("V001__a.sql", "versioned"),
        ("R__views.sql", "repeatable"),
        ("U001__a.sql", "undo"),
        ("beforeMigrate.sql", "callback"),
        ("afterEachMigrate.sql", "callback"),
        ("afterMigrate", None),
        ("R_views.sql", None),
        ("U1__a.sql", None),
        ("beforeMigrateX.sql", None),
        ("aftermigrate.sql", None),
    ],
)
def test_kind_of_names(name: str, kind: str | None) -> None:
    assert kind_of(name) == kind


def test_discover_all_sorts_each_kind(tmp_path: Path) -> None:
    write(tmp_path, "V002__two.sql")
    write(tmp_path, "V001__one.sql")
    write(tmp_path, "R__z_last.sql")
    write(tmp_path, "R__a_first.sql")
    write(tmp_path, "U002__two.sql")
    write(tmp_path, "afterMigrate.sql")
    write(tmp_path, "beforeMigrate.sql")
    found = discover_all(tmp_path)
    assert [v.version for v in found.versioned] == [1, 2]
    assert [r.script for r in found.repeatable] == ["R__a_first.sql", "R__z_last.sql"]
    assert list(found.undo) == [2] and found.undo[2].description == "two"
    assert list(found.callbacks) == ["beforeMigrate", "afterMigrate"]  # the order they fire in
    assert found.files == 7


def test_discover_all_refuses_other_names_and_duplicate_undo_versions(tmp_path: Path) -> None:
    write(tmp_path, "V001__one.sql")
    write(tmp_path, "notes.sql")
    with pytest.raises(MigrationFileError, match=r"notes.sql': name must be one of V001__name.sql"):
        discover_all(tmp_path)
    (tmp_path / "notes.sql").unlink()
    write(tmp_path, "U001__a.sql")
    write(tmp_path, "U0001__b.sql")
    with pytest.raises(MigrationFileError, match="same undo version 1"):
        discover_all(tmp_path)


def test_discover_all_needs_a_versioned_or_repeatable_file(tmp_path: Path) -> None:
    write(tmp_path, "afterMigrate.sql")
    with pytest.raises(MigrationFileError, match=r"contains no V<NNN>__<name>.sql or R__<name>.sql files"):
        discover_all(tmp_path)
    write(tmp_path, "R__only.sql")
    assert [r.script for r in discover_all(tmp_path).repeatable] == ["R__only.sql"]


def test_steps_put_callbacks_around_the_run_and_each_file() -> None:
    v1, r = m(1, "a"), m(0, "view", "R__view.sql")
    callbacks = {
        e: m(0, e, f"{e}.sql")
        for e in ("beforeMigrate", "beforeEachMigrate", "afterEachMigrate", "afterMigrate")
    }
    order = [(s.kind, s.migration.script) for s in migration_plan.steps([v1], [r], callbacks)]
    assert order == [
        ("callback", "beforeMigrate.sql"),
        ("callback", "beforeEachMigrate.sql"),
        ("versioned", "V001__a.sql"),
        ("callback", "afterEachMigrate.sql"),
        ("callback", "beforeEachMigrate.sql"),
        ("repeatable", "R__view.sql"),
        ("callback", "afterEachMigrate.sql"),
        ("callback", "afterMigrate.sql"),
    ]
    # Nothing pending: the run's callbacks still fire, the per-file ones do not.
    assert [s.migration.script for s in migration_plan.steps([], [], callbacks)] == [
        "beforeMigrate.sql",
        "afterMigrate.sql",
    ]


def test_target_must_be_a_files_version_and_names_the_nearest() -> None:
    files = [m(1, "a"), m(5, "b"), m(9, "c")]
    migration_plan.check_target(files, 5)
    migration_plan.check_target(files, None)
    with pytest.raises(MigrationFileError, match=r"--target 3: .* \(nearest: 1 below, 5 above\)"):
        migration_plan.check_target(files, 3)
    with pytest.raises(MigrationFileError, match=r"nearest: 9 below\)"):
        migration_plan.check_target(files, 12)
    assert [f.version for f in migration_plan.up_to(files, 5)] == [1, 5]


def test_status_above_target_and_undo_column() -> None:
    files = [m(1, "a"), m(2, "b"), m(3, "c")]
    applied = {1: Applied(1, "V001__a.sql", "c1a")}
    found = migration_status.statuses(files, applied, target=2, undo={3: m(3, "c", "U003__c.sql")})
    assert [s.state for s in found] == ["applied", "pending", "above target"]
    assert found[2].as_dict()["undo"] == "U003__c.sql"
    assert migration_status.table(found)[0].split()[-1] == "undo"
    assert migration_status.table(migration_status.statuses(files, applied))[0].split()[-1] == "checksum"


def test_repeatable_states_and_what_is_pending() -> None:
    same, changed, new = m(0, "a", "R__a.sql"), m(0, "b", "R__b.sql"), m(0, "c", "R__c.sql")

    def row(script: str, checksum: str) -> migration_repeatables.RepeatableRow:
        return migration_repeatables.RepeatableRow(script, script, checksum, 1, 1, "u", None, None)

    rows = {
        "R__a.sql": row("R__a.sql", same.checksum),
        "R__b.sql": row("R__b.sql", "old"),
        "R__gone.sql": row("R__gone.sql", "x"),
    }
    found = migration_repeatables.statuses([same, changed, new], rows)
    assert [(s.script, s.state) for s in found] == [
        ("R__a.sql", "applied"),
        ("R__b.sql", "outdated"),
        ("R__c.sql", "pending"),
        ("R__gone.sql", "missing"),
    ]
    assert [p.script for p in migration_repeatables.pending([same, changed, new], rows)] == [
        "R__b.sql",
        "R__c.sql",
    ]
    assert migration_repeatables.problems(found) == [
        "R__gone.sql is in repeatable_history but its file is gone (repair drops the row)"
    ]


def test_undo_chooses_the_newest_or_everything_above_the_target() -> None:
    applied = {v: Applied(v, f"V00{v}__x.sql", "c") for v in (1, 2, 3)}
    undo = {v: m(v, "x", f"U00{v}__x.sql") for v in (2, 3)}
    assert [r.version for r, _u in migration_undo.choose(applied, undo, None)] == [3]
    assert [r.version for r, _u in migration_undo.choose(applied, undo, 1)] == [3, 2]
    assert migration_undo.choose(applied, undo, 3) == []
    assert migration_undo.choose({}, undo, None) == []
    with pytest.raises(
        MigrationError, match=r"version 1 \(V001__x.sql\) has no undo file \(U001__<name>.sql"
    ):
        migration_undo.choose(applied, undo, 0)
    base = {**applied, 3: Applied(3, "V003__x.sql", "c", kind="baseline")}
    with pytest.raises(MigrationError, match="marked as applied by baseline"):
        migration_undo.choose(base, undo, None)


def test_json_documents_of_the_new_fields_have_their_empty_values() -> None:
    assert document("undo", 4, {}, "x")["undone"] == []
    doc = document("migrate", 0, {}, None)
    assert (doc["target"], doc["repeatables"], doc["callbacks"], doc["above_target"]) == (None, [], [], None)
    assert document("info", 0, {}, None)["repeatables"] == []
