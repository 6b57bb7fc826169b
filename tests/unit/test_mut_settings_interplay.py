"""Settings rules that meet: an optional value checked only when set, one rule skipping or
keeping another, and several values reported together.

Written against the survivors of a mutation run (tests/mutation/). Uses only
``mysql_platform.components.settings``' public API (through tests/support/settings_api.py), so it holds
however the rules are split across ``components`` modules. Pure: no Pulumi runtime.
"""

from __future__ import annotations

from tests.support.settings_api import EXTENDED, problems, settings


def test_a_replica_class_of_its_own_is_checked_and_an_empty_one_is_not() -> None:
    assert settings(dbReplicaInstanceClass="").db_replica_instance_class == ""
    assert problems(dbReplicaInstanceClass="db.x1.large")[0].startswith(
        "dbReplicaInstanceClass: got 'db.x1.large';"
    )


def test_a_bad_engine_version_skips_the_upgrade_rules() -> None:
    # With an unreadable version, comparing lines would only add noise (or crash).
    assert problems(
        dbEngineVersion="8.4", dbReplicaEngineVersion="eight", dbAllowMajorVersionUpgrade=True
    ) == [
        "dbReplicaEngineVersion: got 'eight'; expected a MySQL line (8.0, 8.4) or "
        "MAJOR.MINOR.PATCH such as 8.4.3"
    ]
    assert problems(dbEngineVersion="8.0.x", **EXTENDED) == [
        "dbEngineVersion: got '8.0.x'; expected a MySQL line (8.0, 8.4) or MAJOR.MINOR.PATCH such as 8.4.3"
    ]


def test_a_bad_lifecycle_does_not_hide_the_upgrade_rules() -> None:
    assert problems(
        dbEngineLifecycleSupport="forever",
        dbEngineVersion="8.4",
        dbReplicaEngineVersion="8.0",
        dbAllowMajorVersionUpgrade=True,
    ) == [
        "dbEngineLifecycleSupport: got 'forever'; expected one of open-source-rds-extended-support, "
        "open-source-rds-extended-support-disabled",
        "dbReplicaEngineVersion: got '8.0' with dbEngineVersion '8.4'; a replica may not run an older "
        "line than its source (binlog replication goes from older to newer only)",
    ]


def test_a_wide_public_union_names_each_of_its_ranges() -> None:
    assert problems(dbAllowedCidrs=["8.0.0.0/8", "11.0.0.0/8"]) == [
        "dbAllowedCidrs: got ['8.0.0.0/8', '11.0.0.0/8']; together they cover the public range "
        "8.0.0.0/8, 11.0.0.0/8 (33,554,432 addresses); public sources may be at most /16 wide (IPv4); "
        "name your own addresses"
    ]
