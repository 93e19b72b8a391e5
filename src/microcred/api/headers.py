"""Security headers on every response that is not an HTML page (docs/security-web.md).

HTML pages get theirs from :mod:`microcred.web.security` (a CSP allowing the product's own
scripts and styles). Everything else — JSON, problem details, status lists, DID documents,
images, PDFs, CSV — is data, never a document to run: it is sent with

* ``X-Content-Type-Options: nosniff`` (a browser never guesses HTML or script from it);
* ``X-Frame-Options: DENY`` and a CSP ``frame-ancestors 'none'`` (never framed);
* ``Referrer-Policy: no-referrer``;
* ``Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`` — opened directly,
  an SVG or JSON response can run nothing and load nothing (SVG images may keep their inline
  styles and ``data:`` images). PDFs get only ``frame-ancestors 'none'``: a stricter policy
  stops some browsers' built-in PDF viewers.

A header the route set itself is kept.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DATA_CSP",
    "DATA_SECURITY_HEADERS",
    "PDF_CSP",
    "SVG_CSP",
    "SecurityHeadersMiddleware",
]

DATA_CSP: Final = "default-src 'none'; frame-ancestors 'none'"
SVG_CSP: Final = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
)
PDF_CSP: Final = "frame-ancestors 'none'"
DATA_SECURITY_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _csp_for(content_type: bytes) -> str:
    media = content_type.split(b";", 1)[0].strip().lower()
    if media == b"image/svg+xml":
        return SVG_CSP
    if media == b"application/pdf":
        return PDF_CSP
    return DATA_CSP


class SecurityHeadersMiddleware:
    """Adds :data:`DATA_SECURITY_HEADERS` and a CSP to every non-HTML response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _with_headers(message)
            await send(message)

        await self.app(scope, receive, secured)


def _with_headers(message: Message) -> Message:
    headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
    present = {key.lower(): value for key, value in headers}
    content_type = present.get(b"content-type", b"")
    if content_type.lower().startswith(b"text/html"):
        return message  # pages: web.security adds the page policy
    wanted = {**DATA_SECURITY_HEADERS, "Content-Security-Policy": _csp_for(content_type)}
    for name, value in wanted.items():
        key = name.lower().encode("latin-1")
        if key not in present:
            headers.append((key, value.encode("latin-1")))
    return {**message, "headers": headers}
