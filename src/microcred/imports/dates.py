"""Dates as registrars' files carry them.

Accepted, for a date column:

- ISO 8601 ``YYYY-MM-DD`` (optionally followed by a time, which is ignored), as XLSX date cells
  are read and as most student-information systems export;
- ``DD/MM/YYYY``, ``DD.MM.YYYY``, ``DD-MM-YYYY`` (one or two digits for day and month, an
  optional trailing time) — day first by default, month first with ``DateOrder.MDY``;
- ``YYYY/MM/DD`` and ``YYYY.MM.DD`` (year first is never ambiguous);
- ``YYYYMMDD``;
- an Excel serial day number (``45838`` = 2025-06-30) in the 1900 date system, as a date column
  formatted as a number exports, limited to years 1950-2199 so that a stray small number is not
  mistaken for a date.

Two-digit years are refused (``30.06.25`` could be 1925 or 2025): the reason says to write the
year in full.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum

__all__ = ["DateOrder", "excel_serial_to_date", "parse_date"]

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 once the 1900 leap-year bug is undone
_SERIAL_MIN = (date(1950, 1, 1) - _EXCEL_EPOCH).days
_SERIAL_MAX = (date(2199, 12, 31) - _EXCEL_EPOCH).days

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp][Mm]|Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}")
_YEAR_FIRST = re.compile(rf"(\d{{4}})([./])(\d{{1,2}})\2(\d{{1,2}})\.?{_TIME}")
_DAY_OR_MONTH_FIRST = re.compile(rf"(\d{{1,2}})([./-])(\d{{1,2}})\2(\d{{2,4}})\.?{_TIME}")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{1,6})(?:[.,]\d+)?")

_EXPECTED = "expected a date such as 2025-06-30, 30/06/2025 or 30.06.2025"


class DateOrder(StrEnum):
    """How to read ``01/02/2025``: day first (Europe, the default) or month first (US)."""

    DMY = "DMY"
    MDY = "MDY"


def excel_serial_to_date(serial: int) -> date:
    """The date of an Excel serial day number (1900 date system).

    Excel counts 1900-02-29, a day that never existed (serial 60); serials after it are one
    too high, which counting from 1899-12-30 undoes.
    """
    if serial < 1:
        raise ValueError("an Excel date serial starts at 1")
    if serial == 60:
        raise ValueError("serial 60 is Excel's non-existent 1900-02-29")
    if serial < 60:
        return _EXCEL_EPOCH + timedelta(days=serial + 1)
    return _EXCEL_EPOCH + timedelta(days=serial)


def parse_date(text: str, *, order: DateOrder = DateOrder.DMY) -> date:
    """Parse one date cell; :class:`ValueError` with a reason a registrar understands."""
    value = text.strip()
    if not value:
        raise ValueError("empty")
    if match := _ISO.fullmatch(value):
        return _make(int(match[1]), int(match[2]), int(match[3]), value)
    if match := _YEAR_FIRST.fullmatch(value):
        return _make(int(match[1]), int(match[3]), int(match[4]), value)
    if match := _DAY_OR_MONTH_FIRST.fullmatch(value):
        first, second, year_text = int(match[1]), int(match[3]), match[4]
        if len(year_text) != 4:
            raise ValueError(f"{value!r} has a {len(year_text)}-digit year; write the year in full")
        day, month = (first, second) if order is DateOrder.DMY else (second, first)
        if order is DateOrder.DMY and month > 12 and day <= 12:
            raise ValueError(
                f"{value!r} is not a valid day/month/year date (month {month}); "
                "is the file month-first (US order)?"
            )
        return _make(int(year_text), month, day, value)
    if match := _COMPACT.fullmatch(value):
        return _make(int(match[1]), int(match[2]), int(match[3]), value)
    if match := _SERIAL.fullmatch(value):
        serial = int(match[1])
        if not _SERIAL_MIN <= serial <= _SERIAL_MAX:
            raise ValueError(f"{value!r} is not a date ({_EXPECTED})")
        return excel_serial_to_date(serial)
    raise ValueError(f"{_shorten(value)!r} is not a date ({_EXPECTED})")


def _make(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{original!r} is not a valid calendar date") from None


def _shorten(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."
