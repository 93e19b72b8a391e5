"""Admin API: micro-credential definitions, their versions, compliance and lifecycle."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from microcred.api.deps import PlatformDep, PrincipalDep
from microcred.api.errors import ProblemRoute, problem_responses
from microcred.api.schemas import (
    ComplianceOut,
    DefinitionOut,
    DefinitionStateName,
    DefinitionVersionOut,
    ReviewComment,
    VersionChoice,
    compliance_out,
    definition_out,
    version_out,
)
from microcred.services.definitions import DefinitionInput, DefinitionUpdate
from microcred.storage import DefinitionState

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/issuers/{issuer_id}/definitions", tags=["Definitions"], route_class=ProblemRoute
)

VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000)]


def _version(body: VersionChoice | ReviewComment | None) -> int | None:
    return None if body is None else body.version


_CHANGE = problem_responses(400, 401, 403, 404, 409, 413, 422)
_READ = problem_responses(401, 403, 404, 422)


@router.post(
    "",
    operation_id="createDefinition",
    status_code=201,
    summary="Create a definition (version 1, a draft)",
    response_model=DefinitionOut,
    responses=_CHANGE,
)
def create_definition(
    issuer_id: uuid.UUID, body: DefinitionInput, principal: PrincipalDep, platform: PlatformDep
) -> DefinitionOut:
    return definition_out(platform.definitions.create(principal, issuer_id, body))


@router.get(
    "",
    operation_id="listDefinitions",
    summary="The issuer's definitions by short name",
    response_model=list[DefinitionOut],
    responses=_READ,
)
def list_definitions(
    issuer_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    state: DefinitionStateName | None = None,
) -> list[DefinitionOut]:
    chosen = None if state is None else DefinitionState(state)
    return [
        definition_out(d) for d in platform.definitions.list(principal, issuer_id, state=chosen)
    ]


@router.get(
    "/{definition_id}",
    operation_id="getDefinition",
    summary="A definition with its newest version",
    response_model=DefinitionOut,
    responses=_READ,
)
def get_definition(
    issuer_id: uuid.UUID, definition_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> DefinitionOut:
    return definition_out(platform.definitions.get(principal, issuer_id, definition_id))


@router.put(
    "/{definition_id}",
    operation_id="updateDefinition",
    summary="New content: replaces the draft, or starts the next version after a published one",
    response_model=DefinitionVersionOut,
    responses=_CHANGE,
)
def update_definition(
    issuer_id: uuid.UUID,
    definition_id: uuid.UUID,
    body: DefinitionUpdate,
    principal: PrincipalDep,
    platform: PlatformDep,
) -> DefinitionVersionOut:
    info = platform.definitions.update_draft(principal, issuer_id, definition_id, body)
    return version_out(info)


@router.get(
    "/{definition_id}/versions",
    operation_id="listDefinitionVersions",
    summary="Every version, oldest first",
    response_model=list[DefinitionVersionOut],
    responses=_READ,
)
def list_versions(
    issuer_id: uuid.UUID, definition_id: uuid.UUID, principal: PrincipalDep, platform: PlatformDep
) -> list[DefinitionVersionOut]:
    versions = platform.definitions.versions(principal, issuer_id, definition_id)
    return [version_out(v) for v in versions]


@router.get(
    "/{definition_id}/versions/{version}",
    operation_id="getDefinitionVersion",
    summary="One version",
    response_model=DefinitionVersionOut,
    responses=_READ,
)
def get_version(
    issuer_id: uuid.UUID,
    definition_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    principal: PrincipalDep,
    platform: PlatformDep,
) -> DefinitionVersionOut:
    info = platform.definitions.get_version(principal, issuer_id, definition_id, version)
    return version_out(info)


@router.get(
    "/{definition_id}/compliance",
    operation_id="definitionCompliance",
    summary="Which EU standard elements are present, weak or missing (default: newest version)",
    response_model=ComplianceOut,
    responses=_READ,
)
def compliance(
    issuer_id: uuid.UUID,
    definition_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    version: VersionQuery = None,
) -> ComplianceOut:
    report = platform.definitions.compliance(principal, issuer_id, definition_id, version)
    return compliance_out(report)


@router.post(
    "/{definition_id}/submit",
    operation_id="submitDefinition",
    summary="Send a draft to review",
    response_model=DefinitionVersionOut,
    responses=_CHANGE,
)
def submit(
    issuer_id: uuid.UUID,
    definition_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    body: VersionChoice | None = None,
) -> DefinitionVersionOut:
    info = platform.definitions.submit_for_review(
        principal, issuer_id, definition_id, _version(body)
    )
    return version_out(info)


@router.post(
    "/{definition_id}/request-changes",
    operation_id="requestDefinitionChanges",
    summary="Send a version in review back to draft, optionally with a comment",
    response_model=DefinitionVersionOut,
    responses=_CHANGE,
)
def request_changes(
    issuer_id: uuid.UUID,
    definition_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    body: ReviewComment | None = None,
) -> DefinitionVersionOut:
    info = platform.definitions.request_changes(
        principal,
        issuer_id,
        definition_id,
        _version(body),
        comment=None if body is None else body.comment,
    )
    return version_out(info)


@router.post(
    "/{definition_id}/publish",
    operation_id="publishDefinition",
    summary="Approve and publish a version in review (refused while an EU element is missing)",
    response_model=DefinitionVersionOut,
    responses=_CHANGE,
)
def publish(
    issuer_id: uuid.UUID,
    definition_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    body: VersionChoice | None = None,
) -> DefinitionVersionOut:
    info = platform.definitions.approve_and_publish(
        principal, issuer_id, definition_id, _version(body)
    )
    return version_out(info)


@router.post(
    "/{definition_id}/retire",
    operation_id="retireDefinition",
    summary="Stop issuing a published version (default: the newest published one)",
    response_model=DefinitionVersionOut,
    responses=_CHANGE,
)
def retire(
    issuer_id: uuid.UUID,
    definition_id: uuid.UUID,
    principal: PrincipalDep,
    platform: PlatformDep,
    body: VersionChoice | None = None,
) -> DefinitionVersionOut:
    info = platform.definitions.retire(principal, issuer_id, definition_id, _version(body))
    return version_out(info)
