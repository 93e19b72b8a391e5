"""Multibase base58-btc encoding of proof values.

Data Integrity EdDSA Cryptosuites v1.0 §3.2.1 / §3.3.1 (Create Proof, last steps):
``proofValue`` is the base58-btc Multibase encoding (prefix ``z``) of the 64-byte
Ed25519 signature; Controlled Identifiers 1.0 §2.4 (Multibase) defines the prefix.

Base58-btc (draft-msporny-base58 §3): the bytes are one big-endian number written in
base 58 with the Bitcoin alphabet, each leading zero byte written as ``1``. The codec
here encodes ten base-58 digits per big-integer division (58**10 < 2**63) and decodes
with lane-merging big-integer arithmetic, several times faster than digit-by-digit
conversion on a 64-byte signature; it gives the same text and bytes as the ``base58``
package (pinned by a property test).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "ED25519_SIGNATURE_LENGTH",
    "b58decode",
    "b58encode",
    "decode_proof_value",
    "encode_proof_value",
]

ED25519_SIGNATURE_LENGTH = 64
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_CHUNK = 10
_CHUNK_BASE = 58**_CHUNK
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # every two-digit group, in order


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


def _swar_levels(size: int) -> tuple[tuple[int, int, int], ...]:
    """Lane-merging steps for ``size`` (a power of two) base-58 digits, one byte each.

    Step ``k`` turns lanes of ``w = 2**k`` bytes holding values below ``58**w`` into
    lanes of ``2w`` bytes: a lane pair ``hi * 256**w + lo`` becomes ``hi * 58**w + lo``
    by subtracting ``(256**w - 58**w) * hi`` from every pair at once.
    """
    cached = _LEVELS.get(size)
    if cached is None:
        steps = []
        width = 1
        while width < size:
            lane_bits = 8 * width
            low_lane = (1 << lane_bits) - 1
            mask = 0
            for pair in range(size // (2 * width)):
                mask |= low_lane << (2 * lane_bits * pair)
            steps.append((lane_bits, mask, (1 << lane_bits) - 58**width))
            width *= 2
        cached = _LEVELS[size] = tuple(steps)
    return cached


_LEVELS: dict[int, tuple[tuple[int, int, int], ...]] = {}
_ALPHABET_BYTES = _ALPHABET.encode("ascii")
_TO_DIGITS = bytes.maketrans(_ALPHABET_BYTES, bytes(range(58)))
_SWAR_MAX_DIGITS = 256


def b58decode(text: str) -> bytes:
    """Bytes of base58-btc ``text``; :class:`ValueError` for a character outside the alphabet.

    The digits become one byte each (``bytes.translate``) and one integer; log2(n)
    lane-merging steps (:func:`_swar_levels`) then turn that base-256 reading into the
    base-58 value, a handful of big-integer operations instead of one per digit.
    """
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("the text contains characters that are not base58-btc") from None
    if raw.translate(None, _ALPHABET_BYTES):
        raise ValueError("the text contains characters that are not base58-btc")
    return _decode_checked(raw)


def _unrolled_128() -> Callable[[int], int]:
    """The seven lane-merging steps for 65..128 digits written out (no loop, no lookup of
    the steps): the digits of every signature and 64-byte key take this path."""
    steps = _swar_levels(128)
    s0, m0, f0 = steps[0]
    s1, m1, f1 = steps[1]
    s2, m2, f2 = steps[2]
    s3, m3, f3 = steps[3]
    s4, m4, f4 = steps[4]
    s5, m5, f5 = steps[5]
    s6, m6, f6 = steps[6]

    def merge(number: int) -> int:
        number -= f0 * ((number >> s0) & m0)
        number -= f1 * ((number >> s1) & m1)
        number -= f2 * ((number >> s2) & m2)
        number -= f3 * ((number >> s3) & m3)
        number -= f4 * ((number >> s4) & m4)
        number -= f5 * ((number >> s5) & m5)
        return number - f6 * ((number >> s6) & m6)

    return merge


_merge_128 = _unrolled_128()


def _decode_checked(text: bytes) -> bytes:
    """:func:`b58decode` of ASCII ``text`` already known to hold only alphabet characters."""
    raw = text.lstrip(b"1")
    zeros = len(text) - len(raw)
    count = len(raw)
    if 64 < count <= 128:  # a 64-byte signature has 87 or 88 digits
        number = _merge_128(int.from_bytes(raw.translate(_TO_DIGITS), "big"))
    elif count <= _SWAR_MAX_DIGITS:
        number = int.from_bytes(raw.translate(_TO_DIGITS), "big")
        if count > 1:
            for shift, mask, factor in _swar_levels(1 << (count - 1).bit_length()):
                number -= factor * ((number >> shift) & mask)
    else:
        number = 0
        for digit in raw.translate(_TO_DIGITS):
            number = number * 58 + digit
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
    try:  # one check of the alphabet (C speed), then the digits
        raw = body.encode("ascii")
    except UnicodeEncodeError:
        raw = b""
    if not raw or raw.translate(None, _ALPHABET_BYTES):
        raise ValueError("proofValue contains characters that are not base58-btc")
    if 64 < len(raw) <= 128 and raw[0] != 0x31:  # no leading "1": no leading zero byte
        number = _merge_128(int.from_bytes(raw.translate(_TO_DIGITS), "big"))
        if 504 < number.bit_length() <= 512:  # exactly 64 bytes: what _decode_checked gives
            return number.to_bytes(ED25519_SIGNATURE_LENGTH, "big")
    signature = _decode_checked(raw)
    if len(signature) != ED25519_SIGNATURE_LENGTH:
        raise ValueError(
            f"proofValue decodes to {len(signature)} bytes; an Ed25519 signature has 64"
        )
    return signature
