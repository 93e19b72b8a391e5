"""Rendering verification reports: a readable table, or exactly one JSON object.

JSON output uses only the standard library (no rich, no colour codes, ASCII-only
escapes) so scripts can parse it whatever the terminal. The table is drawn with
rich; every value taken from the credential is shown as plain text (never as rich
markup) with control characters replaced, so a hostile credential cannot inject
terminal escape sequences or markup.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from microcred.cli.errors import printable
from microcred.verification.report import Outcome, VerificationReport

__all__ = ["render_json", "render_report", "write_json"]

_STYLES = {
    Outcome.PASSED: "green",
    Outcome.FAILED: "bold red",
    Outcome.WARNING: "yellow",
    Outcome.SKIPPED: "dim",
}
_FACTS = (
    ("name", "Credential"),
    ("achievement", "Achievement"),
    ("issuerName", "Issuer name"),
    ("issuer", "Issuer"),
    ("holder", "Holder"),
    ("subject", "Subject"),
    ("validFrom", "Valid from"),
    ("issuanceDate", "Issued"),
    ("validUntil", "Valid until"),
    ("expirationDate", "Expires"),
    ("id", "Id"),
)


def render_json(data: Any) -> str:
    """``data`` as indented, ASCII-only JSON followed by a newline."""
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def write_json(data: Any, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    out.write(render_json(data))
    out.flush()


def _verdict(report: VerificationReport) -> tuple[str, str]:
    failures, warnings = len(report.failures), len(report.warnings)
    what = report.kind
    if report.verified:
        text = f"VERIFIED: no problem found with this {what}"
        if warnings:
            text = f"VERIFIED, with {warnings} warning{'s' if warnings > 1 else ''} (see below)"
        return text, "bold green" if not warnings else "bold yellow"
    if failures:
        return (
            f"NOT VERIFIED: {failures} check{'s' if failures > 1 else ''} failed",
            "bold red",
        )
    failed_inside = sum(1 for r in report.credentials if not r.verified)
    return f"NOT VERIFIED: {failed_inside} credential(s) in it failed", "bold red"


def _fact(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def render_report(report: VerificationReport, stream: TextIO | None = None) -> None:
    """Print ``report`` as a verdict, the key facts and one table row per check."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream or sys.stdout, highlight=False, emoji=False, markup=False)

    def draw(current: VerificationReport, heading: str | None) -> None:
        if heading:
            console.print(Text(heading, style="bold"))
        verdict, style = _verdict(current)
        console.print(Text(verdict, style=style))
        if not current.verified and current.summary:
            console.print(Text("  As the file states it (not confirmed):", style="dim"))
        for key, label in _FACTS:
            if key in current.summary:
                line = Text(f"  {label:<12} ", style="bold")
                line.append(printable(_fact(current.summary[key]), one_line=True))
                console.print(line)
        table = Table(box=box.SIMPLE_HEAD, show_lines=False, expand=False, pad_edge=False)
        table.add_column("Result", no_wrap=True)
        table.add_column("Check", no_wrap=True)
        table.add_column("What it means", overflow="fold")
        for check in current.checks:
            table.add_row(
                Text(check.outcome.value.upper(), style=_STYLES[check.outcome]),
                Text(check.code),
                Text(printable(check.message, one_line=True)),
            )
        console.print(table)

    draw(report, None)
    for index, embedded in enumerate(report.credentials):
        console.print()
        draw(embedded, f"Credential {index + 1} of {len(report.credentials)} in the presentation")
