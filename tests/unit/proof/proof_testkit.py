"""Test doubles for the proof unit tests: keys, a static key resolver, a sample credential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from microcred.errors import DIDNotFoundError, ProofError
from microcred.keys.ed25519 import Ed25519KeyPair

ISSUER = "did:key:z6MkIssuer"
CREATED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def key_pair(n: int = 1) -> Ed25519KeyPair:
    return Ed25519KeyPair.from_seed(bytes([n]) * 32)


def did_of(key: Ed25519KeyPair) -> str:
    return f"did:key:{key.public_key_multibase}"


def vm_of(key: Ed25519KeyPair) -> str:
    return f"{did_of(key)}#{key.public_key_multibase}"


@dataclass(frozen=True)
class Method:
    id: str
    type: str
    controller: str
    public_key: bytes
    revoked: datetime | None = None
    expires: datetime | None = None


class Methods:
    """A VerificationMethodResolver double: url -> (method, authorised purposes)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Method, set[str]]] = {}
        self.calls: list[tuple[str, str]] = []

    def add(
        self,
        key: Ed25519KeyPair,
        *,
        purposes: tuple[str, ...] = ("assertionMethod", "authentication"),
        revoked: datetime | None = None,
        expires: datetime | None = None,
        controller: str | None = None,
    ) -> Methods:
        url = vm_of(key)
        method = Method(
            url, "Multikey", controller or did_of(key), key.public_bytes, revoked, expires
        )
        self._entries[url] = (method, set(purposes))
        return self

    def resolve(self, vm_url: str, purpose: str = "assertionMethod") -> Method:
        self.calls.append((vm_url, purpose))
        if vm_url not in self._entries:
            raise DIDNotFoundError(f"{vm_url} does not exist")
        method, purposes = self._entries[vm_url]
        if purpose not in purposes:
            raise ProofError(f"{vm_url} is not listed under {purpose}")
        return method


def credential(issuer: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:2b1c1b8e-1d9a-4a41-9d84-5bfc1f3c2d11",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2024-05-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "name": "Ada"},
    }
    doc.update(extra)
    return doc
