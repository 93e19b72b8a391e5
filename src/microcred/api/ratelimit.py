"""Request rate limits: ``429`` problem details with ``Retry-After`` (docs/security-web.md).

Every client gets a token bucket of ``per_minute`` requests that refills continuously at
``per_minute / 60`` requests a second, so a client may burst up to ``per_minute`` requests and
then go on at the refill rate. A *client* is who the request says it is, before any database
work:

* a bearer token: ``token:`` + a hash of the ``Authorization`` header's value;
* else the session cookie: ``session:`` + a hash of the cookie;
* else the peer address: ``ip:`` + the address.

Hashing keeps the secrets out of memory dumps; an unknown or revoked token still gets its own
bucket (it is answered ``401`` anyway, and cannot drain anybody else's). Health, readiness and
metrics probes and the static assets are not limited. A refused request is answered before it
reaches the application (no body is read, nothing is written) with::

    429 application/problem+json  {"type": ".../rate-limited", "retry_after": 3, ...}
    Retry-After: 3

The buckets live in memory, per process, bounded to ``max_clients`` (the least recently seen
are forgotten first); with several processes each limits on its own.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from microcred.api.errors import PROBLEM_JSON
from microcred.errors import RateLimited

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "EXEMPT_PATHS",
    "RateLimitMiddleware",
    "RateLimiter",
    "client_key",
]

DEFAULT_RATE_LIMIT: Final = 1200
_EXEMPT_PREFIXES: Final = ("/assets/",)
EXEMPT_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})
_SESSION_COOKIES: Final = (b"microcred_session", b"mc_wallet")


class RateLimiter:
    """Token buckets per client key (thread-safe; ``monotonic`` is injectable for tests)."""

    def __init__(
        self,
        per_minute: int = DEFAULT_RATE_LIMIT,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        if per_minute < 1 or max_clients < 1:
            raise ValueError("per_minute and max_clients must be positive")
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._monotonic = monotonic
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, key: str) -> int:
        """0 when the request may go ahead (one token is taken), else seconds to wait."""
        now = self._monotonic()
        with self._lock:
            tokens, seen = self._buckets.pop(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - seen) * self._rate)
            wait = 0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = max(1, math.ceil((1.0 - tokens) / self._rate))
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
            return wait


def _digest(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()[:32]


def client_key(scope: Scope) -> str:
    """Who a request says it is (see the module docstring)."""
    cookies = b""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value.strip():
            return "token:" + _digest(value.strip())
        if name == b"cookie":
            cookies += value + b";"
    for part in cookies.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name in _SESSION_COOKIES and value:
            return "session:" + _digest(name + b"=" + value)
    client = scope.get("client")
    return "ip:" + (str(client[0]) if client else "unknown")


class RateLimitMiddleware:
    """Answers ``429`` + ``Retry-After`` when a client's bucket is empty."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if path in EXEMPT_PATHS or path.startswith(_EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.acquire(client_key(scope))
        if wait == 0:
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "type": RateLimited.type_uri,
                "title": RateLimited.title,
                "status": 429,
                "detail": f"Too many requests; try again in {wait} seconds.",
                "instance": path,
                "retry_after": wait,
            }
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode("ascii")),
                    (b"content-length", str(len(body)).encode("ascii")),
                    (b"retry-after", str(wait).encode("ascii")),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
