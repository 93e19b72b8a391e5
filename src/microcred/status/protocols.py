"""How status lists reach the verifier: the :class:`StatusListFetcher` protocol.

W3C *Bitstring Status List v1.0* §3.2 "Validate Algorithm", step 4, dereferences the
``statusListCredential`` URL; a failure is a ``STATUS_RETRIEVAL_ERROR``. The verifier's status
check never does I/O itself: it is given a fetcher. Implementations live in
:mod:`microcred.status.fetchers` (in-process for the platform's own lists, HTTPS for everyone
else's, and a cache in front of either).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["FetchedStatusList", "StatusListFetcher", "document_digest"]


def document_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the document's JSON with sorted keys: equal content, equal digest."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FetchedStatusList:
    """A status list credential as fetched.

    ``max_age`` (seconds) is what the source allows caching for (HTTP ``Cache-Control:
    max-age``; ``0`` for ``no-store``/``no-cache``; ``None`` when it did not say). ``digest``
    identifies the content (computed when not given).
    """

    url: str
    document: Mapping[str, Any]
    max_age: float | None = None
    digest: str = field(default="")

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", document_digest(self.document))


class StatusListFetcher(Protocol):
    """Dereferences a ``statusListCredential`` URL.

    Raises :class:`~microcred.errors.StatusError` with ``extra["code"] ==
    "STATUS_RETRIEVAL_ERROR"`` (and a plain ``detail``) when the list cannot be had.
    """

    def fetch(self, url: str) -> FetchedStatusList: ...
