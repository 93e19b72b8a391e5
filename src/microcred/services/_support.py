"""Small helpers shared by the definition, issuance and mail services (internal).

* :func:`record_audit` is ``microcred.services.audit.record_audit`` (re-exported here);
* :func:`issuer_profile` turns the stored issuer into the Open Badges ``Profile`` that
  credentials and compliance reports name;
* :func:`request_digest` fingerprints a request for idempotency checks (RFC 8785 JSON
  canonicalization, then SHA-256);
* annotated input types that accept JSON text where a strict model would not (UUIDs,
  timezone-aware date-times).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from microcred.errors import InvalidInput
from microcred.model import Profile
from microcred.model.types import check_datetime
from microcred.proof.jcs import canonicalize
from microcred.services.audit import record_audit
from microcred.storage import Issuer

__all__ = [
    "AwareDateTime",
    "UUIDField",
    "issuer_profile",
    "record_audit",
    "request_digest",
]


def _uuid_text(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValueError(f"{value[:60]!r} is not a UUID") from None
    raise ValueError("must be a UUID (as text)")


def _aware_datetime(value: object) -> object:
    if isinstance(value, str):
        check_datetime(value)  # XML Schema dateTime with a timezone, e.g. 2027-06-30T00:00:00Z
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ValueError("must be a date-time text such as '2027-06-30T00:00:00Z'")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the date-time needs a timezone (e.g. a trailing 'Z' for UTC)")
    # One instant, one form: requests that differ only in the offset digest alike.
    return value.astimezone(UTC)


#: A UUID, given as a ``uuid.UUID`` or as its text (JSON input).
UUIDField = Annotated[uuid.UUID, BeforeValidator(_uuid_text), Field(strict=False)]
#: A timezone-aware date-time, given as a ``datetime`` or ISO 8601 text (numbers are refused),
#: converted to UTC.
AwareDateTime = Annotated[datetime, BeforeValidator(_aware_datetime), Field(strict=False)]


def issuer_profile(issuer: Issuer) -> Profile:
    """The issuer as an Open Badges ``Profile``: DID, name, homepage, e-mail, logo, address.

    A stored value that would not validate (a homepage without a scheme, say) is left out
    rather than making every credential of the issuer fail.
    """
    candidates: dict[str, Any] = {}
    if issuer.homepage:
        candidates["url"] = issuer.homepage
    if issuer.email:
        candidates["email"] = issuer.email
    if issuer.logo_uri:
        candidates["image"] = {"id": issuer.logo_uri, "type": "Image"}
    if issuer.country_code or issuer.region_code:
        address: dict[str, Any] = {"type": ["Address"]}
        if issuer.country_code:
            address["addressCountryCode"] = issuer.country_code
        if issuer.region_code:
            address["addressRegion"] = issuer.region_code
        candidates["address"] = address
    data: dict[str, Any] = {"id": issuer.did, "type": ["Profile"], "name": issuer.name}
    for key, value in candidates.items():
        try:
            Profile.from_json({"id": issuer.did, key: value})
        except InvalidInput:
            continue
        data[key] = value
    return Profile.from_json(data)


def request_digest(kind: str, payload: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of the RFC 8785 canonical JSON of ``{"kind", "request"}``."""
    canonical = canonicalize({"kind": kind, "request": dict(payload)})
    return "sha256:" + hashlib.sha256(canonical).hexdigest()
