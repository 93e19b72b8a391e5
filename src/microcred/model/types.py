"""Constrained scalar types shared by the Open Badges 3.0 models.

Each type is a plain ``str`` at run time (so values round-trip byte for byte through
``from_json`` / ``to_json``: a signed credential is never re-formatted) with a validator
that rejects malformed input with a message a person can act on.

References: Open Badges 3.0 (1EdTech), section "Derived Types" (URI, DateTimeZ,
LanguageCode, IdentityHash, ...); W3C XML Schema 1.1 Part 2, ``dateTime`` / ``date``;
ISO 8601 durations (``duration``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

__all__ = [
    "URI",
    "DateTimeZ",
    "DateString",
    "Duration",
    "EmailAddress",
    "LanguageCode",
    "CountryCode",
    "NonEmptyStr",
    "enum_ext",
    "type_list_validator",
    "check_uri",
    "check_datetime",
]

# A URI needs a scheme; anything without one would be a relative IRI that JSON-LD
# cannot resolve (it would silently drop out of the signed data).
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
_DATETIME = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})T(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})"
    r"(?P<frac>\.\d+)?(?P<tz>Z|[+-]\d{2}:\d{2})$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# ISO 8601 duration as used by xsd:duration (no week designator mixed in).
_DURATION = re.compile(
    r"^P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Pattern of the OB 3.0 JSON Schema for inLanguage (BCP 47 subset).
_LANGUAGE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_EXT = re.compile(r"^ext:[A-Za-z0-9._\-]+$")


def check_uri(value: str) -> str:
    """Accept an absolute URI (``https:``, ``did:``, ``urn:``, ``data:``, ``mailto:`` ...)."""
    if not _URI.match(value):
        raise ValueError(
            f"{value!r} is not an absolute URI (it needs a scheme such as https:, did: or urn:)"
        )
    return value


def check_datetime(value: str) -> str:
    """Accept an XML Schema ``dateTime`` that carries a timezone (OB ``DateTimeZ``)."""
    m = _DATETIME.match(value)
    if not m:
        raise ValueError(
            f"{value!r} is not a date-time with a timezone, "
            "expected e.g. '2024-05-01T09:30:00Z' or '2024-05-01T11:30:00+02:00'"
        )
    try:
        datetime(int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"]))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date-time: {exc}") from None
    return value


def _check_date(value: str) -> str:
    if not _DATE.match(value):
        raise ValueError(f"{value!r} is not a date, expected e.g. '2001-12-31'")
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date: {exc}") from None
    return value


def _check_duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError(
            f"{value!r} is not an ISO 8601 duration, expected e.g. 'PT125H' for 125 hours"
        )
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _check_language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(f"{value!r} is not a language code, expected e.g. 'en' or 'en-GB'")
    return value


def _check_country(value: str) -> str:
    if not _COUNTRY.match(value):
        raise ValueError(
            f"{value!r} is not an ISO 3166-1 alpha-2 country code, expected e.g. 'DE' or 'IE'"
        )
    return value


def _check_non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def enum_ext(values: Iterable[str], what: str) -> Callable[[str], str]:
    """Validator for an OB "EnumExt": one of ``values`` or an extension ``ext:Name``."""
    allowed = frozenset(values)

    def check(value: str) -> str:
        if value in allowed or _EXT.match(value):
            return value
        raise ValueError(
            f"{value!r} is not a known {what}; use one of {', '.join(sorted(allowed))} "
            "or an extension value written as 'ext:YourValue'"
        )

    return check


def type_list_validator(*required: str, what: str) -> Callable[[str | list[str]], str | list[str]]:
    """Validator for a JSON-LD ``type``: a string or an array containing one of ``required``.

    The value is kept in the form it was given so that credentials round-trip exactly.
    """

    def check(value: str | list[str]) -> str | list[str]:
        values = [value] if isinstance(value, str) else value
        if not values:
            raise ValueError(f"type of {what} must not be empty")
        if not any(v in required for v in values):
            wanted = " or ".join(repr(r) for r in required)
            raise ValueError(f"type of {what} must include {wanted}, got {values!r}")
        return value

    return check


URI = Annotated[str, AfterValidator(check_uri)]
DateTimeZ = Annotated[str, AfterValidator(check_datetime)]
DateString = Annotated[str, AfterValidator(_check_date)]
Duration = Annotated[str, AfterValidator(_check_duration)]
EmailAddress = Annotated[str, AfterValidator(_check_email)]
LanguageCode = Annotated[str, AfterValidator(_check_language)]
CountryCode = Annotated[str, AfterValidator(_check_country)]
NonEmptyStr = Annotated[str, AfterValidator(_check_non_empty)]
