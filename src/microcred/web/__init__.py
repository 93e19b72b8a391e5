"""Server-rendered pages: the public verifier, shared credential pages and the learner wallet.

``mount(app, platform)`` adds them to the FastAPI application built by
:func:`microcred.api.create_app` (one line there). Pages are Jinja2 templates with
autoescaping, styled by one self-hosted stylesheet, with two small self-hosted scripts as
progressive enhancement; they are left out of the OpenAPI document. See ``docs/web.md``.

Routes: ``/`` (start), ``/verify`` (GET form, POST check), ``/c/{share_id}`` (+
``/credential.json``, ``/image``, ``/badge.png``), ``/wallet``, ``/wallet/claim/{token}``
(GET preview, POST open; browsers opening the e-mailed ``/claim/{token}`` land here),
``/wallet/credentials/{id}`` (+ ``/credential.json``, ``/certificate.pdf``, ``/badge.png``,
``/badge.svg``, ``/image``, POST ``/share``), POST ``/wallet/presentation``, POST
``/wallet/sign-out``, and the assets under ``/assets/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from microcred.services.platform import Platform
from microcred.web.inputs import CredentialFetcher
from microcred.web.pages import WebContext, build_environment, error_response
from microcred.web.security import WebSecurityMiddleware, prefers_html
from microcred.wiring import network_allowed

__all__ = ["HTML_PREFIXES", "mount"]

#: paths served as HTML pages (error pages for ``413`` are HTML there)
HTML_PREFIXES: Final = ("/verify", "/c/", "/wallet", "/console")


def _html_path(path: str) -> bool:
    return path == "/" or path.startswith(HTML_PREFIXES)


def mount(app: FastAPI, platform: Platform, *, allow_network: bool | None = None) -> None:
    """Add the web pages to ``app`` (call once, after the API's routers and handlers).

    ``allow_network`` (default: ``MICROCRED_ALLOW_NETWORK``) lets the verifier fetch
    credentials from other web sites; the platform's own public pages are always read
    in-process.
    """
    # the routers are imported here, not at the top: page modules may import the API's
    # helpers, and the API imports this package
    from microcred.web import routes_console, routes_public, routes_wallet

    network = network_allowed() if allow_network is None else allow_network
    context = WebContext(
        platform=platform,
        templates=build_environment(),
        fetcher=CredentialFetcher() if network else None,
        allow_network=network,
    )
    app.state.web = context
    app.include_router(routes_public.router)
    app.include_router(routes_wallet.router)
    app.include_router(routes_console.router)  # the issuer console (docs/console.md)
    from microcred.web import routes_console_endorsements

    app.include_router(routes_console_endorsements.router)  # partners and endorsements
    from microcred.web import routes_console_pathways, routes_console_recognition

    app.include_router(routes_console_pathways.router)  # pathways and pending awards
    app.include_router(routes_console_recognition.router)  # the recognition inbox
    from microcred.web import routes_wallet_elm

    app.include_router(routes_wallet_elm.router)  # the wallet's EDC/ELM download
    from microcred.web import api_reference

    app.include_router(api_reference.router)  # /docs: the API reference, no CDN
    from microcred.web import routes_console_outbox

    app.include_router(routes_console_outbox.router)  # the mail outbox (the demo's claim links)
    app.mount(
        "/assets",
        StaticFiles(packages=[("microcred.web", "static")], follow_symlink=False),
        name="assets",
    )

    previous = app.exception_handlers.get(StarletteHTTPException)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (404, 405, 413) and (
            _html_path(request.url.path) or prefers_html(request.headers.get("accept"))
        ):
            return error_response(request, exc.status_code, headers=exc.headers)
        if previous is None:  # pragma: no cover - create_app always installs one
            raise exc
        handler: Callable[[Request, Exception], Awaitable[Response]] = previous  # type: ignore[assignment]
        return await handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)

    def render_413(scope: Scope) -> Response:
        return error_response(Request(scope), 413)

    app.add_middleware(WebSecurityMiddleware, html_paths=_html_path, render_413=render_413)
