"""Multikey encoding of Ed25519 (and derived X25519) keys.

Implements the Multikey representation of W3C *Controlled Identifiers v1.0* §2.2.2
("Multikey") and the Ed25519 encoding of *Data Integrity EdDSA Cryptosuites v1.0* §2.1.1
("Multikey"):

* ``publicKeyMultibase`` = ``"z"`` + base58btc( multicodec ``ed25519-pub`` (0xed, varint bytes
  ``0xed 0x01``) + the raw 32-byte public key ) — always starts ``z6Mk``;
* ``secretKeyMultibase`` = ``"z"`` + base58btc( multicodec ``ed25519-priv`` (0x1300, varint bytes
  ``0x80 0x26``) + the raw 32-byte seed ) — always starts ``z3u2``;
* ``x25519-pub`` (0xec, varint bytes ``0xec 0x01``) for the key-agreement keys that did:key derives
  (they start ``z6LS``).

Every decoding failure raises :class:`~microcred.errors.InvalidInput` whose ``extra["code"]`` is
one of the did:key error names (``invalidDid``, ``invalidPublicKeyLength``,
``unsupportedPublicKeyType``) so the DID layer can report it unchanged.
"""

from __future__ import annotations

import base58

from microcred.errors import InvalidInput

__all__ = [
    "ED25519_PRIV_PREFIX",
    "ED25519_PUB_PREFIX",
    "X25519_PUB_PREFIX",
    "decode_base58btc_multibase",
    "decode_public_multikey",
    "decode_secret_multikey",
    "decode_x25519_public_multikey",
    "encode_public_multikey",
    "encode_secret_multikey",
    "encode_x25519_public_multikey",
    "split_secret_multikey",
]

ED25519_PUB_PREFIX = b"\xed\x01"
"""Varint encoding of the multicodec ``ed25519-pub`` (0xed)."""
ED25519_PRIV_PREFIX = b"\x80\x26"
"""Varint encoding of the multicodec ``ed25519-priv`` (0x1300)."""
X25519_PUB_PREFIX = b"\xec\x01"
"""Varint encoding of the multicodec ``x25519-pub`` (0xec)."""

_KEY_LEN = 32
_B58_ALPHABET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")

# Multicodec names for the prefixes we recognise, to explain a rejection precisely.
_KNOWN_CODECS: dict[int, str] = {
    0xE7: "secp256k1-pub",
    0xEC: "x25519-pub",
    0xED: "ed25519-pub",
    0x1200: "p256-pub",
    0x1201: "p384-pub",
    0x1202: "p521-pub",
    0x1205: "rsa-pub",
    0x1300: "ed25519-priv",
    0xEB: "bls12_381-g2-pub",
}


def _fail(message: str, code: str) -> InvalidInput:
    return InvalidInput(message, code=code)


def _check_raw(raw: bytes, what: str) -> None:
    if not isinstance(raw, bytes | bytearray) or len(raw) != _KEY_LEN:
        size = len(raw) if isinstance(raw, bytes | bytearray) else "?"
        raise _fail(f"{what} must be {_KEY_LEN} bytes, got {size}", "invalidPublicKeyLength")


def decode_base58btc_multibase(value: str) -> bytes:
    """Decode a multibase string that must use base58btc (the ``z`` prefix)."""
    if not isinstance(value, str) or not value:
        raise _fail("multibase value must be a non-empty string", "invalidDid")
    if value[0] != "z":
        raise _fail(
            f"multibase prefix {value[0]!r} is not 'z' (base58-btc); only base58-btc is supported",
            "invalidDid",
        )
    body = value[1:]
    if not body:
        raise _fail("multibase value has no data after the 'z' prefix", "invalidDid")
    for ch in body:
        if ch not in _B58_ALPHABET:
            raise _fail(f"character {ch!r} is not in the base58-btc alphabet", "invalidDid")
    return bytes(base58.b58decode(body))


def _read_varint(data: bytes) -> tuple[int, int]:
    """Unsigned LEB128 varint (multiformats unsigned-varint): (value, bytes used)."""
    value = 0
    for i, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise _fail("multicodec prefix is not a valid varint", "invalidDid")


def _describe_codec(code: int) -> str:
    name = _KNOWN_CODECS.get(code)
    return f"0x{code:02x} ({name})" if name else f"0x{code:02x}"


def _decode_prefixed(value: str, prefix: bytes, codec_name: str, what: str) -> bytes:
    data = decode_base58btc_multibase(value)
    expected_code, _ = _read_varint(prefix)
    code, used = _read_varint(data)
    if code != expected_code:
        raise _fail(
            f"unsupported multicodec {_describe_codec(code)}: expected "
            f"0x{expected_code:02x} ({codec_name}) for {what}",
            "unsupportedPublicKeyType" if "public" in what else "invalidDid",
        )
    raw = data[used:]
    if len(raw) != _KEY_LEN:
        raise _fail(
            f"{what} is {len(raw)} bytes long; {codec_name} keys are {_KEY_LEN} bytes",
            "invalidPublicKeyLength",
        )
    return raw


def encode_public_multikey(raw: bytes) -> str:
    """Raw 32-byte Ed25519 public key -> ``publicKeyMultibase`` (``z6Mk...``)."""
    _check_raw(raw, "an Ed25519 public key")
    return "z" + base58.b58encode(ED25519_PUB_PREFIX + bytes(raw)).decode("ascii")


def decode_public_multikey(value: str) -> bytes:
    """``publicKeyMultibase`` -> raw 32-byte Ed25519 public key (checks the 0xed01 prefix)."""
    return _decode_prefixed(value, ED25519_PUB_PREFIX, "ed25519-pub", "an Ed25519 public key")


def encode_x25519_public_multikey(raw: bytes) -> str:
    """Raw 32-byte X25519 public key -> multibase (``z6LS...``)."""
    _check_raw(raw, "an X25519 public key")
    return "z" + base58.b58encode(X25519_PUB_PREFIX + bytes(raw)).decode("ascii")


def decode_x25519_public_multikey(value: str) -> bytes:
    """Multibase X25519 public key (``z6LS...``) -> raw 32 bytes."""
    return _decode_prefixed(value, X25519_PUB_PREFIX, "x25519-pub", "an X25519 public key")


def encode_secret_multikey(seed: bytes) -> str:
    """Raw 32-byte Ed25519 seed -> ``secretKeyMultibase`` (``z3u2...``)."""
    if not isinstance(seed, bytes | bytearray) or len(seed) != _KEY_LEN:
        raise _fail("an Ed25519 secret key (seed) must be 32 bytes", "invalidSecretKeyLength")
    return "z" + base58.b58encode(ED25519_PRIV_PREFIX + bytes(seed)).decode("ascii")


def split_secret_multikey(value: str) -> tuple[bytes, bytes | None]:
    """Decode a ``secretKeyMultibase``: ``(seed32, public32 or None)``.

    Besides the standard 32-byte seed form, the 64-byte libsodium form (seed followed by the
    public key, as in the Open Badges 3.0 test vector) is accepted; its public half is returned so
    the caller can check that it matches the seed.
    """
    data = decode_base58btc_multibase(value)
    code, used = _read_varint(data)
    if code != 0x1300:
        raise _fail(
            f"unsupported multicodec {_describe_codec(code)}: expected 0x1300 (ed25519-priv) "
            "for an Ed25519 secret key",
            "invalidSecretKey",
        )
    raw = data[used:]
    if len(raw) == _KEY_LEN:
        return raw, None
    if len(raw) == 2 * _KEY_LEN:
        return raw[:_KEY_LEN], raw[_KEY_LEN:]
    raise _fail(
        f"an Ed25519 secret key is 32 bytes (or 64 with its public key), got {len(raw)}",
        "invalidSecretKeyLength",
    )


def decode_secret_multikey(value: str) -> bytes:
    """``secretKeyMultibase`` -> raw 32-byte Ed25519 seed (checks the 0x8026 prefix).

    The public half of a 64-byte value is *not* checked here; use
    :meth:`microcred.keys.ed25519.Ed25519KeyPair.from_secret_multibase`, which does.
    """
    return split_secret_multikey(value)[0]
