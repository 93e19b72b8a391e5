"""What every check family shares: the :class:`Check` protocol and small helpers.

A check family is a small object with a ``family`` name and a ``run`` method that
returns one or more :class:`CheckResult`; a problem may also be signalled by
raising :class:`CheckFailed`. Families are independent of each other: each reads
the credential itself, so any of them can be replaced or added through
``Verifier(extra_checks=...)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from microcred.verification.report import CheckFailed, CheckResult

__all__ = [
    "VC_V1",
    "VC_V2",
    "Check",
    "CheckContext",
    "as_list",
    "attempt",
    "credential_version",
    "format_day",
    "is_absolute_iri",
    "issuer_id",
    "parse_date_time_stamp",
    "type_values",
    "validity_fields",
    "ValidityFields",
]

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# XML Schema dateTimeStamp (a dateTime whose timezone is mandatory), as VC Data
# Model 2.0 section 4.9 requires for validFrom / validUntil.
_DATE_TIME_STAMP = re.compile(
    r"(?P<year>-?(?:[1-9][0-9]{3,}|0[0-9]{3}))-(?P<month>0[1-9]|1[0-2])"
    r"-(?P<day>0[1-9]|[12][0-9]|3[01])"
    r"T(?:(?P<hms>(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])(?P<frac>\.[0-9]+)?"
    r"|(?P<midnight>24:00:00(?:\.0+)?))"
    r"(?P<tz>Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
)

# RFC 3986 section 3.1: an absolute IRI starts with a scheme followed by ":".
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_FORBIDDEN_IN_IRI = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may know besides the credential itself."""

    now: datetime


class Check(Protocol):
    """One family of checks (structure, proof, status, anchor, ...)."""

    @property
    def family(self) -> str:
        """The family name, also the prefix of its codes (``"status"``)."""
        ...

    def run(self, credential: Mapping[str, Any], context: CheckContext) -> Sequence[CheckResult]:
        """Check ``credential``; return at least one result or raise CheckFailed."""
        ...


def attempt(fn: Callable[[], CheckResult]) -> CheckResult:
    """Run one check step, turning a raised :class:`CheckFailed` into its result."""
    try:
        return fn()
    except CheckFailed as failure:
        return failure.to_result()


def as_list(value: Any) -> list[Any]:
    """A JSON-LD set as a list: ``None`` -> ``[]``, a single value -> ``[value]``."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def type_values(node: Any) -> list[str]:
    """The string values of ``node["type"]`` (non-strings are ignored)."""
    if not isinstance(node, Mapping):
        return []
    return [t for t in as_list(node.get("type")) if isinstance(t, str)]


def is_absolute_iri(value: Any) -> bool:
    """True for a string that is an absolute IRI (has a scheme, no spaces or quotes)."""
    return (
        isinstance(value, str)
        and _SCHEME.match(value) is not None
        and len(value) > value.index(":") + 1
        and _FORBIDDEN_IN_IRI.search(value) is None
    )


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    """The issuer's identifier (string form or ``issuer.id``), if there is one."""
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def credential_version(credential: Mapping[str, Any]) -> str | None:
    """``"2.0"`` or ``"1.1"`` from the first ``@context`` entry, else ``None``."""
    contexts = as_list(credential.get("@context"))
    if not contexts:
        return None
    first = contexts[0]
    if first == VC_V2:
        return "2.0"
    if first == VC_V1:
        return "1.1"
    return None


def parse_date_time_stamp(value: Any, *, timezone_required: bool = True) -> datetime:
    """Parse an XML Schema ``dateTimeStamp`` into an aware UTC datetime.

    With ``timezone_required=False`` an XML Schema ``dateTime`` without timezone is
    accepted too and read as UTC (VC Data Model 1.1 allowed it).
    Raises ``ValueError`` with a plain explanation when the value is not one
    (missing timezone, impossible date, out of the representable range).
    """
    if not isinstance(value, str):
        raise ValueError("it is not a text value")
    match = _DATE_TIME_STAMP.fullmatch(value)
    if match is None or (timezone_required and match["tz"] is None):
        raise ValueError("it is not a date and time with a timezone (like 2026-03-03T12:00:00Z)")
    year = int(match["year"])
    if not 1 <= year <= 9999:
        raise ValueError("its year is outside the range 1 to 9999")
    tz = match["tz"] or "Z"
    offset = timedelta(0)
    if tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        offset = sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    if match["midnight"] is not None:
        hour, minute, second, micro, extra = 0, 0, 0, 0, timedelta(days=1)
    else:
        hour, minute, second = (int(p) for p in match["hms"].split(":"))
        frac = match["frac"] or "."
        micro = int((frac[1:] + "000000")[:6])
        extra = timedelta(0)
    try:
        local = datetime(year, int(match["month"]), int(match["day"]), hour, minute, second, micro)
        return (local + extra - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError("it is not a real calendar date") from error


@dataclass(frozen=True, slots=True)
class ValidityFields:
    """Which properties carry a credential's validity period, by data model version."""

    starts: tuple[str, ...]
    ends: tuple[str, ...]
    timezone_required: bool


def validity_fields(credential: Mapping[str, Any]) -> ValidityFields:
    """VC 2.0: ``validFrom`` / ``validUntil``. VC 1.1: ``issuanceDate`` /
    ``expirationDate``, plus ``validFrom`` / ``validUntil`` that some 1.1-era
    vocabularies (the European Learning Model) add; timezones optional."""
    if credential_version(credential) == "1.1":
        return ValidityFields(
            ("issuanceDate", "validFrom"), ("expirationDate", "validUntil"), False
        )
    return ValidityFields(("validFrom",), ("validUntil",), True)


def format_day(instant: datetime) -> str:
    """A date in plain words, in UTC: ``"3 March 2026"``."""
    utc = instant.astimezone(UTC)
    return f"{utc.day} {_MONTHS[utc.month - 1]} {utc.year}"
