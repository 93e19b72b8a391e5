"""What every issuer-console page shares: the staff session, the issuer in the address,
CSRF-checked forms, role flags for templates, flash messages.

The console signs staff in with the same session as the API (cookie
:data:`microcred.api.deps.SESSION_COOKIE`, from
:meth:`~microcred.services.identity.IdentityService.start_session`). Every console form is a
POST carrying a CSRF token bound to that session (:mod:`microcred.web.security`, with
``session_cookie=SESSION_COOKIE``): a token from before signing in, or from another session,
is refused.

Pages live under ``/console/{slug}/…`` where ``slug`` is an issuer the person is a member of;
any other slug — another tenant's, or one that does not exist — is ``404``. Access control
stays in the services: templates hide buttons a role may not use, and the services refuse
them anyway (``403``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from microcred.api.deps import SESSION_COOKIE
from microcred.errors import NotFound, Unauthenticated
from microcred.services.access import Permission, Principal
from microcred.services.schemas_identity import IssuerInfo
from microcred.web.pages import (
    FLASH_MESSAGES,
    HtmlRoute,
    error_response,
    redirect,
    render,
    web_context,
)
from microcred.web.routes_public import logo_src
from microcred.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    check_csrf,
    csrf_token,
    ensure_csrf_cookie,
    set_cookie,
)

__all__ = [
    "CONSOLE_FLASHES",
    "PRIVATE",
    "ConsoleForm",
    "ConsolePage",
    "ConsoleRoute",
    "SignedOut",
    "console_page",
    "csrf_failed",
    "page",
    "parse_uuid",
    "post_only",
    "read_form",
    "signed_in",
]

PRIVATE: Final = {"Cache-Control": "no-store"}

#: flash codes of the console (added to the shared table: the cookie carries codes only)
CONSOLE_FLASHES: Final[dict[str, tuple[str, str]]] = {
    "console-signed-in": ("success", "You are signed in."),
    "console-signed-out": ("info", "You are signed out of the console."),
    "console-saved": ("success", "Saved. The checklist below shows what the EU standard needs."),
    "console-created": ("success", "Definition created as a draft."),
    "console-submitted": ("success", "Submitted for review."),
    "console-published": ("success", "Published: credentials can now be issued from it."),
    "console-changes": ("info", "Sent back to draft for changes."),
    "console-retired": ("info", "Retired: no new credentials can be issued from it."),
    "console-revoke": ("success", "The credential is revoked."),
    "console-suspend": ("success", "The credential is suspended."),
    "console-reinstate": ("success", "The credential is reinstated."),
    "console-profile": ("success", "The issuer profile is saved."),
    "console-rotated": ("success", "A new signing key is active; the old one stays resolvable."),
    "console-member": ("success", "Staff access updated."),
    "console-token-revoked": ("info", "The API token is revoked."),
    "console-job": ("success", "The import has started."),
    "console-logo": ("success", "The logo is saved: new credentials and all pages use it."),
    "console-logo-removed": ("info", "The logo is removed."),
    "console-compromised": (
        "warning",
        "The key is marked compromised; a new key signs from now on. Anchor or re-issue what "
        "it signed.",
    ),
}
FLASH_MESSAGES.update(CONSOLE_FLASHES)


class SignedOut(Exception):
    """No valid staff session: send the browser to the sign-in page."""


def signed_in(request: Request) -> tuple[Principal, str]:
    """The signed-in staff member and their session secret (else :class:`SignedOut`)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise SignedOut
    ip = request.client.host if request.client else None
    try:
        return web_context(request).platform.identity.principal_for_session(secret, ip), secret
    except Unauthenticated:
        raise SignedOut from None


def to_login(request: Request) -> Response:
    target = request.url.path if request.method == "GET" else "/console"
    response = redirect(request, "/console/login?next=" + target)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class _SignInRedirect(APIRoute):
    """Sends a browser without a valid staff session to the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except SignedOut:
                return to_login(request)

        return run


class ConsoleRoute(HtmlRoute, _SignInRedirect):
    """A console page: an HTML page route (errors as pages) that needs a staff session."""


def post_only() -> NoReturn:
    """Answer a GET on a form's POST-only address ``405`` with ``Allow: POST``.

    Starlette does so by itself for most such addresses; this is for those a GET route would
    otherwise take as its parameter (``/imports/check`` read as the import called "check").
    Register the GET before that route.
    """
    raise StarletteHTTPException(405, headers={"Allow": "POST"})


def parse_uuid(text: str, what: str = "page") -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"there is no such {what}") from None


@dataclass(frozen=True)
class ConsolePage:
    """The person, their session and the issuer of the page (a membership)."""

    principal: Principal
    session: str
    issuer: IssuerInfo
    issuers: list[IssuerInfo]

    @property
    def issuer_id(self) -> uuid.UUID:
        return self.issuer.id

    @property
    def role(self) -> str:
        return self.principal.roles[self.issuer.id].value

    def can(self, permission: Permission) -> bool:
        return self.principal.can(self.issuer.id, permission)

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(p.value for p in self.principal.permissions_at(self.issuer.id))


def member_issuers(request: Request, principal: Principal) -> list[IssuerInfo]:
    """The issuers the person is a member of (an operator sees only their memberships)."""
    issuers = web_context(request).platform.issuers
    found = [issuers.get_issuer(principal, issuer_id) for issuer_id in principal.roles]
    return sorted(found, key=lambda info: info.name.casefold())


def console_page(request: Request, slug: str) -> ConsolePage:
    """Who is signed in and the issuer ``slug`` (NotFound unless a member)."""
    principal, secret = signed_in(request)
    issuers = member_issuers(request, principal)
    for info in issuers:
        if info.slug == slug:
            return ConsolePage(principal, secret, info, issuers)
    raise NotFound("there is nothing at this address")


def page(
    request: Request,
    template: str,
    console: ConsolePage | None,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> Response:
    """Render a console page: the CSRF token is bound to the staff session."""
    cookie, fresh = ensure_csrf_cookie(request)
    session = console.session if console else request.cookies.get(SESSION_COOKIE)
    values: dict[str, Any] = {
        "console": console,
        "csrf_token": csrf_token(cookie, session),
    }
    if console is not None:
        values["can"] = console.permissions
        values["issuer"] = console.issuer
        values["prefix"] = f"/console/{console.issuer.slug}"
        values["issuer_logo"] = logo_src(console.issuer.logo_uri)
    values.update(context or {})
    response = render(request, template, values, status=status, headers=PRIVATE)
    if fresh:
        # render() set a CSRF cookie of its own: keep the one this page's token was made with
        response.raw_headers = [
            (name, value)
            for name, value in response.raw_headers
            if not (name == b"set-cookie" and value.startswith(CSRF_COOKIE.encode() + b"="))
        ]
        set_cookie(
            response, CSRF_COOKIE, cookie, secure=web_context(request).secure_cookies, max_age=None
        )
    return response


@dataclass(frozen=True)
class ConsoleForm:
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]]
    #: every value of each field, in order (repeated rows such as skill alignments)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default).strip()

    def getlist(self, name: str) -> list[str]:
        return [value.strip() for value in self.lists.get(name, [])]


async def read_form(request: Request, *, max_file: int = 0) -> ConsoleForm | None:
    """The submitted fields (and files up to ``max_file`` bytes), or None when CSRF fails."""
    form = await request.form(max_files=1 if max_file else 0, max_fields=200)
    fields: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    files: dict[str, tuple[str, bytes]] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields[key] = value
                lists.setdefault(key, []).append(value)
            elif isinstance(value, UploadFile) and max_file:
                data = await value.read(max_file + 1)
                files[key] = (value.filename or "upload", data)
    finally:
        await form.close()
    if not check_csrf(
        request,
        fields.get(CSRF_FIELD),
        base_url=web_context(request).base_url,
        session_cookie=SESSION_COOKIE,
    ):
        return None
    return ConsoleForm(fields, files, lists)


def csrf_failed(request: Request) -> Response:
    return error_response(
        request,
        403,
        "This form had expired or was sent from another site.",
        hint="Go back, reload the page and try again.",
    )
