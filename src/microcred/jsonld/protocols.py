"""Protocols of the JSON-LD layer."""

from __future__ import annotations

from typing import Any, NotRequired, Protocol, TypedDict


class RemoteDocument(TypedDict):
    """What a JSON-LD document loader returns (JSON-LD 1.1 API, section 9.4.2).

    ``tag`` is a pyld extension: ``"static"`` marks a document whose content never
    changes for its URL, which lets pyld keep the processed context across operations.
    """

    contextUrl: str | None
    documentUrl: str
    document: Any
    tag: NotRequired[str]


class DocumentLoader(Protocol):
    """Loads a JSON-LD document (a context) by URL; the signature pyld expects.

    Implementations never reach the network for contexts: an unknown URL raises
    :class:`microcred.errors.UnknownContextError`.
    """

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> RemoteDocument: ...
