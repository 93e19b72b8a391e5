"""Public endpoints: hosted DID documents, claim links, health, readiness and metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from microcred.api.deps import PlatformDep
from microcred.api.errors import PROBLEM_JSON, Problem, ProblemRoute, problem_responses
from microcred.api.metrics import Metrics
from microcred.services.health import check_readiness

__all__ = ["ClaimOut", "HealthOut", "ReadyOut", "ReadyProblem", "router"]

router = APIRouter(route_class=ProblemRoute)


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyCheckOut(BaseModel):
    ok: bool
    detail: str


class ReadyOut(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, ReadyCheckOut]


class ReadyProblem(Problem):
    checks: dict[str, ReadyCheckOut]


class ClaimOut(BaseModel):
    credentialId: str  # noqa: N815 - JSON casing
    state: str
    claimedAt: datetime | None  # noqa: N815
    verifiableCredential: dict[str, Any]  # noqa: N815


@router.get(
    "/issuers/{slug}/did.json",
    tags=["DIDs"],
    operation_id="didDocument",
    summary="The did:web DID document of a hosted issuer, with its key history",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The DID document (application/did+json)",
            "content": {"application/did+json": {"schema": {"type": "object"}}},
        },
        **problem_responses(404, 422),
    },
)
def did_document(
    slug: Annotated[str, Path(min_length=1, max_length=64)], platform: PlatformDep
) -> JSONResponse:
    document = platform.issuers.did_document(slug)
    return JSONResponse(
        dict(document),
        media_type="application/did+json",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@router.get(
    "/claim/{token}",
    tags=["Learners"],
    operation_id="claimCredential",
    summary="The learner's claim link: marks the credential claimed and returns it",
    response_model=ClaimOut,
    responses=problem_responses(404, 409, 422),
)
def claim(
    token: Annotated[str, Path(min_length=1, max_length=200)], platform: PlatformDep
) -> ClaimOut:
    issued = platform.issuance.claim(token)
    return ClaimOut(
        credentialId=issued.credential_uri,
        state=issued.state.value,
        claimedAt=issued.claimed_at,
        verifiableCredential=dict(issued.document),
    )


@router.get(
    "/healthz",
    tags=["Operations"],
    operation_id="health",
    summary="Liveness: the process answers",
    response_model=HealthOut,
)
def health() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    tags=["Operations"],
    operation_id="readiness",
    summary="Readiness: database reachable, schema current, the KEK opens the key store",
    response_model=ReadyOut,
    responses={
        200: {"description": "Ready"},
        503: {
            "description": "Not ready: the failing checks say why",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ReadyProblem"}}},
        },
    },
)
def readiness(platform: PlatformDep, request: Request) -> Any:
    report = check_readiness(platform)
    checks = {c.name: {"ok": c.ok, "detail": c.detail} for c in report.checks}
    if report.ready:
        return {"status": "ready", "checks": checks}
    failing = "; ".join(f"{c.name}: {c.detail}" for c in report.checks if not c.ok)
    body = {
        "type": "https://microcred.dev/problems/not-ready",
        "title": "Not ready",
        "status": 503,
        "detail": failing,
        "instance": request.url.path,
        "checks": checks,
    }
    return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)


@router.get(
    "/metrics",
    tags=["Operations"],
    operation_id="metrics",
    summary="Prometheus metrics (text format 0.0.4)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> PlainTextResponse:
    registry: Metrics = request.app.state.metrics
    return PlainTextResponse(registry.render(), media_type=Metrics.CONTENT_TYPE)
