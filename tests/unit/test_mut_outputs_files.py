"""The outputs read from a file: size limit, unreadable, non-UTF-8 and invalid JSON, bounded
numbers and nesting, and the warning about a file others can read.

Written against the survivors of a mutation run (tests/mutation/). Pure: no Pulumi, no server.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mysql_platform.core import outputs
from mysql_platform.core.outputs import OutputsError
from tests.support.outputs_samples import EXPECTED, raw

# --- files ------------------------------------------------------------------------------------


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "outputs.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def file_error(path: Path) -> str:
    with pytest.raises(OutputsError) as info:
        outputs.from_json_file(path)
    return str(info.value)


def test_reads_a_file_given_as_str_or_path(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(raw()))
    assert outputs.from_json_file(path) == EXPECTED
    assert outputs.load(str(path)) == EXPECTED
    assert outputs.load(path) == EXPECTED


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    text = json.dumps(raw())
    path = write(tmp_path, text + " " * (outputs.MAX_FILE_BYTES - len(text)))
    assert path.stat().st_size == outputs.MAX_FILE_BYTES
    assert outputs.from_json_file(path) == EXPECTED


def test_rejects_a_file_one_byte_over_the_limit(tmp_path: Path) -> None:
    text = json.dumps(raw())
    path = write(tmp_path, text + " " * (outputs.MAX_FILE_BYTES + 1 - len(text)))
    assert file_error(path) == f"outputs: file '{path}' is larger than 1048576 bytes: not stack outputs"


def test_rejects_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    assert file_error(path) == f"outputs: cannot read file '{path}': No such file or directory"


def test_rejects_non_utf8_bytes_naming_the_offset(tmp_path: Path) -> None:
    path = write(tmp_path, b'{"a": "\xff"}')
    assert file_error(path) == f"outputs: file '{path}' is not UTF-8 text (byte 7)"


def test_rejects_invalid_json_naming_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "a": }')
    assert file_error(path) == (
        f"outputs: file '{path}' is not valid JSON (line 2, column 8: Expecting value)"
    )


@pytest.mark.parametrize(("digits", "ok"), [(20, True), (21, False)])
def test_numbers_are_bounded_to_twenty_digits(tmp_path: Path, digits: int, ok: bool) -> None:
    path = write(tmp_path, json.dumps(raw()).replace('"vpc-0abc"', "-" + "9" * digits))
    message = file_error(path)
    if ok:  # parsed as a number: the parser then names the key (and keeps the number out of it)
        assert message == "outputs: key 'vpc_id' must be a non-empty string, got int (too large)"
    else:
        assert message == f"outputs: file '{path}' holds a number with 21 digits (at most 20 expected)"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_rejects_non_json_constants(tmp_path: Path, constant: str) -> None:
    path = write(tmp_path, json.dumps(raw()).replace('"vpc-0abc"', constant))
    assert file_error(path) == f"outputs: file '{path}' holds {constant}, which JSON does not allow"


def test_rejects_deep_nesting(tmp_path: Path) -> None:
    path = write(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert file_error(path) == f"outputs: file '{path}' nests objects or lists too deeply to be stack outputs"


def test_permission_warning_names_the_mode_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "{}")
    os.chmod(path, 0o600)
    assert outputs.permission_warning(path) is None
    os.chmod(path, 0o640)
    assert outputs.permission_warning(str(path)) == (
        f"outputs file '{path}' holds the master password and is readable by group/others "
        f"(mode 0640); run: chmod 600 '{path}'"
    )
    os.chmod(path, 0o604)
    assert "(mode 0604)" in (outputs.permission_warning(path) or "")
    os.chmod(path, 0o620)  # writable, not readable, by the group
    assert outputs.permission_warning(path) is None
    assert outputs.permission_warning(tmp_path / "absent.json") is None


def test_rejects_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "outputs.json"
    os.mkfifo(fifo)
    with pytest.raises(outputs.OutputsError, match=r"is not a regular file"):
        outputs.from_json_file(fifo)  # opening it for reading would block until someone writes


def test_a_file_that_fails_while_read_is_named_with_the_systems_reason() -> None:
    # /proc/self/mem is a regular file whose first page is unmapped: reading it fails with EIO.
    with pytest.raises(outputs.OutputsError) as info:
        outputs.from_json_file("/proc/self/mem")
    assert str(info.value) == "outputs: cannot read file '/proc/self/mem': Input/output error"
