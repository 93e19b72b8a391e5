"""Reading JSON input for the CLI: files or stdin, with a size cap and strict parsing.

The parser is strict on purpose (RFC 8259 plus): no duplicate member names (two
verifiers must never read two different values), no ``NaN`` / ``Infinity``, UTF-8
only (a leading byte order mark is tolerated), at most :data:`MAX_INPUT_BYTES`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from microcred.errors import InvalidInput
from microcred.lexical import loads_strict_json

__all__ = ["MAX_INPUT_BYTES", "parse_json", "read_input", "read_json", "write_output"]

#: Largest input accepted (1 MiB); real credentials are a few kilobytes.
MAX_INPUT_BYTES = 1024 * 1024
_BOM = b"\xef\xbb\xbf"


def _display(source: str) -> str:
    return "standard input" if source == "-" else source


def read_input(source: str, *, stdin: BinaryIO | None = None) -> bytes:
    """The bytes of ``source`` (a path, or ``-`` for stdin), at most 1 MiB."""
    limit = MAX_INPUT_BYTES
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(limit + 1)
    else:
        path = Path(source)
        if path.is_dir():
            raise IsADirectoryError(21, "is a directory", source)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            f"{_display(source)} is larger than {limit // 1024} KiB; a credential is much smaller"
        )
    return data


def parse_json(data: bytes, *, source: str = "input") -> Any:
    """Parse ``data`` as strict JSON; any problem is an :class:`InvalidInput`."""
    where = _display(source)
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if b"\x00" in data:
        raise InvalidInput(f"{where} is binary data, not JSON text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{where} is not UTF-8 text (binary data?), so it is not JSON") from None
    if not text.strip():
        raise InvalidInput(f"{where} is empty")
    try:
        return loads_strict_json(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{where} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise InvalidInput(f"{where} is nested too deeply to be a credential") from None
    except ValueError as error:  # duplicate names, NaN, over-long integers
        raise InvalidInput(f"{where} is not valid JSON: {error}") from None


def read_json(source: str, *, stdin: BinaryIO | None = None) -> Any:
    """Read and parse ``source`` (path or ``-``)."""
    return parse_json(read_input(source, stdin=stdin), source=source)


def write_output(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file, then a rename)."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(21, "is a directory", path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidInput(f"cannot write {path}: the directory {directory} does not exist")
    fd, temp = tempfile.mkstemp(prefix=".microcred-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
