"""Helpers for tests/security/test_secrets.py: every encoding of a secret, and a scanner.

:func:`encodings` turns one secret (an Ed25519 seed, an secp256k1 secret, the KEK) into every
form it could leak in — raw bytes, hex (both cases, ``0x``), base64 and base64url (padded or
not), base58btc, the Multikey ``secretKeyMultibase`` (``z3u2…``), the base64 body of its PKCS#8
PEM, the JWK ``d`` — and :class:`SecretScanner` looks for all of them in text and bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.keys.multikey import encode_secret_multikey

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def encodings(secret: bytes, *, ed25519: bool) -> list[bytes]:
    """Every needle for ``secret`` (as bytes; text forms are ASCII)."""
    b64 = base64.b64encode(secret).decode()
    b64url = base64.urlsafe_b64encode(secret).decode()
    texts = {
        secret.hex(),
        secret.hex().upper(),
        "0x" + secret.hex(),
        b64,
        b64.rstrip("="),
        b64url,
        b64url.rstrip("="),  # also the JWK "d" of an OKP / EC key
        base58btc(secret),
        "z" + base58btc(secret),
    }
    if ed25519:
        texts.add(encode_secret_multikey(secret))
        der = Ed25519PrivateKey.from_private_bytes(secret).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        texts.add(base64.b64encode(der).decode())  # the PEM body
    # the base64 of a secret inside a longer base64 text depends on its offset mod 3: the
    # unpadded middle of each of the three alignments (12 characters are enough to be unique)
    for shift in range(3):
        shifted = base64.b64encode(b"\0" * shift + secret).decode()
        texts.add(shifted[4 : 4 + 32])
        texts.add(shifted[4 : 4 + 32].replace("+", "-").replace("/", "_"))
    return [secret, *(t.encode("ascii") for t in sorted(texts))]


@dataclass
class SecretScanner:
    """Named secrets and the places where any of their encodings was found."""

    needles: dict[str, list[bytes]] = field(default_factory=dict)
    found: list[str] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)

    def add(self, name: str, secret: bytes, *, ed25519: bool = False) -> None:
        self.needles[name] = encodings(secret, ed25519=ed25519)

    def scan(self, where: str, data: bytes | str) -> None:
        blob = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        self.scanned.append(where)
        for name, needles in self.needles.items():
            for needle in needles:
                if needle in blob:
                    self.found.append(f"{name} ({needle[:12]!r}…) in {where}")
                    break

    def scan_all(self, items: Iterable[tuple[str, bytes | str]]) -> None:
        for where, data in items:
            self.scan(where, data)
