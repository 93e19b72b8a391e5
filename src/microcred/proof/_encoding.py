"""Multibase base58-btc encoding of proof values.

Data Integrity EdDSA Cryptosuites v1.0 §3.2.1 / §3.3.1 (Create Proof, last steps):
``proofValue`` is the base58-btc Multibase encoding (prefix ``z``) of the 64-byte
Ed25519 signature; Controlled Identifiers 1.0 §2.4 (Multibase) defines the prefix.

Base58-btc (draft-msporny-base58 §3): the bytes are one big-endian number written in
base 58 with the Bitcoin alphabet, each leading zero byte written as ``1``. The codec
here works ten base-58 digits at a time (58**10 < 2**63), which is several times faster
than digit-by-digit conversion on a 64-byte signature and gives the same text as the
``base58`` package (pinned by a property test).
"""

from __future__ import annotations

__all__ = [
    "ED25519_SIGNATURE_LENGTH",
    "b58decode",
    "b58encode",
    "decode_proof_value",
    "encode_proof_value",
]

ED25519_SIGNATURE_LENGTH = 64
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_ALPHABET = frozenset(_ALPHABET)
_CHUNK = 10
_CHUNK_BASE = 58**_CHUNK
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # every two-digit group, in order
_PAIR_VALUES = {pair: index for index, pair in enumerate(_PAIRS)}
_DIGIT_VALUES = {char: index for index, char in enumerate(_ALPHABET)}


def b58encode(data: bytes) -> str:
    """Base58-btc text of ``data`` (leading zero bytes become ``1``)."""
    body = bytes(data).lstrip(b"\0")
    zeros = len(data) - len(body)
    number = int.from_bytes(body, "big")
    chunks: list[str] = []
    pairs = _PAIRS
    while number:
        number, chunk = divmod(number, _CHUNK_BASE)
        # ten digits as five two-digit groups, least significant group first
        c4, p4 = divmod(chunk, 3364)
        c3, p3 = divmod(c4, 3364)
        c2, p2 = divmod(c3, 3364)
        p0, p1 = divmod(c2, 3364)
        chunks.append(pairs[p0] + pairs[p1] + pairs[p2] + pairs[p3] + pairs[p4])
    text = "".join(reversed(chunks)).lstrip("1")
    return "1" * zeros + text


def b58decode(text: str) -> bytes:
    """Bytes of base58-btc ``text``; :class:`ValueError` for a character outside the alphabet."""
    body = text.lstrip("1")
    zeros = len(text) - len(body)
    number = 0
    head = len(body) % _CHUNK
    try:
        if head:
            for char in body[:head]:
                number = number * 58 + _DIGIT_VALUES[char]
        pair_values = _PAIR_VALUES
        for start in range(head, len(body), _CHUNK):
            number = number * _CHUNK_BASE + (
                (
                    (
                        (pair_values[body[start : start + 2]] * 3364)
                        + pair_values[body[start + 2 : start + 4]]
                    )
                    * 3364
                    + pair_values[body[start + 4 : start + 6]]
                )
                * 11316496
                + pair_values[body[start + 6 : start + 8]] * 3364
                + pair_values[body[start + 8 : start + 10]]
            )
    except KeyError:
        raise ValueError("the text contains characters that are not base58-btc") from None
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def encode_proof_value(signature: bytes) -> str:
    """``z`` + base58-btc of ``signature``."""
    return "z" + b58encode(signature)


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
    if not body or not _BASE58_ALPHABET.issuperset(body):
        raise ValueError("proofValue contains characters that are not base58-btc")
    signature = b58decode(body)
    if len(signature) != ED25519_SIGNATURE_LENGTH:
        raise ValueError(
            f"proofValue decodes to {len(signature)} bytes; an Ed25519 signature has 64"
        )
    return signature
