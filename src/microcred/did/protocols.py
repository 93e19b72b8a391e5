"""Protocols of the DID layer."""

from __future__ import annotations

from typing import Any, Protocol

DIDDocument = dict[str, Any]


class DIDResolver(Protocol):
    """Resolves a DID (not a DID URL) to its DID document.

    Raises :class:`microcred.errors.DIDError` for a malformed or unsupported DID and
    :class:`microcred.errors.DIDNotFoundError` when it cannot be resolved.
    """

    def resolve(self, did: str) -> DIDDocument: ...
