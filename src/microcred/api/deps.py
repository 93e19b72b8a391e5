"""Request dependencies: the platform, the caller's address, and who the caller is.

Authentication (docs/api.md):

* ``Authorization: Bearer mc_<prefix>_<secret>`` — an API token; it acts for one issuer with
  its creator's role narrowed by its scopes (``IdentityService.principal_for_token``);
* the ``microcred_session`` cookie set by ``POST /api/v1/session`` — a signed-in person
  (``IdentityService.principal_for_session``).

A bearer token wins when both are sent. Unknown, expired and revoked credentials are
``401`` (``Unauthenticated``), never silently anonymous. With a session cookie a state-changing
request must come from the platform's own origin when the browser says where it comes from
(``Origin``): together with ``SameSite=Lax`` this keeps other sites from acting with a
signed-in person's cookie (cross-site request forgery).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from microcred.errors import PermissionDenied, Unauthenticated
from microcred.services.access import Principal
from microcred.services.platform import Platform

__all__ = [
    "SESSION_COOKIE",
    "ClientIP",
    "MaybePrincipal",
    "PlatformDep",
    "PrincipalDep",
    "client_ip",
    "get_platform",
    "optional_principal",
    "require_principal",
]

SESSION_COOKIE = "microcred_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="An API token (`mc_<prefix>_<secret>`) created under /api/v1/issuers/{id}/tokens.",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="The session cookie set by POST /api/v1/session.",
)


# ``async``: no I/O here, and FastAPI runs a plain ``def`` dependency in a worker thread (a
# thread hand-off per request that costs more than the lookup itself).
async def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def client_ip(request: Request) -> str | None:
    """The peer address (uvicorn applies ``X-Forwarded-For`` only from trusted proxies)."""
    return request.client.host if request.client else None


PlatformDep = Annotated[Platform, Depends(get_platform)]
ClientIP = Annotated[str | None, Depends(client_ip)]


def _same_origin(request: Request, base_url: str) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    expected = urlsplit(base_url)
    given = urlsplit(origin)
    return (given.scheme, given.netloc) == (expected.scheme, expected.netloc)


def optional_principal(
    request: Request,
    platform: PlatformDep,
    ip: ClientIP,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[str | None, Depends(_cookie)],
) -> Principal | None:
    """The caller, or ``None`` when no credentials were sent (public endpoints)."""
    if bearer is not None:
        return platform.identity.principal_for_token(bearer.credentials, ip)
    if request.headers.get("authorization"):
        raise Unauthenticated(
            "Unsupported Authorization header: send 'Authorization: Bearer mc_…' with an API "
            "token, or sign in for a session cookie."
        )
    if session:
        if request.method not in _SAFE_METHODS and not _same_origin(
            request, platform.settings.base_url
        ):
            raise PermissionDenied(
                "This request carries a session cookie but comes from another site; it was "
                "refused to protect the signed-in person."
            )
        return platform.identity.principal_for_session(session, ip)
    return None


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def require_principal(principal: MaybePrincipal) -> Principal:
    """The caller; ``401`` when no credentials were sent."""
    if principal is None:
        raise Unauthenticated(
            "Authentication required: send 'Authorization: Bearer mc_…' with an API token, or "
            "sign in (POST /api/v1/session) for a session cookie."
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]
