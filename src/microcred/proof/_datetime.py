"""XML Schema ``dateTimeStamp`` values as Data Integrity uses them.

Data Integrity 1.0 §2.1 (Proofs): ``created`` and ``expires`` are
[XMLSCHEMA11-2] ``dateTimeStamp`` strings, i.e. a ``dateTime`` that carries a time
zone. The parser here is deliberately strict: it accepts exactly the lexical form
``YYYY-MM-DDThh:mm:ss[.fff...](Z|±hh:mm)`` with real calendar values, and nothing
that ``datetime.fromisoformat`` would additionally tolerate (spaces, week dates, ...).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from microcred.lexical import format_date_time_stamp

__all__ = ["format_xml_datetime", "parse_xml_datetime"]

_DATETIME_STAMP = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?P<fraction>\.\d+)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def parse_xml_datetime(value: str) -> datetime:
    """Parse an XML Schema ``dateTimeStamp`` into a timezone-aware UTC datetime.

    Raises :class:`ValueError` with a readable reason when ``value`` is not one.
    Fractions of a second beyond microseconds are truncated. Answers are remembered
    (bounded; ``datetime`` is immutable): a credential verified again and again, or
    the proofs of one batch, carry the same few values.
    """
    if type(value) is not str:
        return _parse(value)
    return _parse_cached(value)


def _parse(value: str) -> datetime:
    match = _DATETIME_STAMP.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{value!r} is not a date-time of the form 2024-05-01T12:00:00Z "
            "(a time zone, 'Z' or '+hh:mm', is required)"
        )
    tz_text = match["tz"]
    if tz_text == "Z":
        tz = UTC
    else:
        sign = 1 if tz_text[0] == "+" else -1
        hours, minutes = int(tz_text[1:3]), int(tz_text[4:6])
        if minutes > 59 or hours * 60 + minutes > 14 * 60:
            raise ValueError(f"{value!r} has an impossible time-zone offset {tz_text}")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    fraction = match["fraction"]
    microsecond = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        parsed = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            microsecond,
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date and time ({exc})") from None
    return parsed.astimezone(UTC)


_parse_cached = lru_cache(maxsize=4096)(_parse)


def format_xml_datetime(value: datetime) -> str:
    """Format a timezone-aware datetime as a UTC ``dateTimeStamp`` ending in ``Z``.

    Whole seconds are written without a fraction (``2023-02-24T23:36:38Z``), which is
    the form every published vector uses; sub-second precision is kept when present
    (:func:`microcred.lexical.format_date_time_stamp`, shared with credentials and
    DID documents).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a proof date-time must be timezone-aware")
    return format_date_time_stamp(value)
