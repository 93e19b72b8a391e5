"""Admin API: learners, issuing and re-issuing credentials, listing them, the mail outbox.

``POST …/credentials`` takes an ``Idempotency-Key`` header (or ``idempotencyKey`` in the body;
not both with different values): a retried request with the same key and the same body returns
the credential stored the first time (``replayed: true``), never a second one; the same key
with a different body is ``409``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from pydantic import Field

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.api.metrics import Metrics
from microcred.api.schemas import (
    CredentialOut,
    CredentialPageOut,
    CredentialStateName,
    In,
    LearnerOut,
    OutboxMessageOut,
    credential_out,
    credential_page_out,
    learner_out,
    outbox_out,
)
from microcred.errors import InvalidInput
from microcred.services.issuance import (
    CredentialCorrections,
    CredentialFilter,
    IssueRequest,
    LearnerInput,
)

__all__ = ["ReissueRequest", "router"]

router = APIRouter(prefix="/api/v1", route_class=ProblemRoute)

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Makes a retried request return the credential stored the first time",
    ),
]


class ReissueRequest(In):
    corrections: CredentialCorrections = Field(default_factory=CredentialCorrections)
    reason: str = Field(min_length=1, max_length=1000, description="What was corrected")


def _with_key(body: Any, header: str | None) -> Any:
    if header is None:
        return body
    given = body.idempotency_key
    if given is not None and given != header:
        raise InvalidInput(
            "the Idempotency-Key header and idempotencyKey in the body differ; send one",
            errors=[{"path": "idempotencyKey", "message": "differs from the header"}],
        )
    return body.model_copy(update={"idempotency_key": header})


def _metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


# --------------------------------------------------------------------------- learners


@router.post(
    "/issuers/{issuer_id}/learners",
    tags=["Learners"],
    operation_id="upsertLearner",
    summary="Create a learner, or update the one with the same external id",
    response_model=LearnerOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def upsert_learner(
    issuer_id: uuid.UUID, body: LearnerInput, principal: PrincipalDep, platform: PlatformDep
) -> LearnerOut:
    return learner_out(platform.issuance.upsert_learner(principal, issuer_id, body))


@router.get(
    "/issuers/{issuer_id}/learners",
    tags=["Learners"],
    operation_id="listLearners",
    summary="Learners by name; search matches name, e-mail or external id",
    response_model=list[LearnerOut],
    responses=problem_responses(400, 401, 403, 404, 422),
)
def list_learners(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    search: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[LearnerOut]:
    learners = platform.issuance.list_learners(
        principal, issuer_id, search=search, limit=limit, offset=offset
    )
    return [learner_out(info) for info in learners]


@router.get(
    "/issuers/{issuer_id}/learners/{learner_id}",
    tags=["Learners"],
    operation_id="getLearner",
    summary="One learner",
    response_model=LearnerOut,
    responses=problem_responses(401, 403, 404, 422),
)
def get_learner(
    issuer_id: uuid.UUID, learner_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> LearnerOut:
    return learner_out(platform.issuance.get_learner(principal, issuer_id, learner_id))


# --------------------------------------------------------------------------- credentials


@router.post(
    "/issuers/{issuer_id}/credentials",
    tags=["Credentials"],
    operation_id="issueFromDefinition",
    status_code=201,
    summary="Issue a credential from a published definition version to a learner",
    response_model=CredentialOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def issue(
    issuer_id: uuid.UUID,
    body: IssueRequest,
    principal: PrincipalDep,
    platform: PlatformDep,
    request: Request,
    idempotency_key: IdempotencyHeader = None,
) -> CredentialOut:
    issued = platform.issuance.issue(principal, issuer_id, _with_key(body, idempotency_key))
    if not issued.replayed:
        _metrics(request).credentials_issued.inc("api")
    return credential_out(issued)


@router.get(
    "/issuers/{issuer_id}/credentials",
    tags=["Credentials"],
    operation_id="listCredentials",
    summary="A page of the issuer's credentials, newest first, with the total that match",
    response_model=CredentialPageOut,
    responses=problem_responses(400, 401, 403, 404, 422),
)
def list_credentials(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    definition_id: Annotated[uuid.UUID | None, Query(alias="definitionId")] = None,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    state: CredentialStateName | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    issued_from: Annotated[datetime | None, Query(alias="issuedFrom")] = None,
    issued_before: Annotated[datetime | None, Query(alias="issuedBefore")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CredentialPageOut:
    given: dict[str, Any] = {
        "definition_id": definition_id,
        "version": version,
        "state": state,
        "search": search,
        "issued_from": issued_from,
        "issued_before": issued_before,
    }
    filters = CredentialFilter(**{k: v for k, v in given.items() if v is not None})
    page = platform.issuance.list_credentials(
        principal, issuer_id, filters, limit=limit, offset=offset
    )
    return credential_page_out(page)


@router.get(
    "/issuers/{issuer_id}/credentials/{credential_id}",
    tags=["Credentials"],
    operation_id="getIssuedCredential",
    summary="One credential with its signed JSON",
    response_model=CredentialOut,
    responses=problem_responses(401, 403, 404, 422),
)
def get_credential(
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> CredentialOut:
    return credential_out(platform.issuance.get_credential(principal, issuer_id, credential_id))


@router.post(
    "/issuers/{issuer_id}/credentials/{credential_id}/reissue",
    tags=["Credentials"],
    operation_id="reissueCredential",
    status_code=201,
    summary="Issue a corrected credential that replaces this one",
    response_model=CredentialOut,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def reissue(
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    body: ReissueRequest,
    principal: PrincipalDep,
    platform: PlatformDep,
    request: Request,
    idempotency_key: IdempotencyHeader = None,
) -> CredentialOut:
    corrections = _with_key(body.corrections, idempotency_key)
    issued = platform.issuance.reissue(
        principal, issuer_id, credential_id, corrections, body.reason
    )
    if not issued.replayed:
        _metrics(request).credentials_issued.inc("api")
    return credential_out(issued)


# --------------------------------------------------------------------------- outbox


@router.get(
    "/outbox",
    tags=["Outbox"],
    operation_id="platformOutbox",
    summary="Mail in the outbox, newest first (platform operators)",
    response_model=list[OutboxMessageOut],
    responses=problem_responses(401, 403, 422),
)
def platform_outbox(
    principal: PrincipalDep, platform: PlatformDep, limit: Limit = 50, offset: Offset = 0
) -> list[OutboxMessageOut]:
    messages = platform.issuance.outbox(principal, limit=limit, offset=offset)
    return [outbox_out(m) for m in messages]


@router.get(
    "/issuers/{issuer_id}/outbox",
    tags=["Outbox"],
    operation_id="issuerOutbox",
    summary="The issuer's mail in the outbox, newest first (issuer admins)",
    response_model=list[OutboxMessageOut],
    responses=problem_responses(401, 403, 404, 422),
)
def issuer_outbox(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[OutboxMessageOut]:
    messages = platform.issuance.outbox(principal, issuer_id=issuer_id, limit=limit, offset=offset)
    return [outbox_out(m) for m in messages]
