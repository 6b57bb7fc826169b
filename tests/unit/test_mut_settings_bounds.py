"""Both sides of every bound of the settings: the value on the bound is accepted, one past it is not.

Written against the survivors of a mutation run (tests/mutation/). Uses only
``mysql_platform.components.settings``' public API (through tests/support/settings_api.py), so it holds
however the rules are split across ``components`` modules. Pure: no Pulumi runtime.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.settings_api import EXTENDED, attribute, problems, settings

# --- both sides of every bound ----------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"proxyWriterPort": 1024, "proxyReaderPort": 65535},
        {"proxyWriterPort": 65535, "proxyReaderPort": 1024},
        {"proxyWriterPort": 3306, "proxyReaderPort": 3307},
        {"proxyWriterPort": 3307, "proxyReaderPort": 3306},
        {"dbReplicaCount": 5, "dbPromoteReplica": 5},
        {"dbReplicaCount": 0, "dbBackupRetentionDays": 0},
        {"dbReplicaCount": 1, "dbBackupRetentionDays": 1},
        {"dbBackupRetentionDays": 35},
        {"azCount": 2},
        {"azCount": 6},
        {"vpcCidr": "10.40.0.0/16"},
        {"vpcCidr": "192.168.10.0/24"},
        {"vpcCidr": "100.64.0.0/16"},
        {"dbAllocatedStorageGib": 20, "dbMaxAllocatedStorageGib": 21},
        {"dbAllocatedStorageGib": 65536, "dbMaxAllocatedStorageGib": 0},
        {"dbAllocatedStorageGib": 65535, "dbMaxAllocatedStorageGib": 65536},
        {"tags": {f"k{i}": "v" for i in range(40)}},
        {"tags": {"k": "v" * 256, "k" * 128: "", "Project": "x", "awsome": "y"}},
        {"dbLogExports": ["error", "general", "slowquery", "iam-db-auth-error"]},
        {"dbLogExports": []},
        {"dbLogRetentionDays": 1},
        {"dbLogRetentionDays": 3653},
        {"dbPerformanceInsights": True, "dbInstanceClass": "db.t4g.medium"},
        {
            "dbPerformanceInsights": True,
            "dbInstanceClass": "db.r6g.large",
            "dbReplicaInstanceClass": "db.r6g.xlarge",
        },
        {"dbInstanceClass": "db.m6gd.16xlarge", "dbReplicaInstanceClass": "db.r5.metal"},
        {"dbName": "", "dbUsername": "a" * 16},
        {"dbName": "a" * 64},
        {"sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI user@host"},
        {"proxyEnabled": True, "dbReplicaCount": 1, "proxyAllowedSecurityGroupIds": ["sg-01234567"]},
        {"dbEngineVersion": "8.4.3", "dbReplicaEngineVersion": "8.4"},
        {
            "dbEngineVersion": "8.0",
            "dbReplicaEngineVersion": "8.4",
            "dbAllowMajorVersionUpgrade": True,
            **EXTENDED,
        },
        {"dbAllowMajorVersionUpgrade": True, "dbReplicaCount": 0},
        {"dbBackupWindow": "23:50-00:20", "dbMaintenanceWindow": "mon:00:20-mon:00:50"},
        {"dbBackupWindow": "01:00-01:30", "dbMaintenanceWindow": "sat:23:45-sun:00:15"},
        {"dbBackupWindow": "03:00-03:30", "dbMaintenanceWindow": "mon:03:30-mon:04:00"},
        {"dbBackupWindow": "03:31-04:01", "dbMaintenanceWindow": "SUN:03:00-sun:03:31"},
        {"dbBackupWindow": "00:00-00:30", "dbMaintenanceWindow": "sun:00:30-mon:00:00"},
        {"dbPubliclyAccessible": True, "dbAllowedCidrs": ["198.51.100.7/32", "10.0.0.0/8", "2001:db8::/32"]},
        {"sshAllowedCidrs": ["198.0.0.0/16", "2a00::/48"]},
    ],
)
def test_accepts_values_on_the_bound(values: dict[str, Any]) -> None:
    parsed = settings(**values)
    for key, value in values.items():
        expected = tuple(value) if isinstance(value, list) else value
        assert getattr(parsed, attribute(key)) == expected


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"azCount": 1}, "azCount"),
        ({"dbReplicaCount": -1}, "dbReplicaCount"),
        ({"dbBackupRetentionDays": -1, "dbReplicaCount": 0}, "dbBackupRetentionDays"),
        ({"dbAllocatedStorageGib": 19}, "dbAllocatedStorageGib"),
        ({"dbMaxAllocatedStorageGib": 20}, "dbMaxAllocatedStorageGib"),
        ({"dbMaxAllocatedStorageGib": -1}, "dbMaxAllocatedStorageGib"),
        ({"dbName": "a" * 65}, "dbName"),
        ({"dbUsername": "a" * 17}, "dbUsername"),
        ({"dbBackupWindow": "24:00-00:30"}, "dbBackupWindow"),
        ({"dbMaintenanceWindow": "sun:04:60-sun:05:00"}, "dbMaintenanceWindow"),
        # The same 29 minutes, measured across midnight and across the week's end.
        ({"dbBackupWindow": "23:45-00:14"}, "dbBackupWindow"),
        ({"dbMaintenanceWindow": "sun:23:45-mon:00:14"}, "dbMaintenanceWindow"),
        # Overlaps measured in minutes of the day, on any day of the week.
        (
            {"dbBackupWindow": "03:00-03:30", "dbMaintenanceWindow": "fri:02:31-fri:03:01"},
            "dbMaintenanceWindow",
        ),
        (
            {"dbBackupWindow": "23:50-00:20", "dbMaintenanceWindow": "wed:00:19-wed:01:00"},
            "dbMaintenanceWindow",
        ),
        (
            {"dbBackupWindow": "12:10-12:40", "dbMaintenanceWindow": "tue:11:41-tue:12:11"},
            "dbMaintenanceWindow",
        ),
    ],
)
def test_rejects_values_just_past_the_bound(values: dict[str, Any], key: str) -> None:
    found = problems(**values)
    assert [p for p in found if p.startswith(f"{key}: got ")], found
