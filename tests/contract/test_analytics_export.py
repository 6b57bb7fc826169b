"""``mysql-platform analytics export``: contract tests against moto, recorded responses for what
moto cannot produce (see tests/support/aws_cloud.py for which is which)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from mysql_platform import errors
from mysql_platform.analytics import aws_calls, snapshot_export
from tests.contract.conftest import run
from tests.support import aws_cloud
from tests.support.aws_cloud import BUCKET, CRAWLER, DATABASE, INSTANCE, REGION, ROLE_ARN, Cloud

NOW = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)


def export(cloud: Cloud, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return run(capsys, "export", "dev", "--outputs", str(cloud.outputs), "--poll", "0", *extra)


def test_export_exports_the_newest_snapshot_crawls_and_lists_the_tables(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_cloud.crawler_stand_in(monkeypatch)
    code, out, err = export(cloud, capsys)
    assert code == 0, err
    (task,) = cloud.client("rds").describe_export_tasks()["ExportTasks"]
    (snapshot,) = cloud.client("rds").describe_db_snapshots(DBInstanceIdentifier=INSTANCE)["DBSnapshots"]
    assert task["SourceArn"] == snapshot["DBSnapshotArn"] and snapshot["SnapshotType"] == "automated"
    assert (task["S3Bucket"], task["S3Prefix"]) == (BUCKET, "exports")
    assert (task["IamRoleArn"], task["KmsKeyId"]) == (ROLE_ARN, cloud.key_arn)
    assert "ExportOnly" not in task or not task["ExportOnly"]
    assert task["ExportTaskIdentifier"].startswith("mp-dev-")
    assert f"to s3://{BUCKET}/exports/{task['ExportTaskIdentifier']}/ as Parquet" in out
    assert "app_orders" in out and "<- app.orders" in out and "app_customers" in out
    assert 'analytics query dev "SELECT count(*) FROM app_customers"' in out
    assert cloud.client("glue").get_crawler(Name=CRAWLER)["Crawler"]["State"] == "READY"


def test_tables_become_a_partial_export(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_cloud.crawler_stand_in(monkeypatch)
    code, out, err = export(cloud, capsys, "--tables", "app.orders")
    assert code == 0, err
    (task,) = cloud.client("rds").describe_export_tasks()["ExportTasks"]
    assert task["ExportOnly"] == ["app.orders"]
    assert "app_orders" in out and "app_customers" not in out


@pytest.mark.parametrize("bad", ["orders", "app.orders.x", "app.or ders", ","])
def test_a_bad_tables_list_is_refused_before_any_call(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    code, _, err = export(cloud, capsys, "--tables", bad)
    assert code == errors.EXIT_BAD_INPUT and "--tables" in err
    assert cloud.client("rds").describe_export_tasks()["ExportTasks"] == []


def test_the_previous_exports_tables_are_dropped_and_nothing_else(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    glue = cloud.client("glue")
    old = f"s3://{BUCKET}/exports/mp-dev-202611200000-20261120000000/app/app.orders/"
    for name, kind, location in (
        ("app_orders", "EXTERNAL_TABLE", old),
        ("orders_by_day", "VIRTUAL_VIEW", ""),
        ("landing_events", "EXTERNAL_TABLE", "s3://another-bucket/events/"),
    ):
        glue.create_table(
            DatabaseName=DATABASE,
            TableInput={"Name": name, "TableType": kind, "StorageDescriptor": {"Location": location}},
        )
    aws_cloud.crawler_stand_in(monkeypatch)
    code, out, err = export(cloud, capsys)
    assert code == 0, err
    assert "dropped the catalog entries of the previous export: app_orders" in out
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=DATABASE)["TableList"]}
    assert set(tables) == {"app_orders", "app_customers", "orders_by_day", "landing_events"}
    (task,) = cloud.client("rds").describe_export_tasks()["ExportTasks"]
    assert task["ExportTaskIdentifier"] in tables["app_orders"]["StorageDescriptor"]["Location"]


def test_a_crawler_name_other_than_expected_is_reported(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_cloud.crawler_stand_in(monkeypatch, name=lambda folder: folder.replace(".", "_") + "_0f3a")
    code, out, err = export(cloud, capsys, "--tables", "app.orders")
    assert code == 0, err
    assert "(named app_orders_0f3a, not app_orders: use app_orders_0f3a)" in out


def crawl_creates(monkeypatch: pytest.MonkeyPatch, tables: dict[str, str]) -> None:
    """After each StartCrawler, the Glue tables ``tables`` names (name -> folder under the newest
    export): what a crawl that merged folders, or named them otherwise, leaves."""
    real = aws_calls.client

    def crawl(**_: Any) -> None:
        task = real("rds", REGION).describe_export_tasks()["ExportTasks"][-1]
        export_url = f"s3://{task['S3Bucket']}/{task['S3Prefix']}/{task['ExportTaskIdentifier']}/"
        for name, folder in tables.items():
            real("glue", REGION).create_table(
                DatabaseName=DATABASE,
                TableInput={"Name": name, "TableType": "EXTERNAL_TABLE",
                            "StorageDescriptor": {"Location": export_url + folder}},
            )  # fmt: skip

    def client(service: str, region: str) -> Any:
        made = real(service, region)
        if service == "glue":
            made.meta.events.register("after-call.glue.StartCrawler", crawl)
        return made

    monkeypatch.setattr(aws_calls, "client", client)


def test_names_swapped_by_the_crawler_are_reported(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    crawl_creates(monkeypatch, {"app_customers": "app/app.orders/", "app_orders": "app/app.customers/"})
    code, out, err = export(cloud, capsys, "--tables", "app.orders,app.customers")
    assert code == 0, err
    assert "(named app_customers, not app_orders: use app_customers)" in out
    assert (
        "warning: Glue table app_orders reads 'app/app.customers', but that name is the one "
        "mysql-platform local query gives 'app/app.orders'" in err
    )


def test_a_table_over_several_folders_and_a_missing_one_are_reported(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    crawl_creates(monkeypatch, {"app": "app/"})
    code, out, err = export(cloud, capsys, "--tables", "app.orders,app.customers")
    assert code == 0, err
    assert "app                          <- app   (not one table's folder" in out
    assert "warning: Glue table app covers 'app', not one table's folder" in err
    assert "warning: app.orders was exported, but the crawler catalogued no table at its folder" in err
    assert "Traceback" not in err


def test_an_empty_crawl_is_a_failure(cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
    # moto's crawler itself creates no table: what a real crawl of an empty export does.
    code, _, err = export(cloud, capsys)
    assert code == errors.EXIT_TASK_FAILED and "catalogued no table under" in err


def test_no_crawl(cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = export(cloud, capsys, "--no-crawl")
    assert code == 0 and f"run the Glue crawler {CRAWLER}" in out


def test_a_missing_snapshot_is_named(cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = export(cloud, capsys, "--snapshot", "nightly-1")
    assert code == errors.EXIT_NOT_FOUND
    assert "reading DB snapshot 'nightly-1'" in err and "DBSnapshotNotFound" in err


def test_a_manual_snapshot_can_be_named(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rds = cloud.client("rds")
    manual = rds.create_db_snapshot(DBInstanceIdentifier=INSTANCE, DBSnapshotIdentifier="before-migration")
    aws_cloud.crawler_stand_in(monkeypatch)
    code, out, err = export(cloud, capsys, "--snapshot", "before-migration")
    assert code == 0, err
    assert rds.describe_export_tasks()["ExportTasks"][0]["SourceArn"] == manual["DBSnapshot"]["DBSnapshotArn"]
    assert "exporting manual snapshot before-migration" in out


def test_the_outputs_must_have_analytics_and_be_this_stacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = aws_cloud.write_outputs(tmp_path / "plain.json", "arn:aws:kms:us-east-1:1:key/x")
    data = json.loads(plain.read_text())
    del data["analytics"]
    plain.write_text(json.dumps(data))
    code, _, err = run(capsys, "export", "dev", "--outputs", str(plain))
    assert code == errors.EXIT_BAD_INPUT and "analyticsEnabled: true" in err
    code, _, err = run(capsys, "export", "prod", "--outputs", str(plain))
    assert code == errors.EXIT_BAD_INPUT and "outputs of stack 'dev', not 'prod'" in err


def test_without_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    outputs = aws_cloud.write_outputs(tmp_path / "o.json", "arn:aws:kms:us-east-1:1:key/x")
    code, _, err = run(capsys, "export", "dev", "--outputs", str(outputs))
    assert code == errors.EXIT_DENIED and "no AWS credentials" in err and "Traceback" not in err


def test_without_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "boto3", None)
    code, _, err = run(capsys, "query", "dev", "SELECT 1", "--outputs", str(tmp_path / "o.json"))
    assert code == errors.EXIT_BAD_INPUT and "pip install 'mysql-platform[analytics]'" in err


# --- recorded responses: what moto cannot do -------------------------------------------------------


def _snapshot(identifier: str, created: dt.datetime, status: str = "available") -> dict[str, Any]:
    return {
        "DBSnapshotIdentifier": identifier,
        "DBSnapshotArn": f"arn:aws:rds:{REGION}:123456789012:snapshot:{identifier}",
        "SnapshotCreateTime": created,
        "SnapshotType": "automated",
        "DBInstanceIdentifier": INSTANCE,
        "Status": status,
    }


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Stubber]]:
    aws_cloud.fake_credentials(monkeypatch)
    clients = {s: boto3.client(s, region_name=REGION) for s in ("rds", "glue", "athena")}
    stubs = {s: Stubber(c) for s, c in clients.items()}
    monkeypatch.setattr(aws_calls, "client", lambda service, region: clients[service])
    for stub in stubs.values():
        stub.activate()
    yield stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    return aws_cloud.write_outputs(tmp_path / "o.json", f"arn:aws:kms:{REGION}:123456789012:key/k")


def _newest(stubs: dict[str, Stubber]) -> None:
    snapshots = [
        _snapshot("rds:old", dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC)),
        _snapshot("rds:newest", dt.datetime(2026, 11, 27, 3, tzinfo=dt.UTC)),
        _snapshot("rds:taking", dt.datetime(2026, 11, 27, 4, tzinfo=dt.UTC), status="creating"),
    ]
    stubs["rds"].add_response(
        "describe_db_snapshots",
        {"DBSnapshots": snapshots},
        {"DBInstanceIdentifier": INSTANCE, "SnapshotType": "automated"},
    )


def test_the_newest_available_automated_snapshot_is_chosen(stubbed: dict[str, Stubber]) -> None:
    _newest(stubbed)
    chosen = snapshot_export.newest_automated(aws_calls.client("rds", REGION), INSTANCE)
    assert chosen.identifier == "rds:newest"


def test_no_automated_snapshot_yet(
    stubbed: dict[str, Stubber], outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stubbed["rds"].add_response("describe_db_snapshots", {"DBSnapshots": []})
    code, _, err = run(capsys, "export", "dev", "--outputs", str(outputs))
    assert code == errors.EXIT_NOT_FOUND
    assert f"DB instance '{INSTANCE}' has no available automated snapshot yet" in err and "--snapshot" in err


@pytest.mark.parametrize(
    ("code_name", "message"),
    [
        ("IamRoleNotFound", "The IAM Role arn:aws:iam::123456789012:role/x isn't found"),
        ("IamRoleMissingPermissions", "The IAM Role needs s3:PutObject on the bucket"),
        ("KMSKeyNotAccessibleFault", "The specified KMS key is not accessible"),
    ],
)
def test_a_role_or_key_aws_refuses_is_denied(
    stubbed: dict[str, Stubber],
    outputs: Path,
    capsys: pytest.CaptureFixture[str],
    code_name: str,
    message: str,
) -> None:
    _newest(stubbed)
    stubbed["rds"].add_client_error(
        "start_export_task", service_error_code=code_name, service_message=message
    )
    code, _, err = run(capsys, "export", "dev", "--outputs", str(outputs))
    assert code == errors.EXIT_DENIED
    assert f"AWS said {code_name}: {message}" in err and "snapshot 'rds:newest'" in err


def _task(status: str, percent: int, **more: Any) -> dict[str, Any]:
    return {
        "ExportTasks": [{"ExportTaskIdentifier": "t", "Status": status, "PercentProgress": percent, **more}]
    }


def test_progress_is_shown_and_a_failed_task_is_an_error(
    stubbed: dict[str, Stubber], outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _newest(stubbed)
    stubbed["rds"].add_response("start_export_task", {"Status": "STARTING"})
    for answer in (
        _task("STARTING", 0),
        _task("STARTING", 0),
        _task("IN_PROGRESS", 40, TotalExtractedDataInGB=3),
        _task("FAILED", 40, FailureCause="S3 bucket mysql-platform-dev-analytics is in another region"),
    ):
        stubbed["rds"].add_response("describe_export_tasks", answer)
    code, _, err = run(capsys, "export", "dev", "--outputs", str(outputs), "--poll", "0")
    assert code == errors.EXIT_TASK_FAILED
    lines = [line for line in err.splitlines() if line.startswith("export mp-dev-")]
    assert [line.split(": ", 1)[1] for line in lines] == ["  0%", " 40% 3 GB extracted", " 40%"]
    assert "ended FAILED: S3 bucket mysql-platform-dev-analytics is in another region" in err


def test_a_failed_crawl_is_an_error(
    stubbed: dict[str, Stubber], outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _newest(stubbed)
    stubbed["rds"].add_response("start_export_task", {"Status": "STARTING"})
    stubbed["rds"].add_response("describe_export_tasks", _task("COMPLETE", 100))
    stubbed["glue"].add_response("get_tables", {"TableList": []})
    stubbed["glue"].add_response("start_crawler", {}, {"Name": CRAWLER})
    stubbed["glue"].add_response("get_crawler", {"Crawler": {"Name": CRAWLER, "State": "RUNNING"}})
    failed = {"Status": "FAILED", "ErrorMessage": "Service is unable to assume provided role"}
    stubbed["glue"].add_response(
        "get_crawler", {"Crawler": {"Name": CRAWLER, "State": "READY", "LastCrawl": failed}}
    )
    code, _, err = run(capsys, "export", "dev", "--outputs", str(outputs), "--poll", "0")
    assert code == errors.EXIT_TASK_FAILED
    assert f"Glue crawler '{CRAWLER}' ended FAILED: Service is unable to assume provided role" in err


def test_a_task_still_running_at_the_timeout_is_left_running(stubbed: dict[str, Stubber]) -> None:
    stubbed["rds"].add_response("describe_export_tasks", _task("IN_PROGRESS", 10))
    ticks = iter([0.0, 100.0])
    with pytest.raises(snapshot_export.TaskFailed, match="goes on in AWS"):
        snapshot_export.wait(
            aws_calls.client("rds", REGION), "t", lambda _s: None, timeout_s=60, poll_s=1,
            sleep=lambda _s: None, clock=lambda: next(ticks),
        )  # fmt: skip


def test_the_export_identifier_is_unique_per_run_and_valid() -> None:
    snap = snapshot_export.Snapshot(
        "rds:x", "arn", dt.datetime(2026, 11, 27, 3, 5, tzinfo=dt.UTC), "automated", "i"
    )
    assert snapshot_export.export_identifier("dev", snap, NOW) == "mp-dev-202611270305-20261127160000"
    long = snapshot_export.export_identifier("My_Very--Long.Stack.Name" * 3, snap, NOW)
    assert len(long) <= 60 and "--" not in long and long.endswith("-202611270305-20261127160000")


def test_ctrl_c_while_waiting_says_the_task_goes_on(
    cloud: Cloud, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(snapshot_export, "wait", interrupted)
    code, _, err = export(cloud, capsys)
    assert code == errors.EXIT_INTERRUPTED and "what was started in AWS goes on" in err
    assert len(cloud.client("rds").describe_export_tasks()["ExportTasks"]) == 1
