"""``mysql-platform analytics query``: against moto's Athena, and recorded responses for what moto
cannot produce (a failed query, a non-zero scan)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from mysql_platform import errors
from mysql_platform.analytics import athena, aws_calls
from mysql_platform.cli import analytics as cli
from tests.contract.conftest import run
from tests.support import aws_cloud
from tests.support.aws_cloud import DATABASE, REGION, WORKGROUP, Cloud

SQL = "SELECT status, count(*) AS orders FROM app_orders GROUP BY status ORDER BY orders DESC"


def test_query_prints_the_result_and_the_minimum_charge(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_cloud.seed_athena_result(
        [("status", "varchar"), ("orders", "bigint")], [["paid", "7500"], ["new", "7500"]]
    )
    code, out, err = run(capsys, "query", "dev", SQL, "--outputs", str(cloud.outputs), "--poll", "0")
    assert code == 0, err
    assert out.splitlines() == ["status  orders", "------  ------", "paid    7500", "new     7500"]
    # moto reports 0 bytes scanned: Athena still bills its 10 MB minimum.
    assert "scanned 0.00 MB, billed 10 MB (10 MB minimum): USD 0.000050 at USD 5 per TB (us-east-1)" in err
    (execution_id,) = cloud.client("athena").list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    execution = cloud.client("athena").get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["Query"] == SQL and execution["QueryExecutionContext"]["Database"] == DATABASE
    assert execution["WorkGroup"] == WORKGROUP


def test_query_json(cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
    aws_cloud.seed_athena_result([("status", "varchar"), ("orders", "bigint")], [["paid", "3"]])
    code, out, _ = run(capsys, "query", "dev", SQL, "--outputs", str(cloud.outputs), "--json", "--poll", "0")
    assert code == 0
    data = json.loads(out)
    assert data["columns"] == ["status", "orders"] and data["rows"] == [{"status": "paid", "orders": "3"}]
    assert data["types"] == ["varchar", "bigint"] and data["bytes_billed"] == 10_000_000


def test_an_unknown_workgroup_is_not_found(
    tmp_path: Path, cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    block = aws_cloud.analytics_block(cloud.key_arn) | {"workgroup": "mysql-platform-gone"}
    outputs = tmp_path / "gone.json"
    outputs.write_text(json.dumps(aws_cloud.raw(analytics=block)))
    code, _, err = run(capsys, "query", "dev", SQL, "--outputs", str(outputs))
    assert code == errors.EXIT_NOT_FOUND and "Athena workgroup 'mysql-platform-gone'" in err


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    aws_cloud.fake_credentials(monkeypatch)
    client = boto3.client("athena", region_name=REGION)
    monkeypatch.setattr(aws_calls, "client", lambda service, region: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _execution(state: str, scanned: int = 0, reason: str = "") -> dict[str, Any]:
    status: dict[str, Any] = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    return {
        "QueryExecution": {
            "QueryExecutionId": "q-1",
            "Status": status,
            "Statistics": {"DataScannedInBytes": scanned},
        }
    }


def _started(stub: Stubber) -> None:
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {"QueryString": ANY, "WorkGroup": WORKGROUP, "QueryExecutionContext": {"Database": DATABASE}},
    )


def test_a_failed_query_gives_athenas_reason(
    stub: Stubber, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = aws_cloud.write_outputs(tmp_path / "o.json", f"arn:aws:kms:{REGION}:1:key/k")
    _started(stub)
    stub.add_response("get_query_execution", _execution("RUNNING"))
    reason = "Query exhausted the bytes scanned limit of 10737418240 bytes set by the workgroup"
    stub.add_response("get_query_execution", _execution("FAILED", reason=reason))
    code, _, err = run(
        capsys, "query", "dev", "SELECT * FROM app_orders", "--outputs", str(outputs), "--poll", "0"
    )
    assert code == errors.EXIT_TASK_FAILED and f"query q-1 FAILED: {reason}" in err


def _result(rows: list[list[str]]) -> dict[str, Any]:
    return {
        "ResultSet": {
            "Rows": [{"Data": [{"VarCharValue": v} for v in row]} for row in rows],
            "ResultSetMetadata": {"ColumnInfo": [{"Name": "n", "Type": "bigint"}]},
        }
    }


def test_scanned_bytes_are_billed_by_the_megabyte(
    stub: Stubber, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = aws_cloud.write_outputs(tmp_path / "o.json", f"arn:aws:kms:{REGION}:1:key/k")
    _started(stub)
    stub.add_response("get_query_execution", _execution("SUCCEEDED", scanned=123_456_789))
    stub.add_response("get_query_results", _result([["n"], ["1"], ["2"], ["3"]]))
    code, out, err = run(
        capsys, "query", "dev", "SELECT n FROM t", "--outputs", str(outputs), "--max-rows", "2"
    )
    assert code == 0, err
    assert out.splitlines()[2:] == ["1", "2"]
    assert "2 row(s) (first 2; --max-rows for more); scanned 123.46 MB, billed 124 MB" in err
    assert "USD 0.000620 at USD 5 per TB" in err


def test_billed_bytes() -> None:
    assert athena.billed_bytes(0) == athena.billed_bytes(9_999_999) == 10_000_000
    assert athena.billed_bytes(10_000_001) == 11_000_000
    assert athena.billed_bytes(2_000_000_000_000) == 2_000_000_000_000


def test_a_region_without_a_vendored_price_says_so() -> None:
    assert cli.scan_cost("eu-west-1", 10_000_000).endswith("(us-east-1's rate; none vendored for eu-west-1)")
