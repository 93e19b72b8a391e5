"""The issuer console's pathways and pending awards (docs/pathways.md, docs/console.md).

* ``/console/{slug}/pathways`` — the issuer's pathways; ``…/new`` and ``…/{id}/edit``: the
  form (``pathway:edit``: target definition, parts, the rule, approval required);
* ``/console/{slug}/pathways/{id}`` — one pathway: its rule in words, its awards, and a
  learner search (``?learner=``) showing each found learner's progress on it;
* ``/console/{slug}/awards`` — awards waiting for a registrar (``credential:issue``), with
  approve / reject (a reason) forms, and the recently decided ones.

Every form is CSRF-checked; refused input comes back on the form with the service's reason.
Another issuer's pathway or award is ``404`` (the services look ids up within the issuer).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from microcred.errors import InvalidInput, MicrocredError, PermissionDenied
from microcred.services.access import Permission
from microcred.services.issuance import LearnerInfo
from microcred.services.pathways import (
    AwardInfo,
    PathwayInput,
    PathwayProgress,
    PathwayUpdate,
)
from microcred.web.pages import FLASH_MESSAGES, redirect, web_context
from microcred.web.pathway_form import (
    PathwayFormValues,
    form_values,
    info_values,
    rule_body,
)
from microcred.web.routes_console_base import (
    ConsolePage,
    ConsoleRoute,
    console_page,
    csrf_failed,
    page,
    parse_uuid,
    read_form,
)

__all__ = ["router", "staff_names"]

router = APIRouter(route_class=ConsoleRoute)

FLASH_MESSAGES.update(
    {
        "console-pathway-created": ("success", "Pathway created."),
        "console-pathway-saved": ("success", "Pathway saved."),
        "console-award-approved": ("success", "Award approved: the credential is issued."),
        "console-award-rejected": ("info", "Award rejected; the learner is not offered it again."),
    }
)

#: how many learners a progress search shows
MAX_FOUND = 10


def staff_names(request: Request, console: ConsolePage) -> dict[str, str]:
    """Staff member ids -> display names (empty when the role may not list staff)."""
    try:
        members = web_context(request).platform.identity.list_members(
            console.principal, console.issuer_id
        )
    except PermissionDenied:
        return {}
    return {str(m.user_id): m.display_name or m.email for m in members}


def _definitions(request: Request, console: ConsolePage) -> list[Any]:
    return list(
        web_context(request).platform.definitions.list(console.principal, console.issuer_id)
    )


def _form_page(
    request: Request,
    console: ConsolePage,
    values: PathwayFormValues,
    *,
    pathway_id: uuid.UUID | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "console/pathway_form.html",
        console,
        {
            "values": values,
            "pathway_id": pathway_id,
            "definitions": _definitions(request, console),
            "error": error,
        },
        status=status,
    )


@router.get("/console/{slug}/pathways")
def pathways_home(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    platform = web_context(request).platform
    pathways = platform.pathways.list_pathways(console.principal, console.issuer_id)
    names = {str(d.id): d.name for d in _definitions(request, console)}
    return page(
        request,
        "console/pathways.html",
        console,
        {"pathways": pathways, "definition_names": names},
    )


@router.get("/console/{slug}/pathways/new")
def pathway_new(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    if not console.can(Permission.PATHWAY_EDIT):
        raise PermissionDenied("your role may not create pathways")
    return _form_page(request, console, PathwayFormValues())


def _refusal(error: MicrocredError) -> str | None:
    """The reason to show on the form, or None for errors that are pages of their own."""
    return error.detail if error.status in (400, 409, 422) else None


@router.post("/console/{slug}/pathways/new")
async def pathway_create(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    values = form_values(form)
    body: dict[str, Any] = {
        "slug": values.slug,
        "name": values.name,
        "targetDefinitionId": values.target,
        "requiresApproval": values.requires_approval,
        "rule": rule_body(values),
    }
    if values.description:
        body["description"] = values.description
    service = web_context(request).platform.pathways
    try:
        created = service.create(console.principal, console.issuer_id, PathwayInput.from_json(body))
    except MicrocredError as error:
        reason = _refusal(error)
        if reason is None:
            raise
        return _form_page(request, console, values, error=reason, status=400)
    return redirect(
        request, f"/console/{slug}/pathways/{created.id}", flash="console-pathway-created"
    )


@router.get("/console/{slug}/pathways/{pathway_id}/edit")
def pathway_edit(request: Request, slug: str, pathway_id: str) -> Response:
    console = console_page(request, slug)
    ident = parse_uuid(pathway_id, "pathway")
    info = web_context(request).platform.pathways.get(console.principal, console.issuer_id, ident)
    if not console.can(Permission.PATHWAY_EDIT):
        raise PermissionDenied("your role may not change pathways")
    return _form_page(request, console, info_values(info), pathway_id=info.id)


@router.post("/console/{slug}/pathways/{pathway_id}/edit")
async def pathway_save(request: Request, slug: str, pathway_id: str) -> Response:
    console = console_page(request, slug)
    ident = parse_uuid(pathway_id, "pathway")
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    values = form_values(form)
    body: dict[str, Any] = {
        "name": values.name,
        "description": values.description or None,
        "targetDefinitionId": values.target,
        "requiresApproval": values.requires_approval,
        "active": values.active,
        "rule": rule_body(values),
    }
    service = web_context(request).platform.pathways
    try:
        service.get(console.principal, console.issuer_id, ident)  # 404 before validation
        service.update(console.principal, console.issuer_id, ident, PathwayUpdate.from_json(body))
    except MicrocredError as error:
        reason = _refusal(error)
        if reason is None:
            raise
        return _form_page(request, console, values, pathway_id=ident, error=reason, status=400)
    return redirect(request, f"/console/{slug}/pathways/{ident}", flash="console-pathway-saved")


def _found_learners(request: Request, console: ConsolePage, text: str) -> list[LearnerInfo]:
    platform = web_context(request).platform
    if len(text) > 200:
        raise InvalidInput("the search text is longer than 200 characters")
    return platform.issuance.list_learners(
        console.principal, console.issuer_id, search=text, limit=MAX_FOUND
    )


@router.get("/console/{slug}/pathways/{pathway_id}")
def pathway_detail(request: Request, slug: str, pathway_id: str, learner: str = "") -> Response:
    console = console_page(request, slug)
    ident = parse_uuid(pathway_id, "pathway")
    platform = web_context(request).platform
    info = platform.pathways.get(console.principal, console.issuer_id, ident)
    names = {str(d.id): d.name for d in _definitions(request, console)}
    text = learner.strip()
    found: list[tuple[LearnerInfo, PathwayProgress | None]] = []
    search_error = None
    if text and console.can(Permission.LEARNER_READ):
        try:
            for person in _found_learners(request, console, text):
                progress = platform.pathways.progress(
                    console.principal, console.issuer_id, person.id
                )
                mine = [p for p in progress if p.pathway.id == info.id]
                found.append((person, mine[0] if mine else None))
        except InvalidInput as error:
            search_error = error.detail
    awards: list[AwardInfo] = []
    learner_names: dict[str, str] = {}
    if console.can(Permission.CREDENTIAL_READ):
        awards = [
            a
            for a in platform.pathways.list_awards(console.principal, console.issuer_id, limit=500)
            if a.pathway_id == info.id
        ]
        learner_names = _learner_names(request, console, awards)
    return page(
        request,
        "console/pathway.html",
        console,
        {
            "pathway": info,
            "definition_names": names,
            "search": text,
            "search_error": search_error,
            "found": found,
            "awards": awards,
            "learner_names": learner_names,
        },
    )


def _learner_names(
    request: Request, console: ConsolePage, awards: list[AwardInfo]
) -> dict[str, str]:
    if not console.can(Permission.LEARNER_READ):
        return {}
    issuance = web_context(request).platform.issuance
    names: dict[str, str] = {}
    for award in awards:
        key = str(award.learner_id)
        if key not in names:
            person = issuance.get_learner(console.principal, console.issuer_id, award.learner_id)
            names[key] = person.name + (f" ({person.external_id})" if person.external_id else "")
    return names


# ---------------------------------------------------------------------- pending awards


def _awards_page(
    request: Request, console: ConsolePage, *, error: str | None = None, status: int = 200
) -> Response:
    service = web_context(request).platform.pathways
    pending = service.list_awards(console.principal, console.issuer_id, state="pending")
    decided = [
        a
        for a in service.list_awards(console.principal, console.issuer_id, limit=200)
        if a.decided_at is not None
    ][:50]
    pathways = {
        str(p.id): p.name for p in service.list_pathways(console.principal, console.issuer_id)
    }
    return page(
        request,
        "console/awards.html",
        console,
        {
            "pending": pending,
            "decided": decided,
            "pathway_names": pathways,
            "learner_names": _learner_names(request, console, [*pending, *decided]),
            "staff": staff_names(request, console),
            "error": error,
        },
        status=status,
    )


@router.get("/console/{slug}/awards")
def awards_home(request: Request, slug: str) -> Response:
    return _awards_page(request, console_page(request, slug))


async def _settle(request: Request, slug: str, award_id: str, approve: bool) -> Response:
    console = console_page(request, slug)
    ident = parse_uuid(award_id, "award")
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    service = web_context(request).platform.pathways
    try:
        if approve:
            service.approve_award(console.principal, console.issuer_id, ident)
        else:
            service.reject_award(console.principal, console.issuer_id, ident, form.get("reason"))
    except MicrocredError as error:
        if error.status not in (400, 409, 422):
            raise
        return _awards_page(request, console, error=error.detail, status=400)
    flash = "console-award-approved" if approve else "console-award-rejected"
    return redirect(request, f"/console/{slug}/awards", flash=flash)


@router.post("/console/{slug}/awards/{award_id}/approve")
async def award_approve(request: Request, slug: str, award_id: str) -> Response:
    return await _settle(request, slug, award_id, True)


@router.post("/console/{slug}/awards/{award_id}/reject")
async def award_reject(request: Request, slug: str, award_id: str) -> Response:
    return await _settle(request, slug, award_id, False)
