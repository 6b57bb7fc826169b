"""A stack's analytics resources in moto (the AWS API emulator), and recorded responses where moto
lacks a behaviour.

moto 5.2.5 emulates: DescribeDBSnapshots (an automated snapshot exists once an instance is
created), StartExportTask and DescribeExportTasks (the task is "complete" at once, in lower case,
and nothing is written to S3), Glue databases, crawlers (Start/GetCrawler; with the state
manager's "immediate" transition a run ends at once) and tables, and Athena query executions
(results are whatever was registered through moto's API beforehand; DataScannedInBytes is 0).
It has no UpdateCrawler, and its crawler creates no table: ``crawler_stand_in`` creates the
tables a real crawl of the export would, named by the rule the command expects. Failures moto
cannot produce (a denied role, a failed task or crawl, a failed query) are botocore Stubber
responses, whose shapes botocore checks against the service model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws
from moto.moto_api import state_manager

from mysql_platform.analytics import aws_calls
from tests.support.outputs_samples import raw

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "dev"
INSTANCE = "mysql-dev-primary-1a2b3c4d"
BUCKET = "mysql-platform-dev-analytics-20261127"
DATABASE = "mysql_platform_dev"
CRAWLER = "analytics-crawler-5e6f7a8b"
WORKGROUP = "mysql-platform-dev"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/analytics-export-role-1234567"
DEFAULT_TABLES = ("app.customers", "app.orders")


@dataclass
class Cloud:
    outputs: Path
    key_arn: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)


def analytics_block(key_arn: str) -> dict[str, str]:
    return {
        "bucket": BUCKET,
        "export_prefix": "exports/",
        "export_role_arn": ROLE_ARN,
        "key_arn": key_arn,
        "glue_database": DATABASE,
        "crawler": CRAWLER,
        "workgroup": WORKGROUP,
        "source_db_instance": INSTANCE,
    }


def write_outputs(path: Path, key_arn: str, **changes: Any) -> Path:
    path.write_text(json.dumps(raw(analytics=analytics_block(key_arn), **changes)))
    return path


def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _provision(key_arn_out: list[str]) -> None:
    kms = boto3.client("kms", region_name=REGION)
    key_arn_out.append(kms.create_key(Description="analytics")["KeyMetadata"]["Arn"])
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier=INSTANCE,
        Engine="mysql",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password-1",
        BackupRetentionPeriod=7,
    )
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": DATABASE})
    glue.create_crawler(
        Name=CRAWLER,
        Role=f"arn:aws:iam::{ACCOUNT}:role/analytics-crawler-role",
        DatabaseName=DATABASE,
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/exports/"}]},
    )
    boto3.client("athena", region_name=REGION).create_work_group(
        Name=WORKGROUP,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/results/"},
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": 10 * 1024 * 1024 * 1024,
        },
    )


@contextmanager
def moto_cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    fake_credentials(monkeypatch)
    with mock_aws():
        state_manager.set_transition(model_name="glue::crawl", transition={"progression": "immediate"})
        try:
            key: list[str] = []
            _provision(key)
            yield Cloud(write_outputs(tmp_path / "outputs.json", key[0]), key[0])
        finally:
            state_manager.unset_transition(model_name="glue::crawl")


def crawler_stand_in(monkeypatch: pytest.MonkeyPatch, name: Callable[[str], str] | None = None) -> list[str]:
    """After each StartCrawler, create the Glue tables a crawl of the newest export would: one per
    exported table, at its folder. ``name`` maps a folder (``app.orders``) to the table name
    (default: the command's rule). Returns the names created."""
    created: list[str] = []
    real = aws_calls.client

    def crawl(**_: Any) -> None:
        rds, glue = real("rds", REGION), real("glue", REGION)
        task = rds.describe_export_tasks()["ExportTasks"][-1]
        for table in task.get("ExportOnly") or DEFAULT_TABLES:
            database, _, _t = table.partition(".")
            folder = f"s3://{task['S3Bucket']}/{task['S3Prefix']}/{task['ExportTaskIdentifier']}/{database}/{table}/"
            table_name = name(table) if name else table.replace(".", "_").lower()
            glue.create_table(
                DatabaseName=DATABASE,
                TableInput={
                    "Name": table_name,
                    "TableType": "EXTERNAL_TABLE",
                    "StorageDescriptor": {"Location": folder, "Columns": [{"Name": "id", "Type": "bigint"}]},
                },
            )
            created.append(table_name)

    def client(service: str, region: str) -> Any:
        made = real(service, region)
        if service == "glue":
            made.meta.events.register("after-call.glue.StartCrawler", crawl)
        return made

    monkeypatch.setattr(aws_calls, "client", client)
    return created


def seed_athena_result(columns: list[tuple[str, str]], rows: list[list[str]]) -> None:
    """The result moto's next Athena query returns (its API for that), header row first as Athena's."""
    header = {"Data": [{"VarCharValue": c} for c, _ in columns]}
    body = [{"Data": [{"VarCharValue": v} for v in row]} for row in rows]
    info = [
        {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c, "Label": c, "Type": t,
         "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": False}
        for c, t in columns
    ]  # fmt: skip
    answer = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
        json={
            "account_id": ACCOUNT,
            "region": REGION,
            "results": [{"rows": [header, *body], "column_info": info}],
        },
        timeout=5,
    )
    answer.raise_for_status()
