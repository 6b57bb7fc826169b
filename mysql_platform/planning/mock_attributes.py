"""What AWS (and the random provider) compute for a new resource, as the mock engine fakes it.

Placeholder values in the provider's shapes, derived from the logical name, so two runs of one
configuration agree and a change elsewhere does not move them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

NEWEST_MINOR = {"8.0": "8.0.44", "8.4": "8.4.7"}


def _actual_version(requested: str) -> str:
    return NEWEST_MINOR.get(requested, requested)


def stable_number(name: str) -> int:
    """A number from a logical name: the same in every run, whatever else the stack holds."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def computed_attributes(type_token: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes AWS computes for a resource of ``type_token`` called ``name``."""
    return _attributes(type_token, name, inputs, stable_number(name))


def _attributes(t: str, name: str, inputs: Mapping[str, Any], n: int) -> dict[str, Any]:
    """Attributes AWS computes, in the shapes the provider returns."""
    if t == "aws:rds/instance:Instance":
        ident = inputs.get("identifier") or f"{name}-{n % 10000:04d}"
        address = f"{ident}.abc123xyz.us-east-1.rds.amazonaws.com"
        return {
            "identifier": ident,
            "address": address,
            "port": 3306,
            "endpoint": f"{address}:3306",
            "arn": f"arn:aws:rds:us-east-1:123456789012:db:{ident}",
            # RDS picks the newest minor of a line; a pinned MAJOR.MINOR.PATCH is itself.
            "engineVersionActual": _actual_version(str(inputs.get("engineVersion", "8.4"))),
        }
    if t == "aws:rds/cluster:Cluster":
        ident = inputs.get("clusterIdentifier") or f"{name}-{n % 10000:04d}"
        return {
            "clusterIdentifier": ident,
            "endpoint": f"{ident}.cluster-abc123xyz.us-east-1.rds.amazonaws.com",
            "readerEndpoint": f"{ident}.cluster-ro-abc123xyz.us-east-1.rds.amazonaws.com",
            "port": 3306,
            "arn": f"arn:aws:rds:us-east-1:123456789012:cluster:{ident}",
            # A Multi-AZ DB cluster always has three instances (one writer, two readers).
            "clusterMembers": [f"{ident}-instance-{i}" for i in (1, 2, 3)],
            "engineVersionActual": _actual_version(str(inputs.get("engineVersion", "8.4"))),
        }
    if t == "aws:ec2/instance:Instance":
        return {
            "publicIp": f"198.51.100.{n % 250}",
            "publicDns": f"ec2-198-51-100-{n % 250}.compute-1.amazonaws.com",
            "privateIp": f"10.40.0.{n % 250}",
        }
    if t in (
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aws:rds/subnetGroup:SubnetGroup",
    ):
        return {"name": f"{name}-{n % 10000:04d}"}
    if t == "aws:ec2/keyPair:KeyPair":
        return {"keyName": f"{name}-{n % 10000:04d}"}
    if t == "aws:iam/role:Role" or t == "aws:iam/instanceProfile:InstanceProfile":
        return {"name": f"{name}-{n % 10000:04d}", "arn": f"arn:aws:iam::123456789012:role/{name}"}
    if t == "aws:ec2/eip:Eip":
        return {
            "allocationId": f"eipalloc-{n % 16**17:017x}",
            "publicIp": f"203.0.113.{n % 250}",
            "publicDns": f"ec2-203-0-113-{n % 250}.compute-1.amazonaws.com",
        }
    if t == "aws:cloudwatch/logGroup:LogGroup":
        return {"arn": f"arn:aws:logs:us-east-1:123456789012:log-group:{inputs.get('name')}"}
    if t == "aws:kms/key:Key":
        key_id = f"{n % 16**8:08x}-0000-4000-8000-{n % 16**12:012x}"
        return {"keyId": key_id, "arn": f"arn:aws:kms:us-east-1:123456789012:key/{key_id}"}
    if t == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{inputs.get('bucketPrefix', name)}{n % 16**8:08x}"
        return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    if t == "aws:sns/topic:Topic":
        topic = inputs.get("name") or f"{name}-{n % 16**7:07x}"
        return {"name": topic, "arn": f"arn:aws:sns:us-east-1:123456789012:{topic}"}
    if t == "aws:glue/catalogDatabase:CatalogDatabase":
        return {"arn": f"arn:aws:glue:us-east-1:123456789012:database/{inputs.get('name')}"}
    if t == "aws:athena/workgroup:Workgroup":
        return {"arn": f"arn:aws:athena:us-east-1:123456789012:workgroup/{inputs.get('name')}"}
    if t == "aws:iam/policy:Policy":
        # name_prefix: the provider appends a 26-character unique suffix.
        prefix = inputs.get("namePrefix")
        suffixed = f"{prefix}{n % 10**26:026d}" if prefix else f"{name}-{n % 10000:04d}"
        policy = inputs.get("name") or suffixed
        return {"name": policy, "arn": f"arn:aws:iam::123456789012:policy/{policy}"}
    if t == "aws:glue/crawler:Crawler":
        return {"name": inputs.get("name") or f"{name}-{n % 10000:04d}"}
    if t == "random:index/randomId:RandomId":
        hex_ = f"{n % 2**32:08x}"
        return {"hex": hex_, "dec": str(n), "b64Url": hex_, "b64Std": hex_}
    if t == "random:index/randomPassword:RandomPassword":
        return {"result": f"Gen3rated-{n}-Pw!Aa99", "bcryptHash": "$2a$10$mock"}
    return {}
