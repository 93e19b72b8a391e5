"""ELM v3 / EDC routes: export an issued credential, show (read and verify) an ELM document."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.services.elm import build_elm_service

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", route_class=ProblemRoute)


@router.get(
    "/issuers/{issuer_id}/credentials/{credential_id}/elm",
    tags=["Credentials"],
    operation_id="exportCredentialElm",
    summary="The credential as a signed ELM v3 European Digital Credential (EDC JSON-LD)",
    responses=problem_responses(401, 403, 404, 422)
    | {200: {"content": {"application/ld+json": {}}, "description": "The ELM document"}},
)
def export_elm(
    issuer_id: uuid.UUID,
    credential_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> JSONResponse:
    document = build_elm_service(platform).export(principal, issuer_id, credential_id)
    return JSONResponse(
        document,
        media_type="application/ld+json",
        headers={
            "Content-Disposition": f'attachment; filename="credential-{credential_id}-elm.jsonld"'
        },
    )


@router.post(
    "/elm/show",
    tags=["VC-API"],
    operation_id="showElm",
    summary="Read an ELM document's EU standard elements (plain or JAdES-sealed), verify it",
    responses=problem_responses(400, 413, 422),
)
def show_elm(
    platform: PlatformDep,
    document: Any = Body(..., description="An ELM v3 credential, or a JWS/JAdES envelope of one"),  # noqa: B008
) -> dict[str, Any]:
    return build_elm_service(platform).show(document).to_json()
