"""The bootstrap against careless and hostile input, without a database server: bad numbers,
hostile outputs files, environment names that would leave the outputs folder, file modes.

Every case fails before a server would be reached (the ``no_connection`` fixture makes sure),
or at the closed port the outputs name as the writer (a run that gets as far as connecting
exits 3, not 2).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from mysql_platform import errors
from mysql_platform.core import outputs
from mysql_platform.db import bootstrap, bootstrap_options
from mysql_platform.db import connection as db
from tests.support.bootstrap_input import one_line, run, write_outputs
from tests.unit.test_bootstrap_cli import outputs_dict

# --- 6: bad numbers, files and names ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1e999", "86401"])
@pytest.mark.parametrize("option", ["--connect-timeout", "--replication-timeout"])
def test_rejects_a_timeout_that_is_not_a_finite_positive_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, option: str, value: str
) -> None:
    path = write_outputs(tmp_path, outputs_dict())
    code, _out, err = run(capsys, "--outputs", str(path), f"{option}={value}")
    assert code == errors.EXIT_BAD_INPUT
    assert f"{option} must be a positive, finite number of seconds up to 86400" in one_line(err)


def test_backoff_refuses_a_deadline_that_never_comes() -> None:
    for value in (float("nan"), float("inf"), 0.0):
        with pytest.raises(ValueError, match="deadline_s must be a positive finite number"):
            db.Backoff(deadline_s=value)


def test_rejects_a_port_with_thousands_of_digits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None
) -> None:
    text = json.dumps(outputs_dict()).replace('"readers": []', '"readers": [{"host": "h", "port": 1}]')
    path = tmp_path / "outputs.json"
    path.write_text(text.replace('"port": 1}', '"port": ' + "7" * 5000 + "}"))
    code, _out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    assert "holds a number with 5000 digits (at most 20 expected)" in one_line(err)


@pytest.mark.parametrize("depth", [100_000, 2_000])
def test_rejects_deeply_nested_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, depth: int
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text('{"environment": ' + "[" * depth + "]" * depth + "}")
    code, _out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    line = one_line(err)
    assert "nests objects or lists too deeply" in line or "key 'environment' must be a string" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"environment": NaN}', "holds NaN, which JSON does not allow"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"{" + b" " * (1 << 20) + b"}", "is larger than 1048576 bytes: not stack outputs"),
    ],
    ids=["nan", "not_utf8", "huge"],
)
def test_rejects_other_hostile_outputs_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, text: bytes, expected: str
) -> None:
    path = tmp_path / "outputs.json"
    path.write_bytes(text)
    code, _out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    assert expected in one_line(err)


@pytest.mark.parametrize("environment", ["../../escaped", "dev/../../x", "/etc/x", "..", ".hidden", "a\nb"])
def test_rejects_an_environment_name_that_could_leave_the_outputs_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_connection: None, environment: str
) -> None:
    path = write_outputs(tmp_path, outputs_dict(environment=environment))
    code, _out, err = run(capsys, "--outputs", str(path))
    assert code == errors.EXIT_BAD_INPUT
    assert "key 'environment' must be a stack name" in one_line(err)


def test_password_file_refuses_an_environment_that_escapes_even_from_the_api(tmp_path: Path) -> None:
    parsed = outputs.parse_outputs(outputs_dict())
    escaped = type(parsed)(**{**parsed.__dict__, "environment": "../../escaped"})
    with pytest.raises(bootstrap.BadInput, match="cannot name the app password file"):
        bootstrap_options.password_file(escaped, bootstrap.Options(), tmp_path / "o.json")
    assert (
        bootstrap_options.password_file(parsed, bootstrap.Options(), tmp_path / "o.json").parent == tmp_path
    )


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_warns_when_the_outputs_file_is_readable_by_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: int
) -> None:
    path = write_outputs(tmp_path, outputs_dict(), mode=mode)
    code, _out, err = run(
        capsys, "--outputs", str(path), "--connect-timeout", "0.01", "--insecure-skip-verify"
    )
    assert code == errors.EXIT_CONNECT
    warnings = [line for line in err.splitlines() if "readable by group/others" in line]
    assert warnings == [
        f"bootstrap: warning: outputs file '{path}' holds the master password and is readable by "
        f"group/others (mode {mode:04o}); run: chmod 600 '{path}'"
    ]


def test_no_warning_for_a_private_outputs_file(tmp_path: Path) -> None:
    path = write_outputs(tmp_path, outputs_dict(), mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert outputs.permission_warning(path) is None
