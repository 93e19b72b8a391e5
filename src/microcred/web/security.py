"""Browser security for the HTML pages: headers, CSRF tokens, cookies, content negotiation.

**Headers.** Every ``text/html`` response gets a Content Security Policy that allows only the
product's own scripts, styles and images (plus ``data:`` images) and no framing::

    default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;
    frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'

plus ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (claim and share
links carry secrets in their path: other sites never see them; ``no-referrer`` would also
make browsers send ``Origin: null`` on our own form posts), ``X-Frame-Options: DENY``,
``Cross-Origin-Opener-Policy: same-origin`` and a ``Permissions-Policy`` that turns off
camera, microphone and geolocation. Templates therefore hold no inline scripts, no inline
styles and no ``style`` attributes.

**CSRF** (double-submit, bound to the session). The ``mc_csrf`` cookie holds a random value
*R* (HttpOnly, ``SameSite=Lax``). Every form carries ``csrf_token`` =
HMAC-SHA256(key = *R*, message = ``"microcred-csrf|" + binding``), where *binding* is the
SHA-256 of the wallet session cookie (``"anonymous"`` without one). A state-changing request
is accepted only when the token matches the cookie *and* the session it was issued for — a
token from before signing in, or from another session, is refused — and when the browser
does not say it comes from another site (``Origin`` / ``Sec-Fetch-Site``). Another site can
neither read *R* nor the session cookie, so it cannot compute a token.

**Negotiation.** The e-mailed claim link ``/claim/<token>`` is also an API route (JSON). The
middleware sends a browser (``Accept`` naming ``text/html`` before any JSON type) to the wallet's
claim page ``/wallet/claim/<token>`` instead, and marks ``/claim/`` answers ``Vary: Accept``.
A ``413`` from the body-size limit on an HTML form route is turned into the HTML error page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "HTML_SECURITY_HEADERS",
    "WALLET_COOKIE",
    "WebSecurityMiddleware",
    "csrf_token",
    "check_csrf",
    "ensure_csrf_cookie",
    "prefers_html",
]

CSRF_COOKIE: Final = "mc_csrf"
CSRF_FIELD: Final = "csrf_token"
WALLET_COOKIE: Final = "mc_wallet"

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
HTML_SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
_CLAIM = re.compile(r"^/claim/([A-Za-z0-9_-]{1,200})$")
_VALUE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


# --------------------------------------------------------------------------- negotiation


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in accept.split(",")[:30]:
        media, *params = part.strip().split(";")
        quality = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.strip().lower(), quality))
    return ranges


def prefers_html(accept: str | None) -> bool:
    """True when an ``Accept`` header ranks ``text/html`` at least as high as any JSON type."""
    if not accept:
        return False
    html = 0.0
    json_like = 0.0
    for media, quality in _media_ranges(accept):
        if media in ("text/html", "application/xhtml+xml"):
            html = max(html, quality)
        elif media.endswith("json") or media.endswith("+json"):
            json_like = max(json_like, quality)
    return html > 0 and html >= json_like


# --------------------------------------------------------------------------- CSRF


def _binding(wallet_secret: str | None) -> str:
    if not wallet_secret:
        return "anonymous"
    return hashlib.sha256(wallet_secret.encode("utf-8")).hexdigest()


def csrf_token(cookie_value: str, wallet_secret: str | None) -> str:
    """The form token for this browser (``mc_csrf``) and session (the wallet cookie)."""
    mac = hmac.new(
        cookie_value.encode("ascii"),
        ("microcred-csrf|" + _binding(wallet_secret)).encode("ascii"),
        hashlib.sha256,
    ).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def ensure_csrf_cookie(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, or a new one (``True``: the response must set it)."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if _VALUE.match(value):
        return value, False
    return secrets.token_urlsafe(32), True


def _same_site(request: Request, base_url: str) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return (
            True  # not sent (older browsers, same-origin GET-like navigations): the token decides
        )
    if origin == "null":
        return False  # sandboxed frames, file: pages, privacy redirects: never trusted
    given = urlsplit(origin)
    allowed = {
        (urlsplit(base_url).scheme, urlsplit(base_url).netloc),
        (request.url.scheme, request.headers.get("host", "")),
    }
    return (given.scheme, given.netloc) in allowed


def check_csrf(
    request: Request, submitted: str | None, *, base_url: str, session_cookie: str = WALLET_COOKIE
) -> bool:
    """True when a form submission may change state (see the module docstring).

    ``session_cookie`` names the cookie the token is bound to (the issuer console binds its
    forms to the staff session cookie instead of the wallet's)."""
    if not _same_site(request, base_url):
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not _VALUE.match(cookie) or not submitted or len(submitted) > 100:
        return False
    expected = csrf_token(cookie, request.cookies.get(session_cookie))
    return hmac.compare_digest(expected, submitted)


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int | None
) -> None:
    """A first-party cookie: HttpOnly, SameSite=Lax, Path=/, Secure on https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


# --------------------------------------------------------------------------- middleware


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class WebSecurityMiddleware:
    """Adds the HTML security headers; negotiates ``/claim/``; renders HTML ``413`` pages.

    ``html_paths(path)`` says whether a path is an HTML page route (for ``413``);
    ``render_413(scope)`` builds the HTML error response.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        html_paths: Callable[[str], bool],
        render_413: Callable[[Scope], Response],
    ) -> None:
        self.app = app
        self._html_paths = html_paths
        self._render_413 = render_413

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", ()))
        claim = _CLAIM.match(path)
        if claim is not None:
            accept = _header(headers, b"accept")
            if scope.get("method") in ("GET", "HEAD") and prefers_html(
                accept.decode("latin-1") if accept else None
            ):
                scope = dict(scope)
                scope["path"] = f"/wallet/claim/{claim.group(1)}"
                scope["raw_path"] = scope["path"].encode("ascii")
        html_route = self._html_paths(str(scope.get("path", "")))
        replaced = False

        async def guarded_send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the original 413 body is dropped
            if message["type"] == "http.response.start":
                if int(message["status"]) == 413 and html_route:
                    replaced = True
                    response = self._render_413(scope)
                    await response(scope, _empty_receive, _secured(send))
                    return
                message = _with_html_headers(message)
                if claim is not None:
                    message = {**message, "headers": [*message["headers"], (b"vary", b"Accept")]}
            await send(message)

        await self.app(scope, receive, guarded_send)


def _with_html_headers(message: Message) -> Message:
    """The response start ``message`` with the security headers when it is HTML."""
    headers = list(message.get("headers", ()))
    content_type = _header(headers, b"content-type") or b""
    if content_type.startswith(b"text/html"):
        present = {key.lower() for key, _ in headers}
        for name, value in HTML_SECURITY_HEADERS.items():
            key = name.lower().encode("latin-1")
            if key not in present:
                headers.append((key, value.encode("latin-1")))
    return {**message, "headers": headers}


def _secured(send: Send) -> Send:
    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = _with_html_headers(message)
        await send(message)

    return secured


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
