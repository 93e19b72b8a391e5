"""Throttling secret guessing per address: ``429`` + ``Retry-After`` (docs/security-web.md).

The request rate limit (:mod:`microcred.api.ratelimit`) gives every bearer token and session
cookie its own bucket, so on its own it would let one address try many made-up tokens, session
or wallet cookies, claim links or share ids. This middleware counts, per peer address, the
answers that mean *that secret is not valid*:

* ``401`` to a request that carried an ``Authorization`` header or a session/wallet cookie;
* ``404`` on a claim link (``/claim/…``, ``/wallet/claim/…``) or a share link (``/c/…``).

After ``limit`` of them within ``window`` seconds, further requests from that address that
carry such a secret (or open such a link) are answered ``429`` problem details with
``Retry-After`` before the application runs, until enough failures leave the window. Requests
without a secret (sign-in, the verifier, public pages) are not affected here; sign-in has its
own throttle (services/identity.py). Per process and in memory, bounded to ``max_addresses``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microcred.api.errors import PROBLEM_JSON
from microcred.errors import RateLimited

__all__ = [
    "DEFAULT_GUESS_LIMIT",
    "DEFAULT_GUESS_WINDOW",
    "GuessThrottle",
    "GuessingMiddleware",
]

DEFAULT_GUESS_LIMIT: Final = 100
DEFAULT_GUESS_WINDOW: Final = 15 * 60.0
_SECRET_COOKIES: Final = (b"microcred_session", b"mc_wallet")
_LINK_PREFIXES: Final = ("/claim/", "/wallet/claim/", "/c/")


class GuessThrottle:
    """Failed secrets per address in a sliding window (thread-safe; ``monotonic`` injectable)."""

    def __init__(
        self,
        limit: int = DEFAULT_GUESS_LIMIT,
        window: float = DEFAULT_GUESS_WINDOW,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        max_addresses: int = 100_000,
    ) -> None:
        if limit < 1 or window <= 0 or max_addresses < 1:
            raise ValueError("limit, window and max_addresses must be positive")
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._max = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, address: str) -> int:
        """Seconds ``address`` must wait (0: go ahead)."""
        now = self._monotonic()
        with self._lock:
            times = self._failures.get(address)
            if not times:
                return 0
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.limit:
                return 0
            until = times[len(times) - self.limit] + self.window
            return max(1, math.ceil(until - now))

    def fail(self, address: str) -> None:
        now = self._monotonic()
        with self._lock:
            times = self._failures.pop(address, None) or deque()
            times.append(now)
            while len(times) > self.limit:
                times.popleft()
            self._failures[address] = times
            while len(self._failures) > self._max:
                self._failures.popitem(last=False)


def _carries_secret(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value.strip():
            return True
        if name == b"cookie":
            for part in value.split(b";"):
                key, _, cookie = part.strip().partition(b"=")
                if key in _SECRET_COOKIES and cookie:
                    return True
    return False


class GuessingMiddleware:
    """Answers ``429`` to an address that keeps presenting secrets that do not exist."""

    def __init__(self, app: ASGIApp, *, throttle: GuessThrottle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        link = path.startswith(_LINK_PREFIXES)
        secret = _carries_secret(scope)
        if not (link or secret):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        wait = self.throttle.wait(address)
        if wait:
            await _refuse(send, path, wait)
            return

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if (status == 401 and secret) or (status == 404 and link):
                    self.throttle.fail(address)
            await send(message)

        await self.app(scope, receive, watched)


async def _refuse(send: Send, path: str, wait: int) -> None:
    body = json.dumps(
        {
            "type": RateLimited.type_uri,
            "title": RateLimited.title,
            "status": 429,
            "detail": f"Too many invalid links or credentials; try again in {wait} seconds.",
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
