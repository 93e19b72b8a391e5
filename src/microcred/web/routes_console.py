"""The issuer console: staff sign in, dashboard, definitions with the EU checklist, issuing,
credentials with revoke / suspend / reinstate (docs/console.md).

Routes (``{slug}`` is an issuer the signed-in person is a member of; others are ``404``):
``/console/login`` (GET form, POST sign in), POST ``/console/logout``, ``/console`` (choose
an issuer), ``/console/{slug}`` (dashboard), ``/console/{slug}/definitions`` (+ ``/new``,
``/{id}``, ``/{id}/edit``, POST ``/{id}/submit|publish|request-changes|retire``),
``/console/{slug}/issue``, ``/console/{slug}/credentials`` (+ ``/{id}``, POST
``/{id}/revoke|suspend|reinstate``). Imports and settings are in
:mod:`microcred.web.routes_console_ops`.

Every action goes through one service call; the services check roles and tenancy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from microcred.api.deps import SESSION_COOKIE
from microcred.certificates.logo import MAX_LOGO_BYTES
from microcred.errors import Conflict, InvalidInput, RateLimited, Unauthenticated
from microcred.model.compliance import ComplianceReport
from microcred.services.access import Permission
from microcred.services.definitions import DefinitionInput, DefinitionUpdate
from microcred.services.issuance import CredentialFilter, IssueRequest, LearnerInput
from microcred.storage.tables import CredentialState
from microcred.web import routes_console_ops
from microcred.web.audit_words import activity_words, history_words
from microcred.web.definition_extras import extras_from_achievement, extras_from_form
from microcred.web.pages import redirect, web_context
from microcred.web.routes_console_base import (
    ConsolePage,
    ConsoleRoute,
    SignedOut,
    console_page,
    csrf_failed,
    member_issuers,
    page,
    parse_uuid,
    post_only,
    read_form,
    signed_in,
)
from microcred.web.security import set_cookie

__all__ = ["router"]

router = APIRouter(route_class=ConsoleRoute)

CHART_DAYS: Final = 14
_CHART_MARGIN: Final = 16
PAGE_SIZE: Final = 25
_ECTS: Final = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
_EQF_PREFIX: Final = "http://data.europa.eu/snb/eqf/"


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _safe_next(target: str) -> str:
    # a path of the console only: no scheme-relative "//", no backslashes, no whitespace or
    # control characters (browsers drop some of them and read what is left as another host)
    if (
        target.startswith("/console")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not any(ch.isspace() for ch in target)
        and len(target) <= 2000
    ):
        return target
    return "/console"


# --------------------------------------------------------------------------- sign in / out


@router.get("/console/login")
def login_form(request: Request, next: str = "/console") -> Response:
    return page(request, "console/login.html", None, {"next": _safe_next(next), "error": None})


@router.post("/console/login")
async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    target = _safe_next(form.get("next", "/console"))
    identity = web_context(request).platform.identity
    email = form.get("email")
    error: str | None = None
    status = 400
    retry_after: int | None = None
    try:
        principal = identity.authenticate_password(
            email, form.fields.get("password", ""), _ip(request)
        )
        session = identity.start_session(principal)
    except RateLimited as exc:
        retry = exc.extra.get("retry_after") if isinstance(exc.extra, dict) else None
        minutes = max(1, int(retry) // 60 + 1) if isinstance(retry, int | float) else 15
        error = (
            "Too many attempts to sign in. For your protection, signing in is paused: try "
            f"again in about {minutes} minute{'s' if minutes != 1 else ''}."
        )
        status = 429
        retry_after = max(1, int(exc.retry_after))
    except (Unauthenticated, InvalidInput):
        error = "The e-mail address or the password is not right."
    if error is not None:
        answer = page(
            request,
            "console/login.html",
            None,
            {"next": target, "error": error, "email": email},
            status=status,
        )
        if retry_after is not None:
            answer.headers["Retry-After"] = str(retry_after)
        return answer
    response = redirect(request, target, flash="console-signed-in")
    remaining = int(
        (session.expires_at - web_context(request).platform.clock.now()).total_seconds()
    )
    set_cookie(
        response,
        SESSION_COOKIE,
        session.secret,
        secure=web_context(request).secure_cookies,
        max_age=max(60, remaining),
    )
    return response


@router.post("/console/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        web_context(request).platform.identity.end_session(secret, _ip(request))
    response = redirect(request, "/console/login", flash="console-signed-out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/console/logout")
def logout_get() -> Response:
    """Signing out takes a form (CSRF): a GET is 405, not the issuer called "logout"."""
    post_only()


@router.get("/console")
def choose_issuer(request: Request) -> Response:
    principal, _secret = signed_in(request)
    issuers = member_issuers(request, principal)
    if len(issuers) == 1:
        return redirect(request, f"/console/{issuers[0].slug}")
    return page(
        request,
        "console/choose.html",
        None,
        {"issuers": issuers, "roles": {i.id: principal.roles[i.id].value for i in issuers}},
    )


# --------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class _Bar:
    x: int
    y: int
    height: int
    label: str
    count: int
    show_label: bool


def _chart(
    name: str, counts: list[tuple[date, int]], *, width: int = 28, height: int = 80
) -> dict[str, Any]:
    """An inline SVG bar chart's geometry (the template draws it; no script)."""
    top = max((c for _, c in counts), default=0)
    scale = max(top, 1)
    bar, gap = width - 8, 8
    bars = []
    for index, (day, count) in enumerate(counts):
        h = round(height * count / scale)
        bars.append(
            _Bar(
                x=_CHART_MARGIN + index * width + gap // 2,
                y=height - h + 14,
                height=h,
                label=day.strftime("%d %b"),
                count=count,
                show_label=(len(counts) - 1 - index) % 3 == 0,
            )
        )
    return {
        "name": name,
        "key": name.split()[0].lower(),
        "bars": bars,
        "width": len(counts) * width + 2 * _CHART_MARGIN,
        "height": height + 40,
        "bar_width": bar,
        "base": height + 14,
        "top": top,
        "total": sum(c for _, c in counts),
    }


#: the dashboard's measures, in the order of the totals, the charts and the table's columns
MEASURES: Final = ("issued", "claimed", "shared", "verified", "suspended", "revoked")


@router.get("/console/{slug}")
def dashboard(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    platform = web_context(request).platform
    issuance = platform.issuance
    principal, issuer_id = console.principal, console.issuer_id
    if not principal.can(issuer_id, Permission.CREDENTIAL_READ) and principal.can(
        issuer_id, Permission.RECOGNITION_DECIDE
    ):
        # a recognition officer reads no credentials: their home is the recognition inbox
        return redirect(request, f"/console/{console.issuer.slug}/recognition")

    def count(**filters: Any) -> int:
        return issuance.list_credentials(
            principal, issuer_id, CredentialFilter(**filters), limit=1
        ).total

    usage = platform.usage.summary(principal, issuer_id, days=CHART_DAYS)
    rows = []
    for definition in platform.definitions.list(principal, issuer_id):
        rows.append(
            {
                "definition": definition,
                "issued": count(definition_id=definition.id),
                "claimed": count(definition_id=definition.id, state=CredentialState.CLAIMED),
                "shared": usage.shared_by_definition.get(definition.id, 0),
                "verified": usage.verified_by_definition.get(definition.id, 0),
                "revoked": count(definition_id=definition.id, state=CredentialState.REVOKED),
                "suspended": count(definition_id=definition.id, state=CredentialState.SUSPENDED),
            }
        )
    totals = {key: sum(int(str(row[key])) for row in rows) for key in MEASURES}
    # credentials from no definition (signed through the VC-API) count in the totals too
    totals["shared"] = usage.shared_total
    totals["verified"] = usage.verified_total
    now = platform.clock.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=CHART_DAYS - 1)
    days = [start + timedelta(days=n) for n in range(CHART_DAYS)]
    issued = [
        (day.date(), count(issued_from=day, issued_before=day + timedelta(days=1))) for day in days
    ]
    charts = [
        _chart("Issued", issued),
        _chart("Claimed", usage.claimed_by_day),
        _chart("Shared (public page turned on)", usage.shared_by_day),
        _chart("Verified (checks by others)", usage.verified_by_day),
        _chart("Revoked", usage.revoked_by_day),
    ]
    activity: list[ActivityLine] | None = None
    if console.can(Permission.AUDIT_READ):
        entries = platform.issuers.audit_log(principal, issuer_id, limit=15)
        activity = [_activity_line(entry) for entry in entries]
    return page(
        request,
        "console/dashboard.html",
        console,
        {"rows": rows, "totals": totals, "charts": charts, "days": CHART_DAYS,
         "measures": MEASURES, "activity": activity},
    )  # fmt: skip


@dataclass(frozen=True)
class ActivityLine:
    """One line of the dashboard's recent activity: when, what in words, the audit code, and
    the credential it is about (its page is linked)."""

    at: datetime
    words: str
    action: str
    credential_id: str | None = None


def _activity_line(entry: Any) -> ActivityLine:
    credential = entry.target_id if entry.target_type == "credential" else None
    return ActivityLine(entry.at, activity_words(entry.action), entry.action, credential)


# --------------------------------------------------------------------------- definitions

_EQF_LEVELS: Final = list(range(1, 9))
_PARTICIPATION: Final = [
    ("", "— not stated —"),
    ("online", "Online"),
    ("onsite", "Onsite"),
    ("blended", "Blended (online and onsite)"),
]
_STACKABILITY: Final = [
    ("", "— not stated —"),
    ("stand-alone", "Stand-alone"),
    ("stackable", "Stackable towards another credential"),
]

#: the form's fields, blank for a new definition
_BLANK: Final = {
    "slug": "", "name": "", "description": "", "criteria": "", "outcomes": "", "ects": "",
    "hours": "", "eqf": "", "assessment": "", "participation": "", "quality": "",
    "countries": "", "regions": "", "awarding": "", "prerequisites": "", "grading": "",
    "stackability": "", "further": "",
}  # fmt: skip


def _split(text: str, sep: str = ",") -> list[str]:
    return [part.strip() for part in text.split(sep) if part.strip()]


def _achievement_json(values: dict[str, str], issuer_did: str, issuer_name: str) -> dict[str, Any]:
    """The definition's Achievement (JSON, camelCase) from the form's plain fields."""
    achievement: dict[str, Any] = {
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": values["name"],
        "description": values["description"],
        "criteria": {"narrative": values["criteria"]},
    }
    eu: dict[str, Any] = {"type": "EUStandardElements"}
    outcomes = []
    for line in values["outcomes"].splitlines():
        title, _, skill = line.partition("|")
        if title.strip():
            outcome: dict[str, Any] = {"type": "LearningOutcome", "title": title.strip()}
            if skill.strip():
                outcome["relatedESCOSkill"] = [skill.strip()]
            outcomes.append(outcome)
    if outcomes:
        eu["learningOutcome"] = outcomes
    if values["ects"]:
        try:
            points = Decimal(values["ects"].replace(",", "."))
        except InvalidOperation:
            raise InvalidInput("ECTS credits must be a number, for example 5 or 2.5.") from None
        eu["creditPoint"] = [{"type": "CreditPoint", "framework": _ECTS, "point": str(points)}]
        achievement["creditsAvailable"] = float(points) if points % 1 else int(points)
    if values["hours"]:
        if not values["hours"].isdigit() or int(values["hours"]) < 1:
            raise InvalidInput("The workload must be a whole number of hours, for example 125.")
        eu["volumeOfLearning"] = f"PT{int(values['hours'])}H"
    if values["eqf"]:
        eu["eqfLevel"] = _EQF_PREFIX + values["eqf"]
    simple = {
        "assessmentType": "assessment", "formOfParticipation": "participation",
        "qualityAssurance": "quality", "prerequisites": "prerequisites",
        "gradingScheme": "grading", "integrationStackability": "stackability",
        "furtherInformation": "further",
    }  # fmt: skip
    for key, field in simple.items():
        if values[field]:
            eu[key] = values[field]
    if values["countries"]:
        eu["issuerCountry"] = [c.upper() for c in _split(values["countries"])]
    if values["regions"]:
        eu["issuerRegion"] = _split(values["regions"])
    if values["awarding"]:
        eu["awardingBody"] = [{"id": issuer_did, "name": values["awarding"]}]
    if len(eu) > 1:
        achievement["euStandardElements"] = eu
    return achievement


def _form_values(achievement: dict[str, Any], slug: str) -> dict[str, str]:
    """The form's fields from a stored Achievement (JSON)."""
    values = dict(_BLANK)
    values["slug"] = slug
    values["name"] = str(achievement.get("name", ""))
    values["description"] = str(achievement.get("description", ""))
    values["criteria"] = str((achievement.get("criteria") or {}).get("narrative", ""))
    eu = achievement.get("euStandardElements") or {}
    lines = []
    for outcome in eu.get("learningOutcome") or []:
        skills = outcome.get("relatedESCOSkill") or []
        lines.append(outcome.get("title", "") + (f" | {skills[0]}" if skills else ""))
    values["outcomes"] = "\n".join(lines)
    points = eu.get("creditPoint") or []
    values["ects"] = str(points[0].get("point", "")) if points else ""
    volume = str(eu.get("volumeOfLearning") or "")
    values["hours"] = volume[2:-1] if volume.startswith("PT") and volume.endswith("H") else ""
    level = str(eu.get("eqfLevel") or "")
    values["eqf"] = level.rsplit("/", 1)[-1] if level else ""
    simple = {
        "assessmentType": "assessment", "formOfParticipation": "participation",
        "qualityAssurance": "quality", "prerequisites": "prerequisites",
        "gradingScheme": "grading", "integrationStackability": "stackability",
        "furtherInformation": "further",
    }  # fmt: skip
    for key, field in simple.items():
        values[field] = str(eu.get(key) or "")
    values["countries"] = ", ".join(eu.get("issuerCountry") or [])
    values["regions"] = ", ".join(eu.get("issuerRegion") or [])
    bodies = eu.get("awardingBody") or []
    values["awarding"] = str(bodies[0].get("name") or "") if bodies else ""
    return values


def _form_context(
    values: dict[str, str], report: ComplianceReport | None, extras: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "values": values,
        "extras": extras if extras is not None else extras_from_achievement(None),
        "report": report,
        "eqf_levels": _EQF_LEVELS,
        "participation": _PARTICIPATION,
        "stackability": _STACKABILITY,
    }


def _validation_message(exc: ValidationError | InvalidInput) -> str:
    if isinstance(exc, InvalidInput):
        return exc.detail
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("achievement",))
        problems.append(f"{where or 'form'}: {error.get('msg', 'not valid')}")
    return "; ".join(problems)


@router.get("/console/{slug}/definitions")
def definitions_list(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    definitions = web_context(request).platform.definitions.list(
        console.principal, console.issuer_id
    )
    return page(request, "console/definitions.html", console, {"definitions": definitions})


@router.get("/console/{slug}/definitions/new")
def definition_new(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    values = dict(_BLANK)
    values["awarding"] = console.issuer.name
    if console.issuer.country_code:
        values["countries"] = console.issuer.country_code
    return page(
        request,
        "console/definition_form.html",
        console,
        {**_form_context(values, None), "definition": None, "error": None},
    )


@router.post("/console/{slug}/definitions/new")
async def definition_create(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request, max_file=MAX_LOGO_BYTES)
    if form is None:
        return csrf_failed(request)
    values = {key: form.get(key) for key in _BLANK}
    definitions = web_context(request).platform.definitions
    extras: dict[str, Any] | None = None
    try:
        added, extras = extras_from_form(form, None)
        body = {
            "slug": values["slug"],
            "achievement": {
                **_achievement_json(values, console.issuer.did, console.issuer.name),
                **added,
            },
        }
        created = definitions.create(
            console.principal, console.issuer_id, DefinitionInput.model_validate(body)
        )
    except (ValidationError, InvalidInput) as exc:
        return page(
            request,
            "console/definition_form.html",
            console,
            {**_form_context(values, None, extras), "definition": None,
             "error": _validation_message(exc)},
            status=400,
        )  # fmt: skip
    return redirect(
        request, f"/console/{slug}/definitions/{created.id}/edit", flash="console-created"
    )


@router.get("/console/{slug}/definitions/{definition_id}")
def definition_detail(request: Request, slug: str, definition_id: str) -> Response:
    console = console_page(request, slug)
    definitions = web_context(request).platform.definitions
    ident = parse_uuid(definition_id, "definition")
    info = definitions.get(console.principal, console.issuer_id, ident)
    versions = definitions.versions(console.principal, console.issuer_id, ident)
    latest = versions[-1]
    report = definitions.compliance(console.principal, console.issuer_id, ident)
    return page(
        request,
        "console/definition.html",
        console,
        {
            "definition": info,
            "latest": latest,
            "versions": list(reversed(versions)),
            "report": report,
            "achievement": latest.achievement.to_json(),
        },
    )


@router.get("/console/{slug}/definitions/{definition_id}/edit")
def definition_edit(request: Request, slug: str, definition_id: str) -> Response:
    console = console_page(request, slug)
    definitions = web_context(request).platform.definitions
    ident = parse_uuid(definition_id, "definition")
    info = definitions.get(console.principal, console.issuer_id, ident)
    latest = definitions.get_version(console.principal, console.issuer_id, ident)
    report = definitions.compliance(console.principal, console.issuer_id, ident)
    achievement = latest.achievement.to_json()
    values = _form_values(achievement, info.slug)
    extras = extras_from_achievement(achievement)
    return page(
        request,
        "console/definition_form.html",
        console,
        {
            **_form_context(values, report, extras),
            "definition": info,
            "latest": latest,
            "error": None,
        },
    )


@router.post("/console/{slug}/definitions/{definition_id}/edit")
async def definition_save(request: Request, slug: str, definition_id: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request, max_file=MAX_LOGO_BYTES)
    if form is None:
        return csrf_failed(request)
    definitions = web_context(request).platform.definitions
    ident = parse_uuid(definition_id, "definition")
    info = definitions.get(console.principal, console.issuer_id, ident)
    values = {key: form.get(key) for key in _BLANK}
    values["slug"] = info.slug
    extras: dict[str, Any] | None = None
    try:
        previous = definitions.get_version(console.principal, console.issuer_id, ident)
        added, extras = extras_from_form(form, previous.achievement.to_json())
        achievement = _achievement_json(values, console.issuer.did, console.issuer.name)
        update = DefinitionUpdate.model_validate({"achievement": {**achievement, **added}})
        definitions.update_draft(console.principal, console.issuer_id, ident, update)
    except (ValidationError, InvalidInput) as exc:
        report = definitions.compliance(console.principal, console.issuer_id, ident)
        return page(
            request,
            "console/definition_form.html",
            console,
            {**_form_context(values, report, extras), "definition": info, "latest": None,
             "error": _validation_message(exc)},
            status=400,
        )  # fmt: skip
    return redirect(
        request, f"/console/{slug}/definitions/{ident}/edit#checklist", flash="console-saved"
    )


_LIFECYCLE: Final = {
    "submit": ("submit_for_review", "console-submitted"),
    "publish": ("approve_and_publish", "console-published"),
    "request-changes": ("request_changes", "console-changes"),
    "retire": ("retire", "console-retired"),
}


@router.post("/console/{slug}/definitions/{definition_id}/{action}")
async def definition_action(
    request: Request, slug: str, definition_id: str, action: str
) -> Response:
    console = console_page(request, slug)
    if action not in _LIFECYCLE:
        raise_not_found()
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    ident = parse_uuid(definition_id, "definition")
    method, flash = _LIFECYCLE[action]
    definitions = web_context(request).platform.definitions
    try:
        getattr(definitions, method)(console.principal, console.issuer_id, ident)
    except InvalidInput as exc:
        info = definitions.get(console.principal, console.issuer_id, ident)
        versions = definitions.versions(console.principal, console.issuer_id, ident)
        report = definitions.compliance(console.principal, console.issuer_id, ident)
        return page(
            request,
            "console/definition.html",
            console,
            {"definition": info, "latest": versions[-1], "versions": list(reversed(versions)),
             "report": report, "achievement": versions[-1].achievement.to_json(),
             "error": exc.detail},
            status=400,
        )  # fmt: skip
    return redirect(request, f"/console/{slug}/definitions/{ident}", flash=flash)


def raise_not_found() -> None:
    from microcred.errors import NotFound

    raise NotFound("there is nothing at this address")


# --------------------------------------------------------------------------- issue one


def _published(request: Request, console: ConsolePage) -> list[Any]:
    definitions = web_context(request).platform.definitions
    return [
        d
        for d in definitions.list(console.principal, console.issuer_id)
        if d.published_version is not None
    ]


@router.get("/console/{slug}/issue")
def issue_form(request: Request, slug: str, definition: str = "") -> Response:
    console = console_page(request, slug)
    return page(
        request,
        "console/issue.html",
        console,
        {"definitions": _published(request, console), "values": {"definition": definition},
         "error": None, "issued": None},
    )  # fmt: skip


@router.post("/console/{slug}/issue")
async def issue_submit(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    values = {k: form.get(k) for k in ("definition", "name", "email", "external_id", "result")}
    learner: dict[str, Any] = {"name": values["name"]}
    if values["email"]:
        learner["email"] = values["email"]
    if values["external_id"]:
        learner["externalId"] = values["external_id"]
    try:
        request_body = IssueRequest.model_validate(
            {"definitionId": values["definition"], "learner": LearnerInput.model_validate(learner)}
        )
        issued = web_context(request).platform.issuance.issue(
            console.principal, console.issuer_id, request_body
        )
    except (ValidationError, InvalidInput, Conflict) as exc:
        message = (
            exc.detail if isinstance(exc, InvalidInput | Conflict) else (_validation_message(exc))
        )
        return page(
            request,
            "console/issue.html",
            console,
            {"definitions": _published(request, console), "values": values,
             "error": message, "issued": None},
            status=400,
        )  # fmt: skip
    return page(
        request,
        "console/issue.html",
        console,
        {"definitions": _published(request, console),
         "values": {"definition": values["definition"]}, "error": None, "issued": issued},
    )  # fmt: skip


# --------------------------------------------------------------------------- credentials

_STATES: Final = [s.value for s in CredentialState]


@router.get("/console/{slug}/credentials")
def credentials_list(
    request: Request,
    slug: str,
    q: str = "",
    state: str = "",
    definition: str = "",
    page_number: int = 1,
) -> Response:
    console = console_page(request, slug)
    platform = web_context(request).platform
    filters: dict[str, Any] = {}
    if q.strip():
        filters["search"] = q.strip()[:200]
    if state in _STATES:
        filters["state"] = state
    if definition:
        try:
            filters["definition_id"] = uuid.UUID(definition)
        except ValueError:
            definition = ""
    number = max(1, min(page_number, 10_000))
    result = platform.issuance.list_credentials(
        console.principal,
        console.issuer_id,
        CredentialFilter(**filters),
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    definitions = platform.definitions.list(console.principal, console.issuer_id)
    pages = max(1, (result.total + PAGE_SIZE - 1) // PAGE_SIZE)
    return page(
        request,
        "console/credentials.html",
        console,
        {"result": result, "q": q, "state": state, "definition": definition,
         "definitions": definitions, "states": _STATES, "page_number": number, "pages": pages},
    )  # fmt: skip


#: the issue and the claim come from the credential itself (its times), not from the log
_HISTORY_FROM_RECORD: Final = frozenset(
    {"credential.issue", "credential.issue_unsigned", "credential.claim"}
)
#: the most audit entries one credential's page reads (status changes, shares…)
_HISTORY_ENTRIES: Final = 500


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    label: str
    action: str | None = None
    reason: str | None = None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _credential_history(
    issued_at: datetime, claimed_at: datetime | None, entries: list[Any]
) -> list[HistoryLine]:
    """Oldest first: issued, claimed, then each audited change with its reason."""
    lines = [HistoryLine(_utc(issued_at), "issued")]
    if claimed_at is not None:
        lines.append(HistoryLine(_utc(claimed_at), "claimed by the learner"))
    for entry in reversed(entries):  # the audit log is newest first; ties keep its order
        if entry.action in _HISTORY_FROM_RECORD:
            continue
        reason = entry.details.get("reason") if entry.details else None
        lines.append(
            HistoryLine(
                _utc(entry.at),
                history_words(entry.action),
                entry.action,
                reason if isinstance(reason, str) and reason else None,
            )
        )
    return sorted(lines, key=lambda line: line.at)


def _credential_context(request: Request, console: ConsolePage, ident: uuid.UUID) -> dict[str, Any]:
    platform = web_context(request).platform
    credential = platform.issuance.get_credential(console.principal, console.issuer_id, ident)
    statuses = platform.status.credential_statuses(console.principal, console.issuer_id, ident)
    entries = []
    if console.can(Permission.AUDIT_READ):
        # this credential's entries (read by target through an index), however much happened
        # to the issuer's other credentials since
        entries = platform.issuers.audit_log(
            console.principal, console.issuer_id, limit=_HISTORY_ENTRIES, target=ident
        )
    history = _credential_history(credential.issued_at, credential.claimed_at, entries)
    document = dict(credential.document)
    subject = document.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {} if isinstance(subject, dict) else {}
    learner = None
    if credential.learner_id is not None:
        learner = platform.issuance.get_learner(
            console.principal, console.issuer_id, credential.learner_id
        )
    return {
        "credential": credential,
        "statuses": statuses,
        "history": history,
        "title": achievement.get("name", "Credential") if isinstance(achievement, dict) else "",
        "learner": learner,
        "document": document,
        "error": None,
    }


@router.get("/console/{slug}/credentials/{credential_id}")
def credential_detail(request: Request, slug: str, credential_id: str) -> Response:
    console = console_page(request, slug)
    ident = parse_uuid(credential_id, "credential")
    return page(
        request, "console/credential.html", console, _credential_context(request, console, ident)
    )


_STATUS_ACTIONS: Final = ("revoke", "suspend", "reinstate")


@router.post("/console/{slug}/credentials/{credential_id}/{action}")
async def credential_action(
    request: Request, slug: str, credential_id: str, action: str
) -> Response:
    console = console_page(request, slug)
    if action not in _STATUS_ACTIONS:
        raise_not_found()
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    ident = parse_uuid(credential_id, "credential")
    reason = form.get("reason")
    status = web_context(request).platform.status
    try:
        if not reason:
            raise InvalidInput("Give a reason: it is kept in the audit log (never published).")
        getattr(status, action)(console.principal, console.issuer_id, ident, reason)
    except (InvalidInput, Conflict) as exc:
        context = _credential_context(request, console, ident)
        context["error"] = exc.detail
        context["reason"] = reason
        return page(request, "console/credential.html", console, context, status=400)
    return redirect(request, f"/console/{slug}/credentials/{ident}", flash=f"console-{action}")


router.include_router(routes_console_ops.router)

_ = SignedOut  # re-exported for tests that build pages by hand
