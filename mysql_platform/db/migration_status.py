"""Every version's state, from the migration files and the history: what ``info`` and ``validate`` show.

States (Flyway's names where they exist):

- ``applied``: in the history, and its file matches the recorded checksum;
- ``baseline``: marked as applied by ``baseline`` (its statements never ran here);
- ``pending``: a file not in the history, above the newest applied version;
- ``above target``: a file not in the history, above ``--target`` (``migrate --target`` leaves it);
- ``out of order``: a pending file below the newest applied version (refused by ``migrate``
  unless ``--out-of-order``);
- ``missing``: in the history, but its file is gone (``repair`` removes the row);
- ``retired``: in the history, a project migration whose work the tool now does itself
  (:data:`mysql_platform.db.ops_tables.RETIRED`); its file is gone on purpose;
- ``checksum mismatch``: in the history, but the file changed since (``repair`` re-aligns it
  when only its layout changed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mysql_platform.db import ops_tables
from mysql_platform.db.migration_files import Migration
from mysql_platform.db.migration_history import Applied

APPLIED = "applied"
BASELINE = "baseline"
PENDING = "pending"
OUT_OF_ORDER = "out of order"
ABOVE_TARGET = "above target"
MISSING = "missing"
RETIRED = "retired"
MISMATCH = "checksum mismatch"
# States that make ``validate`` fail (out of order only without --out-of-order).
PROBLEMS = frozenset({MISSING, MISMATCH, OUT_OF_ORDER})


@dataclass(frozen=True)
class VersionStatus:
    version: int
    description: str
    script: str
    state: str
    file_checksum: str | None
    applied: Applied | None
    undo: str | None = None  # its U<NNN>__<name>.sql, if any

    def as_dict(self) -> dict[str, Any]:
        row = self.applied
        return {
            "version": self.version,
            "description": self.description,
            "script": self.script,
            "state": self.state,
            "checksum": self.file_checksum,
            "applied_checksum": None if row is None else row.checksum,
            "applied_at": None if row is None or row.applied_at is None else str(row.applied_at),
            "applied_by": None if row is None else row.applied_by,
            "duration_ms": None if row is None else row.duration_ms,
            "statements": None if row is None else row.statements,
            "undo": self.undo,
        }


def statuses(
    migrations: Sequence[Migration],
    applied: dict[int, Applied],
    *,
    target: int | None = None,
    undo: Mapping[int, Migration] | None = None,
) -> list[VersionStatus]:
    """One status per version found in the files or the history, in version order."""
    files = {m.version: m for m in migrations}
    undo = undo or {}
    newest = max(applied, default=0)
    out: list[VersionStatus] = []
    for version in sorted(set(files) | set(applied)):
        migration, row = files.get(version), applied.get(version)
        out.append(
            VersionStatus(
                version=version,
                description=migration.description if migration else row.description if row else "",
                script=migration.script if migration else row.script if row else "",
                state=_state(migration, row, newest, target),
                file_checksum=migration.checksum if migration else None,
                applied=row,
                undo=undo[version].script if version in undo else None,
            )
        )
    return out


def _state(migration: Migration | None, row: Applied | None, newest: int, target: int | None) -> str:
    if row is None:
        assert migration is not None
        if target is not None and migration.version > target:
            return ABOVE_TARGET
        return OUT_OF_ORDER if migration.version < newest else PENDING
    if migration is None:
        return RETIRED if ops_tables.is_retired(row) else MISSING
    if not migration.matches(row.checksum):
        return MISMATCH
    return BASELINE if row.kind == "baseline" else APPLIED


def problems(found: Sequence[VersionStatus], *, out_of_order: bool = False) -> list[str]:
    """What ``validate`` reports, one line each; empty when all is well."""
    lines = []
    for s in found:
        if s.state == MISSING:
            lines.append(f"version {s.version} ({s.script}) is in the history but its file is gone")
        elif s.state == MISMATCH:
            assert s.applied is not None and s.file_checksum is not None
            lines.append(
                f"{s.script} changed after it was applied (checksum {s.file_checksum[:12]}, "
                f"applied {s.applied.checksum[:12]})"
            )
        elif s.state == OUT_OF_ORDER and not out_of_order:
            lines.append(f"{s.script} is pending below the newest applied version (use --out-of-order)")
    return lines


def table(found: Sequence[VersionStatus]) -> list[str]:
    """``info`` as text: a header and one aligned line per version (a column of undo files when
    there are any)."""
    with_undo = any(s.undo for s in found)
    header = ("version", "description", "state", "applied at", "ms", "checksum", *(("undo",) * with_undo))
    rows = [header] + [
        (
            str(s.version),
            s.description,
            s.state,
            "" if s.applied is None or s.applied.applied_at is None else str(s.applied.applied_at)[:19],
            "" if s.applied is None else str(s.applied.duration_ms),
            (s.file_checksum or (s.applied.checksum if s.applied else ""))[:12],
            *((s.undo or "",) * with_undo),
        )
        for s in found
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
