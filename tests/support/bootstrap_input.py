"""Running the bootstrap CLI in process on an outputs file, for the unit tests of its input handling.

The outputs come from ``tests.unit.test_bootstrap_cli.outputs_dict``, whose writer is a closed
port: a run that gets as far as connecting exits 3, not 2. ``run`` checks that the master
password (``PASSWORD`` there) is never printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mysql_platform.cli import bootstrap as bootstrap_cli
from tests.unit.test_bootstrap_cli import PASSWORD


def write_outputs(tmp_path: Path, data: dict[str, Any], mode: int = 0o600) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    path.chmod(mode)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = bootstrap_cli.main(list(argv))
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    """The whole of stderr, asserted to be one line without a traceback."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]
