"""Admin API: issuers (tenants), their keys and audit log (``/api/v1``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.api.schemas import (
    AuditEntryOut,
    IssuerOut,
    KeyOut,
    audit_out,
    issuer_out,
    key_out,
)
from microcred.services.schemas_identity import IssuerCreate, IssuerProfileUpdate

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["Issuers"], route_class=ProblemRoute)

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.post(
    "/issuers",
    operation_id="createIssuer",
    status_code=201,
    summary="Create an issuer with its DID and first key (platform operators)",
    response_model=IssuerOut,
    responses=problem_responses(400, 401, 403, 409, 413, 422),
)
def create_issuer(body: IssuerCreate, principal: PrincipalDep, platform: PlatformDep) -> IssuerOut:
    return issuer_out(platform.issuers.create_issuer(principal, body))


@router.get(
    "/issuers",
    operation_id="listIssuers",
    summary="The issuers you may read (all of them for an operator)",
    response_model=list[IssuerOut],
    responses=problem_responses(401, 403, 422),
)
def list_issuers(
    principal: PrincipalDep, platform: PlatformDep, limit: Limit = 100, offset: Offset = 0
) -> list[IssuerOut]:
    issuers = platform.issuers.list_issuers(principal, limit=limit, offset=offset)
    return [issuer_out(info) for info in issuers]


@router.get(
    "/issuers/{issuer_id}",
    operation_id="getIssuer",
    summary="An issuer's profile, DID and active key",
    response_model=IssuerOut,
    responses=problem_responses(401, 403, 404, 422),
)
def get_issuer(issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep) -> IssuerOut:
    return issuer_out(platform.issuers.get_issuer(principal, issuer_id))


@router.patch(
    "/issuers/{issuer_id}",
    operation_id="updateIssuer",
    summary="Change profile fields (given fields only; null clears one)",
    response_model=IssuerOut,
    responses=problem_responses(400, 401, 403, 404, 413, 422),
)
def update_issuer(
    issuer_id: uuid.UUID,
    body: IssuerProfileUpdate,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> IssuerOut:
    return issuer_out(platform.issuers.update_profile(principal, issuer_id, body))


@router.get(
    "/issuers/{issuer_id}/keys",
    operation_id="listIssuerKeys",
    summary="Every signing key of the issuer, oldest first (public parts only)",
    response_model=list[KeyOut],
    responses=problem_responses(401, 403, 404, 422),
)
def list_keys(issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep) -> list[KeyOut]:
    return [key_out(k) for k in platform.issuers.list_keys(principal, issuer_id)]


@router.post(
    "/issuers/{issuer_id}/keys/rotate",
    operation_id="rotateIssuerKey",
    status_code=201,
    summary="Make a new active key; the old one stays in the DID document, revoked",
    response_model=KeyOut,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def rotate_key(issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep) -> KeyOut:
    return key_out(platform.issuers.rotate_key(principal, issuer_id))


@router.get(
    "/issuers/{issuer_id}/audit",
    operation_id="issuerAuditLog",
    summary="The issuer's audit log, newest first (page with before=<smallest id seen>)",
    response_model=list[AuditEntryOut],
    responses=problem_responses(401, 403, 404, 422),
)
def issuer_audit(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    limit: Limit = 100,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
) -> list[AuditEntryOut]:
    entries = platform.issuers.audit_log(
        principal, issuer_id, limit=limit, before=before, action=action
    )
    return [audit_out(e) for e in entries]


@router.get(
    "/audit",
    operation_id="platformAuditLog",
    summary="Every audit entry, including sign-ins (platform operators)",
    response_model=list[AuditEntryOut],
    responses=problem_responses(401, 403, 422),
)
def platform_audit(
    principal: PrincipalDep,
    platform: PlatformDep,
    limit: Limit = 100,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[AuditEntryOut]:
    entries = platform.issuers.platform_audit_log(principal, limit=limit, before=before)
    return [audit_out(e) for e in entries]
