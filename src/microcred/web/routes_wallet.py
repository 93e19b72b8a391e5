"""The learner wallet: claim page, credential list and detail, downloads, sharing, LinkedIn,
presentations.

The wallet cookie (``mc_wallet``: the session secret from
:meth:`~microcred.services.sharing.SharingService.open_wallet`) is HttpOnly, ``SameSite=Lax``,
``Secure`` on https, and lasts as long as the session. Pages without a valid session send the
browser to ``/wallet`` (which explains how to open it). Every state-changing form is a POST
with a CSRF token (:mod:`microcred.web.security`). Wallet pages are ``Cache-Control: no-store``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from microcred.certificates.baking import bake_png, bake_svg
from microcred.certificates.description import describe_credential
from microcred.certificates.pdf import certificate_data, decode_logo, render_certificate_pdf
from microcred.errors import InvalidInput, NotFound, Unauthenticated
from microcred.services.sharing import MAX_PRESENTATION_CREDENTIALS, WalletIdentity
from microcred.services.vc_jwt import VcJwtService
from microcred.web.explain import explain_report
from microcred.web.linkedin import linkedin_add_to_profile_url
from microcred.web.pages import HtmlRoute, error_response, redirect, render, web_context
from microcred.web.routes_public import (
    STATE_LABELS,
    SVG_HEADERS,
    anchor_text,
    badge_image_png,
    badge_image_svg,
    display_image,
    logo_src,
    status_of,
    verify_document,
)
from microcred.web.security import CSRF_FIELD, WALLET_COOKIE, check_csrf, set_cookie

__all__ = ["router"]

router = APIRouter(route_class=HtmlRoute)

PRIVATE: Final = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class _SignedOut(Exception):
    """No valid wallet session: send the browser to /wallet."""


def _wallet(request: Request) -> WalletIdentity:
    secret = request.cookies.get(WALLET_COOKIE)
    if not secret:
        raise _SignedOut
    try:
        return web_context(request).sharing.wallet(secret)
    except Unauthenticated:
        raise _SignedOut from None


def _credential_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound("there is no such credential in your wallet") from None


def _signed_out(request: Request) -> Response:
    response = redirect(request, "/wallet")
    response.delete_cookie(WALLET_COOKIE, path="/")
    return response


def _download(body: bytes, media_type: str, filename: str, **extra: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            **PRIVATE,
            "Content-Disposition": f'attachment; filename="{filename}"',
            **extra,
        },
    )


def _stem(title: str) -> str:
    stem = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in title)
    return "-".join(part for part in stem.split("-") if part)[:60].lower() or "credential"


async def _form_checked(request: Request) -> dict[str, str | list[str]] | None:
    """The submitted form's fields, or None when the CSRF check fails."""
    form = await request.form(max_files=0, max_fields=MAX_PRESENTATION_CREDENTIALS + 10)
    try:
        fields: dict[str, str | list[str]] = {}
        for key, value in form.multi_items():
            if not isinstance(value, str):
                continue
            if key == "credential":
                listed = fields.setdefault("credential", [])
                if isinstance(listed, list):
                    listed.append(value)
            else:
                fields[key] = value
    finally:
        await form.close()
    token = fields.get(CSRF_FIELD)
    if not check_csrf(
        request, token if isinstance(token, str) else None, base_url=web_context(request).base_url
    ):
        return None
    return fields


def _csrf_failed(request: Request) -> Response:
    return error_response(
        request,
        403,
        "This form had expired or was sent from another site.",
        hint="Go back, reload the page and try again.",
    )


# --------------------------------------------------------------------------- claim


@router.get("/wallet/claim/{token}")
def claim_page(request: Request, token: str) -> Response:
    preview = web_context(request).sharing.preview_claim(token)
    return render(request, "claim.html", {"preview": preview, "token": token}, headers=PRIVATE)


@router.post("/wallet/claim/{token}")
async def claim_submit(request: Request, token: str) -> Response:
    if await _form_checked(request) is None:
        return _csrf_failed(request)
    web = web_context(request)
    session = await run_in_threadpool(web.sharing.open_wallet, token)
    response = redirect(
        request, f"/wallet/credentials/{session.credential_id}", flash="wallet-open"
    )
    set_cookie(
        response,
        WALLET_COOKIE,
        session.secret,
        secure=web.secure_cookies,
        max_age=int(web.sharing.session_ttl.total_seconds()),
    )
    return response


# --------------------------------------------------------------------------- list and detail


@router.get("/wallet")
def wallet_home(request: Request) -> Response:
    try:
        wallet = _wallet(request)
    except _SignedOut:
        response = render(request, "wallet_signed_out.html", headers=PRIVATE)
        if request.cookies.get(WALLET_COOKIE):
            response.delete_cookie(WALLET_COOKIE, path="/")
        return response
    credentials = web_context(request).sharing.credentials(wallet)
    pathways = web_context(request).platform.pathways.learner_progress(
        wallet.issuer_id, wallet.learner_id
    )
    return render(
        request,
        "wallet_list.html",
        {
            "wallet": wallet,
            "credentials": credentials,
            "state_labels": STATE_LABELS,
            "pathways": pathways,
        },
        headers=PRIVATE,
    )


@router.get("/wallet/credentials/{credential_id}")
def wallet_credential(request: Request, credential_id: str) -> Response:
    try:
        wallet = _wallet(request)
    except _SignedOut:
        return _signed_out(request)
    web = web_context(request)
    credential = web.sharing.credential(wallet, _credential_id(credential_id))
    described = describe_credential(credential.document)
    report = verify_document(web, dict(credential.document))
    kind, label = status_of(credential)
    linkedin = None
    if credential.share.shared and credential.share.url:
        linkedin = linkedin_add_to_profile_url(
            name=credential.title,
            organization_name=credential.issuer_name,
            issued=described.valid_from or credential.issued_at,
            expires=described.valid_until,
            cert_url=credential.share.url,
            cert_id=credential.credential_uri,
        )
    return render(
        request,
        "wallet_credential.html",
        {
            "credential": credential,
            "d": described,
            "learner_name": credential.learner_name,
            "image_url": f"/wallet/credentials/{credential.id}/image",
            "verdict": explain_report(report),
            "checked_at": None,
            "status_kind": kind,
            "status_label": label,
            "anchor_text": anchor_text(report),
            "issuer_logo": logo_src(credential.issuer_logo_uri),
            "linkedin_url": linkedin,
        },
        headers=PRIVATE,
    )


# --------------------------------------------------------------------------- downloads


@router.get("/wallet/credentials/{credential_id}/credential.json")
def wallet_json(request: Request, credential_id: str) -> Response:
    try:
        wallet = _wallet(request)
    except _SignedOut:
        return _signed_out(request)
    credential = web_context(request).sharing.credential(wallet, _credential_id(credential_id))
    body = json.dumps(dict(credential.document), ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, "application/vc+ld+json", f"{_stem(credential.title)}.json")


@router.get("/wallet/credentials/{credential_id}/credential.jwt")
def wallet_jwt(request: Request, credential_id: str) -> Response:
    """The credential as a VC-JWT (docs/vc-jwt.md), signed with its issuer's active key."""
    try:
        wallet = _wallet(request)
    except _SignedOut:
        return _signed_out(request)
    web = web_context(request)
    credential = web.sharing.credential(wallet, _credential_id(credential_id))
    token = VcJwtService(web.platform.issuers).sign_stored(
        credential.issuer_id, credential.document
    )
    return _download(token.encode("ascii"), "application/vc+jwt", f"{_stem(credential.title)}.jwt")


@router.get("/wallet/credentials/{credential_id}/certificate.pdf")
def wallet_pdf(request: Request, credential_id: str) -> Response:
    try:
        wallet = _wallet(request)
    except _SignedOut:
        return _signed_out(request)
    sharing = web_context(request).sharing
    chosen = _credential_id(credential_id)
    link = sharing.share_link(wallet, chosen)  # the stable public address the QR code names
    credential = sharing.credential(wallet, chosen)
    data = certificate_data(
        credential.document,
        learner_name=credential.learner_name or wallet.learner_name,
        public_url=link.url or "",
        issuer_name=credential.issuer_name,
        issuer_logo=decode_logo(credential.issuer_logo_uri),
    )
    pdf = render_certificate_pdf(data)
    return _download(pdf, "application/pdf", f"{_stem(credential.title)}-certificate.pdf")


@router.get("/wallet/credentials/{credential_id}/badge.png")
def wallet_badge_png(request: Request, credential_id: str) -> Response:
    try:
        wallet = _wallet(request)
    except _SignedOut:
        return _signed_out(request)
    credential = web_context(request).sharing.credential(wallet, _credential_id(credential_id))
    png = bake_png(badge_image_png(credential), dict(credential.document))
    return _download(png, "image/png", f"{_stem(credential.title)}-badge.png")


@router.get("/wallet/credentials/{credential_id}/badge.svg")
def wallet_badge_svg(request: Request, credential_id: str) -> Response:
    try:
        wallet = _wallet(request)
    except _SignedOut:
        return _signed_out(request)
    credential = web_context(request).sharing.credential(wallet, _credential_id(credential_id))
    svg = bake_svg(badge_image_svg(credential), dict(credential.document))
    return _download(
        svg.encode("utf-8"), "image/svg+xml", f"{_stem(credential.title)}-badge.svg", **SVG_HEADERS
    )


@router.get("/wallet/credentials/{credential_id}/image")
def wallet_image(request: Request, credential_id: str) -> Response:
    try:
        wallet = _wallet(request)
    except _SignedOut:
        return _signed_out(request)
    credential = web_context(request).sharing.credential(wallet, _credential_id(credential_id))
    body, media_type = display_image(credential)
    return Response(body, media_type=media_type, headers={**PRIVATE, **SVG_HEADERS})


# --------------------------------------------------------------------------- actions


@router.post("/wallet/credentials/{credential_id}/share")
async def wallet_share(request: Request, credential_id: str) -> Response:
    fields = await _form_checked(request)
    if fields is None:
        return _csrf_failed(request)
    try:
        wallet = await run_in_threadpool(_wallet, request)
    except _SignedOut:
        return _signed_out(request)
    chosen = _credential_id(credential_id)
    wanted = fields.get("shared")
    if wanted not in ("on", "off"):
        raise InvalidInput("say whether to turn sharing on or off")
    shared = wanted == "on"
    await run_in_threadpool(web_context(request).sharing.set_sharing, wallet, chosen, shared)
    return redirect(
        request, f"/wallet/credentials/{chosen}", flash="share-on" if shared else "share-off"
    )


async def _download_picked(
    request: Request,
    build: Callable[[WalletIdentity, list[uuid.UUID]], Any],
    media_type: str,
    filename: str,
) -> Response:
    """The credentials ticked on the wallet list, built into one JSON download by ``build``."""
    fields = await _form_checked(request)
    if fields is None:
        return _csrf_failed(request)
    try:
        wallet = await run_in_threadpool(_wallet, request)
    except _SignedOut:
        return _signed_out(request)
    picked = fields.get("credential", [])
    ids = [_credential_id(value) for value in (picked if isinstance(picked, list) else [])]
    if not ids:
        return redirect(request, "/wallet", flash="choose")
    document = await run_in_threadpool(build, wallet, ids)
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, media_type, filename)


@router.post("/wallet/presentation")
async def wallet_presentation(request: Request) -> Response:
    build = web_context(request).sharing.presentation
    return await _download_picked(request, build, "application/vp+ld+json", "presentation.json")


@router.post("/wallet/clr")
async def wallet_clr(request: Request) -> Response:
    """The ticked credentials as one CLR 2.0 record signed by the issuer (docs/clr.md)."""
    build = web_context(request).platform.clr.export_for_wallet
    return await _download_picked(request, build, "application/vc+ld+json", "transcript-clr.json")


@router.post("/wallet/sign-out")
async def wallet_sign_out(request: Request) -> Response:
    if await _form_checked(request) is None:
        return _csrf_failed(request)
    secret = request.cookies.get(WALLET_COOKIE)
    if secret:
        await run_in_threadpool(web_context(request).sharing.close_wallet, secret)
    response = redirect(request, "/wallet", flash="signed-out")
    response.delete_cookie(WALLET_COOKIE, path="/")
    return response
