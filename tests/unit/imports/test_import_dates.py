"""Date cells: ISO, European day-first forms, US order on request, Excel serials."""

from __future__ import annotations

from datetime import date

import pytest

from microcred.imports import DateOrder, excel_serial_to_date, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-30", date(2025, 6, 30)),
        ("2025-6-3", date(2025, 6, 3)),
        ("2025-06-30T14:05:00Z", date(2025, 6, 30)),
        ("2025-06-30 14:05", date(2025, 6, 30)),
        ("2025-06-30T14:05:00.123+02:00", date(2025, 6, 30)),
        ("30/06/2025", date(2025, 6, 30)),
        ("3/6/2025", date(2025, 6, 3)),
        ("30.06.2025", date(2025, 6, 30)),
        ("30.06.2025.", date(2025, 6, 30)),
        ("30-06-2025", date(2025, 6, 30)),
        ("30.06.2025 00:00", date(2025, 6, 30)),
        ("30/06/2025 12:00:00 PM", date(2025, 6, 30)),
        ("2025/06/30", date(2025, 6, 30)),
        ("2025.06.30.", date(2025, 6, 30)),
        ("20250630", date(2025, 6, 30)),
        ("  30.06.2025  ", date(2025, 6, 30)),
        # Excel serial day numbers (1900 date system)
        ("45838", date(2025, 6, 30)),
        ("45658", date(2025, 1, 1)),
        ("45838.75", date(2025, 6, 30)),
        ("45838,0", date(2025, 6, 30)),
    ],
)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_month_first_on_request() -> None:
    assert parse_date("06/30/2025", order=DateOrder.MDY) == date(2025, 6, 30)
    assert parse_date("01/02/2025", order=DateOrder.MDY) == date(2025, 1, 2)
    assert parse_date("01/02/2025") == date(2025, 2, 1)
    assert parse_date("2025-01-02", order=DateOrder.MDY) == date(2025, 1, 2)  # ISO is ISO


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("30.06.25", "2-digit year; write the year in full"),
        ("06/30/2025", "is the file month-first"),
        ("31.02.2025", "not a valid calendar date"),
        ("2025-13-01", "not a valid calendar date"),
        ("June 30, 2025", "is not a date"),
        ("12", "is not a date"),  # a small number is not taken for a serial
        ("999999", "is not a date"),
        ("=TODAY()", "is not a date"),
        ("30.06.2025 Uhr", "is not a date"),
    ],
)
def test_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date(text)


def test_excel_serials_and_the_1900_leap_year_bug() -> None:
    assert excel_serial_to_date(1) == date(1900, 1, 1)
    assert excel_serial_to_date(59) == date(1900, 2, 28)
    assert excel_serial_to_date(61) == date(1900, 3, 1)
    assert excel_serial_to_date(45838) == date(2025, 6, 30)
    with pytest.raises(ValueError, match="1900-02-29"):
        excel_serial_to_date(60)
    with pytest.raises(ValueError):
        excel_serial_to_date(0)


def test_long_garbage_is_shortened_in_the_reason() -> None:
    with pytest.raises(ValueError) as caught:
        parse_date("x" * 500)
    assert len(str(caught.value)) < 150
