"""Engine version rules: which MySQL lines RDS runs, Extended Support, and staged major upgrades.

Binlog replication runs from an older source to a newer replica, never the reverse, and RDS
refuses to upgrade a source before its replicas (DBUpgradeDependencyFailure): a major upgrade
with replicas goes replicas first, then the primary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

SUPPORTED_ENGINE_LINES: Final = ("8.0", "8.4")
# CreateDBInstance EngineLifecycleSupport values (RDS Extended Support).
LIFECYCLE_SUPPORT: Final = ("open-source-rds-extended-support", "open-source-rds-extended-support-disabled")

_ENGINE_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


def engine_line(version: str) -> str:
    """``8.4`` for ``8.4`` or ``8.4.3``."""
    return ".".join(version.split(".")[:2])


def parameter_group_family(version: str) -> str:
    """RDS parameter group family of an engine version, e.g. ``mysql8.4``."""
    return f"mysql{engine_line(version)}"


def major_upgrade_steps(target: str) -> str:
    """The staged major upgrade, replicas first, as the commands that perform it."""
    return (
        f"upgrade the replicas first: (1) pulumi config set dbAllowMajorVersionUpgrade true; "
        f"pulumi config set dbReplicaEngineVersion {target}; pulumi up; "
        f"(2) pulumi config set dbEngineVersion {target}; pulumi up; "
        "(3) pulumi config rm dbReplicaEngineVersion; pulumi config rm dbAllowMajorVersionUpgrade; pulumi up"
    )


def _version_problem(key: str, version: str) -> str | None:
    match = _ENGINE_VERSION.match(version)
    if match is None or f"{match.group(1)}.{match.group(2)}" not in SUPPORTED_ENGINE_LINES:
        lines = ", ".join(SUPPORTED_ENGINE_LINES)
        return f"{key}: got {version!r}; expected a MySQL line ({lines}) or MAJOR.MINOR.PATCH such as 8.4.3"
    return None


def _line_tuple(version: str) -> tuple[int, int]:
    major, minor = engine_line(version).split(".")
    return int(major), int(minor)


def engine_problems(values: Mapping[str, Any]) -> list[str]:
    """Engine version, lifecycle and upgrade problems of the config ``values`` (keyed by config key)."""
    problems: list[str] = []
    primary, replica = values["dbEngineVersion"], values["dbReplicaEngineVersion"]
    versions = [("dbEngineVersion", primary)] + ([("dbReplicaEngineVersion", replica)] if replica else [])
    version_problems = [p for key, v in versions if (p := _version_problem(key, v)) is not None]
    problems += version_problems
    lifecycle = values["dbEngineLifecycleSupport"]
    if lifecycle not in LIFECYCLE_SUPPORT:
        problems.append(
            f"dbEngineLifecycleSupport: got {lifecycle!r}; expected one of {', '.join(LIFECYCLE_SUPPORT)}"
        )
    elif not version_problems and engine_line(primary) == "8.0" and lifecycle.endswith("-disabled"):
        # RDS for MySQL 8.0 left standard support on 2026-07-31. CreateDBInstance with
        # open-source-rds-extended-support-disabled then fails for that line (RDS API reference,
        # CreateDBInstance, EngineLifecycleSupport): the choice is the create's, so it must be
        # explicit. An existing instance keeps the enrollment it was created with whatever this
        # says (the program ignores later changes:
        # mysql_platform.components.database.ENROLLMENT_AT_CREATE_ONLY).
        problems.append(
            f"dbEngineLifecycleSupport: got {lifecycle!r} with dbEngineVersion {primary!r}; "
            "MySQL 8.0 left RDS standard support on 2026-07-31 and RDS refuses to create an 8.0 instance "
            "without paid Extended Support: set open-source-rds-extended-support to keep 8.0, or upgrade "
            "to 8.4 (an instance that exists keeps the enrollment it was created with: this value is "
            "sent only when an instance is created)"
        )
    if version_problems:
        return problems
    count, allow = values["dbReplicaCount"], values["dbAllowMajorVersionUpgrade"]
    if replica and _line_tuple(replica) < _line_tuple(primary):
        problems.append(
            f"dbReplicaEngineVersion: got {replica!r} with dbEngineVersion {primary!r}; "
            "a replica may not run an older line than its source "
            "(binlog replication goes from older to newer only)"
        )
    elif replica and engine_line(replica) != engine_line(primary) and not allow:
        problems.append(
            f"dbAllowMajorVersionUpgrade: got false with dbReplicaEngineVersion {replica!r} and "
            f"dbEngineVersion {primary!r}; a major upgrade needs it true"
        )
    if allow and count > 0 and not replica:
        problems.append(
            f"dbReplicaEngineVersion: got '' with dbAllowMajorVersionUpgrade true and {count} replicas; "
            + major_upgrade_steps(engine_line(primary))
        )
    return problems
