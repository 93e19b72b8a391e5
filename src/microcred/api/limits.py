"""Request body size limits (``413`` problem details before or while a body is read).

A declared ``Content-Length`` above the limit is refused at once, without reading the body; a
body sent without one (chunked) is counted while the endpoint reads it and refused when it
passes the limit. Bulk-import uploads get a larger limit than everything else.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microcred.api.errors import PROBLEM_JSON, PROBLEMS, PayloadTooLarge

__all__ = ["DEFAULT_BODY_LIMIT", "IMPORT_BODY_LIMIT", "BodyLimitMiddleware"]

DEFAULT_BODY_LIMIT = 1024 * 1024
IMPORT_BODY_LIMIT = 64 * 1024 * 1024
_IMPORTS = re.compile(r"^/api/v1/issuers/[^/]+/imports(?:/[^/]+)?$")


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int = DEFAULT_BODY_LIMIT,
        import_limit: int = IMPORT_BODY_LIMIT,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.import_limit = import_limit

    def limit_for(self, path: str) -> int:
        return self.import_limit if _IMPORTS.match(path) else self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.limit_for(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": PROBLEMS["payload-too-large"],
            "title": "Payload too large",
            "status": 413,
            "detail": f"the request body is larger than {limit} bytes",
            "instance": str(scope.get("path", "")),
        }
    ).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode("ascii")),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
