"""Helpers for the VC-JWT tests: sign any header/payload pair with a test key."""

from __future__ import annotations

import json
from typing import Any

from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.proof.jose.compact import b64url_encode

ISSUER_KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
OTHER_KEY = Ed25519KeyPair.from_seed(bytes(range(1, 33)))


def did(key: Ed25519KeyPair) -> str:
    return did_key_from_public(key.public_bytes)


def vm(key: Ed25519KeyPair) -> str:
    return did_key_verification_method(key.public_bytes)


def part(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return b64url_encode(raw)


def sign_raw(header: Any, payload: Any, key: Ed25519KeyPair = ISSUER_KEY) -> str:
    """A compact JWS over exactly these header and payload values (bytes taken as is)."""
    signing_input = f"{part(header)}.{part(payload)}"
    signature = key.signer(vm(key)).sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def split(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from microcred.proof.jose.compact import b64url_decode

    head, body, _ = token.split(".")
    return json.loads(b64url_decode(head, "h")), json.loads(b64url_decode(body, "p"))
