"""Admin API: pathways (stackable micro-credentials), learner progress and pathway awards.

Bodies are the services' strict input models (``PathwayInput``, ``PathwayUpdate``); answers are
the services' JSON forms (docs/pathways.md shows each).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query
from pydantic import Field

from microcred.api.routing import CHANGE, READ, AtIssuerDep, JSONObject, Limit, Offset, admin_router
from microcred.model import StrictModel
from microcred.services.pathways import PathwayInput, PathwayUpdate

__all__ = ["router"]

router = admin_router("/api/v1/issuers/{issuer_id}", "Pathways")


class AwardRejection(StrictModel):
    """Why a pending award is refused (1-1000 characters)."""

    reason: Annotated[str, Field(min_length=1, max_length=1000)]


@router.post(
    "/pathways",
    operation_id="createPathway",
    status_code=201,
    summary="Create a pathway: a target definition and the rule over its parts",
    responses=CHANGE,
)
def create_pathway(body: PathwayInput, at: AtIssuerDep) -> JSONObject:
    return at.platform.pathways.create(at.principal, at.issuer_id, body).to_json()


@router.get(
    "/pathways", operation_id="listPathways", summary="The issuer's pathways", responses=READ
)
def list_pathways(at: AtIssuerDep) -> list[JSONObject]:
    return [p.to_json() for p in at.platform.pathways.list_pathways(at.principal, at.issuer_id)]


@router.get(
    "/pathways/{pathway_id}", operation_id="getPathway", summary="One pathway", responses=READ
)
def get_pathway(pathway_id: uuid.UUID, at: AtIssuerDep) -> JSONObject:
    return at.platform.pathways.get(at.principal, at.issuer_id, pathway_id).to_json()


@router.patch(
    "/pathways/{pathway_id}",
    operation_id="updatePathway",
    summary="Change a pathway (fields left out keep their value)",
    responses=CHANGE,
)
def update_pathway(
    pathway_id: uuid.UUID,
    body: PathwayUpdate,
    at: AtIssuerDep,
) -> JSONObject:
    return at.platform.pathways.update(at.principal, at.issuer_id, pathway_id, body).to_json()


@router.get(
    "/learners/{learner_id}/pathways",
    operation_id="learnerPathwayProgress",
    summary="A learner's progress on every active pathway",
    responses=READ,
)
def learner_progress(learner_id: uuid.UUID, at: AtIssuerDep) -> list[JSONObject]:
    return [
        p.to_json() for p in at.platform.pathways.progress(at.principal, at.issuer_id, learner_id)
    ]


@router.post(
    "/learners/{learner_id}/pathways/evaluate",
    operation_id="evaluateLearnerPathways",
    summary="Evaluate the learner's pathways now; the awards this created",
    responses=CHANGE,
)
def evaluate_learner(learner_id: uuid.UUID, at: AtIssuerDep) -> list[JSONObject]:
    awards = at.platform.pathways.evaluate_learner(at.principal, at.issuer_id, learner_id)
    return [a.to_json() for a in awards]


@router.get(
    "/pathway-awards",
    operation_id="listPathwayAwards",
    summary="Pathway awards, newest first (state=pending: the approval queue)",
    responses=READ,
)
def list_awards(
    at: AtIssuerDep,
    state: Literal["pending", "issued", "rejected"] | None = None,
    learner_id: Annotated[uuid.UUID | None, Query(alias="learnerId")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[JSONObject]:
    awards = at.platform.pathways.list_awards(
        at.principal, at.issuer_id, state=state, learner_id=learner_id, limit=limit, offset=offset
    )
    return [a.to_json() for a in awards]


@router.post(
    "/pathway-awards/{award_id}/approve",
    operation_id="approvePathwayAward",
    summary="Issue a pending award",
    responses=CHANGE,
)
def approve_award(award_id: uuid.UUID, at: AtIssuerDep) -> JSONObject:
    return at.platform.pathways.approve_award(at.principal, at.issuer_id, award_id).to_json()


@router.post(
    "/pathway-awards/{award_id}/reject",
    operation_id="rejectPathwayAward",
    summary="Refuse a pending award, with the reason",
    responses=CHANGE,
)
def reject_award(
    award_id: uuid.UUID,
    body: AwardRejection,
    at: AtIssuerDep,
) -> JSONObject:
    return at.platform.pathways.reject_award(
        at.principal, at.issuer_id, award_id, body.reason
    ).to_json()
