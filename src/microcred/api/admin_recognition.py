"""Admin API: recognition of external credentials (import, report, decision).

``POST .../recognition/credentials`` takes JSON (``learnerId`` and the ``credential`` object or
its ``url``); ``POST .../recognition/credentials/upload`` takes a multipart form (``learnerId``
and a ``file``: JSON, or a baked PNG/SVG badge). Both answer with the stored external credential
and its verification report (``201`` when new, ``200`` when the same document was imported for
the learner before).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import File, Form, Query, Response, UploadFile
from pydantic import Field, model_validator

from microcred.api.routing import CHANGE, READ, AtIssuerDep, JSONObject, Limit, Offset, admin_router
from microcred.errors import InvalidInput
from microcred.model import StrictModel
from microcred.services._support import UUIDField
from microcred.services.recognition import DecisionInput, ExternalCredentialInfo
from microcred.web.inputs import MAX_UPLOAD

__all__ = ["router"]

router = admin_router("/api/v1/issuers/{issuer_id}/recognition", "Recognition")

_IMPORT: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same document was imported for this learner before"},
    **CHANGE,
}


class ExternalImport(StrictModel):
    """An external credential for a learner: the credential itself, or its web address."""

    learner_id: UUIDField
    credential: dict[str, Any] | None = None
    url: Annotated[str, Field(min_length=1, max_length=2048)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ExternalImport:
        if (self.credential is None) == (self.url is None):
            raise ValueError("give exactly one of credential (the JSON object) or url")
        return self


def _answer(info: ExternalCredentialInfo, response: Response) -> JSONObject:
    response.status_code = 201 if info.created else 200
    return info.to_json()


@router.post(
    "/credentials",
    operation_id="importExternalCredential",
    status_code=201,
    summary="Import an external credential (JSON or URL), verify it, store the report",
    responses=_IMPORT,
)
def import_credential(
    body: ExternalImport,
    response: Response,
    at: AtIssuerDep,
) -> JSONObject:
    if body.credential is not None:
        source, kind = json.dumps(body.credential), "text"
    else:
        assert body.url is not None
        source, kind = body.url, "url"
    info = at.platform.recognition.import_credential(
        at.principal,
        at.issuer_id,
        body.learner_id,
        source,
        "text" if kind == "text" else "url",
    )
    return _answer(info, response)


@router.post(
    "/credentials/upload",
    operation_id="uploadExternalCredential",
    status_code=201,
    summary="Import an external credential file (JSON, or a baked PNG/SVG badge)",
    responses=_IMPORT,
)
def upload_credential(
    learner_id: Annotated[uuid.UUID, Form(alias="learnerId")],
    file: Annotated[UploadFile, File(description="JSON, or a baked PNG or SVG badge")],
    response: Response,
    at: AtIssuerDep,
) -> JSONObject:
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("The file is larger than 1 MiB; no credential is that large.")
    info = at.platform.recognition.import_credential(
        at.principal, at.issuer_id, learner_id, data, "file"
    )
    return _answer(info, response)


@router.get(
    "/credentials",
    operation_id="listExternalCredentials",
    summary="External credentials, newest first (undecided=true: the recognition inbox)",
    responses=READ,
)
def list_credentials(
    at: AtIssuerDep,
    learner_id: Annotated[uuid.UUID | None, Query(alias="learnerId")] = None,
    undecided: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[JSONObject]:
    items = at.platform.recognition.inbox(
        at.principal,
        at.issuer_id,
        learner_id=learner_id,
        undecided_only=undecided,
        limit=limit,
        offset=offset,
    )
    return [item.to_json() for item in items]


@router.get(
    "/credentials/{external_id}",
    operation_id="getExternalCredential",
    summary="An external credential with its verification report and decision",
    responses=READ,
)
def get_credential(external_id: uuid.UUID, at: AtIssuerDep) -> JSONObject:
    return at.platform.recognition.get(at.principal, at.issuer_id, external_id).to_json()


@router.post(
    "/credentials/{external_id}/decision",
    operation_id="decideRecognition",
    status_code=201,
    summary="Recognise for N ECTS (towards a pathway or programme) or refuse, with a reason",
    responses=CHANGE,
)
def decide(
    external_id: uuid.UUID,
    body: DecisionInput,
    at: AtIssuerDep,
) -> JSONObject:
    return at.platform.recognition.decide(at.principal, at.issuer_id, external_id, body).to_json()
