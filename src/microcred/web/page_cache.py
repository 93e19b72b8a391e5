"""Rendered public credential pages (``/c/{share_id}``), kept under the epoch tokens.

A public page is the same bytes for every visitor: it carries no CSRF token, no nonce and
nothing from the visitor's cookies (flash messages aside — a request that has some is never
answered from, nor stored in, this cache). So the HTML of a page is kept per share id under
the pages token (:meth:`~microcred.services.read_cache.Epoch.current_pages`: both epoch rows,
so a revocation, an unshare, a rename or a key change shows on the next request, in every
process) and for at most ``ttl`` seconds by both the platform's clock and the monotonic clock
— the bound on what only time changes (the verdict of an expiring credential, the "checked
at" line), the same as the verifier's report cache (``MICROCRED_VERIFY_CACHE_SECONDS``).
"""

from __future__ import annotations

import time
from datetime import datetime

from microcred.clock import Clock
from microcred.services.read_cache import Epoch, EpochMemo

__all__ = ["PageCache"]


class PageCache:
    """Rendered page bytes per share id, each valid under one pages token and ``ttl`` seconds.

    ``epoch=None`` or ``ttl`` 0 keeps nothing. Callers read the token through
    :meth:`Epoch.pinned` so that the page lookup and the page's verification share one read.
    """

    def __init__(
        self, epoch: Epoch | None, clock: Clock, *, ttl: float, max_entries: int = 512
    ) -> None:
        self._epoch = epoch
        self._clock = clock
        self._ttl = max(0.0, float(ttl))
        self._memo: EpochMemo[str, tuple[bytes, float, datetime]] = EpochMemo(max_entries)

    @property
    def enabled(self) -> bool:
        return self._epoch is not None and self._epoch.enabled and self._ttl > 0

    @property
    def memo(self) -> EpochMemo[str, tuple[bytes, float, datetime]]:
        return self._memo

    def _token(self) -> str | None:
        if not self.enabled:
            return None
        assert self._epoch is not None
        return self._epoch.current_pages()

    def get(self, share_id: str) -> bytes | None:
        """The page kept for ``share_id`` under the current token, if still fresh."""
        token = self._token()
        if token is None:
            return None
        found = self._memo.get(share_id, token)
        if found is None:
            return None
        body, at, made = found
        age = (self._clock.now() - made).total_seconds()
        if time.monotonic() - at < self._ttl and 0 <= age < self._ttl:
            return body
        return None

    def put(self, share_id: str, token: str | None, body: bytes) -> None:
        """Keep ``body`` under ``token`` — the token read *before* the page's data was."""
        if token is None or not self.enabled:
            return
        self._memo.put(share_id, token, (body, time.monotonic(), self._clock.now()))

    def token(self) -> str | None:
        """The token to store a page under (read before its data; pinned when in scope)."""
        return self._token()
