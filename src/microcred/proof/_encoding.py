"""Multibase base58-btc encoding of proof values.

Data Integrity EdDSA Cryptosuites v1.0 §3.2.1 / §3.3.1 (Create Proof, last steps):
``proofValue`` is the base58-btc Multibase encoding (prefix ``z``) of the 64-byte
Ed25519 signature; Controlled Identifiers 1.0 §2.4 (Multibase) defines the prefix.
"""

from __future__ import annotations

import base58

__all__ = ["ED25519_SIGNATURE_LENGTH", "decode_proof_value", "encode_proof_value"]

ED25519_SIGNATURE_LENGTH = 64
_BASE58_ALPHABET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


def encode_proof_value(signature: bytes) -> str:
    """``z`` + base58-btc of ``signature``."""
    return "z" + base58.b58encode(signature).decode("ascii")


def decode_proof_value(value: str) -> bytes:
    """Decode a ``z``-prefixed base58-btc proof value into a 64-byte signature.

    Raises :class:`ValueError` with a plain reason when the value is not one.
    """
    if not value.startswith("z"):
        raise ValueError(
            "proofValue must be a base58-btc Multibase string starting with 'z'"
            f" (it starts with {value[:1]!r})"
        )
    body = value[1:]
    if not body or not set(body) <= _BASE58_ALPHABET:
        raise ValueError("proofValue contains characters that are not base58-btc")
    signature = bytes(base58.b58decode(body))
    if len(signature) != ED25519_SIGNATURE_LENGTH:
        raise ValueError(
            f"proofValue decodes to {len(signature)} bytes; an Ed25519 signature has 64"
        )
    return signature
