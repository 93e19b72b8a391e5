"""Strict JSON request bodies: duplicate member names and ``NaN``/``Infinity`` are refused.

Python's ``json`` module (which the web framework uses to read bodies) keeps the last of two
members with the same name and accepts ``NaN`` and ``Infinity``. A signed credential whose
body says ``"id"`` twice means two different things to two parsers, so every JSON request
body is read here with :func:`microcred.lexical.loads_strict_json` first; a body it refuses
gets ``400`` problem details (``invalid-json``) naming the reason, and the endpoint is never
called. Bodies of other media types (forms, multipart uploads) pass untouched.

A body it reads is parsed once: the middleware keeps the value in the request scope and a
route of class :class:`StrictJsonRoute` hands it to the framework, which would otherwise
parse the same bytes again with the lax reader. A body with a UTF-8 byte order mark is read
(and checked) without the mark, as the framework reads it; a body in another encoding (the
framework would read UTF-16 and UTF-32) is refused: JSON between systems is UTF-8 (RFC 8259).
Syntax errors are left to the framework, so they keep its usual answer (``400`` "Malformed
JSON").

The middleware sits inside the body-size limit, so it never reads more than the limit allows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microcred.api.errors import (
    PROBLEM_JSON,
    PROBLEMS,
    PayloadTooLarge,
    ProblemRoute,
    is_json_media_type,
)
from microcred.lexical import loads_strict_json

__all__ = ["StrictJsonMiddleware", "StrictJsonRoute", "is_json_media_type"]

_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# the scope key under which the middleware leaves the body it read: a one-element tuple, so
# that a body that is JSON ``null`` is told apart from no body read
_PARSED = "microcred.strict_json"


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value).decode("latin-1")
    return ""


def _problem(status: int, kind: str, title: str, detail: str, instance: str) -> bytes:
    return json.dumps(
        {
            "type": PROBLEMS[kind],
            "title": title,
            "status": status,
            "detail": detail,
            "instance": instance,
        }
    ).encode()


async def _answer(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class StrictJsonMiddleware:
    """Refuse JSON bodies with duplicate member names, ``NaN`` or ``Infinity`` (``400``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") not in _WITH_BODY
            or not is_json_media_type(_content_type(scope))
        ):
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except PayloadTooLarge as too_large:
            body = _problem(413, "payload-too-large", "Payload too large", too_large.detail, path)
            await _answer(send, 413, body, [(b"connection", b"close")])
            return
        raw = b"".join(chunks)
        if raw.strip():
            reason, parsed = _read(raw)
            if reason is not None:
                detail = f"The request body is not valid JSON ({reason})."
                await _answer(
                    send, 400, _problem(400, "invalid-json", "Malformed JSON", detail, path), []
                )
                return
            if parsed:
                scope[_PARSED] = parsed
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _read(raw: bytes) -> tuple[str | None, tuple[Any, ...]]:
    """``(why the strict reader refuses raw, ())`` or ``(None, (the value,))``; ``(None, ())``
    for a syntax error, which the lax reader fails on too (it stays the framework's, with its
    usual message)."""
    # the framework's reader takes UTF-16 and UTF-32 too (json.loads of bytes): those are
    # refused here, or their duplicate names would slip past this check
    if json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):
        return "the body is not UTF-8", ()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "the body is not UTF-8", ()
    try:
        return None, (loads_strict_json(text),)
    except json.JSONDecodeError:
        return None, ()
    except RecursionError:
        return "nested too deeply", ()
    except ValueError as error:
        return str(error), ()


class StrictJsonRoute(ProblemRoute):
    """A :class:`ProblemRoute` whose JSON body is the value :class:`StrictJsonMiddleware`
    already read: the framework does not parse the body a second time."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            parsed = request.scope.get(_PARSED)
            if parsed:
                # Request.json() returns this cached value instead of parsing the body again
                request._json = parsed[0]
            return await handler(request)

        return run
