"""Admin API: partner organisations, endorsements and CLR 2.0 exports (``/api/v1``).

docs/endorsements.md and docs/clr.md. Request bodies are the services' strict input models.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.api.schemas import Out
from microcred.services.clr import ClrExportRequest
from microcred.services.endorsements import (
    EndorsementInfo,
    EndorsementUpload,
    EndorseRequest,
    PartnerInfo,
    PartnerInput,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["Endorsements and CLR"], route_class=ProblemRoute)


class PartnerOut(Out):
    id: uuid.UUID
    issuer_id: uuid.UUID
    name: str
    did: str
    homepage: str | None
    holds_key: bool
    created_at: datetime


class EndorsementOut(Out):
    id: uuid.UUID
    issuer_id: uuid.UUID
    partner_id: uuid.UUID
    partner_name: str
    target: str
    definition_id: uuid.UUID | None
    subject_id: str
    credential_id: str
    comment: str | None
    source: str
    created_at: datetime
    withdrawn_at: datetime | None
    active: bool
    credential: dict[str, Any]


def _partner(info: PartnerInfo) -> PartnerOut:
    return PartnerOut(
        id=info.id,
        issuer_id=info.issuer_id,
        name=info.name,
        did=info.did,
        homepage=info.homepage,
        holds_key=info.holds_key,
        created_at=info.created_at,
    )


def _endorsement(info: EndorsementInfo) -> EndorsementOut:
    return EndorsementOut(
        id=info.id,
        issuer_id=info.issuer_id,
        partner_id=info.partner_id,
        partner_name=info.partner_name,
        target=info.target_type,
        definition_id=info.definition_id,
        subject_id=info.subject_id,
        credential_id=info.credential_uri,
        comment=info.comment,
        source=info.source,
        created_at=info.created_at,
        withdrawn_at=info.withdrawn_at,
        active=info.active,
        credential=info.document,
    )


@router.post(
    "/issuers/{issuer_id}/partners",
    operation_id="createPartner",
    status_code=201,
    summary="Record a partner organisation (its own DID, or holdKey: a did:key held here)",
    response_model=PartnerOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def create_partner(
    issuer_id: uuid.UUID, body: PartnerInput, principal: PrincipalDep, platform: PlatformDep
) -> PartnerOut:
    return _partner(platform.endorsements.add_partner(principal, issuer_id, body))


@router.get(
    "/issuers/{issuer_id}/partners",
    operation_id="listPartners",
    summary="The issuer's partner organisations",
    response_model=list[PartnerOut],
    responses=problem_responses(401, 403, 404, 422),
)
def list_partners(
    issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> list[PartnerOut]:
    return [_partner(p) for p in platform.endorsements.list_partners(principal, issuer_id)]


@router.post(
    "/issuers/{issuer_id}/endorsements",
    operation_id="createEndorsement",
    status_code=201,
    summary="Sign an endorsement of a definition version or of the issuer with a held key",
    response_model=EndorsementOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def create_endorsement(
    issuer_id: uuid.UUID, body: EndorseRequest, principal: PrincipalDep, platform: PlatformDep
) -> EndorsementOut:
    return _endorsement(platform.endorsements.endorse(principal, issuer_id, body))


@router.post(
    "/issuers/{issuer_id}/endorsements/upload",
    operation_id="uploadEndorsement",
    status_code=201,
    summary="File an EndorsementCredential a partner signed elsewhere (kept only if it verifies)",
    response_model=EndorsementOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def upload_endorsement(
    issuer_id: uuid.UUID, body: EndorsementUpload, principal: PrincipalDep, platform: PlatformDep
) -> EndorsementOut:
    return _endorsement(platform.endorsements.upload(principal, issuer_id, body))


@router.get(
    "/issuers/{issuer_id}/endorsements",
    operation_id="listEndorsements",
    summary="The issuer's endorsements (active and withdrawn)",
    response_model=list[EndorsementOut],
    responses=problem_responses(401, 403, 404, 422),
)
def list_endorsements(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    definition_id: uuid.UUID | None = None,
) -> list[EndorsementOut]:
    found = platform.endorsements.list_endorsements(
        principal, issuer_id, definition_id=definition_id
    )
    return [_endorsement(e) for e in found]


@router.post(
    "/issuers/{issuer_id}/endorsements/{endorsement_id}/withdraw",
    operation_id="withdrawEndorsement",
    summary="Stop placing an endorsement into new credentials",
    response_model=EndorsementOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def withdraw_endorsement(
    issuer_id: uuid.UUID,
    endorsement_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> EndorsementOut:
    return _endorsement(platform.endorsements.withdraw(principal, issuer_id, endorsement_id))


@router.post(
    "/issuers/{issuer_id}/clr",
    operation_id="exportClr",
    summary="A learner's chosen credentials as one signed CLR 2.0 ClrCredential",
    response_model=dict[str, Any],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def export_clr(
    issuer_id: uuid.UUID, body: ClrExportRequest, principal: PrincipalDep, platform: PlatformDep
) -> dict[str, Any]:
    return platform.clr.export(principal, issuer_id, body)
