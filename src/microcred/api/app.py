"""The FastAPI application: ``create_app(platform)``.

A thin shell (STYLE.md): routes parse input, build the caller's principal, call one service
method of the :class:`~microcred.services.platform.Platform`, and render. Middleware, outermost
first: metrics (counts every request by route template) -> security headers on data
responses (api/headers.py) -> request rate limit (429, api/ratelimit.py) -> body-size limit
(413) -> the framework's error handling (every error becomes problem+json,
:mod:`microcred.api.errors`).

The generated OpenAPI document (``/openapi.json``, browsable at ``/docs``) lists every route
with its operation id, tag and every status code it answers with; every error response is
``application/problem+json``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from microcred.api import (
    admin_anchoring,
    admin_credentials,
    admin_definitions,
    admin_endorsements,
    admin_identity,
    admin_imports,
    admin_issuers,
    admin_pathways,
    admin_recognition,
    elm,
    public,
    routes_ledger,
    routes_status,
    vcapi,
)
from microcred.api.errors import (
    PROBLEM_JSON,
    Problem,
    ValidationProblem,
    component_schemas,
    install_error_handlers,
    problem_responses,
)
from microcred.api.guessing import GuessingMiddleware, GuessThrottle
from microcred.api.headers import SecurityHeadersMiddleware
from microcred.api.limits import DEFAULT_BODY_LIMIT, IMPORT_BODY_LIMIT, BodyLimitMiddleware
from microcred.api.metrics import Metrics, MetricsMiddleware
from microcred.api.ratelimit import (
    DEFAULT_RATE_LIMIT,
    EXEMPT_PATHS,
    RateLimiter,
    RateLimitMiddleware,
)
from microcred.api.strict_json import StrictJsonMiddleware
from microcred.services.platform import Platform
from microcred.web import mount as mount_web_pages

__all__ = ["create_app"]

_DESCRIPTION = """\
Issue and verify European micro-credentials as W3C Verifiable Credentials / Open Badges 3.0.

* **VC-API** (`/credentials/…`, `/presentations/verify`): the W3C VC-API endpoints.
* **Admin API** (`/api/v1/…`): issuers, staff, API tokens, definitions, learners, credentials.
* Authenticate with `Authorization: Bearer mc_…` (an API token) or the session cookie from
  `POST /api/v1/session`.
* Every error is RFC 9457 problem details (`application/problem+json`); see docs/api.md for the
  problem types.
"""


def _version() -> str:
    try:
        return version("microcred")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def _with_bodies(operation: Mapping[str, Any]) -> bool:
    return "requestBody" in operation


def _in_path_order(path: str, operation: dict[str, Any]) -> None:
    """Path parameters in the order the path names them (the framework lists a route's own
    before those of its dependencies, e.g. ``{issuer_id}`` of ``api/routing.py``)."""
    place = {name: n for n, name in enumerate(re.findall(r"{(\w+)", path))}
    parameters: list[dict[str, Any]] = operation.get("parameters") or []
    parameters.sort(key=lambda p: (p.get("in") != "path", place.get(p.get("name", ""), 0)))


def _finish_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Make every error response problem+json and add what the framework answers by itself."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(
        component_schemas(
            [Problem, ValidationProblem, vcapi.VerificationProblem, public.ReadyProblem]
        )
    )
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _in_path_order(path, operation)
            responses: dict[str, Any] = operation["responses"]
            extra: list[int] = []
            if operation.get("parameters") or _with_bodies(operation):
                extra.append(422)
            if _with_bodies(operation):
                extra += [400, 413]
            if path not in EXEMPT_PATHS:
                extra.append(429)  # the request rate limit (api/ratelimit.py)
            for code, entry in problem_responses(*extra).items():
                responses.setdefault(str(code), entry)
            for code, entry in responses.items():
                if not code.isdigit() or int(code) < 400:
                    continue
                content = entry.get("content") or {}
                if PROBLEM_JSON not in content:
                    entry["content"] = problem_responses(int(code))[int(code)]["content"]
                elif "application/json" in content:
                    del content["application/json"]
    return schema


def create_app(
    platform: Platform,
    *,
    body_limit: int = DEFAULT_BODY_LIMIT,
    import_body_limit: int = IMPORT_BODY_LIMIT,
    close_platform: bool = False,
    rate_limiter: RateLimiter | None = None,
    guess_throttle: GuessThrottle | None = None,
) -> FastAPI:
    """The ASGI application serving ``platform``.

    ``body_limit`` caps request bodies (``413`` above it); bulk-import uploads get
    ``import_body_limit``. The caller owns ``platform`` unless ``close_platform``, in which
    case the app closes it when the server shuts down. ``rate_limiter`` limits requests per
    client (default: ``MICROCRED_RATE_LIMIT_PER_MINUTE``; 0 there turns the limit off).
    """

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_platform:
                platform.close()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,  # /docs is our own page (web/api_reference.py): no CDN assets
        redoc_url=None,
        title="microcred",
        version=_version(),
        description=_DESCRIPTION,
        openapi_tags=[
            {"name": "VC-API", "description": "W3C VC-API: issue and verify"},
            {"name": "Session", "description": "Sign in and out (web sessions)"},
            {"name": "Issuers", "description": "Issuers (tenants), keys, audit log"},
            {"name": "Staff", "description": "Staff accounts and roles"},
            {"name": "Tokens", "description": "API tokens"},
            {"name": "Definitions", "description": "Micro-credential definitions"},
            {"name": "Learners", "description": "Learners and claim links"},
            {"name": "Credentials", "description": "Issued credentials"},
            {"name": "Imports", "description": "Bulk issuing from CSV/XLSX"},
            {"name": "Outbox", "description": "Mail waiting or sent"},
            {"name": "DIDs", "description": "Hosted did:web documents"},
            {"name": "Status lists", "description": "Revocation and suspension status lists"},
            {"name": "Anchoring", "description": "Anchoring credentials on the ledger"},
            {"name": "Ledger", "description": "Public audit of the embedded ledger"},
            {"name": "Operations", "description": "Health, readiness, metrics"},
        ],
    )
    app.state.platform = platform
    app.state.metrics = Metrics()
    install_error_handlers(app)
    for router in (
        vcapi.router,
        admin_identity.router,
        admin_issuers.router,
        admin_definitions.router,
        admin_credentials.router,
        admin_imports.router,
        admin_pathways.router,
        admin_recognition.router,
        admin_endorsements.router,
        public.router,
        routes_status.router,
        admin_anchoring.router,
        routes_ledger.router,
        elm.router,
    ):
        app.include_router(router)
    # inside the body limit: duplicate member names, NaN and Infinity → 400 (api/strict_json.py)
    app.add_middleware(StrictJsonMiddleware)
    app.add_middleware(
        BodyLimitMiddleware, default_limit=body_limit, import_limit=import_body_limit
    )
    if rate_limiter is None:
        settings = getattr(platform, "settings", None)
        per_minute = int(getattr(settings, "rate_limit_per_minute", DEFAULT_RATE_LIMIT))
        rate_limiter = RateLimiter(per_minute) if per_minute > 0 else None
    if rate_limiter is not None:
        app.add_middleware(RateLimitMiddleware, limiter=rate_limiter)
    # made-up tokens, cookies, claim and share links: per address (api/guessing.py)
    app.add_middleware(GuessingMiddleware, throttle=guess_throttle or GuessThrottle())
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    mount_web_pages(app, platform)  # HTML pages (docs/web.md), outside the OpenAPI document

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = _finish_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
