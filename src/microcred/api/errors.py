"""Errors -> RFC 9457 problem details (``application/problem+json``), in one place.

Every error the API answers with is a problem object::

    {"type": "https://microcred.dev/problems/not-found", "title": "Not found",
     "status": 404, "detail": "No such issuer, or you are not a member of it.",
     "instance": "/api/v1/issuers/5c3e…"}

* :class:`~microcred.errors.MicrocredError` (raised by services) -> its ``status``, ``type``,
  ``title``, ``detail`` and extension members (``errors``, ``missing``, ``retry_after``, …).
  ``RateLimited`` adds a ``Retry-After`` header, ``Unauthenticated`` a ``WWW-Authenticate``
  header (RFC 9110 §11.6.1).
* A request that does not match the declared input models -> ``422`` with one entry per
  problem in ``errors`` (``location``, ``path``, ``message``); a body that is not JSON at all
  -> ``400`` (``invalid-json``).
* Framework errors (unknown route 404, wrong method 405, body too large 413) -> the same shape.
* Anything else is a bug: it is logged with its traceback and answered with a generic ``500``
  problem that reveals nothing. Tests and the schemathesis run must never reach it.

Routes never build ``HTTPException`` from business rules (STYLE.md): services raise
:mod:`microcred.errors`, this module renders them.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from microcred.errors import InvalidInput, MicrocredError, RateLimited, Unauthenticated

__all__ = [
    "PROBLEM_JSON",
    "PROBLEMS",
    "FieldProblem",
    "PayloadTooLarge",
    "Problem",
    "ProblemResponse",
    "ProblemRoute",
    "ValidationProblem",
    "install_error_handlers",
    "problem_body",
    "problem_responses",
]

log = logging.getLogger("microcred.api")

PROBLEM_JSON = "application/problem+json"
_OURS = "https://microcred.dev/problems/"

#: Problem types the API itself produces (besides those of :mod:`microcred.errors`).
PROBLEMS: Mapping[str, str] = {
    "validation": _OURS + "validation",
    "invalid-json": _OURS + "invalid-json",
    "not-found": _OURS + "not-found",
    "method-not-allowed": _OURS + "method-not-allowed",
    "payload-too-large": _OURS + "payload-too-large",
    "unsupported-media-type": _OURS + "unsupported-media-type",
    "internal": _OURS + "internal",
}

_HTTP_TITLES = {
    400: ("invalid-json", "Bad request"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}

_DESCRIPTIONS = {
    400: "Invalid input (problem details)",
    401: "Not authenticated: no, an unknown, expired or revoked API token or session",
    403: "Authenticated, but the role or token scope does not allow this",
    404: "Not found (or not visible to you)",
    409: "Conflicts with the current state",
    413: "Request body too large",
    422: "The request does not match the declared input (one entry per problem)",
    429: "Too many attempts; retry after the Retry-After header's seconds",
    502: "A service behind the platform failed",
    503: "Not ready",
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


class Problem(BaseModel):
    """RFC 9457 problem details; extension members carry machine-readable specifics."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI of the problem type (see docs/api.md)")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="The request path")


class FieldProblem(BaseModel):
    location: str = Field(description="body, query, path, header or cookie")
    path: str = Field(description="Dotted path of the offending member, e.g. achievement.name")
    message: str
    type: str = Field(description="Machine-readable kind of problem")


class ValidationProblem(Problem):
    errors: list[FieldProblem]


class PayloadTooLarge(StarletteHTTPException):
    """Raised by the body-size limit while a body is being read (becomes a 413 problem)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


def problem_body(
    status: int,
    kind: str,
    title: str,
    detail: str,
    request: Request | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEMS.get(kind, kind),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
    body.update(jsonable_encoder(extra))
    return body


def _response(body: dict[str, Any], headers: Mapping[str, str] | None = None) -> ProblemResponse:
    return ProblemResponse(body, status_code=int(body["status"]), headers=dict(headers or {}))


# --------------------------------------------------------------------------- handlers


async def _microcred_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, MicrocredError)
    body = jsonable_encoder(exc.to_problem())
    body["instance"] = request.url.path
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(1, int(exc.retry_after)))
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="microcred"'
    if exc.status >= 500:
        # Configuration and key-store problems are for the operator's log, not the caller.
        log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
        body = {
            "type": exc.type_uri,
            "title": exc.title,
            "status": exc.status,
            "detail": "The server could not complete this request; the operator has been told.",
            "instance": request.url.path,
        }
    return _response(body, headers)


_WRAPPERS = frozenset({"function-after", "function-before", "function-wrap", "function-plain"})
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def _location(loc: Sequence[Any]) -> tuple[str, str]:
    parts = list(loc)
    where = str(parts.pop(0)) if parts and parts[0] in _LOCATIONS else "body"
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        text = str(part)
        if text in _WRAPPERS or any(ch in text for ch in "[](),"):
            continue  # pydantic's names of union members and validator wrappers
        path += ("." if path else "") + text
    return where, path or "(whole)"


def _field_message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        reason = next((str(e.get("ctx", {}).get("error", "")) for e in errors if e.get("ctx")), "")
        detail = "The request body is not valid JSON" + (f" ({reason})." if reason else ".")
        return _response(problem_body(400, "invalid-json", "Malformed JSON", detail, request))
    problems: list[dict[str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for error in errors:
        where, path = _location(error.get("loc", ()))
        message = _field_message(error)
        key = (where, path, message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(
            {"location": where, "path": path, "message": message, "type": str(error.get("type"))}
        )
    summary = "; ".join(f"{p['location']} {p['path']}: {p['message']}" for p in problems[:5])
    if len(problems) > 5:
        summary += f"; and {len(problems) - 5} more"
    return _response(
        problem_body(
            422,
            "validation",
            "The request does not match what this endpoint accepts",
            summary or "invalid request",
            request,
            errors=problems,
        )
    )


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind, title = _HTTP_TITLES.get(exc.status_code, ("internal", "Error"))
    if exc.status_code == 404:
        detail = f"There is nothing at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    else:
        detail = str(exc.detail)
    headers = dict(exc.headers or {})
    return _response(problem_body(exc.status_code, kind, title, detail, request), headers)


async def _unhandled(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _response(
        problem_body(
            500,
            "internal",
            "Internal server error",
            "Something went wrong on our side; the operator can find the details in the log.",
            request,
        )
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the one mapping from exceptions to problem responses."""
    app.add_exception_handler(MicrocredError, _microcred_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)


# --------------------------------------------------------------------------- request bodies

# Set while a request is handled: [True] once the endpoint itself runs. The services' input
# models (StrictModel) raise InvalidInput while FastAPI validates a body; before the endpoint
# starts, that is a request that does not match its model (422), not a business refusal (400).
_ENDPOINT_STARTED: ContextVar[list[bool] | None] = ContextVar("microcred_endpoint", default=None)


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or any ``…/…+json`` type (parameters ignored)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.endswith("+json") and "/" in media)


class ProblemRoute(APIRoute):
    """A route whose body-model failures are ``422`` problems, like every other input error.

    A route that reads a JSON body answers a body declared as another media type (``text/plain``,
    a form) with ``415`` before anything else: the framework would otherwise report the
    fields it could not find (``422``), which hides the actual mistake. A body without a
    ``Content-Type`` is read as JSON, as before.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.iscoroutinefunction(endpoint):
            raise TypeError("microcred routes are plain functions (run in the thread pool)")

        @functools.wraps(endpoint)
        def started(*args: Any, **kw: Any) -> Any:
            holder = _ENDPOINT_STARTED.get()
            if holder is not None:
                holder[0] = True
            return endpoint(*args, **kw)

        super().__init__(path, started, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        field = self.body_field
        reads_json = field is not None and not isinstance(field.field_info, params.Form)

        async def run(request: Request) -> Response:
            declared = request.headers.get("content-type")
            if reads_json and declared is not None and not is_json_media_type(declared):
                media = declared.split(";", 1)[0].strip()[:100] or "(empty)"
                return _response(
                    problem_body(
                        415,
                        "unsupported-media-type",
                        "Unsupported media type",
                        f"This endpoint reads an application/json body; the request sent {media}.",
                        request,
                    ),
                    {"Accept-Post": "application/json"} if request.method == "POST" else None,
                )
            holder = [False]
            token = _ENDPOINT_STARTED.set(holder)
            try:
                return await handler(request)
            except InvalidInput as exc:
                errors = exc.extra.get("errors")
                if holder[0] or not isinstance(errors, list):
                    raise
                problems = [
                    {
                        "location": "body",
                        "path": str(e.get("path", "(whole)")),
                        "message": str(e.get("message", "invalid")),
                        "type": "value_error",
                    }
                    for e in errors
                    if isinstance(e, Mapping)
                ]
                return _response(
                    problem_body(
                        422,
                        "validation",
                        "The request does not match what this endpoint accepts",
                        exc.detail,
                        request,
                        errors=problems,
                    )
                )
            finally:
                _ENDPOINT_STARTED.reset(token)

        return run


# --------------------------------------------------------------------------- OpenAPI


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def problem_responses(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for ``codes``, each a problem+json body.

    ``descriptions`` overrides a code's description (key ``"c404"`` for 404).
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        schema = _ref("ValidationProblem" if code == 422 else "Problem")
        responses[code] = {
            "description": descriptions.get(f"c{code}", _DESCRIPTIONS.get(code, "Error")),
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
    return responses


def component_schemas(models: Iterable[type[BaseModel]]) -> dict[str, Any]:
    """JSON schemas of ``models`` (and what they reference) for ``components.schemas``."""
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[model.__name__] = schema
    return schemas
