"""Status list credentials: building ours, reading anyone's.

W3C *Bitstring Status List v1.0* §2.2 "BitstringStatusListCredential" and §3.1 "Generate
Algorithm" (build the unsigned credential, set ``encodedList``, then prove it — the proof is
added by :func:`microcred.proof.data_integrity.add_proof`, see ``services/status.py``), and the
parts of §3.2 "Validate Algorithm" that concern the list credential itself
(:func:`read_status_list_credential`: type, subject, purpose(s), ``encodedList``, ``ttl``,
validity period). Legacy *VC Status List 2021* credentials (``StatusList2021Credential``,
VC Data Model 1.1 dates) are read too, never written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from microcred.errors import StatusError
from microcred.jsonld.urls import VC_V2
from microcred.status.bitstring import VERIFICATION_ERROR

__all__ = [
    "BITSTRING_LIST",
    "BITSTRING_LIST_CREDENTIAL",
    "LEGACY_LIST",
    "LEGACY_LIST_CREDENTIAL",
    "StatusListCredentialInfo",
    "build_status_list_credential",
    "format_timestamp",
    "read_status_list_credential",
]

BITSTRING_LIST_CREDENTIAL: Final = "BitstringStatusListCredential"
BITSTRING_LIST: Final = "BitstringStatusList"
LEGACY_LIST_CREDENTIAL: Final = "StatusList2021Credential"
LEGACY_LIST: Final = "StatusList2021"


def format_timestamp(instant: datetime) -> str:
    """A UTC ``dateTimeStamp`` with whole seconds (``2026-03-01T09:00:00Z``)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise StatusError("status list times must be timezone-aware")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_status_list_credential(
    *,
    url: str,
    issuer: str,
    purpose: str,
    encoded_list: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` (§2.2) for one list.

    ``id`` is the list's stable URL (it matches the entries' ``statusListCredential``), the
    subject's ``id`` is ``<url>#list``; ``ttl`` (milliseconds) tells verifiers how long they may
    cache it and should equal the HTTP ``Cache-Control`` max-age the list is served with.
    """
    if not encoded_list.startswith("u"):
        raise StatusError("encodedList must be Multibase base64url (start with 'u')")
    subject: dict[str, Any] = {
        "id": f"{url}#list",
        "type": BITSTRING_LIST,
        "statusPurpose": purpose,
        "encodedList": encoded_list,
    }
    if ttl_ms is not None:
        if not isinstance(ttl_ms, int) or isinstance(ttl_ms, bool) or ttl_ms < 0:
            raise StatusError("ttl is a non-negative number of milliseconds")
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", BITSTRING_LIST_CREDENTIAL],
        "issuer": issuer,
        "validFrom": format_timestamp(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_timestamp(valid_until)
    credential["credentialSubject"] = subject
    return credential


@dataclass(frozen=True, slots=True)
class StatusListCredentialInfo:
    """What a status list credential says (before its bits are decoded)."""

    id: str | None
    issuer: str | None
    purposes: tuple[str, ...]
    encoded_list: str
    legacy: bool
    ttl_ms: int | None
    valid_from: datetime | None
    valid_until: datetime | None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _types(node: Any) -> list[str]:
    if not isinstance(node, Mapping):
        return []
    return [t for t in _as_list(node.get("type")) if isinstance(t, str)]


def _issuer(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _parse_time(value: object, timezone_required: bool) -> datetime:
    if not isinstance(value, str) or "T" not in value:
        raise ValueError("it is not a date and time such as 2026-03-01T09:00:00Z")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        if timezone_required:
            raise ValueError("it has no timezone")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _invalid(detail: str) -> StatusError:
    return StatusError(detail, type_uri=VERIFICATION_ERROR, code="STATUS_VERIFICATION_ERROR")


def _dates(
    document: Mapping[str, Any], names: Sequence[str], required_tz: bool, latest: bool
) -> datetime | None:
    found: list[datetime] = []
    for name in names:
        if name not in document:
            continue
        try:
            found.append(_parse_time(document[name], required_tz))
        except ValueError as exc:
            raise _invalid(f"the status list's {name} cannot be read: {exc}") from None
    if not found:
        return None
    return max(found) if latest else min(found)


def read_status_list_credential(document: object) -> StatusListCredentialInfo:
    """Check the shape of a status list credential (§2.2) and return what it states.

    Raises :class:`StatusError` (``STATUS_VERIFICATION_ERROR``) when the document is not a
    ``BitstringStatusListCredential`` (or a ``StatusList2021Credential``) with one subject of
    type ``BitstringStatusList`` carrying ``statusPurpose`` and ``encodedList``. Proofs are not
    checked here.
    """
    if not isinstance(document, Mapping):
        raise _invalid("the status list is not a JSON object")
    types = _types(document)
    if BITSTRING_LIST_CREDENTIAL in types:
        legacy, subject_type = False, BITSTRING_LIST
    elif LEGACY_LIST_CREDENTIAL in types:
        legacy, subject_type = True, LEGACY_LIST
    else:
        raise _invalid(
            f"the document is not a status list credential (its type does not include "
            f"{BITSTRING_LIST_CREDENTIAL})"
        )
    subjects = _as_list(document.get("credentialSubject"))
    if len(subjects) != 1 or not isinstance(subjects[0], Mapping):
        raise _invalid("a status list credential has exactly one credentialSubject object")
    subject = subjects[0]
    if subject_type not in _types(subject):
        raise _invalid(f"the status list's credentialSubject is not a {subject_type}")
    purposes = _as_list(subject.get("statusPurpose"))
    if not purposes or not all(isinstance(p, str) and p for p in purposes):
        raise _invalid("the status list states no statusPurpose")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str) or not encoded:
        raise _invalid("the status list has no encodedList")
    ttl = subject.get("ttl")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0):
        raise _invalid("the status list's ttl is not a non-negative number of milliseconds")
    starts: tuple[str, ...]
    ends: tuple[str, ...]
    if legacy or _as_list(document.get("@context"))[:1] != [VC_V2]:
        starts, ends, tz = ("issuanceDate", "validFrom"), ("expirationDate", "validUntil"), False
    else:
        starts, ends, tz = ("validFrom",), ("validUntil",), True
    ident = document.get("id")
    return StatusListCredentialInfo(
        id=ident if isinstance(ident, str) else None,
        issuer=_issuer(document),
        purposes=tuple(purposes),
        encoded_list=encoded,
        legacy=legacy,
        ttl_ms=ttl,
        valid_from=_dates(document, starts, tz, latest=True),
        valid_until=_dates(document, ends, tz, latest=False),
    )
