"""The status bitstring of W3C *Bitstring Status List v1.0* (Recommendation, 15 May 2025).

Pure functions and one small value class, no I/O:

* **Layout** (§2.2 ``encodedList``; §7.1 "Bitstring Encoding"): index 0 is the left-most bit of
  the bitstring, i.e. the most significant bit of byte 0; the last index is the right-most bit.
  An entry of ``statusSize`` *s* bits (§2.1 ``statusSize``, default 1) occupies the bits
  ``[index * s, index * s + s)``, most significant bit first, so index *i* of a 2-bit list holding
  the value ``0b10`` sets bit ``2i`` and clears bit ``2i + 1``.
* **Encoding** (§3.3 "Bitstring Generation Algorithm"): GZIP (RFC 1952) over the raw bytes, then
  Multibase base64url without padding: the letter ``u`` followed by RFC 4648 §5 base64url.
  We compress with ``mtime=0`` so the same bits always encode to the same text; other
  compressors produce different but equally valid encodings, so compare *decoded bits*.
* **Decoding** (§3.4 "Bitstring Expansion Algorithm"): Multibase-decode, then GZIP-decompress,
  with a cap on the expanded size (a hostile list must not expand to gigabytes).
* **Length** (§3.2 "Validate Algorithm", step 9; §6.1 "Revocation Bitstring Length"): a list
  must hold at least 131,072 entries (16 KB at ``statusSize`` 1), i.e. the bit length divided by
  ``statusSize`` is at least :data:`MIN_ENTRIES`; otherwise ``STATUS_LIST_LENGTH_ERROR``.

Legacy *StatusList2021* lists carry the GZIP bytes as base64url *without* the ``u`` prefix;
:func:`decode_bitstring` reads them with ``legacy=True``.

Errors are :class:`~microcred.errors.StatusError` whose ``type_uri`` is the specification's
error URL (§3.5 "Processing Errors") or the VC Data Model's ``MALFORMED_VALUE_ERROR`` /
``RANGE_ERROR``, and whose ``extra["code"]`` is the error name.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from typing import Final

from microcred.errors import StatusError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "LENGTH_ERROR",
    "MALFORMED_VALUE_ERROR",
    "MIN_ENTRIES",
    "RANGE_ERROR",
    "RETRIEVAL_ERROR",
    "StatusBitstring",
    "VERIFICATION_ERROR",
    "check_list_length",
    "decode_bitstring",
    "encode_bitstring",
    "get_status",
    "set_status",
]

#: §3.2 step 2: the minimum number of entries of a list (herd privacy, §6.1).
MIN_ENTRIES: Final = 131_072
#: Largest expanded bitstring we accept when decoding (16 MiB = 134,217,728 one-bit entries).
DEFAULT_MAX_BYTES: Final = 16 * 1024 * 1024

_SPEC_ERRORS = "https://www.w3.org/ns/credentials/status-list#"
#: §3.5 error URLs (and the VC Data Model 2.0 ones the algorithms raise).
RETRIEVAL_ERROR: Final = _SPEC_ERRORS + "STATUS_RETRIEVAL_ERROR"
VERIFICATION_ERROR: Final = _SPEC_ERRORS + "STATUS_VERIFICATION_ERROR"
LENGTH_ERROR: Final = _SPEC_ERRORS + "STATUS_LIST_LENGTH_ERROR"
MALFORMED_VALUE_ERROR: Final = "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
RANGE_ERROR: Final = "https://www.w3.org/TR/vc-data-model#RANGE_ERROR"

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_MAX_STATUS_SIZE: Final = 32


def _malformed(detail: str) -> StatusError:
    return StatusError(detail, type_uri=MALFORMED_VALUE_ERROR, code="MALFORMED_VALUE_ERROR")


def _check_status_size(status_size: int) -> None:
    if (
        not isinstance(status_size, int)
        or isinstance(status_size, bool)
        or not 1 <= status_size <= _MAX_STATUS_SIZE
    ):
        raise _malformed(f"statusSize must be an integer from 1 to {_MAX_STATUS_SIZE}")


def encode_bitstring(bits: bytes | bytearray | memoryview) -> str:
    """§3.3 step 3: GZIP ``bits``, then Multibase base64url without padding (``u…``)."""
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bitstring(
    encoded: str, *, max_bytes: int = DEFAULT_MAX_BYTES, legacy: bool = False
) -> bytes:
    """§3.4: Multibase-decode ``encoded`` and GZIP-expand it; the raw bitstring bytes.

    ``legacy=True`` also accepts a StatusList2021 value (base64url without the ``u`` prefix,
    padding tolerated). Anything that is not valid Multibase base64url, not GZIP, or expands
    beyond ``max_bytes`` raises :class:`StatusError` (``MALFORMED_VALUE_ERROR``).
    """
    if not isinstance(encoded, str) or not encoded:
        raise _malformed("encodedList must be a non-empty text")
    if encoded.startswith("u"):
        text = encoded[1:]
        if not _BASE64URL.fullmatch(text):
            raise _malformed(
                "encodedList is not Multibase base64url without padding "
                "(only A-Z a-z 0-9 - _ may follow the 'u')"
            )
    elif legacy:
        text = encoded.rstrip("=")
        if not _BASE64URL.fullmatch(text):
            raise _malformed("encodedList is not base64url")
    else:
        raise _malformed(
            "encodedList must be Multibase base64url: it must start with 'u' "
            f"(it starts with {encoded[:1]!r})"
        )
    if len(text) % 4 == 1:
        raise _malformed("encodedList has an impossible base64url length")
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _malformed(f"encodedList is not valid base64url: {exc}") from None
    return _gunzip(compressed, max_bytes)


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    if data[:2] != b"\x1f\x8b":
        raise _malformed("encodedList does not hold GZIP data (RFC 1952)")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip header + trailer
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise _malformed(f"encodedList is not valid GZIP data: {exc}") from None
    if len(out) > max_bytes:
        raise _malformed(f"the status list expands to more than {max_bytes} bytes")
    if not inflater.eof:
        raise _malformed("encodedList holds truncated GZIP data")
    if inflater.unused_data.strip(b"\0"):
        raise _malformed("encodedList holds data after the GZIP stream")
    return out


def check_list_length(
    bit_length: int, status_size: int = 1, minimum_entries: int = MIN_ENTRIES
) -> int:
    """§3.2 step 9: the number of entries; ``STATUS_LIST_LENGTH_ERROR`` below the minimum."""
    _check_status_size(status_size)
    entries = bit_length // status_size
    if entries < minimum_entries:
        raise StatusError(
            f"the status list holds {entries} entries of {status_size} bit(s); at least "
            f"{minimum_entries} are required for herd privacy",
            type_uri=LENGTH_ERROR,
            code="STATUS_LIST_LENGTH_ERROR",
        )
    return entries


def _span(bit_length: int, index: int, status_size: int) -> int:
    _check_status_size(status_size)
    if not isinstance(index, int) or isinstance(index, bool):
        raise _malformed("a status list index must be an integer")
    start = index * status_size
    if index < 0 or start + status_size > bit_length:
        raise StatusError(
            f"index {index} is outside the status list "
            f"({bit_length // status_size} entries of {status_size} bit(s))",
            type_uri=RANGE_ERROR,
            code="RANGE_ERROR",
        )
    return start


def get_status(bits: bytes | bytearray, index: int, status_size: int = 1) -> int:
    """The value at ``index`` (``statusSize`` bits, most significant bit first)."""
    start = _span(len(bits) * 8, index, status_size)
    if status_size == 1:
        return (bits[start >> 3] >> (7 - (start & 7))) & 1
    value = 0
    for position in range(start, start + status_size):
        value = (value << 1) | ((bits[position >> 3] >> (7 - (position & 7))) & 1)
    return value


def set_status(bits: bytearray, index: int, value: int, status_size: int = 1) -> None:
    """Write ``value`` at ``index`` in place (``0 <= value < 2**statusSize``)."""
    start = _span(len(bits) * 8, index, status_size)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << status_size:
        raise StatusError(
            f"status value {value!r} does not fit in {status_size} bit(s)",
            type_uri=RANGE_ERROR,
            code="RANGE_ERROR",
        )
    for offset in range(status_size):
        position = start + offset
        mask = 0x80 >> (position & 7)
        if (value >> (status_size - 1 - offset)) & 1:
            bits[position >> 3] |= mask
        else:
            bits[position >> 3] &= ~mask & 0xFF


class StatusBitstring:
    """A status list: ``entries`` values of ``status_size`` bits each, all 0 at first.

    >>> bits = StatusBitstring()              # 131,072 one-bit entries (16 KB)
    >>> bits.set(94567, 1)
    >>> StatusBitstring.decode(bits.encode()).get(94567)
    1
    """

    __slots__ = ("_bits", "_status_size")

    def __init__(
        self,
        entries: int = MIN_ENTRIES,
        status_size: int = 1,
        *,
        data: bytes | bytearray | None = None,
    ) -> None:
        _check_status_size(status_size)
        if data is not None:
            self._bits = bytearray(data)
        else:
            if not isinstance(entries, int) or entries <= 0:
                raise _malformed("a status list needs a positive number of entries")
            self._bits = bytearray((entries * status_size + 7) // 8)
        self._status_size = status_size

    @classmethod
    def decode(
        cls,
        encoded: str,
        status_size: int = 1,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        legacy: bool = False,
    ) -> StatusBitstring:
        """The list an ``encodedList`` value holds (no length check: see :meth:`check_length`)."""
        _check_status_size(status_size)
        return cls(
            status_size=status_size,
            data=decode_bitstring(encoded, max_bytes=max_bytes, legacy=legacy),
        )

    @property
    def status_size(self) -> int:
        return self._status_size

    @property
    def bit_length(self) -> int:
        return len(self._bits) * 8

    @property
    def entries(self) -> int:
        """How many whole entries the bits hold."""
        return self.bit_length // self._status_size

    def check_length(self, minimum_entries: int = MIN_ENTRIES) -> int:
        return check_list_length(self.bit_length, self._status_size, minimum_entries)

    def get(self, index: int) -> int:
        return get_status(self._bits, index, self._status_size)

    def set(self, index: int, value: int = 1) -> None:
        set_status(self._bits, index, value, self._status_size)

    def encode(self) -> str:
        return encode_bitstring(self._bits)

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def set_indexes(self) -> list[int]:
        """Every index whose value is not 0, in order (for reports and tests)."""
        found: list[int] = []
        size = self._status_size
        for byte_index, byte in enumerate(self._bits):
            if not byte:
                continue
            for bit in range(8):
                if byte & (0x80 >> bit):
                    index = (byte_index * 8 + bit) // size
                    if index < self.entries and (not found or found[-1] != index):
                        found.append(index)
        return found

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusBitstring):
            return NotImplemented
        return self._status_size == other._status_size and self._bits == other._bits

    def __hash__(self) -> int:
        return hash((self._status_size, bytes(self._bits)))

    def __repr__(self) -> str:
        return f"StatusBitstring(entries={self.entries}, status_size={self._status_size})"
