"""The analytics commands against real AWS. Never faked: skipped with the reason instead.

They need AWS credentials and the outputs of a stack that has ``analyticsEnabled: true``
(``pulumi stack output --json --show-secrets > outputs.json``), named by
MYSQL_PLATFORM_LIVE_ANALYTICS_OUTPUTS. The query costs Athena's 10 MB minimum (USD 0.00005).
The export restores a snapshot and takes tens of minutes: it also needs MYSQL_PLATFORM_LIVE_EXPORT=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mysql_platform.cli import analytics as cli
from tests.live.test_automation_live import needs_aws

pytestmark = [pytest.mark.live, needs_aws]

OUTPUTS = os.environ.get("MYSQL_PLATFORM_LIVE_ANALYTICS_OUTPUTS", "")
needs_stack = pytest.mark.skipif(
    not OUTPUTS or not Path(OUTPUTS).is_file(),
    reason="no analytics stack: set MYSQL_PLATFORM_LIVE_ANALYTICS_OUTPUTS to the outputs file of a stack "
    "with analyticsEnabled: true",
)
needs_export_opt_in = pytest.mark.skipif(
    os.environ.get("MYSQL_PLATFORM_LIVE_EXPORT") != "1",
    reason="restores a snapshot and exports it (tens of minutes, billed per GB): "
    "set MYSQL_PLATFORM_LIVE_EXPORT=1",
)


def _stack() -> str:
    return str(json.loads(Path(OUTPUTS).read_text())["environment"])


@needs_stack
def test_a_query_runs_in_the_workgroup(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["query", _stack(), "SELECT 1 AS one", "--outputs", OUTPUTS, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["rows"] == [{"one": "1"}]


@needs_stack
@needs_export_opt_in
def test_export_then_query_the_orders(capsys: pytest.CaptureFixture[str]) -> None:
    stack = _stack()
    assert cli.main(["export", stack, "--outputs", OUTPUTS, "--tables", "app.orders"]) == 0
    assert "app_orders" in capsys.readouterr().out
    code = cli.main(["query", stack, "SELECT count(*) AS n FROM app_orders", "--outputs", OUTPUTS, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert int(json.loads(out)["rows"][0]["n"]) >= 0
