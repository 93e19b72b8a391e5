"""The issuer console's partners and endorsements page (docs/endorsements.md, docs/console.md).

``/console/{slug}/endorsements``: the issuer's partner organisations and their endorsements,
with forms (``issuer:manage``) to record a partner (its own DID, or a did:key the platform
holds for it), sign an endorsement of a published definition or of the issuer with a held
key, file an endorsement signed elsewhere (pasted JSON, kept only when it verifies) and
withdraw one. Every form is CSRF-checked; refused input comes back on the page with a reason.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from microcred.errors import InvalidInput, MicrocredError
from microcred.services.endorsements import EndorsementUpload, EndorseRequest, PartnerInput
from microcred.web.pages import redirect, web_context
from microcred.web.routes_console_base import (
    ConsoleForm,
    ConsolePage,
    ConsoleRoute,
    console_page,
    csrf_failed,
    page,
    parse_uuid,
    read_form,
)

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute)

#: the largest pasted EndorsementCredential (characters)
MAX_PASTED = 200_000


def _page(
    request: Request, console: ConsolePage, *, error: str | None = None, status: int = 200
) -> Response:
    platform = web_context(request).platform
    partners = platform.endorsements.list_partners(console.principal, console.issuer_id)
    endorsements = platform.endorsements.list_endorsements(console.principal, console.issuer_id)
    definitions = [
        d
        for d in platform.definitions.list(console.principal, console.issuer_id)
        if d.published_version is not None
    ]
    return page(
        request,
        "console/endorsements.html",
        console,
        {
            "partners": partners,
            "held_partners": [p for p in partners if p.holds_key],
            "endorsements": endorsements,
            "definitions": definitions,
            "definition_names": {str(d.id): d.name for d in definitions},
            "error": error,
        },
        status=status,
    )


@router.get("/console/{slug}/endorsements")
def endorsements_home(request: Request, slug: str) -> Response:
    return _page(request, console_page(request, slug))


def _target(form: ConsoleForm) -> dict[str, Any]:
    target = form.get("target")
    if target == "issuer":
        return {"target": "issuer"}
    if target.startswith("definition:"):
        return {"target": "definition", "definitionId": target.removeprefix("definition:")}
    raise InvalidInput("choose what is endorsed: the issuer or one of its definitions")


async def _act(request: Request, slug: str, action: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    service = web_context(request).platform.endorsements
    try:
        if action == "partner":
            body: dict[str, Any] = {"name": form.get("name"), "holdKey": form.get("hold") == "on"}
            if form.get("did"):
                body["did"] = form.get("did")
            if form.get("homepage"):
                body["homepage"] = form.get("homepage")
            service.add_partner(console.principal, console.issuer_id, PartnerInput.from_json(body))
        elif action == "sign":
            body = {"partnerId": form.get("partner"), "comment": form.get("comment")}
            body |= _target(form)
            service.endorse(console.principal, console.issuer_id, EndorseRequest.from_json(body))
        else:
            text = form.get("credential")
            if len(text) > MAX_PASTED:
                raise InvalidInput("the pasted endorsement is too long")
            try:
                document = json.loads(text)
            except json.JSONDecodeError:
                raise InvalidInput("the pasted endorsement is not JSON") from None
            if not isinstance(document, dict):
                raise InvalidInput("an EndorsementCredential is a JSON object")
            body = {"partnerId": form.get("partner"), "credential": document} | _target(form)
            service.upload(console.principal, console.issuer_id, EndorsementUpload.from_json(body))
    except MicrocredError as error:
        if error.status in (400, 409, 422):
            return _page(request, console, error=error.detail, status=400)
        raise
    return redirect(request, f"/console/{slug}/endorsements")


@router.post("/console/{slug}/endorsements/partners")
async def endorsements_partner(request: Request, slug: str) -> Response:
    return await _act(request, slug, "partner")


@router.post("/console/{slug}/endorsements/sign")
async def endorsements_sign(request: Request, slug: str) -> Response:
    return await _act(request, slug, "sign")


@router.post("/console/{slug}/endorsements/upload")
async def endorsements_upload(request: Request, slug: str) -> Response:
    return await _act(request, slug, "upload")


@router.post("/console/{slug}/endorsements/{endorsement_id}/withdraw")
async def endorsements_withdraw(request: Request, slug: str, endorsement_id: str) -> Response:
    console = console_page(request, slug)
    if await read_form(request) is None:
        return csrf_failed(request)
    ident = parse_uuid(endorsement_id, "endorsement")
    web_context(request).platform.endorsements.withdraw(console.principal, console.issuer_id, ident)
    return redirect(request, f"/console/{slug}/endorsements")
