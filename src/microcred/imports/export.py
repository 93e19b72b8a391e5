"""Writing rows back to a spreadsheet safely: the error report.

CSV/formula injection (OWASP "CSV Injection"): a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is run as a formula by Excel, LibreOffice and Google Sheets
when the file is opened (``=HYPERLINK(...)`` leaks data, ``=cmd|' /C calc'!A0`` runs a program
through DDE). Import files are untrusted, so every cell written back — the file's own headers
and values, and our reasons, which may quote them — goes through :func:`neutralise_cell`: a
formula-looking value gets a leading single quote and is shown as text. Leading spaces do not
hide a formula, and the full-width forms of the trigger characters count too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = [
    "ERROR_REPORT_PROBLEM_COLUMN",
    "ERROR_REPORT_ROW_COLUMN",
    "error_report_lines",
    "looks_like_formula",
    "neutralise_cell",
]

ERROR_REPORT_ROW_COLUMN = "Import row"
ERROR_REPORT_PROBLEM_COLUMN = "Import problem"

_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_FLUSH_EVERY = 500


def looks_like_formula(value: str) -> bool:
    """Would a spreadsheet treat this cell as a formula (or a DDE command)?"""
    if not value:
        return False
    if value[0] in _TRIGGERS:
        return True
    stripped = value.lstrip()
    return bool(stripped) and stripped[0] in _TRIGGERS


def neutralise_cell(value: str) -> str:
    """``value``, prefixed with ``'`` when it looks like a formula, so it stays text."""
    return "'" + value if looks_like_formula(value) else value


def error_report_lines(
    headers: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, str], str]],
    *,
    delimiter: str = ",",
    byte_order_mark: bool = True,
) -> Iterator[str]:
    """The error report as CSV text, in chunks (stream it; join for a small report).

    Columns: ``Import row``, ``Import problem``, then the file's own columns, so the registrar
    can fix the rows, delete the two first columns and import the file again. ``rows`` yields
    ``(row number, {header: cell}, reason)``. UTF-8 with a byte-order mark (so Excel detects
    the encoding), CRLF line ends, the delimiter of the original file.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if byte_order_mark:
        buffer.write("\ufeff")
    writer.writerow(
        [ERROR_REPORT_ROW_COLUMN, ERROR_REPORT_PROBLEM_COLUMN]
        + [neutralise_cell(header) for header in headers]
    )
    pending = 0
    for number, cells, reason in rows:
        writer.writerow(
            [str(number), neutralise_cell(reason)]
            + [neutralise_cell(cells.get(header, "")) for header in headers]
        )
        pending += 1
        if pending >= _FLUSH_EVERY:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue()
