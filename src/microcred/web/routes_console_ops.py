"""The issuer console's bulk import and settings pages (docs/console.md).

**Import**: ``/console/{slug}/imports`` (jobs and the upload form) → POST upload (CSV/XLSX up
to :data:`MAX_IMPORT_FILE`) → the mapping form with the suggested mapping → POST dry run (per
row errors; nothing stored) → POST start (the job is created and run in a background thread
of this process) → ``/imports/{job}`` (progress, refreshed by ``<meta http-equiv=refresh>``)
→ ``/imports/{job}/errors.csv``. Between the steps the uploaded file is held in the database
for an hour under a random key bound to the person and the issuer
(:class:`~microcred.services.held_uploads.HeldUploads`), so the steps work across server
workers and restarts.

**Settings**: ``/console/{slug}/settings`` — profile, keys and DID (POST ``/rotate-key``),
staff and roles (POST ``/staff``), API tokens (POST ``/tokens``: the secret is shown once;
POST ``/tokens/{id}/revoke``) and the ledger/anchoring status.
"""

from __future__ import annotations

import contextlib
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any, Final

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from microcred.certificates.logo import MAX_LOGO_BYTES, logo_data_uri
from microcred.errors import Conflict, InvalidInput, MicrocredError, NotFound
from microcred.imports.validation import RowProblem
from microcred.services.access import ROLE_PERMISSIONS, Permission, Role
from microcred.services.held_uploads import HeldUpload, HeldUploads
from microcred.services.imports import ImportRequest
from microcred.services.schemas_identity import IssuerProfileUpdate
from microcred.web.pages import redirect, web_context
from microcred.web.routes_console_base import (
    ConsolePage,
    ConsoleRoute,
    console_page,
    csrf_failed,
    page,
    parse_uuid,
    post_only,
    read_form,
)

__all__ = ["MAX_IMPORT_FILE", "router"]

router = APIRouter(route_class=ConsoleRoute)

MAX_IMPORT_FILE: Final = 10 * 1024 * 1024
FIELD_LABELS: Final = {
    "name": "Full name", "given_name": "Given name", "family_name": "Family name",
    "email": "E-mail address", "did": "DID", "external_id": "Student number / external id",
    "result": "Result (grade)", "evidence_url": "Evidence address", "issue_date": "Issue date",
    "valid_until": "Valid until",
}  # fmt: skip
FIELDS: Final = (
    "name", "given_name", "family_name", "email", "did", "external_id", "result",
    "evidence_url", "issue_date", "valid_until",
)  # fmt: skip


def _held(request: Request) -> HeldUploads:
    platform = web_context(request).platform
    return HeldUploads(platform.uow, platform.clock)


def _stash(request: Request, console: ConsolePage, filename: str, data: bytes) -> str:
    return _held(request).hold(console.principal, console.issuer_id, filename, data)


def _unstash(request: Request, console: ConsolePage, key: str) -> HeldUpload:
    return _held(request).get(console.principal, console.issuer_id, key)


def _published(request: Request, console: ConsolePage) -> list[Any]:
    definitions = web_context(request).platform.definitions
    return [
        d
        for d in definitions.list(console.principal, console.issuer_id)
        if d.published_version is not None
    ]


def _imports_page(
    request: Request, console: ConsolePage, *, error: str | None = None, status: int = 200
) -> Response:
    imports = web_context(request).platform.imports
    jobs = imports.list_jobs(console.principal, console.issuer_id, limit=20)
    return page(
        request,
        "console/imports.html",
        console,
        {"jobs": jobs, "definitions": _published(request, console), "error": error},
        status=status,
    )


@router.get("/console/{slug}/imports")
def imports_home(request: Request, slug: str) -> Response:
    return _imports_page(request, console_page(request, slug))


def _mapping_from(form_fields: dict[str, str]) -> dict[str, str]:
    return {f: form_fields[f"map_{f}"] for f in FIELDS if form_fields.get(f"map_{f}")}


def _mapping_page(
    request: Request,
    console: ConsolePage,
    upload_key: str,
    upload: HeldUpload,
    definition: str,
    mapping: dict[str, str] | None,
    *,
    report: Any = None,
    error: str | None = None,
    status: int = 200,
    date_order: str = "DMY",
    duplicate_of: str | None = None,
) -> Response:
    imports = web_context(request).platform.imports
    preview = imports.preview(console.principal, console.issuer_id, upload.data, upload.filename)
    chosen = mapping if mapping is not None else dict(preview.suggested_mapping)
    return page(
        request,
        "console/import_mapping.html",
        console,
        {"preview": preview, "upload_key": upload_key, "filename": upload.filename,
         "definition": definition, "definitions": _published(request, console),
         "fields": FIELDS, "labels": FIELD_LABELS, "mapping": chosen, "report": report,
         "error": error, "date_order": date_order, "duplicate_of": duplicate_of},
        status=status,
    )  # fmt: skip


@router.post("/console/{slug}/imports/upload")
async def import_upload(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request, max_file=MAX_IMPORT_FILE)
    if form is None:
        return csrf_failed(request)
    if not console.can(Permission.IMPORT_RUN):
        raise_denied()
    upload = form.files.get("file")
    if upload is None or not upload[1]:
        return _imports_page(request, console, error="Choose a CSV or XLSX file.", status=400)
    filename, data = upload
    if len(data) > MAX_IMPORT_FILE:
        return _imports_page(request, console, error="The file is larger than 10 MiB.", status=400)
    try:
        key = await run_in_threadpool(_stash, request, console, filename, data)
        return _mapping_page(
            request, console, key, HeldUpload(filename, data), form.get("definition"), None
        )
    except InvalidInput as exc:
        return _imports_page(request, console, error=exc.detail, status=400)


def raise_denied() -> None:
    from microcred.errors import PermissionDenied

    raise PermissionDenied("Your role does not include running imports.")


def _import_request(
    definition: str, mapping: dict[str, str], date_order: str, *, allow_duplicate: bool = False
) -> ImportRequest:
    try:
        return ImportRequest.model_validate(
            {"definitionId": definition, "mapping": mapping, "dateOrder": date_order,
             "allowDuplicateFile": allow_duplicate}
        )  # fmt: skip
    except ValidationError:
        raise InvalidInput("Choose the definition to issue.") from None


@router.post("/console/{slug}/imports/check")
async def import_check(request: Request, slug: str) -> Response:
    """The dry run (``action=dry-run``) or the start of the job (``action=start``)."""
    console = console_page(request, slug)
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    key = form.get("upload")
    upload = _unstash(request, console, key)
    mapping = _mapping_from(form.fields)
    definition = form.get("definition")
    date_order = form.get("date_order")
    date_order = date_order if date_order in ("DMY", "MDY") else "DMY"
    imports = web_context(request).platform.imports
    try:
        job_request = _import_request(
            definition, mapping, date_order, allow_duplicate=form.get("allow_duplicate") == "yes"
        )
        if form.get("action") == "start":
            job = imports.create_job(
                console.principal, console.issuer_id, upload.data, upload.filename, job_request
            )
            _start_worker(request, console, job.id)
            return redirect(request, f"/console/{slug}/imports/{job.id}", flash="console-job")
        report = imports.dry_run(
            console.principal, console.issuer_id, upload.data, upload.filename, job_request
        )
    except (InvalidInput, Conflict) as exc:
        earlier = exc.extra.get("job_id") if isinstance(exc, Conflict) else None
        if isinstance(earlier, str):  # the same file for the same version: say what to do
            return _mapping_page(
                request, console, key, upload, definition, mapping, status=409,
                error="This file was already imported for this version of the definition: its "
                "learners have their credentials. To issue them a second credential anyway, "
                "tick “Import this file again” and start the import.",
                date_order=date_order, duplicate_of=earlier,
            )  # fmt: skip
        return _mapping_page(
            request, console, key, upload, definition, mapping, error=exc.detail, status=400,
            date_order=date_order,
        )  # fmt: skip
    return _mapping_page(
        request, console, key, upload, definition, mapping, report=report, date_order=date_order
    )


def _start_worker(request: Request, console: ConsolePage, job_id: uuid.UUID) -> None:
    imports = web_context(request).platform.imports
    principal, issuer_id = console.principal, console.issuer_id

    def work() -> None:
        # a failure marks the job failed in the service; the progress page shows it
        with contextlib.suppress(MicrocredError):
            imports.run_job(principal, issuer_id, job_id, worker_id=f"console-{job_id}")

    threading.Thread(target=work, name=f"import-{job_id}", daemon=True).start()


@router.get("/console/{slug}/imports/upload")
@router.get("/console/{slug}/imports/check")
def import_forms_get(slug: str) -> Response:
    """The upload and the dry run take a form: a GET is 405, not the import called "check"."""
    post_only()


@router.get("/console/{slug}/imports/{job_id}")
def import_job(request: Request, slug: str, job_id: str) -> Response:
    console = console_page(request, slug)
    ident = parse_uuid(job_id, "import")
    imports = web_context(request).platform.imports
    job = imports.job_status(console.principal, console.issuer_id, ident)
    errors = [
        problem
        for stored in imports.job_errors(console.principal, console.issuer_id, ident, limit=50)
        for problem in _row_problems(stored)
    ]
    running = job.state.value in ("created", "running") if hasattr(job.state, "value") else True
    return page(
        request,
        "console/import_job.html",
        console,
        {"job": job, "errors": errors, "running": running},
    )


#: one problem of a failed row's stored reason (``RowProblem.describe()``, joined by "; ")
_COLUMN_PROBLEM: Final = re.compile(r"column '(?P<column>.+?)': (?P<reason>.*)", re.DOTALL)
_NEXT_COLUMN: Final = re.compile(r"; (?=column ')")


def _row_problems(stored: RowProblem) -> list[RowProblem]:
    """A failed row's stored reason as the dry run shows it: one line per problem, its column
    in the Column column (``column 'E-mail': …`` -> ``E-mail``, ``…``)."""
    if stored.column is not None:
        return [stored]
    problems = []
    for part in _NEXT_COLUMN.split(stored.reason):
        match = _COLUMN_PROBLEM.fullmatch(part)
        if match is None:
            problems.append(RowProblem(stored.row, None, part))
        else:
            problems.append(RowProblem(stored.row, match["column"], match["reason"]))
    return problems


@router.get("/console/{slug}/imports/{job_id}/errors.csv")
def import_errors(request: Request, slug: str, job_id: str) -> Response:
    console = console_page(request, slug)
    ident = parse_uuid(job_id, "import")
    lines: Iterator[str] = web_context(request).platform.imports.error_report_csv(
        console.principal, console.issuer_id, ident
    )
    return StreamingResponse(
        (line.encode("utf-8") for line in lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="import-{ident}-errors.csv"',
            "Cache-Control": "no-store",
        },
    )


# --------------------------------------------------------------------------- settings

_PROFILE_FIELDS: Final = ("name", "legal_name", "homepage", "email", "country_code", "logo_uri")


def _settings_page(
    request: Request,
    console: ConsolePage,
    *,
    error: str | None = None,
    new_token: Any = None,
    status: int = 200,
) -> Response:
    platform = web_context(request).platform
    principal, issuer_id = console.principal, console.issuer_id
    keys = platform.issuers.list_keys(principal, issuer_id)
    members = (
        platform.identity.list_members(principal, issuer_id)
        if console.can(Permission.ISSUER_READ)
        else []
    )
    tokens = (
        platform.identity.list_tokens(principal, issuer_id)
        if console.can(Permission.TOKENS_MANAGE)
        else None
    )
    try:
        anchoring = platform.anchor_setup.runner.status(principal, issuer_id)
    except MicrocredError:
        anchoring = None
    return page(
        request,
        "console/settings.html",
        console,
        {"keys": keys, "members": members, "tokens": tokens, "anchoring": anchoring,
         "roles": [r.value for r in Role], "error": error, "new_token": new_token,
         "permissions": sorted(p.value for p in ROLE_PERMISSIONS[Role(console.role)])},
        status=status,
    )  # fmt: skip


@router.get("/console/{slug}/settings")
def settings_home(request: Request, slug: str) -> Response:
    return _settings_page(request, console_page(request, slug))


@router.post("/console/{slug}/settings/profile")
async def settings_profile(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    changes: dict[str, Any] = {}
    for field in _PROFILE_FIELDS:
        value = form.get(field)
        changes[field] = value or (None if field != "name" else value)
    if not changes["logo_uri"] and (console.issuer.logo_uri or "").startswith("data:"):
        del changes["logo_uri"]  # an uploaded logo is removed with its own button
    try:
        update = IssuerProfileUpdate.model_validate(changes)
        web_context(request).platform.issuers.update_profile(
            console.principal, console.issuer_id, update
        )
    except (ValidationError, InvalidInput) as exc:
        message = exc.detail if isinstance(exc, InvalidInput) else "Check the profile fields."
        return _settings_page(request, console, error=message, status=400)
    return redirect(request, f"/console/{slug}/settings", flash="console-profile")


@router.post("/console/{slug}/settings/logo")
async def settings_logo(request: Request, slug: str) -> Response:
    """Upload (``action=upload``, a PNG/JPEG/SVG file) or remove (``action=remove``) the logo."""
    console = console_page(request, slug)
    form = await read_form(request, max_file=MAX_LOGO_BYTES)
    if form is None:
        return csrf_failed(request)
    try:
        if form.get("action") == "remove":
            logo: str | None = None
        else:
            upload = form.files.get("logo")
            if upload is None or not upload[1]:
                raise InvalidInput("Choose a logo file (PNG, JPEG or SVG).")
            logo = logo_data_uri(upload[1], upload[0])
        web_context(request).platform.issuers.update_profile(
            console.principal,
            console.issuer_id,
            IssuerProfileUpdate.model_validate({"logo_uri": logo}),
        )
    except InvalidInput as exc:
        return _settings_page(request, console, error=exc.detail, status=400)
    flash = "console-logo-removed" if logo is None else "console-logo"
    return redirect(request, f"/console/{slug}/settings#logo", flash=flash)


@router.post("/console/{slug}/settings/compromise-key")
async def settings_compromise(request: Request, slug: str) -> Response:
    """Report a signing key compromised: a reason and a ticked confirmation are required."""
    console = console_page(request, slug)
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    issuers = web_context(request).platform.issuers
    try:
        key_id = parse_uuid(form.get("key_id"), "key")
        if form.get("confirm") != "yes":
            raise InvalidInput(
                "Tick the box to confirm: credentials this key signed that were not anchored "
                "before the compromise will fail verification."
            )
        reason = form.get("reason")
        if not reason:
            raise InvalidInput("Say why the key is considered compromised (kept in the audit log).")
        since = None
        if form.get("since") == "created":
            keys = issuers.list_keys(console.principal, console.issuer_id)
            found = next((k for k in keys if k.id == key_id), None)
            if found is None:
                raise NotFound("there is no such key")
            since = found.created_at
        issuers.mark_key_compromised(console.principal, console.issuer_id, key_id, since, reason)
    except (InvalidInput, Conflict) as exc:
        return _settings_page(request, console, error=exc.detail, status=400)
    return redirect(request, f"/console/{slug}/settings#keys", flash="console-compromised")


@router.post("/console/{slug}/settings/rotate-key")
async def settings_rotate(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    if await read_form(request) is None:
        return csrf_failed(request)
    try:
        web_context(request).platform.issuers.rotate_key(console.principal, console.issuer_id)
    except InvalidInput as exc:
        return _settings_page(request, console, error=exc.detail, status=400)
    return redirect(request, f"/console/{slug}/settings#keys", flash="console-rotated")


@router.post("/console/{slug}/settings/staff")
async def settings_staff(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    identity = web_context(request).platform.identity
    try:
        role = Role(form.get("role"))
    except ValueError:
        return _settings_page(request, console, error="Choose a role.", status=400)
    try:
        if form.get("user_id"):
            user = parse_uuid(form.get("user_id"), "staff member")
            if form.get("action") == "remove":
                identity.remove_member(console.principal, console.issuer_id, user)
            else:
                identity.change_role(console.principal, console.issuer_id, user, role)
        else:
            identity.add_member(console.principal, console.issuer_id, form.get("email"), role)
    except (InvalidInput, Conflict, NotFound) as exc:
        return _settings_page(request, console, error=exc.detail, status=400)
    return redirect(request, f"/console/{slug}/settings#staff", flash="console-member")


@router.post("/console/{slug}/settings/tokens")
async def settings_token_create(request: Request, slug: str) -> Response:
    console = console_page(request, slug)
    form = await read_form(request)
    if form is None:
        return csrf_failed(request)
    scopes = [p.value for p in Permission if form.fields.get(f"scope_{p.value}")]
    try:
        if not form.get("name"):
            raise InvalidInput("Give the token a name (what will use it).")
        if not scopes:
            raise InvalidInput("Choose at least one permission for the token.")
        new = web_context(request).platform.identity.create_token(
            console.principal, console.issuer_id, form.get("name"), scopes
        )
    except InvalidInput as exc:
        return _settings_page(request, console, error=exc.detail, status=400)
    return _settings_page(request, console, new_token=new)


@router.post("/console/{slug}/settings/tokens/{token_id}/revoke")
async def settings_token_revoke(request: Request, slug: str, token_id: str) -> Response:
    console = console_page(request, slug)
    if await read_form(request) is None:
        return csrf_failed(request)
    ident = parse_uuid(token_id, "token")
    web_context(request).platform.identity.revoke_token(console.principal, console.issuer_id, ident)
    return redirect(request, f"/console/{slug}/settings#tokens", flash="console-token-revoked")
