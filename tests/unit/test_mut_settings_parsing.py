"""The settings' defaults, the parsing of Pulumi's string form, the derived values, the error text.

Written against the survivors of a mutation run (tests/mutation/). Uses only
``mysql_platform.components.settings``' public API (through tests/support/settings_api.py), so it holds
however the rules are split across ``components`` modules. Pure: no Pulumi runtime.
"""

from __future__ import annotations

import pytest

from mysql_platform.components.settings import FIELDS, ConfigError, parse_settings
from tests.support.settings_api import EXTENDED, attribute, settings

# --- the defaults and the derived values ------------------------------------------------------


def test_every_unset_key_takes_its_declared_default() -> None:
    parsed = settings()
    assert parsed.stack == "dev"
    for field in FIELDS:
        expected = tuple(field.default) if isinstance(field.default, list) else field.default
        assert getattr(parsed, attribute(field.key)) == expected, field.key


def test_values_are_parsed_from_pulumis_string_form() -> None:
    parsed = parse_settings(
        "staging",
        {
            "dbReplicaCount": " 3 ",
            "dbMultiAz": " TRUE ",
            "dbApplyImmediately": "False",
            "dbLogExports": '["general"]',
            "tags": '{"team": "data"}',
            "dbName": "",
        }.get,
    )
    assert parsed.db_replica_count == 3
    assert parsed.db_multi_az is True
    assert parsed.db_apply_immediately is False
    assert parsed.db_log_exports == ("general",)
    assert parsed.tags == {"team": "data"}
    assert parsed.db_name == ""
    assert parsed.resource_tags == {
        "team": "data",
        "project": "mysql-platform",
        "environment": "staging",
        "managed-by": "pulumi",
    }


def test_derived_values() -> None:
    private = settings(dbEngineVersion="8.0.40", **EXTENDED)
    assert private.exposure.value == "private"
    assert private.parameter_group_family == "mysql8.0"
    assert private.replica_engine_version == "8.0.40"
    public = settings(dbPubliclyAccessible=True, dbAllowedCidrs=["198.51.100.7/32"])
    assert public.exposure.value == "public"
    assert public.parameter_group_family == "mysql8.4"
    upgrading = settings(
        dbEngineVersion="8.0", dbReplicaEngineVersion="8.4.3", dbAllowMajorVersionUpgrade=True, **EXTENDED
    )
    assert upgrading.replica_engine_version == "8.4.3"
    assert upgrading.parameter_group_family == "mysql8.0"


def test_config_error_lists_every_problem_on_its_own_line() -> None:
    with pytest.raises(ConfigError) as info:
        settings(azCount=1, dbReplicaCount=6)
    assert str(info.value) == (
        "invalid configuration for project 'mysql-platform':\n"
        "  - dbReplicaCount: got 6; expected 0-5\n"
        "  - azCount: got 1; expected 2-6 (RDS subnet groups need two AZs)"
    )
