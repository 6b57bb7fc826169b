"""The settings' exact problem messages: one case per rule, each with the whole text it reports.

Written against the survivors of a mutation run (tests/mutation/). Uses only
``mysql_platform.components.settings``' public API (through tests/support/settings_api.py), so it holds
however the rules are split across ``components`` modules. Pure: no Pulumi runtime.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.settings_api import EXTENDED, problems

MAJOR_UPGRADE_STEPS = (
    "upgrade the replicas first: (1) pulumi config set dbAllowMajorVersionUpgrade true; "
    "pulumi config set dbReplicaEngineVersion 8.4; pulumi up; "
    "(2) pulumi config set dbEngineVersion 8.4; pulumi up; "
    "(3) pulumi config rm dbReplicaEngineVersion; pulumi config rm dbAllowMajorVersionUpgrade; pulumi up"
)
FAMILIES = (
    "m5, m5d, m6g, m6gd, m6i, m6id, m6idn, m6in, m7g, m7i, m8g, r5, r5b, r5d, r6g, r6gd, r6i, r6id, "
    "r6idn, r6in, r7g, r7i, r8g, t3, t4g, x2g, x2idn, x2iedn"
)
RESERVED_TAG = (
    "the program sets Name, environment, managed-by, project, role itself, and aws: is reserved by AWS"
)


# --- exact problems ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # parsing
        ({"azCount": "two"}, ["azCount: got 'two'; expected an integer"]),
        ({"dbMultiAz": "yes"}, ["dbMultiAz: got 'yes'; expected true or false"]),
        (
            {"dbLogExports": "error"},
            ["dbLogExports: got 'error'; expected a list of strings (YAML list in the stack file)"],
        ),
        ({"dbLogExports": [1]}, ["dbLogExports: got [1]; expected a list of strings"]),
        ({"dbLogExports": {"a": "b"}}, ["dbLogExports: got {'a': 'b'}; expected a list of strings"]),
        ({"tags": ["a"]}, ["tags: got '[\"a\"]'; expected a map of strings (YAML map in the stack file)"]),
        (
            {"tags": {"a": 1}},
            ["tags: got '{\"a\": 1}'; expected a map of strings (YAML map in the stack file)"],
        ),
        ({"tags": "{"}, ["tags: got '{'; expected a map of strings (YAML map in the stack file)"]),
        # engine
        (
            {"dbReplicaEngineVersion": "9.0"},
            [
                "dbReplicaEngineVersion: got '9.0'; expected a MySQL line (8.0, 8.4) or MAJOR.MINOR.PATCH "
                "such as 8.4.3"
            ],
        ),
        (
            {
                "dbEngineVersion": "8.4.3.1",
                "dbReplicaEngineVersion": "8.0",
                "dbAllowMajorVersionUpgrade": True,
            },
            [
                "dbEngineVersion: got '8.4.3.1'; expected a MySQL line (8.0, 8.4) or MAJOR.MINOR.PATCH "
                "such as 8.4.3"
            ],
        ),
        (
            {"dbEngineLifecycleSupport": "forever"},
            [
                "dbEngineLifecycleSupport: got 'forever'; expected one of open-source-rds-extended-support, "
                "open-source-rds-extended-support-disabled"
            ],
        ),
        (
            {"dbEngineVersion": "8.0", "dbReplicaEngineVersion": "8.0.40"},
            [
                "dbEngineLifecycleSupport: got 'open-source-rds-extended-support-disabled' with "
                "dbEngineVersion "
                "'8.0'; MySQL 8.0 left RDS standard support on 2026-07-31 and RDS refuses to create an 8.0 "
                "instance without paid Extended Support: set open-source-rds-extended-support to keep 8.0, "
                "or upgrade to 8.4 (an instance that exists keeps the enrollment it was created with: this "
                "value is sent only when an instance is created)"
            ],
        ),
        (
            {"dbEngineVersion": "8.0.40", "dbReplicaEngineVersion": "8.4", **EXTENDED},
            [
                "dbAllowMajorVersionUpgrade: got false with dbReplicaEngineVersion '8.4' and dbEngineVersion "
                "'8.0.40'; a major upgrade needs it true"
            ],
        ),
        (
            {"dbEngineVersion": "8.4", "dbReplicaEngineVersion": "8.0", "dbAllowMajorVersionUpgrade": True},
            [
                "dbReplicaEngineVersion: got '8.0' with dbEngineVersion '8.4'; a replica may not "
                "run an older "
                "line than its source (binlog replication goes from older to newer only)"
            ],
        ),
        (
            {"dbAllowMajorVersionUpgrade": True, "dbReplicaCount": 2},
            [
                "dbReplicaEngineVersion: got '' with dbAllowMajorVersionUpgrade true and 2 replicas; "
                + MAJOR_UPGRADE_STEPS
            ],
        ),
        (
            {"dbEngineVersion": "8.4.3", "dbAllowMajorVersionUpgrade": True},
            [
                "dbReplicaEngineVersion: got '' with dbAllowMajorVersionUpgrade true and 1 replicas; "
                + MAJOR_UPGRADE_STEPS
            ],
        ),
        # windows
        (
            {"dbBackupWindow": "3:00-03:30", "dbMaintenanceWindow": "sunday:04:00-sun:05:00"},
            [
                "dbBackupWindow: got '3:00-03:30'; expected hh24:mi-hh24:mi in UTC, e.g. 03:00-03:30",
                "dbMaintenanceWindow: got 'sunday:04:00-sun:05:00'; expected ddd:hh24:mi-ddd:hh24:mi in UTC, "
                "e.g. sun:04:00-sun:05:00",
            ],
        ),
        (
            {"dbBackupWindow": "03:00-03:29", "dbMaintenanceWindow": "sun:04:00-sun:04:29"},
            [
                "dbBackupWindow: got '03:00-03:29'; RDS needs at least 30 minutes",
                "dbMaintenanceWindow: got 'sun:04:00-sun:04:29'; RDS needs at least 30 minutes",
            ],
        ),
        (
            {"dbBackupWindow": "03:00-03:30", "dbMaintenanceWindow": "mon:03:29-mon:04:00"},
            [
                "dbMaintenanceWindow: got 'mon:03:29-mon:04:00', which overlaps dbBackupWindow "
                "'03:00-03:30'; "
                "RDS refuses overlapping windows"
            ],
        ),
        # logs
        (
            {"dbLogExports": ["audit", "slow", "error"]},
            [
                "dbLogExports: got 'audit'; the audit log needs an option group with the MariaDB "
                "audit plugin, "
                "which this program does not create: remove it, or add the option group first",
                "dbLogExports: got ['slow']; expected any of error, general, slowquery, iam-db-auth-error",
            ],
        ),
        (
            {"dbLogRetentionDays": 2},
            [
                "dbLogRetentionDays: got 2; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, "
                "400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"
            ],
        ),
        (
            {
                "dbPerformanceInsights": True,
                "dbInstanceClass": "db.t4g.small",
                "dbReplicaInstanceClass": "db.t3.micro",
            },
            [
                "dbPerformanceInsights: got true with db.t3.micro, db.t4g.small; RDS for MySQL offers "
                "Performance Insights from db.t3.medium / db.t4g.medium up"
            ],
        ),
        (
            {"dbPerformanceInsights": True, "dbInstanceClass": "db.t3.small"},
            [
                "dbPerformanceInsights: got true with db.t3.small; RDS for MySQL offers "
                "Performance Insights from db.t3.medium / db.t4g.medium up"
            ],
        ),
        # GTIDs
        (
            {"dbGtidMode": "on"},
            ["dbGtidMode: got 'on'; expected one of OFF, OFF_PERMISSIVE, ON_PERMISSIVE, ON"],
        ),
        (
            {"dbGtidMode": False},
            [
                "dbGtidMode: got 'false'; expected one of OFF, OFF_PERMISSIVE, ON_PERMISSIVE, ON "
                "(quote ON and OFF in YAML: unquoted, they may be read as booleans)"
            ],
        ),
        # tags
        ({"tags": {f"k{i}": "v" for i in range(41)}}, ["tags: got 41 tags; expected at most 40"]),
        (
            {"tags": {"Name": "x", "aws:cost": "y", "AWS:Team": "z", "": "e", "k": "v" * 257}},
            [
                f"tags: got key 'Name'; {RESERVED_TAG}",
                f"tags: got key 'aws:cost'; {RESERVED_TAG}",
                f"tags: got key 'AWS:Team'; {RESERVED_TAG}",
                "tags: got ''; expected keys of 1-128 and values of up to 256 characters",
                "tags: got 'k'; expected keys of 1-128 and values of up to 256 characters",
            ],
        ),
        (
            {"tags": {"k" * 129: "v"}},
            [f"tags: got '{'k' * 129}'; expected keys of 1-128 and values of up to 256 characters"],
        ),
        # names
        (
            {
                "hostInstanceType": "T3.micro",
                "dbUsername": "1admin",
                "dbName": "9app",
                "sshPublicKey": "ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4Ed",
            },
            [
                "hostInstanceType: got 'T3.micro'; expected an EC2 type such as t3.micro",
                "dbUsername: got '1admin'; expected 1-16 letters, digits or _ starting with a letter",
                "dbName: got '9app'; expected 1-64 letters, digits or _ starting with a letter, or empty",
                "sshPublicKey: got 'ssh-dss AAAAB3NzaC1kc3MA...'; expected an OpenSSH public key line "
                "(ssh-ed25519 AAAA...)",
            ],
        ),
        ({"dbUsername": "Root"}, ["dbUsername: got 'Root'; that name is reserved by RDS/MySQL"]),
        (
            {"dbName": "SELECT"},
            ["dbName: got 'SELECT'; that is a MySQL reserved word, which RDS refuses here"],
        ),
        ({"dbName": "mysql"}, ["dbName: got 'mysql'; that is one of the server's own schemas"]),
        ({"dbUsername": "sys"}, ["dbUsername: got 'sys'; that is one of the server's own schemas"]),
        (
            {"dbReplicaInstanceClass": "db.t2.micro"},
            [
                f"dbReplicaInstanceClass: got 'db.t2.micro'; RDS for MySQL 8 runs on the families {FAMILIES} "
                "(db.FAMILY.SIZE)"
            ],
        ),
        (
            {"dbInstanceClass": "db.t4g.huge"},
            [
                f"dbInstanceClass: got 'db.t4g.huge'; RDS for MySQL 8 runs on the families {FAMILIES} "
                "(db.FAMILY.SIZE)"
            ],
        ),
        (
            {"dbInstanceClass": "t4g.micro"},
            ["dbInstanceClass: got 't4g.micro'; expected an RDS class such as db.t4g.micro"],
        ),
        ({"dbInstanceClass": ""}, ["dbInstanceClass: got ''; expected an RDS class such as db.t4g.micro"]),
        # proxy
        (
            {"proxyWriterPort": 1023, "proxyReaderPort": 65536},
            [
                "proxyWriterPort: got 1023; expected 3306 or a port in 1024-65535",
                "proxyReaderPort: got 65536; expected 3306 or a port in 1024-65535",
            ],
        ),
        (
            {"proxyWriterPort": 3307, "proxyReaderPort": 22},
            ["proxyReaderPort: got 22; expected 3306 or a port in 1024-65535"],
        ),
        (
            {"proxyWriterPort": 4000, "proxyReaderPort": 4000},
            ["proxyReaderPort: got 4000; expected a port different from proxyWriterPort"],
        ),
        (
            {"proxyAllowedSecurityGroupIds": ["sg-123", "sg-0123456789abcdef0", "sg-0123456789ABCDEF0"]},
            [
                "proxyAllowedSecurityGroupIds: got 'sg-123'; expected an id such as sg-0123456789abcdef0",
                "proxyAllowedSecurityGroupIds: got 'sg-0123456789ABCDEF0'; expected an id such as "
                "sg-0123456789abcdef0",
            ],
        ),
        (
            {"proxyEnabled": True, "dbReplicaCount": 0},
            [
                "proxyEnabled: got true with dbReplicaCount=0; the read/write split needs at least one "
                "replica (or dbTopology multi-az-cluster, whose standbys are the readers)"
            ],
        ),
        # promotion, replication, storage, network
        (
            {"dbPromoteReplica": 2},
            ["dbPromoteReplica: got 2; expected 0 (none) or a replica number 1-1 (dbReplicaCount)"],
        ),
        (
            {"dbPromoteReplica": -1},
            ["dbPromoteReplica: got -1; expected 0 (none) or a replica number 1-1 (dbReplicaCount)"],
        ),
        ({"dbReplicaCount": 6}, ["dbReplicaCount: got 6; expected 0-5"]),
        ({"dbBackupRetentionDays": 36}, ["dbBackupRetentionDays: got 36; expected 0-35"]),
        (
            {"dbBackupRetentionDays": 0},
            ["dbBackupRetentionDays: got 0; read replicas (dbReplicaCount=1) need at least 1"],
        ),
        ({"azCount": 7}, ["azCount: got 7; expected 2-6 (RDS subnet groups need two AZs)"]),
        (
            {"vpcCidr": "10.40.0.0/25"},
            ["vpcCidr: got '10.40.0.0/25'; expected a prefix length from /16 to /24"],
        ),
        (
            {"vpcCidr": "10.40.0.0/15"},
            ["vpcCidr: got '10.40.0.0/15'; expected a prefix length from /16 to /24"],
        ),
        (
            {"vpcCidr": "10.40.0.1/16"},
            [
                "vpcCidr: got '10.40.0.1/16'; expected an IPv4 CIDR like 10.40.0.0/16 "
                "(10.40.0.1/16 has host bits set)"
            ],
        ),
        (
            {"vpcCidr": "8.8.0.0/16"},
            [
                "vpcCidr: got '8.8.0.0/16'; a public range would hide those internet addresses "
                "from everything "
                "in the VPC: expected a private range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
                "100.64.0.0/10"
            ],
        ),
        (
            {"dbAllocatedStorageGib": 65537, "dbMaxAllocatedStorageGib": 0},
            ["dbAllocatedStorageGib: got 65537; expected 20-65536 GiB"],
        ),
        (
            {"dbAllocatedStorageGib": 100, "dbMaxAllocatedStorageGib": 100},
            [
                "dbMaxAllocatedStorageGib: got 100; expected 0 (no autoscaling) or more than "
                "dbAllocatedStorageGib (100) and at most 65536"
            ],
        ),
        (
            {"dbMaxAllocatedStorageGib": 65537},
            [
                "dbMaxAllocatedStorageGib: got 65537; expected 0 (no autoscaling) or more than "
                "dbAllocatedStorageGib (20) and at most 65536"
            ],
        ),
        # addresses
        (
            {"sshAllowedCidrs": ["198.51.100.7"]},
            [
                "sshAllowedCidrs: got '198.51.100.7'; expected a CIDR such as 198.51.100.7/32 "
                "with no host bits "
                "set (no prefix length; a single address is x.x.x.x/32)"
            ],
        ),
        (
            {"proxyAllowedCidrs": ["198.51.100.7/24"]},
            [
                "proxyAllowedCidrs: got '198.51.100.7/24'; expected a CIDR such as "
                "198.51.100.7/32 with no host "
                "bits set (198.51.100.7/24 has host bits set)"
            ],
        ),
        (
            {"dbPubliclyAccessible": True},
            [
                "dbAllowedCidrs: got []; a publicly accessible DB must name at least one allowed CIDR "
                "(your own address, e.g. 198.51.100.7/32)"
            ],
        ),
        (
            {"dbAllowedCidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
            [
                "dbAllowedCidrs: got ['0.0.0.0/1', '128.0.0.0/1']; the whole internet is never allowed, and "
                "together they cover all of IPv4 (0.0.0.0/0 (4,294,967,296 addresses)); name your own "
                "addresses, e.g. x.x.x.x/32"
            ],
        ),
        (
            {"dbAllowedCidrs": ["::/0", "198.0.0.0/16", "198.1.0.0/16"]},
            [
                "dbAllowedCidrs: got ['198.0.0.0/16', '198.1.0.0/16']; together they cover the public range "
                "198.0.0.0/15 (131,072 addresses); public sources may be at most /16 wide (IPv4); name your "
                "own addresses",
                "dbAllowedCidrs: got ['::/0']; the whole internet is never allowed, and together they cover "
                "all of IPv6 (::/0 (340,282,366,920,938,463,463,374,607,431,768,211,456 "
                "addresses)); name your "
                "own addresses, e.g. x.x.x.x/32",
            ],
        ),
        (
            {"sshAllowedCidrs": ["2a00::/47", "0.0.0.0/0"]},
            [
                "sshAllowedCidrs: got ['0.0.0.0/0']; the whole internet is never allowed, and together they "
                "cover all of IPv4 (0.0.0.0/0 (4,294,967,296 addresses)); name your own addresses, e.g. "
                "x.x.x.x/32",
                "sshAllowedCidrs: got ['2a00::/47']; together they cover the public range 2a00::/47 "
                "(2,417,851,639,229,258,349,412,352 addresses); public sources may be at most /48 wide "
                "(IPv6); name your own addresses",
            ],
        ),
    ],
)
def test_reports_exactly_these_problems(values: dict[str, Any], expected: list[str]) -> None:
    assert problems(**values) == expected


@pytest.mark.parametrize("stack", ["prod", "Production-eu", "PROD2"])
def test_a_production_stack_keeps_its_db_private(stack: str) -> None:
    assert problems(stack, dbPubliclyAccessible=True, dbAllowedCidrs=["198.51.100.7/32"]) == [
        f"dbPubliclyAccessible: got true on stack {stack!r}; a production stack keeps its DB private "
        "(reach it through the host)"
    ]
