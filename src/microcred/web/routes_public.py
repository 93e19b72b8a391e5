"""Public pages: the start page, the verifier (``/verify``) and shared credentials (``/c/…``).

Thin shell: each page parses its input, calls the platform's verifier or the sharing
service, and renders a template. Uploads are read into memory (at most 1 MiB) and never
written anywhere.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from typing import Any, Final, Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from microcred.certificates.badge import badge_png, badge_svg, image_from_credential
from microcred.certificates.baking import bake_png
from microcred.certificates.description import describe_credential
from microcred.errors import InvalidInput
from microcred.services.sharing import SharedCredential, WalletCredential
from microcred.storage import CredentialState
from microcred.verification.report import VerificationReport
from microcred.web.elm_view import elm_section
from microcred.web.endorsements import endorsement_views
from microcred.web.explain import Verdict, explain_report
from microcred.web.inputs import (
    MAX_UPLOAD,
    ParsedInput,
    document_from_bytes,
    document_from_text,
    document_from_url,
)
from microcred.web.pages import (
    FLASH_COOKIE,
    HtmlRoute,
    WebContext,
    error_response,
    render,
    send_html,
    web_context,
)
from microcred.web.security import CSRF_FIELD, check_csrf

__all__ = [
    "STATE_LABELS",
    "anchor_text",
    "badge_image_png",
    "badge_image_svg",
    "display_image",
    "logo_src",
    "router",
    "status_of",
    "verify_document",
]

router = APIRouter(route_class=HtmlRoute)

STATE_LABELS: Final = {
    "issued": "Active",
    "claimed": "Active",
    "revoked": "Revoked by the issuer",
    "suspended": "Suspended by the issuer",
}
SVG_HEADERS: Final = {
    # an image, never a document: no scripts even when opened on its own
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
}


# --------------------------------------------------------------------------- shared helpers


def verify_document(web: WebContext, document: Any) -> VerificationReport:
    """The platform's verifier on a credential or a presentation."""
    verifier = web.platform.engine.verifier
    types = document.get("type") if isinstance(document, dict) else None
    names = types if isinstance(types, list) else [types]
    if "VerifiablePresentation" in names:
        return verifier.verify_presentation(document)
    return verifier.verify_credential(document)


def status_of(credential: WalletCredential) -> tuple[str, str]:
    """(CSS kind, label) of a credential's state as its issuer records it."""
    if credential.replaced_by_id is not None and credential.state is CredentialState.REVOKED:
        return "revoked", "Replaced by a corrected credential"
    return credential.state.value, STATE_LABELS[credential.state.value]


def anchor_text(report: VerificationReport) -> str | None:
    """The blockchain anchor's sentence when the anchor check confirmed one."""
    for check in report.checks:
        if check.code == "anchor.ledger" and check.outcome.value == "passed":
            return check.message
    return None


def badge_image_svg(credential: WalletCredential) -> str:
    """The SVG to bake: the credential's own SVG image, else a generated badge."""
    own = image_from_credential(credential.document)
    if own is not None and own.kind == "svg":
        return own.data.decode("utf-8")
    return badge_svg(credential.title, issuer_name=credential.issuer_name)


def badge_image_png(credential: WalletCredential) -> bytes:
    """The PNG to bake: the credential's own PNG image, else a generated badge."""
    own = image_from_credential(credential.document)
    if own is not None and own.kind == "png":
        return own.data
    return badge_png(credential.title, issuer_name=credential.issuer_name)


def display_image(credential: WalletCredential) -> tuple[bytes, str]:
    """The image shown on pages: the credential's own (PNG or SVG), else a generated SVG."""
    own = image_from_credential(credential.document)
    if own is not None:
        return own.data, "image/png" if own.kind == "png" else "image/svg+xml"
    return badge_svg(credential.title, issuer_name=credential.issuer_name).encode(), "image/svg+xml"


_LOGO = re.compile(r"^data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$")


def logo_src(logo_uri: str | None) -> str | None:
    """The issuer's logo for an ``<img src>``: only a ``data:`` image (the pages' CSP allows
    ``img-src 'self' data:``; a logo at a web address is not shown)."""
    if logo_uri and len(logo_uri) <= 700_000 and _LOGO.match(logo_uri):
        return logo_uri
    return None


def _checked_at(web: WebContext) -> str:
    now = web.platform.clock.now().astimezone(UTC)
    return now.strftime("%d %B %Y, %H:%M UTC").lstrip("0")


# --------------------------------------------------------------------------- start page


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html")


# --------------------------------------------------------------------------- verifier


@router.get("/verify")
def verify_form(request: Request) -> Response:
    web = web_context(request)
    return render(request, "verify.html", {"allow_network": web.allow_network, "error": None})


def _verify_page(request: Request, parsed: ParsedInput) -> Response:
    web = web_context(request)
    report = verify_document(web, parsed.document)
    web.platform.usage.record_verification(parsed.document)  # buffered: no database work
    verdict: Verdict = explain_report(report)
    return render(
        request,
        "verify_result.html",
        {
            "parsed": parsed,
            "verdict": verdict,
            "is_presentation": parsed.is_presentation,
            "d": None if parsed.is_presentation else describe_credential(parsed.document),
            "elm": None if parsed.is_presentation else elm_section(parsed.document),
            "checked_at": _checked_at(web),
        },
        headers={"Cache-Control": "no-store"},
    )


async def _read_upload(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("The file is larger than 1 MiB; no credential is that large.")
    return data


@router.post("/verify")
async def verify_submit(request: Request) -> Response:
    web = web_context(request)
    form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_UPLOAD + 1024)
    try:
        if not check_csrf(request, _field(form.get(CSRF_FIELD)), base_url=web.base_url):
            return error_response(
                request,
                403,
                "This form had expired or was sent from another site.",
                hint="Go back to the verifier, reload the page and try again.",
            )
        source = _chosen_source(form)
        pasted = _field(form.get("credential_json"))
        url = _field(form.get("url"))
        try:
            parsed = await _parse(web, source, form.get("file"), pasted, url)
        except InvalidInput as exc:
            return render(
                request,
                "verify.html",
                {
                    "allow_network": web.allow_network,
                    "error": exc.detail,
                    "pasted": pasted if source == "paste" and len(pasted or "") < 200_000 else "",
                    "url": url if source == "url" else "",
                },
                status=400,
                headers={"Cache-Control": "no-store"},
            )
        return await run_in_threadpool(_verify_page, request, parsed)
    finally:
        await form.close()


def _field(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _chosen_source(form: Any) -> str:
    """The button pressed — unless its field is empty and another one is filled (pressing
    Enter in the address field submits with the form's first button)."""
    pressed = _field(form.get("source"))
    guessed = _guess_source(form)
    filled = {
        "file": isinstance(form.get("file"), UploadFile) and bool(form.get("file").filename),
        "paste": bool((_field(form.get("credential_json")) or "").strip()),
        "url": bool((_field(form.get("url")) or "").strip()),
    }
    if pressed in filled and (filled[pressed] or not any(filled.values())):
        return pressed
    return guessed


def _guess_source(form: Any) -> Literal["file", "paste", "url"]:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return "file"
    if _field(form.get("credential_json")):
        return "paste"
    return "url"


async def _parse(
    web: WebContext, source: str, upload: object, pasted: str | None, url: str | None
) -> ParsedInput:
    if source == "file":
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("Choose a file to check.")
        data = await _read_upload(upload)
        return await run_in_threadpool(document_from_bytes, data)
    if source == "paste":
        return document_from_text(pasted or "")
    if source == "url":

        def own_document(share_id: str) -> dict[str, Any]:
            return dict(web.sharing.shared_credential(share_id).credential.document)

        return await run_in_threadpool(
            lambda: document_from_url(
                url or "",
                base_url=web.base_url,
                own_document=own_document,
                fetcher=web.fetcher,
            )
        )
    raise InvalidInput("Choose a file, paste the credential or give its web address.")


# --------------------------------------------------------------------------- shared credentials


def _shared(request: Request, share_id: str) -> SharedCredential:
    return web_context(request).sharing.shared_credential(share_id)


_PAGE_HEADERS: Final = {"Cache-Control": "no-cache", "X-Robots-Tag": "noindex"}


@router.get("/c/{share_id}")
def public_credential(request: Request, share_id: str) -> Response:
    web = web_context(request)
    with web.pinned():  # one read of the epoch tokens for the lookup, the page and its verdict
        return _public_credential(request, web, share_id)


def _public_credential(request: Request, web: WebContext, share_id: str) -> Response:
    shared = _shared(request, share_id)  # an unshare changes the token: NotFound at once
    credential = shared.credential
    # the page is the same for every visitor, except for flash messages (never kept)
    cache = None if request.cookies.get(FLASH_COOKIE) else web.page_cache
    token = None if cache is None else cache.token()
    if cache is not None:
        kept = cache.get(share_id)
        if kept is not None:
            web.platform.usage.record_verification(credential.document)  # buffered
            return send_html(request, kept, headers=_PAGE_HEADERS)
    report = verify_document(web, dict(credential.document))
    web.platform.usage.record_verification(credential.document)  # buffered
    described = describe_credential(credential.document)
    kind, label = status_of(credential)
    learner = credential.learner_name
    title = f"{learner} — {credential.title}" if learner else credential.title
    issued = described.valid_from
    description = f"Awarded by {credential.issuer_name}"
    if issued is not None:
        description += f" on {issued.day} {issued.strftime('%B')} {issued.year}"
    description += ". A digital credential you can verify."
    og = {
        "title": title,
        "description": description,
        "url": shared.url,
        "image": f"{shared.url}/badge.png",
        "image_alt": described.image_caption or f"Badge: {credential.title}",
    }
    response = render(
        request,
        "credential_public.html",
        {
            "d": described,
            "learner_name": learner,
            "image_url": f"/c/{share_id}/image",
            "verdict": explain_report(report),
            "checked_at": _checked_at(web),
            "status_kind": kind,
            "status_label": label,
            "anchor_text": anchor_text(report),
            "endorsements": endorsement_views(report),
            "issuer_logo": logo_src(credential.issuer_logo_uri),
            "share_id": share_id,
            "canonical_url": shared.url,
            "og": og,
        },
        headers=_PAGE_HEADERS,
    )
    if cache is not None:
        cache.put(share_id, token, bytes(response.body))
    return response


@router.get("/c/{share_id}/credential.json")
def public_credential_json(request: Request, share_id: str) -> Response:
    shared = _shared(request, share_id)
    body = json.dumps(dict(shared.credential.document), ensure_ascii=False, indent=2)
    return Response(
        body.encode("utf-8"),
        media_type="application/vc+ld+json",
        headers={
            "Content-Disposition": f'attachment; filename="{_file_stem(shared.credential)}.json"',
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*",
        },
    )


@router.get("/c/{share_id}/image")
def public_credential_image(request: Request, share_id: str) -> Response:
    body, media_type = display_image(_shared(request, share_id).credential)
    return Response(
        body, media_type=media_type, headers={**SVG_HEADERS, "Cache-Control": "no-cache"}
    )


@router.get("/c/{share_id}/badge.png")
def public_credential_badge(request: Request, share_id: str) -> Response:
    shared = _shared(request, share_id)
    png = bake_png(badge_image_png(shared.credential), dict(shared.credential.document))
    return Response(
        png,
        media_type="image/png",
        headers={
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{_file_stem(shared.credential)}.png"',
        },
    )


def _file_stem(credential: WalletCredential) -> str:
    """A safe ASCII file name stem from the title (letters, digits, dashes)."""
    stem = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in credential.title)
    stem = "-".join(part for part in stem.split("-") if part)[:60].lower()
    return stem or f"credential-{credential.id.hex[:8]}"
