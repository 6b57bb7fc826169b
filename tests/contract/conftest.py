"""Contract tests: the analytics commands against moto, a maintained emulator of the AWS APIs
(no AWS account, no network), and botocore Stubber responses where moto lacks a behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mysql_platform.cli import analytics as cli
from tests.support import aws_cloud
from tests.support.aws_cloud import Cloud


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """The stack's analytics resources in moto, and an outputs file naming them."""
    with aws_cloud.moto_cloud(tmp_path, monkeypatch) as made:
        yield made


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``mysql-platform analytics ARGV``: exit code, stdout, stderr."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
