"""Protocols of the key layer: private key bytes never leave ``keys/``."""

from __future__ import annotations

from typing import Protocol


class Signer(Protocol):
    """Signs bytes with one private key that stays inside the key store."""

    @property
    def algorithm(self) -> str:
        """Signature algorithm, e.g. ``"Ed25519"``."""
        ...

    @property
    def verification_method(self) -> str:
        """The verification method URL (``did:...#fragment``) identifying the public key."""
        ...

    @property
    def public_key_multibase(self) -> str:
        """The public key as a Multikey ``publicKeyMultibase`` value."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Return the signature of ``data``."""
        ...


class Verifier(Protocol):
    """Checks a signature with one public key."""

    def verify(self, data: bytes, signature: bytes) -> bool: ...
