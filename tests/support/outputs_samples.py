"""A complete outputs document and what it parses to: the test_mut_outputs* and test_mut_contract helpers.

``raw()`` is the document as the Pulumi CLI prints it, ``EXPECTED`` the parsed
:class:`StackOutputs`; ``error()`` returns the message of a document the parser refuses and
checks that the password is not in it. Pure: no Pulumi, no server.
"""

from __future__ import annotations

from typing import Any

import pytest

from mysql_platform.core.contract import DbInfo, Endpoint, HostInfo, ProxyInfo, Secret, StackOutputs
from mysql_platform.core.outputs import OutputsError, parse_outputs

PASSWORD = "s3cr3t-Pa55word"


def raw(**changes: Any) -> dict[str, Any]:
    """A complete CLI-style outputs document; ``changes`` replaces top-level keys (None removes)."""
    data: dict[str, Any] = {
        "environment": "dev",
        "vpc_id": "vpc-0abc",
        "host": {
            "instance_id": "i-0123",
            "public_ip": "198.51.100.7",
            "public_dns": "ec2-198-51-100-7.compute.amazonaws.com",
            "ssh_user": "ec2-user",
        },
        "db": {
            "engine": "mysql",
            "engine_version": "8.4.3",
            "writer": {"host": "primary.rds.example", "port": 3306},
            "readers": [{"host": "replica-1.rds.example", "port": 3306}, {"host": "10.0.2.5", "port": 3307}],
            "database": "app",
            "username": "admin",
            "publicly_accessible": True,
            "multi_az": False,
            "topology": "instance",
        },
        "db_password": PASSWORD,
        "proxy": {"host": "10.0.1.20", "writer_port": 6033, "reader_port": 6034},
        "ssl_ca": "/var/lib/mysql-platform/ca.pem",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


def with_db(**changes: Any) -> dict[str, Any]:
    data = raw()
    for key, value in changes.items():
        if value is None:
            data["db"].pop(key)
        else:
            data["db"][key] = value
    return data


def error(data: Any) -> str:
    with pytest.raises(OutputsError) as info:
        parse_outputs(data)
    message = str(info.value)
    assert PASSWORD not in message
    return message


EXPECTED = StackOutputs(
    environment="dev",
    vpc_id="vpc-0abc",
    host=HostInfo("i-0123", "198.51.100.7", "ec2-198-51-100-7.compute.amazonaws.com", "ec2-user"),
    db=DbInfo(
        engine="mysql",
        engine_version="8.4.3",
        writer=Endpoint("primary.rds.example", 3306),
        readers=(Endpoint("replica-1.rds.example", 3306), Endpoint("10.0.2.5", 3307)),
        database="app",
        username="admin",
        publicly_accessible=True,
        multi_az=False,
    ),
    db_password=Secret(PASSWORD),
    proxy=ProxyInfo("10.0.1.20", 6033, 6034),
    ssl_ca="/var/lib/mysql-platform/ca.pem",
)
