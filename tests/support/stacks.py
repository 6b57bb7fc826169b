"""Stack configurations the unit tests share.

Each distinct configuration is one mocked program run (about 70 ms), so the tests of the
optional features read one configuration that turns all of them on, with values that differ
from every default, instead of one configuration per feature.
"""

from __future__ import annotations

from typing import Any

APP_SG = "sg-0123456789abcdef0"
PROXY_CIDR = "198.51.100.0/24"
SSH_CIDR = "198.51.100.7/32"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx5aW50ZXN0a2V5bWF0ZXJpYWwxMjM0NTY3ODkw ops@example"
TAGS = {"cost-center": "data-42", "owner": "dataeng"}
LOG_RETENTION_DAYS = 14

ALERT_EMAIL = "dba-oncall@example.com"
FEATURES: dict[str, Any] = {
    "proxyEnabled": True,
    # The committed dev stack has no replica (free tier); the read/write split needs one.
    "dbReplicaCount": 1,
    "proxyAllowedCidrs": [PROXY_CIDR],
    "proxyAllowedSecurityGroupIds": [APP_SG],
    "sshAllowedCidrs": [SSH_CIDR],
    "sshPublicKey": SSH_KEY,
    "tags": TAGS,
    "dbLogRetentionDays": LOG_RETENTION_DAYS,
    "dbApplyImmediately": False,
    "alertEmail": ALERT_EMAIL,
}

# Two replicas on their own class: what the replica tests need beyond FEATURES' one.
TWO_REPLICAS: dict[str, Any] = {"dbReplicaCount": 2, "dbReplicaInstanceClass": "db.r6g.large"}
# prod as a Multi-AZ DB cluster: the smallest general-purpose class with local NVMe, io1.
CLUSTER: dict[str, Any] = {
    "dbTopology": "multi-az-cluster",
    "dbInstanceClass": "db.m6gd.large",
    "dbReplicaCount": 0,
    "dbMaxAllocatedStorageGib": 0,
    "azCount": 3,
    "dbAllocatedStorageGib": 100,
    "dbClusterStorageType": "io1",
    "dbClusterIops": 1000,
}

# Analytics with every part on, Redshift Spectrum included: the analytics component tests, the
# plan's replace table and the analytics policy tests read this one run. Analytics without
# Spectrum is the dev plan the cost tests read ({"analyticsEnabled": True} on dev).
ANALYTICS: dict[str, Any] = {"analyticsEnabled": True, "analyticsSpectrumEnabled": True}
