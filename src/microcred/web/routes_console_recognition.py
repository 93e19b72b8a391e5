"""The issuer console's recognition inbox (docs/recognition.md, docs/console.md).

* ``/console/{slug}/recognition`` — the undecided and decided external credentials, and the
  import form (``recognition:decide``): a learner (student id, e-mail or name) and a file
  (JSON, a baked PNG/SVG badge), pasted JSON, or a web address (other sites only when network
  fetches are enabled);
* ``/console/{slug}/recognition/{id}`` — one external credential: its verification report
  (the public verifier's explained checks) and the decision form — recognise N ECTS towards a
  pathway or a programme (optionally issuing a recognition credential), or refuse with a
  reason — or, once decided, who decided what and when.

Every form is CSRF-checked; refused input comes back on the page with the service's reason;
another issuer's credential is ``404``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from fastapi import APIRouter, Request
from starlette.responses import Response

from microcred.errors import InvalidInput, MicrocredError
from microcred.pathways.holdings import ects_text
from microcred.services.access import Permission
from microcred.services.issuance import LearnerInfo
from microcred.services.recognition import DecisionInput, ExternalCredentialInfo
from microcred.verification.report import CheckResult, Outcome, VerificationReport
from microcred.web.explain import explain_report
from microcred.web.pages import FLASH_MESSAGES, redirect, web_context
from microcred.web.routes_console_base import (
    ConsoleForm,
    ConsolePage,
    ConsoleRoute,
    console_page,
    csrf_failed,
    page,
    parse_uuid,
    post_only,
    read_form,
)
from microcred.web.routes_console_pathways import staff_names

__all__ = ["report_from_json", "router"]

router = APIRouter(route_class=ConsoleRoute)

FLASH_MESSAGES.update(
    {
        "console-recognition-imported": ("success", "Imported and verified: decide below."),
        "console-recognition-decided": ("success", "Decision recorded."),
    }
)

#: the largest uploaded file or pasted text (the parser refuses more than 1 MiB too)
MAX_UPLOAD: Final = 1024 * 1024 + 1
_OUTCOMES: Final = {o.value: o for o in Outcome}


def report_from_json(data: Mapping[str, Any]) -> VerificationReport:
    """A stored report (``VerificationReport.to_json``) read back for display."""
    checks = []
    for item in data.get("checks") or []:
        if isinstance(item, Mapping):
            outcome = _OUTCOMES.get(str(item.get("outcome")), Outcome.SKIPPED)
            details = item.get("details")
            checks.append(
                CheckResult(
                    str(item.get("code", "")),
                    outcome,
                    str(item.get("message", "")),
                    dict(details) if isinstance(details, Mapping) else {},
                )
            )
    inner = [report_from_json(r) for r in data.get("credentials") or [] if isinstance(r, Mapping)]
    summary = data.get("summary")
    return VerificationReport(
        verified=bool(data.get("verified")),
        checks=checks,
        kind=str(data.get("kind", "credential")),
        summary=dict(summary) if isinstance(summary, Mapping) else {},
        credentials=inner,
    )


def ects_of(items: list[ExternalCredentialInfo]) -> dict[str, str]:
    """Each decided item's recognised ECTS as text ("5", "2.5")."""
    return {
        str(i.id): ects_text(i.decision.ects)
        for i in items
        if i.decision is not None and i.decision.ects is not None
    }


def _inbox(
    request: Request, console: ConsolePage, *, error: str | None = None, status: int = 200
) -> Response:
    service = web_context(request).platform.recognition
    items = service.inbox(console.principal, console.issuer_id, limit=200)
    return page(
        request,
        "console/recognition.html",
        console,
        {
            "undecided": [i for i in items if i.decision is None],
            "decided": [i for i in items if i.decision is not None],
            "learner_names": _learner_names(request, console, [i.learner_id for i in items]),
            "staff": staff_names(request, console),
            "ects": ects_of(items),
            "allow_network": web_context(request).allow_network,
            "error": error,
        },
        status=status,
    )


def _learner_names(request: Request, console: ConsolePage, ids: list[Any]) -> dict[str, str]:
    issuance = web_context(request).platform.issuance
    names: dict[str, str] = {}
    for ident in ids:
        key = str(ident)
        if key not in names:
            person = issuance.get_learner(console.principal, console.issuer_id, ident)
            names[key] = person.name + (f" ({person.external_id})" if person.external_id else "")
    return names


@router.get("/console/{slug}/recognition")
def recognition_home(request: Request, slug: str) -> Response:
    return _inbox(request, console_page(request, slug))


def _learner(request: Request, console: ConsolePage, text: str) -> LearnerInfo:
    """The one learner ``text`` names: exactly their student id or e-mail, else the only match."""
    if not text:
        raise InvalidInput("Say for which learner: their student id, e-mail or name.")
    if len(text) > 200:
        raise InvalidInput("the learner text is longer than 200 characters")
    found = web_context(request).platform.issuance.list_learners(
        console.principal, console.issuer_id, search=text, limit=20
    )
    exact = [p for p in found if text in (p.external_id, p.email)]
    if len(exact) == 1:
        return exact[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidInput(f"No learner of this issuer matches {text!r}.")
    raise InvalidInput(
        f"{len(found)} learners match {text!r}: give their student id or e-mail instead."
    )


def _source(form: ConsoleForm) -> tuple[bytes | str, Literal["file", "text", "url"]]:
    upload = form.files.get("file")
    if upload is not None and upload[1]:
        return upload[1], "file"
    if form.get("text"):
        return form.get("text"), "text"
    if form.get("url"):
        return form.get("url"), "url"
    raise InvalidInput("Choose a file, paste the credential's JSON, or give its web address.")


@router.post("/console/{slug}/recognition/import")
async def recognition_import(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request, max_file=MAX_UPLOAD)
    if form is None:
        return csrf_failed(request)
    service = web_context(request).platform.recognition
    try:
        learner = _learner(request, console, form.get("learner"))
        source, kind = _source(form)
        if len(source) > MAX_UPLOAD:
            raise InvalidInput("The credential is larger than 1 MiB.")
        info = service.import_credential(
            console.principal, console.issuer_id, learner.id, source, kind
        )
    except MicrocredError as error:
        if error.status not in (400, 409, 413, 422):
            raise
        return _inbox(request, console, error=error.detail, status=400)
    return redirect(
        request, f"/console/{slug}/recognition/{info.id}", flash="console-recognition-imported"
    )


def _item_page(
    request: Request,
    console: ConsolePage,
    external_id: str,
    *,
    error: str | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    platform = web_context(request).platform
    ident = parse_uuid(external_id, "credential")
    info = platform.recognition.get(console.principal, console.issuer_id, ident)
    learner = platform.issuance.get_learner(console.principal, console.issuer_id, info.learner_id)
    pathways = platform.pathways.list_pathways(console.principal, console.issuer_id)
    definitions = []
    if console.can(Permission.CREDENTIAL_ISSUE):
        definitions = [
            d
            for d in platform.definitions.list(console.principal, console.issuer_id)
            if d.published_version is not None
        ]
    decision = info.decision
    return page(
        request,
        "console/recognition_item.html",
        console,
        {
            "item": info,
            "learner": learner,
            "verdict": explain_report(report_from_json(info.report)),
            "pathways": pathways,
            "pathway_names": {str(p.id): p.name for p in pathways},
            "definitions": definitions,
            "decided_by": (
                staff_names(request, console).get(str(decision.decided_by), "a staff member")
                if decision is not None and decision.decided_by is not None
                else None
            ),
            "ects": ects_of([info]),
            "values": values or {},
            "error": error,
        },
        status=status,
    )


@router.get("/console/{slug}/recognition/import")
def recognition_import_get(slug: str) -> Response:
    """The import takes a form: a GET is 405, not the external credential called "import"."""
    post_only()


@router.get("/console/{slug}/recognition/{external_id}")
def recognition_item(request: Request, slug: str, external_id: str) -> Response:
    return _item_page(request, console_page(request, slug), external_id)


def _decision_body(form: ConsoleForm) -> dict[str, Any]:
    outcome = form.get("outcome")
    body: dict[str, Any] = {"outcome": outcome, "reason": form.get("reason")}
    if outcome == "recognised":
        if form.get("ects"):
            body["ects"] = form.get("ects")
        if form.get("pathway"):
            body["pathwayId"] = form.get("pathway")
        if form.get("programme"):
            body["programme"] = form.get("programme")
        if form.get("issue"):
            body["issueDefinitionId"] = form.get("issue")
    return body


@router.post("/console/{slug}/recognition/{external_id}/decide")
async def recognition_decide(request: Request, slug: str, external_id: str) -> Response:
    console = console_page(request, slug)
    ident = parse_uuid(external_id, "credential")
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    service = web_context(request).platform.recognition
    try:
        service.get(console.principal, console.issuer_id, ident)  # 404 before validation
        data = DecisionInput.from_json(_decision_body(form))
        service.decide(console.principal, console.issuer_id, ident, data)
    except MicrocredError as error:
        if error.status not in (400, 409, 422):
            raise
        return _item_page(
            request, console, external_id, error=error.detail, values=form.fields, status=400
        )
    return redirect(
        request, f"/console/{slug}/recognition/{ident}", flash="console-recognition-decided"
    )
