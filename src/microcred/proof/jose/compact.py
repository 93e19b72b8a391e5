"""JWS Compact Serialization, read strictly and written with an Ed25519 signer.

RFC 7515 (JSON Web Signature) §3.1 and §7.1: ``BASE64URL(UTF8(header)) "." BASE64URL(payload)
"." BASE64URL(signature)``; the signing input is the first two parts joined by ``"."``
(§5.1). RFC 7515 §2 / RFC 4648 §5: base64url *without* padding.

Reading is deliberately narrow, so that two verifiers can never read one token two ways:

* exactly three parts, each only of the base64url alphabet, no ``=`` padding, and each the
  canonical encoding of its bytes (no stray bits in the last character);
* the header and the payload are UTF-8 JSON *objects*, parsed with duplicate member names
  and ``NaN``/``Infinity`` refused (:func:`microcred.lexical.loads_strict_json`; RFC 7515
  §5.2 step 4 and RFC 7519 §4 require rejecting, or consistently reading, duplicates);
* size caps on the whole token and on the header.

Every refusal is a :class:`~microcred.errors.JwtError` with a plain-language ``detail`` and
``extra["code"]``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from microcred.errors import JwtError
from microcred.lexical import loads_strict_json

__all__ = [
    "MAX_HEADER_CHARS",
    "MAX_TOKEN_CHARS",
    "CompactJws",
    "b64url_decode",
    "b64url_encode",
    "json_bytes",
    "parse_compact",
]

#: Largest token read (1 MiB, like the CLI's input cap); credentials are a few kilobytes.
MAX_TOKEN_CHARS = 1024 * 1024
#: Largest encoded JOSE header; a real one is under 200 characters.
MAX_HEADER_CHARS = 8 * 1024

_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    """base64url of ``data`` without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str) -> bytes:
    """The bytes of an unpadded, canonical base64url ``text``; ``what`` names it in errors."""
    if "=" in text:
        raise JwtError(f"the {what} is padded with '=', which JWS does not allow", code="base64url")
    if any(char not in _ALPHABET for char in text):
        raise JwtError(
            f"the {what} contains characters outside the base64url alphabet", code="base64url"
        )
    if len(text) % 4 == 1:
        raise JwtError(f"the {what} has an impossible base64url length", code="base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise JwtError(f"the {what} is not valid base64url", code="base64url") from None
    if b64url_encode(data) != text:
        raise JwtError(
            f"the {what} is not the canonical base64url encoding of its bytes", code="base64url"
        )
    return data


def json_bytes(value: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON (no spaces), the form microcred signs."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise JwtError(f"the {what} is not UTF-8 text", code="json") from None
    try:
        value = loads_strict_json(text)
    except json.JSONDecodeError as error:
        raise JwtError(f"the {what} is not valid JSON ({error.msg})", code="json") from None
    except RecursionError:
        raise JwtError(f"the {what} is nested too deeply", code="json") from None
    except ValueError as error:
        raise JwtError(f"the {what} is not valid JSON: {error}", code="json") from None
    if not isinstance(value, dict):
        raise JwtError(f"the {what} is not a JSON object", code="json")
    return value


@dataclass(frozen=True, slots=True)
class CompactJws:
    """A parsed compact JWS: nothing in it has been verified yet."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signature: bytes
    signing_input: bytes
    token: str


def parse_compact(token: object) -> CompactJws:
    """Split and decode a compact JWS whose header and payload are JSON objects.

    Raises :class:`JwtError` (``extra["code"]``: ``format``, ``size``, ``base64url``,
    ``json``, ``unsecured``) for anything that is not exactly such a token.
    """
    if not isinstance(token, str):
        raise JwtError("a VC-JWT is a text string", code="format")
    if len(token) > MAX_TOKEN_CHARS:
        raise JwtError(
            f"the token is longer than {MAX_TOKEN_CHARS // 1024} KiB; a credential is much smaller",
            code="size",
        )
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError(
            f"a compact JWS has exactly three parts separated by '.', this text has {len(parts)}",
            code="format",
        )
    encoded_header, encoded_payload, encoded_signature = parts
    if not encoded_header or not encoded_payload:
        raise JwtError("the JOSE header or the payload part is empty", code="format")
    if not encoded_signature:
        raise JwtError(
            "the token has no signature (an unsecured JWT): nothing shows who issued it",
            code="unsecured",
        )
    if len(encoded_header) > MAX_HEADER_CHARS:
        raise JwtError(
            f"the JOSE header is longer than {MAX_HEADER_CHARS // 1024} KiB", code="size"
        )
    header = _json_object(b64url_decode(encoded_header, "JOSE header"), "JOSE header")
    payload = _json_object(b64url_decode(encoded_payload, "payload"), "payload")
    signature = b64url_decode(encoded_signature, "signature")
    signing_input = f"{encoded_header}.{encoded_payload}".encode("ascii")
    return CompactJws(header, payload, signature, signing_input, token)
