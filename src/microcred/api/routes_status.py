"""Status lists over HTTP: the public lists, the VC-API status update, the admin routes.

* ``GET /status/{slug}/{purpose}/{number}`` — public: the issuer's signed
  ``BitstringStatusListCredential`` exactly as stored when it last changed (W3C Bitstring
  Status List v1.0; nothing is signed on a read), ``Content-Type: application/vc``, an
  ``ETag``, ``Cache-Control: public, max-age=<status TTL>``; ``304`` when ``If-None-Match``
  names the current ETag; ``404`` for an unknown issuer, purpose or list number.
* ``POST /credentials/status`` — the W3C VC-API "update credential status" endpoint: body
  ``{credentialId, credentialStatus: {type, statusPurpose}, status}``; ``status: true`` revokes
  or suspends, ``false`` lifts a suspension. Needs ``credential:revoke``; the credential is
  looked up among the caller's issuers. ``200`` with what changed (a repeated request answers
  ``changed: false``).
* ``POST /api/v1/issuers/{issuer_id}/credentials/{credential_id}/revoke`` (``/suspend``,
  ``/reinstate``) with ``{reason}`` — the admin API; the reason is kept in the audit log,
  never published.
* ``GET /api/v1/issuers/{issuer_id}/status-lists`` and ``GET …/credentials/{id}/status`` — how
  full each list is, and a credential's entries with their current bits.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.api.schemas import CredentialStateName, In, Out
from microcred.errors import NotFound, PermissionDenied
from microcred.services.access import Permission, Principal
from microcred.services.status import (
    CredentialStatusInfo,
    CredentialStatusUpdate,
    StatusChange,
    StatusListInfo,
)

__all__ = [
    "LIST_MEDIA_TYPE",
    "CredentialStatusOut",
    "ReasonIn",
    "StatusChangeOut",
    "StatusListOut",
    "StatusUpdateOut",
    "router",
]

router = APIRouter(route_class=ProblemRoute)

PurposeName = Literal["revocation", "suspension"]

#: the media type of a served list (Bitstring Status List v1.0 §4; a JSON-LD credential)
LIST_MEDIA_TYPE = "application/vc"


# --------------------------------------------------------------------------- bodies


class ReasonIn(In):
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="Why (kept in the issuer's audit log, never published in the list)",
    )


class StatusChangeOut(Out):
    """The outcome of a status change."""

    id: uuid.UUID = Field(description="The platform's id of the credential (admin API paths)")
    credential_id: str = Field(description="The credential's own `id` (a URI)")
    state: CredentialStateName
    purpose: PurposeName
    status: bool = Field(description="The value now published: true = revoked / suspended")
    published: bool = Field(
        description="False when the credential has no entry in a status list (issued before "
        "status lists): its state changed, but no verifier can see it"
    )
    changed: bool = Field(description="False when nothing had to change")
    status_list_credential: str | None
    status_list_index: int | None
    list_version: int | None


class StatusEntryOut(Out):
    type: str
    status_purpose: str
    status_list_credential: str | None
    status_list_index: str | None


class StatusUpdateOut(Out):
    """The answer of ``POST /credentials/status``."""

    credential_id: str = Field(description="The credential's `id` (a URI)")
    credential_status: StatusEntryOut
    status: bool
    changed: bool


class StatusListOut(Out):
    id: uuid.UUID
    purpose: PurposeName
    number: int
    url: str = Field(description="Where the signed list is published")
    size: int = Field(description="Entries in the list")
    allocated: int = Field(description="Entries handed out to credentials")
    set: int = Field(description="Entries whose bit is set (revoked / suspended)")
    version: int
    etag: str | None
    created_at: datetime
    updated_at: datetime | None


class CredentialStatusOut(Out):
    purpose: PurposeName
    status_list_credential: str
    status_list_index: int
    set: bool


def _change_out(change: StatusChange) -> StatusChangeOut:
    return StatusChangeOut(
        id=change.credential_id,
        credential_id=change.credential_uri,
        state=change.state.value,
        purpose=cast(PurposeName, change.purpose),
        status=change.status,
        published=change.published,
        changed=change.changed,
        status_list_credential=change.status_list_credential,
        status_list_index=change.status_list_index,
        list_version=change.list_version,
    )


def _list_out(info: StatusListInfo) -> StatusListOut:
    return StatusListOut(
        id=info.id,
        purpose=cast(PurposeName, info.purpose),
        number=info.number,
        url=info.url,
        size=info.size,
        allocated=info.allocated,
        set=info.set,
        version=info.version,
        etag=info.etag,
        created_at=info.created_at,
        updated_at=info.updated_at,
    )


def _entry_out(info: CredentialStatusInfo) -> CredentialStatusOut:
    return CredentialStatusOut(
        purpose=cast(PurposeName, info.purpose),
        status_list_credential=info.status_list_credential,
        status_list_index=info.status_list_index,
        set=info.set,
    )


# --------------------------------------------------------------------------- the public list


def _etag_matches(header: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2 ``If-None-Match``: weak comparison, a list of tags, or ``*``."""
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


@router.get(
    "/status/{slug}/{purpose}/{number}",
    tags=["Status lists"],
    operation_id="statusListCredential",
    summary="An issuer's signed status list (Bitstring Status List v1.0); public and cacheable",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The signed BitstringStatusListCredential, with ETag and Cache-Control",
            "content": {LIST_MEDIA_TYPE: {"schema": {"type": "object"}}},
        },
        304: {"description": "Not modified: If-None-Match names the current ETag"},
        **problem_responses(404, c404="No such issuer, purpose or list number"),
    },
)
def status_list(
    slug: str,
    purpose: str,
    number: str,
    platform: PlatformDep,
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            max_length=1024,
            description="The ETag of a copy you hold: 304 when it is current",
        ),
    ] = None,
) -> Response:
    if not number.isascii() or not number.isdigit() or len(number) > 10:
        raise NotFound("no such status list")
    status = platform.status
    document, etag = status.status_list_credential(slug, purpose, int(number))
    headers = {
        "ETag": etag,
        "Cache-Control": status.cache_control,
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "ETag",
    }
    if _etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(document, media_type=LIST_MEDIA_TYPE, headers=headers)


# --------------------------------------------------------------------------- VC-API


def _revoking_issuers(principal: Principal) -> list[uuid.UUID]:
    return sorted(
        (i for i in principal.roles if principal.can(i, Permission.CREDENTIAL_REVOKE)), key=str
    )


@router.post(
    "/credentials/status",
    tags=["VC-API"],
    operation_id="updateCredentialStatus",
    summary="Revoke, suspend or reinstate a credential of your issuer (VC-API)",
    response_model=StatusUpdateOut,
    responses={
        200: {"description": "Credential status successfully updated"},
        **problem_responses(400, 401, 403, 404, 409, 413, 422),
    },
)
def update_credential_status(
    body: CredentialStatusUpdate, principal: PrincipalDep, platform: PlatformDep
) -> StatusUpdateOut:
    issuers = _revoking_issuers(principal)
    if not issuers:
        if principal.roles:
            raise PermissionDenied(
                "Your access does not include 'credential:revoke'.",
                required_permission=Permission.CREDENTIAL_REVOKE.value,
            )
        raise NotFound("no credential with this id")
    for issuer_id in issuers:
        try:
            change = platform.status.credential_status(principal, issuer_id, body)
        except NotFound:
            continue
        return StatusUpdateOut(
            credential_id=change.credential_uri,
            credential_status=StatusEntryOut(
                type=body.credential_status.type,
                status_purpose=change.purpose,
                status_list_credential=change.status_list_credential,
                status_list_index=(
                    None if change.status_list_index is None else str(change.status_list_index)
                ),
            ),
            status=change.status,
            changed=change.changed,
        )
    raise NotFound("no credential with this id")


# --------------------------------------------------------------------------- admin API

_CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The status changed (or was already so, for a repeated reinstate)"},
    **problem_responses(
        400,
        401,
        403,
        404,
        409,
        413,
        422,
        c409="Not possible in the credential's state (already revoked, not suspended, …)",
    ),
}


@router.post(
    "/api/v1/issuers/{issuer_id}/credentials/{credential_id}/revoke",
    tags=["Credentials"],
    operation_id="revokeCredential",
    summary="Revoke a credential for good (its bit is set in the issuer's revocation list)",
    response_model=StatusChangeOut,
    responses=_CHANGE_RESPONSES,
)
def revoke(
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    body: ReasonIn,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> StatusChangeOut:
    return _change_out(platform.status.revoke(principal, issuer_id, credential_id, body.reason))


@router.post(
    "/api/v1/issuers/{issuer_id}/credentials/{credential_id}/suspend",
    tags=["Credentials"],
    operation_id="suspendCredential",
    summary="Suspend a credential (reversible; its bit is set in the suspension list)",
    response_model=StatusChangeOut,
    responses=_CHANGE_RESPONSES,
)
def suspend(
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    body: ReasonIn,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> StatusChangeOut:
    return _change_out(platform.status.suspend(principal, issuer_id, credential_id, body.reason))


@router.post(
    "/api/v1/issuers/{issuer_id}/credentials/{credential_id}/reinstate",
    tags=["Credentials"],
    operation_id="reinstateCredential",
    summary="Lift a suspension (a revocation cannot be lifted)",
    response_model=StatusChangeOut,
    responses=_CHANGE_RESPONSES,
)
def reinstate(
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    body: ReasonIn,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> StatusChangeOut:
    return _change_out(platform.status.reinstate(principal, issuer_id, credential_id, body.reason))


@router.get(
    "/api/v1/issuers/{issuer_id}/credentials/{credential_id}/status",
    tags=["Credentials"],
    operation_id="credentialStatusEntries",
    summary="The credential's status entries and whether each bit is set now",
    response_model=list[CredentialStatusOut],
    responses=problem_responses(401, 403, 404, 422),
)
def credential_statuses(
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> list[CredentialStatusOut]:
    entries = platform.status.credential_statuses(principal, issuer_id, credential_id)
    return [_entry_out(info) for info in entries]


@router.get(
    "/api/v1/issuers/{issuer_id}/status-lists",
    tags=["Status lists"],
    operation_id="listStatusLists",
    summary="The issuer's status lists: URL, size, entries handed out, bits set, version",
    response_model=list[StatusListOut],
    responses=problem_responses(401, 403, 404, 422),
)
def status_lists(
    issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> list[StatusListOut]:
    return [_list_out(info) for info in platform.status.status_lists(principal, issuer_id)]
