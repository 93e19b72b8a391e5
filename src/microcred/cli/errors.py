"""Errors -> messages and exit codes, in one place.

Every command runs inside :func:`cli_errors`; whatever goes wrong is turned by
:func:`describe_error` into one line on stderr and an exit code. Nothing else in
``cli/`` prints an error or picks an exit code for one.

Exit codes (scripts rely on them):

====  ===========================================================================
0     success (for ``verify``: the credential verified)
1     ``verify`` only: the credential was read but did not verify
2     bad usage or unusable input: unreadable file, not JSON, not a credential,
      unknown JSON-LD context, missing key or key-encryption key, ...
3     internal error (a bug): reported in one line; set ``MICROCRED_DEBUG=1``
      to see the traceback
130   interrupted (Ctrl-C)
====  ===========================================================================
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer

from microcred.errors import MicrocredError

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_VERIFIED",
    "EXIT_OK",
    "ErrorReport",
    "cli_errors",
    "describe_error",
    "printable",
]

EXIT_OK = 0
EXIT_NOT_VERIFIED = 1
EXIT_ERROR = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MAX_LINE = 500


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` safe for a terminal: control characters (escape sequences, bidi
    overrides) become ``?``; with ``one_line`` newlines and tabs become spaces."""
    if one_line:
        text = " ".join(text.split())
        if len(text) > _MAX_LINE:
            text = text[: _MAX_LINE - 3] + "..."
    return _CONTROL.sub("?", text)


@dataclass(frozen=True)
class ErrorReport:
    """What to tell the user about one error."""

    exit_code: int
    message: str
    type_uri: str
    title: str
    report: dict[str, Any] | None = None


def _os_error_message(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    if isinstance(error, FileNotFoundError):
        return f"{where}no such file"
    if isinstance(error, IsADirectoryError):
        return f"{where}is a directory, not a file"
    if isinstance(error, PermissionError):
        return f"{where}permission denied"
    return f"{where}{error.strerror or error}"


def describe_error(error: BaseException) -> ErrorReport:
    """The one mapping from an exception to an exit code and a one-line message."""
    problems = "https://microcred.dev/problems/"
    if isinstance(error, MicrocredError):
        report = error.extra.get("report")
        return ErrorReport(
            EXIT_ERROR,
            error.detail,
            error.type_uri,
            error.title,
            report if isinstance(report, dict) else None,
        )
    if isinstance(error, OSError):
        return ErrorReport(EXIT_ERROR, _os_error_message(error), problems + "io", "Cannot read")
    if isinstance(error, KeyboardInterrupt):
        return ErrorReport(EXIT_INTERRUPTED, "interrupted", problems + "interrupted", "Stopped")
    name = type(error).__name__
    return ErrorReport(
        EXIT_INTERNAL,
        f"internal error ({name}: {error}); this is a bug in microcred — "
        "run again with MICROCRED_DEBUG=1 to see where it happened",
        problems + "internal",
        "Internal error",
    )


def emit_error(report: ErrorReport, *, json_output: bool) -> None:
    """Print ``report``: one line on stderr; with ``json_output`` also one JSON object on
    stdout: ``{"verified": false, "checks": [...], "error": {"type", "title", "message"}}``
    (the checks of the verification report when there was one)."""
    if json_output:
        body: dict[str, Any] = {"verified": False, "checks": []}
        body.update(report.report or {})
        body["verified"] = False
        body["error"] = {"type": report.type_uri, "title": report.title, "message": report.message}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        sys.stdout.flush()
    sys.stderr.write(f"error: {printable(report.message, one_line=True)}\n")
    sys.stderr.flush()


@contextmanager
def cli_errors(*, json_output: bool = False) -> Iterator[None]:
    """Run a command body; any error becomes a message and ``typer.Exit(code)``."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except (Exception, KeyboardInterrupt) as error:  # the CLI edge: nothing escapes as a traceback
        report = describe_error(error)
        if report.exit_code == EXIT_INTERNAL and os.environ.get("MICROCRED_DEBUG"):
            raise
        emit_error(report, json_output=json_output)
        raise typer.Exit(report.exit_code) from None
