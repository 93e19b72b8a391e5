"""Spreadsheet exports never carry a live formula (OWASP "CSV injection").

The product writes one kind of spreadsheet: the import error report (``errors.csv`` in the API
and the console), built by :func:`microcred.imports.error_report_lines`. A guard test below
fails when another module starts writing CSV or XLSX, so a new export cannot skip this file.

Property: whatever the file's headers, cells and our reasons contain, no cell of the report,
read back by a CSV parser, starts (after optional spaces) with ``=``, ``+``, ``-``, ``@``, a tab,
a carriage return, a line feed or their full-width forms.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.imports import error_report_lines, neutralise_cell, open_table

TRIGGERS = "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"
SOURCE = Path(__file__).resolve().parents[2] / "src" / "microcred"


def _dangerous(cell: str) -> bool:
    """Starts with a trigger, or does after leading whitespace (a cell of whitespace only,
    such as " \r", is not a formula)."""
    stripped = cell.lstrip()
    return bool(cell) and (cell[0] in TRIGGERS or (bool(stripped) and stripped[0] in TRIGGERS))


def _report_cells(
    headers: list[str], rows: list[tuple[int, dict[str, str], str]], delimiter: str
) -> list[list[str]]:
    text = "".join(error_report_lines(headers, rows, delimiter=delimiter))
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter))


cell_text = st.text(alphabet=st.sampled_from(list(TRIGGERS) + list(" aZ1'\"|;,")), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    headers=st.lists(cell_text, min_size=1, max_size=5, unique=True),
    values=st.lists(st.lists(cell_text, max_size=5), max_size=5),
    reasons=st.lists(cell_text, max_size=5),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_no_cell_of_an_error_report_is_a_formula(
    headers: list[str], values: list[list[str]], reasons: list[str], delimiter: str
) -> None:
    rows = [
        (number, dict(zip(headers, cells, strict=False)), reason)
        for number, (cells, reason) in enumerate(zip(values, reasons, strict=False), start=2)
    ]
    for record in _report_cells(headers, rows, delimiter):
        for cell in record:
            assert not _dangerous(cell), (cell, record)


def test_each_trigger_at_the_start_of_each_column() -> None:
    payloads = [f"{t}cmd|' /C calc'!A0" for t in TRIGGERS] + [f"  {t}1+1" for t in "=+-@"]
    headers = [f"{p[:2]}Header" for p in payloads[:4]]
    rows = [(2 + i, dict.fromkeys(headers, p), p) for i, p in enumerate(payloads)]
    parsed = _report_cells(headers, rows, ",")
    assert parsed[0][2:] == ["'" + h for h in headers]
    for record, payload in zip(parsed[1:], payloads, strict=True):
        assert record[1:] == ["'" + payload] * (1 + len(headers))


def test_a_neutralised_report_imports_back_as_text() -> None:
    """Fix the rows, re-import: the quote keeps the value inert in the importer too."""
    headers = ["Name", "E-mail"]
    rows = [(2, {"Name": "=1+1", "E-mail": "@evil"}, "-bad")]
    data = "".join(error_report_lines(headers, rows)).encode("utf-8")
    with open_table(data, "errors.csv") as table:
        assert table.headers == ("Import row", "Import problem", "Name", "E-mail")
        assert [r.cells for r in table.rows()] == [("2", "'-bad", "'=1+1", "'@evil")]


def test_harmless_values_are_left_alone() -> None:
    for value in ("Ada", "1.5", "a=b", "ada@example.org", "", "'quoted", "x-y"):
        assert neutralise_cell(value) == value


_WRITERS = re.compile(
    r"csv\.writer\(|csv\.DictWriter\(|openpyxl\.Workbook\(|Workbook\(\s*write_only"
)


def test_the_error_report_is_the_only_spreadsheet_writer() -> None:
    """A new CSV/XLSX export must go through ``neutralise_cell`` and be added here."""
    writers = sorted(
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if _WRITERS.search(path.read_text(encoding="utf-8"))
    )
    assert writers == ["imports/export.py"], writers
