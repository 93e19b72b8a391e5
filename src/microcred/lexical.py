"""Lexical forms every core package reads or writes the same way.

* **Strict JSON text** (RFC 8259 §4 "Objects": member names SHOULD be unique, and a
  parser's choice among duplicates differs between implementations; §6 "Numbers":
  ``NaN`` and ``Infinity`` are not JSON). A credential or DID document with a
  duplicated member could mean one thing to us and another to the next verifier, so
  such text is refused instead of read. Used for files and standard input (CLI) and
  for fetched ``did:web`` documents.
* **XML Schema ``dateTimeStamp``** (XSD 1.1 Part 2 §3.4.28 "dateTimeStamp"), the type of VC Data
  Model 2.0 ``validFrom`` / ``validUntil`` (§4.9), of Data Integrity proof ``created`` /
  ``expires`` (§2.1) and of a verification method's ``revoked`` (Controlled
  Identifiers 1.0 §2.2). microcred always writes it in UTC with a ``Z``, whole seconds
  without a fraction (the form of every published vector).

No imports from other microcred packages: anything may depend on this module.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

__all__ = ["format_date_time_stamp", "loads_strict_json"]


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}: a member name appears twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def loads_strict_json(text: str) -> Any:
    """``json.loads`` that refuses duplicate member names and ``NaN`` / ``Infinity``.

    Raises :class:`json.JSONDecodeError` for a syntax error (with its line and
    column), :class:`ValueError` for a duplicate member name, a non-JSON constant
    or an over-long integer, and :class:`RecursionError` for absurd nesting.
    """
    return json.loads(text, object_pairs_hook=_unique_members, parse_constant=_no_constant)


def format_date_time_stamp(value: datetime) -> str:
    """``2024-05-01T09:30:00Z``: UTC, whole seconds, a fraction only when present.

    ``value`` must be timezone-aware (:class:`ValueError` otherwise); callers that
    take user input check that first and raise their own, clearer error.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a dateTimeStamp must be timezone-aware")
    utc = value.astimezone(UTC)
    text = (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    )
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"
