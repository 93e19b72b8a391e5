"""Admin API: pathways (stackable micro-credentials), learner progress and pathway awards.

Bodies are the services' strict input models (``PathwayInput``, ``PathwayUpdate``); answers are
the services' JSON forms (docs/pathways.md shows each).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.model import StrictModel
from microcred.services.pathways import PathwayInput, PathwayUpdate

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/issuers/{issuer_id}", tags=["Pathways"], route_class=ProblemRoute
)

_CHANGE = problem_responses(400, 401, 403, 404, 409, 413, 422)
_READ = problem_responses(401, 403, 404, 422)
JSONObject = dict[str, Any]


class AwardRejection(StrictModel):
    """Why a pending award is refused (1-1000 characters)."""

    reason: Annotated[str, Field(min_length=1, max_length=1000)]


@router.post(
    "/pathways",
    operation_id="createPathway",
    status_code=201,
    summary="Create a pathway: a target definition and the rule over its parts",
    responses=_CHANGE,
)
def create_pathway(
    issuer_id: uuid.UUID, body: PathwayInput, principal: PrincipalDep, platform: PlatformDep
) -> JSONObject:
    return platform.pathways.create(principal, issuer_id, body).to_json()


@router.get(
    "/pathways", operation_id="listPathways", summary="The issuer's pathways", responses=_READ
)
def list_pathways(
    issuer_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> list[JSONObject]:
    return [p.to_json() for p in platform.pathways.list_pathways(principal, issuer_id)]


@router.get(
    "/pathways/{pathway_id}", operation_id="getPathway", summary="One pathway", responses=_READ
)
def get_pathway(
    issuer_id: uuid.UUID, pathway_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> JSONObject:
    return platform.pathways.get(principal, issuer_id, pathway_id).to_json()


@router.patch(
    "/pathways/{pathway_id}",
    operation_id="updatePathway",
    summary="Change a pathway (fields left out keep their value)",
    responses=_CHANGE,
)
def update_pathway(
    issuer_id: uuid.UUID,
    pathway_id: uuid.UUID,
    body: PathwayUpdate,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> JSONObject:
    return platform.pathways.update(principal, issuer_id, pathway_id, body).to_json()


@router.get(
    "/learners/{learner_id}/pathways",
    operation_id="learnerPathwayProgress",
    summary="A learner's progress on every active pathway",
    responses=_READ,
)
def learner_progress(
    issuer_id: uuid.UUID, learner_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> list[JSONObject]:
    return [p.to_json() for p in platform.pathways.progress(principal, issuer_id, learner_id)]


@router.post(
    "/learners/{learner_id}/pathways/evaluate",
    operation_id="evaluateLearnerPathways",
    summary="Evaluate the learner's pathways now; the awards this created",
    responses=_CHANGE,
)
def evaluate_learner(
    issuer_id: uuid.UUID, learner_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> list[JSONObject]:
    awards = platform.pathways.evaluate_learner(principal, issuer_id, learner_id)
    return [a.to_json() for a in awards]


@router.get(
    "/pathway-awards",
    operation_id="listPathwayAwards",
    summary="Pathway awards, newest first (state=pending: the approval queue)",
    responses=_READ,
)
def list_awards(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    state: Literal["pending", "issued", "rejected"] | None = None,
    learner_id: Annotated[uuid.UUID | None, Query(alias="learnerId")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[JSONObject]:
    awards = platform.pathways.list_awards(
        principal, issuer_id, state=state, learner_id=learner_id, limit=limit, offset=offset
    )
    return [a.to_json() for a in awards]


@router.post(
    "/pathway-awards/{award_id}/approve",
    operation_id="approvePathwayAward",
    summary="Issue a pending award",
    responses=_CHANGE,
)
def approve_award(
    issuer_id: uuid.UUID, award_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> JSONObject:
    return platform.pathways.approve_award(principal, issuer_id, award_id).to_json()


@router.post(
    "/pathway-awards/{award_id}/reject",
    operation_id="rejectPathwayAward",
    summary="Refuse a pending award, with the reason",
    responses=_CHANGE,
)
def reject_award(
    issuer_id: uuid.UUID,
    award_id: uuid.UUID,
    body: AwardRejection,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> JSONObject:
    return platform.pathways.reject_award(principal, issuer_id, award_id, body.reason).to_json()
