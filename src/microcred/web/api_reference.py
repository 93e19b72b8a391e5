"""The API reference page (``/docs``), rendered by the server from the OpenAPI document.

FastAPI's own ``/docs`` and ``/redoc`` load Swagger UI and ReDoc from a CDN (and need inline
scripts the pages' CSP forbids), so they are turned off (``create_app``) and replaced by one
server-rendered page: every operation grouped by tag, with its parameters, request body media
types and documented answers, and a link to the machine-readable ``/openapi.json``. It loads
nothing but the product's own stylesheet. ``/redoc`` redirects here for old links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from microcred.web.pages import HtmlRoute, render

__all__ = ["Operation", "Tag", "operations_by_tag", "router"]

router = APIRouter(route_class=HtmlRoute)

_METHODS: Final = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    required: bool
    description: str


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    media_types: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    anchor: str
    parameters: tuple[Parameter, ...]
    body_media_types: tuple[str, ...]
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Tag:
    name: str
    description: str
    anchor: str
    operations: tuple[Operation, ...]


def _anchor(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _operation(method: str, path: str, entry: Mapping[str, Any]) -> Operation:
    parameters = tuple(
        Parameter(
            name=_text(p.get("name")),
            where=_text(p.get("in")),
            required=bool(p.get("required")),
            description=_text(p.get("description")),
        )
        for p in entry.get("parameters", [])
        if isinstance(p, Mapping)
    )
    body = entry.get("requestBody")
    body_types = (
        tuple(sorted((body.get("content") or {}).keys())) if isinstance(body, Mapping) else ()
    )
    answers = tuple(
        Answer(
            status=str(code),
            description=_text(answer.get("description")),
            media_types=tuple(sorted((answer.get("content") or {}).keys())),
        )
        for code, answer in sorted(entry.get("responses", {}).items())
        if isinstance(answer, Mapping)
    )
    return Operation(
        method=method.upper(),
        path=path,
        summary=_text(entry.get("summary")),
        description=_text(entry.get("description")),
        anchor=_anchor(f"{method} {path}"),
        parameters=parameters,
        body_media_types=body_types,
        answers=answers,
    )


def operations_by_tag(schema: Mapping[str, Any]) -> list[Tag]:
    """The operations of an OpenAPI document, grouped by their first tag (in the tags' order)."""
    described = {
        _text(t.get("name")): _text(t.get("description"))
        for t in schema.get("tags", [])
        if isinstance(t, Mapping)
    }
    grouped: dict[str, list[Operation]] = {name: [] for name in described}
    for path, entries in schema.get("paths", {}).items():
        for method in _METHODS:
            entry = entries.get(method)
            if not isinstance(entry, Mapping):
                continue
            tags = entry.get("tags") or ["Other"]
            grouped.setdefault(str(tags[0]), []).append(_operation(method, path, entry))
    return [
        Tag(
            name=name,
            description=described.get(name, ""),
            anchor=_anchor(f"tag {name}"),
            operations=tuple(sorted(ops, key=lambda o: (o.path, _METHODS.index(o.method.lower())))),
        )
        for name, ops in grouped.items()
        if ops
    ]


@router.get("/docs")
def api_reference(request: Request) -> Response:
    schema = request.app.openapi()
    info = schema.get("info", {})
    return render(
        request,
        "api_reference.html",
        {
            "title": _text(info.get("title")) or "microcred",
            "version": _text(info.get("version")),
            "tags": operations_by_tag(schema),
        },
    )


@router.get("/redoc")
def redoc(request: Request) -> Response:
    return RedirectResponse("/docs", status_code=308)
