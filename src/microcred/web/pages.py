"""Rendering pages: the Jinja2 environment, the page context, flash messages, error pages.

* Templates live in ``web/templates`` and are rendered with **autoescaping on** for every
  template: anything a credential, a learner or an issuer says is text, never markup.
* :func:`render` adds what every page needs (the CSRF token of its forms, flash messages,
  the current path) and sets the CSRF cookie when the browser has none.
* Flash messages survive one redirect in the ``mc_flash`` cookie, which carries *codes*
  (keys of :data:`FLASH_MESSAGES`), never text: a forged cookie can only pick one of our own
  sentences.
* :class:`HtmlRoute` turns errors raised by a page's service call into HTML error pages
  (404, 403, 409, 400, 429, and a 500 that reveals nothing), never problem+json.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from microcred.certificates.description import format_date
from microcred.errors import (
    Conflict,
    InvalidInput,
    MicrocredError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from microcred.services.platform import Platform
from microcred.services.sharing import SharingService
from microcred.web.inputs import CredentialFetcher
from microcred.web.page_cache import PageCache
from microcred.web.security import (
    CSRF_COOKIE,
    WALLET_COOKIE,
    csrf_token,
    ensure_csrf_cookie,
    set_cookie,
)

__all__ = [
    "FLASH_COOKIE",
    "FLASH_MESSAGES",
    "HtmlRoute",
    "WebContext",
    "build_environment",
    "error_response",
    "redirect",
    "render",
    "send_html",
    "web_context",
]

log = logging.getLogger("microcred.web")

FLASH_COOKIE: Final = "mc_flash"
FLASH_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "share-on": (
        "success",
        "Sharing is on: anyone with the link can see and verify this credential.",
    ),
    "share-off": ("info", "Sharing is off: the public page now answers “not found”."),
    "signed-out": ("info", "You have left your wallet on this device."),
    "wallet-open": ("success", "Welcome to your wallet. Your credential is claimed and safe here."),
    "csrf": ("error", "That form had expired. Please try again."),
    "choose": ("error", "Choose at least one credential for the presentation."),
}


@dataclass(frozen=True)
class WebContext:
    """What the page routes share (``app.state.web``).

    ``sharing`` is the platform's ``SharingService`` when it has one, else one built on first
    use (so building the app never touches the platform).
    """

    platform: Platform
    templates: Environment
    fetcher: CredentialFetcher | None
    allow_network: bool

    @cached_property
    def sharing(self) -> SharingService:
        existing = getattr(self.platform, "sharing", None)
        if isinstance(existing, SharingService):
            return existing
        epoch = getattr(self.platform, "read_epoch", None)
        if epoch is not None and epoch.enabled:  # public pages kept under the epoch token
            from microcred.services.read_cache import EpochSharing

            return EpochSharing(
                self.platform.uow,
                self.platform.issuance,
                base_url=self.platform.settings.base_url,
                epoch=epoch,
            )
        return SharingService(
            self.platform.uow, self.platform.issuance, base_url=self.platform.settings.base_url
        )

    @cached_property
    def page_cache(self) -> PageCache:
        """Rendered public credential pages, kept under the epoch tokens (``page_cache.py``)."""
        return PageCache(
            getattr(self.platform, "read_epoch", None),
            self.platform.clock,
            ttl=self.platform.settings.verify_cache_seconds,
        )

    def pinned(self) -> AbstractContextManager[None]:
        """Read the epoch tokens once for everything inside (no-op without read caches)."""
        epoch = getattr(self.platform, "read_epoch", None)
        return contextlib.nullcontext() if epoch is None else epoch.pinned()

    @property
    def base_url(self) -> str:
        return self.platform.settings.base_url.rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def _json_pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False)


def build_environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("microcred.web", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["date"] = format_date
    environment.filters["pretty_json"] = _json_pretty
    return environment


def _flashes(request: Request) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE, "")
    found = []
    for code in raw.split(".")[:5]:
        if code in FLASH_MESSAGES:
            found.append(FLASH_MESSAGES[code])
    return found


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the page context; sets the CSRF cookie when needed."""
    web = web_context(request)
    cookie, fresh = ensure_csrf_cookie(request)
    page: dict[str, Any] = {
        "request": request,
        "path": request.url.path,
        "csrf_token": csrf_token(cookie, request.cookies.get(WALLET_COOKIE)),
        "flashes": _flashes(request),
        "base_url": web.base_url,
        "wallet_open": bool(request.cookies.get(WALLET_COOKIE)),
        "canonical_url": None,
        "og": None,
    }
    page.update(context or {})
    body = web.templates.get_template(template).render(page)
    response = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
    if fresh:
        set_cookie(response, CSRF_COOKIE, cookie, secure=web.secure_cookies, max_age=None)
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def send_html(
    request: Request, body: bytes, *, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """An already rendered page (``body``), with the cookies :func:`render` would set."""
    response = HTMLResponse(body, headers=dict(headers or {}))
    cookie, fresh = ensure_csrf_cookie(request)
    if fresh:
        set_cookie(
            response, CSRF_COOKIE, cookie, secure=web_context(request).secure_cookies, max_age=None
        )
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(request: Request, url: str, *, flash: str | None = None) -> RedirectResponse:
    """A ``303 See Other`` to ``url`` (a path of this site), optionally with a flash message."""
    if not url.startswith("/") or url.startswith("//"):
        url = "/"
    response = RedirectResponse(url, status_code=303)
    if flash is not None and flash in FLASH_MESSAGES:
        set_cookie(
            response, FLASH_COOKIE, flash, secure=web_context(request).secure_cookies, max_age=60
        )
    return response


_ERRORS: Final[dict[int, tuple[str, str]]] = {
    400: ("Something is not right", "The request could not be used."),
    403: ("Not allowed", "You are not allowed to do this."),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "This page cannot be used that way."),
    409: ("Not possible right now", "This cannot be done in the current state."),
    413: ("File too large", "Files and pasted text may be at most 1 MiB."),
    429: ("Too many attempts", "Please wait a little and try again."),
    500: ("Something went wrong", "Something went wrong on our side. Please try again later."),
}


def error_response(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    hint: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The HTML error page for ``status`` (``detail`` is shown as text); ``headers`` are
    added (a 405's ``Allow``)."""
    title, default = _ERRORS.get(status, _ERRORS[500])
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail or default, "hint": hint},
        status=status,
        headers={**(headers or {}), "Cache-Control": "no-store"},
    )


def _status_of(exc: MicrocredError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, PermissionDenied | Unauthenticated):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, RateLimited):
        return 429
    return 500


def _loggable(path: str) -> str:
    """``path`` without secrets (claim tokens) for the log."""
    if path.startswith(("/wallet/claim/", "/claim/")):
        return path.rsplit("/", 1)[0] + "/…"
    return path


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class HtmlRoute(APIRoute):
    """A page route: out of the OpenAPI document, errors rendered as HTML pages."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["include_in_schema"] = False
        kwargs.setdefault("response_class", HTMLResponse)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError:
                return error_response(request, 400, "The form or address is not complete.")
            except StarletteHTTPException as exc:
                return error_response(request, exc.status_code, headers=exc.headers)
            except MicrocredError as exc:
                status = _status_of(exc)
                if status >= 500:
                    log.error(
                        "%s on %s %s: %s",
                        type(exc).__name__,
                        request.method,
                        _loggable(request.url.path),
                        exc,
                    )
                    return error_response(request, 500)
                answer = error_response(request, status, _sentence(exc.detail))
                if isinstance(exc, RateLimited):
                    answer.headers["Retry-After"] = str(max(1, int(exc.retry_after)))
                return answer
            except Exception:
                log.exception(
                    "unhandled error on page %s %s", request.method, _loggable(request.url.path)
                )
                return error_response(request, 500)

        return run
