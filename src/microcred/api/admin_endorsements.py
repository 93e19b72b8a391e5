"""Admin API: partner organisations, endorsements and CLR 2.0 exports (``/api/v1``).

docs/endorsements.md and docs/clr.md. Request bodies are the services' strict input models.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from microcred.api.routing import ACT, CHANGE, READ, AtIssuerDep, admin_router
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

router = admin_router("/api/v1", "Endorsements and CLR")


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
    responses=CHANGE,
)
def create_partner(body: PartnerInput, at: AtIssuerDep) -> PartnerOut:
    return _partner(at.platform.endorsements.add_partner(at.principal, at.issuer_id, body))


@router.get(
    "/issuers/{issuer_id}/partners",
    operation_id="listPartners",
    summary="The issuer's partner organisations",
    response_model=list[PartnerOut],
    responses=READ,
)
def list_partners(at: AtIssuerDep) -> list[PartnerOut]:
    return [_partner(p) for p in at.platform.endorsements.list_partners(at.principal, at.issuer_id)]


@router.post(
    "/issuers/{issuer_id}/endorsements",
    operation_id="createEndorsement",
    status_code=201,
    summary="Sign an endorsement of a definition version or of the issuer with a held key",
    response_model=EndorsementOut,
    responses=CHANGE,
)
def create_endorsement(body: EndorseRequest, at: AtIssuerDep) -> EndorsementOut:
    return _endorsement(at.platform.endorsements.endorse(at.principal, at.issuer_id, body))


@router.post(
    "/issuers/{issuer_id}/endorsements/upload",
    operation_id="uploadEndorsement",
    status_code=201,
    summary="File an EndorsementCredential a partner signed elsewhere (kept only if it verifies)",
    response_model=EndorsementOut,
    responses=CHANGE,
)
def upload_endorsement(body: EndorsementUpload, at: AtIssuerDep) -> EndorsementOut:
    return _endorsement(at.platform.endorsements.upload(at.principal, at.issuer_id, body))


@router.get(
    "/issuers/{issuer_id}/endorsements",
    operation_id="listEndorsements",
    summary="The issuer's endorsements (active and withdrawn)",
    response_model=list[EndorsementOut],
    responses=READ,
)
def list_endorsements(
    at: AtIssuerDep,
    definition_id: uuid.UUID | None = None,
) -> list[EndorsementOut]:
    found = at.platform.endorsements.list_endorsements(
        at.principal, at.issuer_id, definition_id=definition_id
    )
    return [_endorsement(e) for e in found]


@router.post(
    "/issuers/{issuer_id}/endorsements/{endorsement_id}/withdraw",
    operation_id="withdrawEndorsement",
    summary="Stop placing an endorsement into new credentials",
    response_model=EndorsementOut,
    responses=ACT,
)
def withdraw_endorsement(
    endorsement_id: uuid.UUID,
    at: AtIssuerDep,
) -> EndorsementOut:
    return _endorsement(
        at.platform.endorsements.withdraw(at.principal, at.issuer_id, endorsement_id)
    )


@router.post(
    "/issuers/{issuer_id}/clr",
    operation_id="exportClr",
    summary="A learner's chosen credentials as one signed CLR 2.0 ClrCredential",
    response_model=dict[str, Any],
    responses=CHANGE,
)
def export_clr(body: ClrExportRequest, at: AtIssuerDep) -> dict[str, Any]:
    return at.platform.clr.export(at.principal, at.issuer_id, body)
