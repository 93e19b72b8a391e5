"""Reading CLI input: size cap, strict JSON, binary, directories; the error mapping."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from microcred.cli.errors import (
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    describe_error,
    printable,
)
from microcred.cli.inputs import MAX_INPUT_BYTES, parse_json, read_input, read_json, write_output
from microcred.errors import ConfigError, InvalidInput


def test_reads_a_file_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"a": 1}')
    assert read_json(str(path)) == {"a": 1}
    assert read_json("-", stdin=io.BytesIO(b'\xef\xbb\xbf{"b": [true]}')) == {"b": [True]}


def test_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * MAX_INPUT_BYTES + b"{}")
    with pytest.raises(InvalidInput, match="larger than 1024 KiB"):
        read_input(str(path))
    exactly = tmp_path / "ok.json"
    exactly.write_bytes(b"{}" + b" " * (MAX_INPUT_BYTES - 2))
    assert read_json(str(exactly)) == {}


def test_missing_file_and_directory_are_os_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_input(str(tmp_path / "nope.json"))
    with pytest.raises(IsADirectoryError):
        read_input(str(tmp_path))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary data"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{'a': 1}", "not valid JSON (line 1, column 2"),
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b'{"a": NaN}', "NaN is not a JSON value"),
        (b"[" * 100_000, "nested too deeply"),
        (b"1" * 5000, "not valid JSON"),
    ],
)
def test_strict_parsing(data: bytes, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_json(data, source="x.json")
    assert fragment in caught.value.detail
    assert "\n" not in caught.value.detail


def test_deep_but_valid_json_parses() -> None:
    assert parse_json(b"[" * 50 + b"]" * 50) == json.loads("[" * 50 + "]" * 50)


def test_write_output_is_atomic_and_refuses_directories(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_output(str(target), "{}\n")
    assert target.read_text() == "{}\n"
    with pytest.raises(IsADirectoryError):
        write_output(str(tmp_path), "{}")
    with pytest.raises(InvalidInput, match="does not exist"):
        write_output(str(tmp_path / "missing" / "out.json"), "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_error_mapping() -> None:
    assert describe_error(InvalidInput("bad")).exit_code == EXIT_ERROR
    assert describe_error(ConfigError("no KEK")).exit_code == EXIT_ERROR
    missing = describe_error(FileNotFoundError(2, "No such file", "x.json"))
    assert (missing.exit_code, missing.message) == (EXIT_ERROR, "x.json: no such file")
    assert describe_error(KeyboardInterrupt()).exit_code == EXIT_INTERRUPTED
    bug = describe_error(ZeroDivisionError("boom"))
    assert bug.exit_code == EXIT_INTERNAL
    assert "bug" in bug.message
    carried = describe_error(InvalidInput("x", report={"checks": [1]}))
    assert carried.report == {"checks": [1]}


def test_printable_strips_terminal_escapes() -> None:
    assert printable("ok\x1b[2Jbad\u202e") == "ok?[2Jbad?"
    assert printable("a\nb\tc", one_line=True) == "a b c"
    assert len(printable("x" * 2000, one_line=True)) == 500
