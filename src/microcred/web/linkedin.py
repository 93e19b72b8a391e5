"""LinkedIn's "Add to profile" link for a certification.

LinkedIn documents a URL that opens the member's "Add licence or certification" form filled
in: ``https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME`` with the query
parameters ``name``, ``organizationName`` (or ``organizationId``), ``issueYear``,
``issueMonth`` (1–12), ``expirationYear``, ``expirationMonth``, ``certUrl`` and ``certId``.
Nothing is sent to LinkedIn until the learner follows the link and saves the form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlencode

__all__ = ["LINKEDIN_ADD_TO_PROFILE", "linkedin_add_to_profile_url"]

LINKEDIN_ADD_TO_PROFILE: Final = "https://www.linkedin.com/profile/add"


def linkedin_add_to_profile_url(
    *,
    name: str,
    organization_name: str,
    issued: datetime | None,
    cert_url: str,
    cert_id: str,
    expires: datetime | None = None,
) -> str:
    """The add-to-profile URL (parameters URL-encoded, in a stable order)."""
    params: list[tuple[str, str]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
        ("organizationName", organization_name),
    ]
    if issued is not None:
        day = issued.astimezone(UTC)
        params += [("issueYear", str(day.year)), ("issueMonth", str(day.month))]
    if expires is not None:
        end = expires.astimezone(UTC)
        params += [("expirationYear", str(end.year)), ("expirationMonth", str(end.month))]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params)}"
