"""Status lists of an issuer: URLs, status entries, and random allocation of free indexes.

Pure code, no database: the platform service (``services/status.py``) persists what this module
decides.

* **URLs.** A list is published at the stable URL
  ``<base_url>/status/<issuer-slug>/<purpose>/<list-number>`` (:func:`status_list_url`); its
  ``credentialSubject.id`` is that URL + ``#list``. :func:`parse_status_list_url` reads the three
  parts back (for the in-process fetcher and the HTTP route).
* **Entries.** :func:`status_list_entry` builds the ``BitstringStatusListEntry`` of W3C
  *Bitstring Status List v1.0* §2.1 that goes into a credential before it is signed;
  :func:`parse_status_entry` reads one back (``BitstringStatusListEntry`` and the legacy
  ``StatusList2021Entry``), validating every MUST of §2.1.
* **Allocation.** §2.1 (``statusListIndex``): implementations SHOULD assign indexes randomly so
  that nothing (recency, group size) can be inferred from the position — herd privacy, §6.1.
  :class:`AllocationMap` is the bitmap of the slots of one list already handed out (index 0 =
  most significant bit of byte 0, like the status bits themselves) with a running count;
  :meth:`AllocationMap.pick` draws a free slot uniformly at random from a cryptographic random
  source. The database's unique constraint on ``(list, index)`` remains the authority: the map
  only makes a collision unlikely, so allocation never scans rows.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from microcred.errors import StatusError
from microcred.status.bitstring import MALFORMED_VALUE_ERROR

__all__ = [
    "BITSTRING_ENTRY",
    "LEGACY_ENTRY",
    "PURPOSES",
    "AllocationMap",
    "RandomBelow",
    "StatusEntryRef",
    "StatusListAddress",
    "parse_status_entry",
    "parse_status_list_url",
    "status_list_entry",
    "status_list_url",
]

BITSTRING_ENTRY: Final = "BitstringStatusListEntry"
#: W3C VC Status List 2021 (read only).
LEGACY_ENTRY: Final = "StatusList2021Entry"
#: The purposes microcred publishes lists for (§2.2 ``statusPurpose``).
PURPOSES: Final = ("revocation", "suspension")

#: ``randbelow(n) -> int`` in ``[0, n)``; :func:`secrets.randbelow` by default.
RandomBelow = Callable[[int], int]

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_DIGITS = re.compile(r"[0-9]{1,18}")
_PATH = re.compile(r"/status/([^/]+)/([a-z]+)/([1-9][0-9]{0,8})")
_HEX = re.compile(r"0x[0-9a-fA-F]+")


# --------------------------------------------------------------------------- URLs


@dataclass(frozen=True, slots=True)
class StatusListAddress:
    """Which list a URL names: issuer slug, purpose and list number (from 1)."""

    slug: str
    purpose: str
    number: int


def status_list_url(base_url: str, slug: str, purpose: str, number: int) -> str:
    """``<base_url>/status/<slug>/<purpose>/<number>`` — the list credential's stable URL."""
    if not _SLUG.fullmatch(slug):
        raise StatusError(f"{slug!r} is not an issuer slug")
    if purpose not in PURPOSES:
        raise StatusError(f"unknown status purpose {purpose!r}")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise StatusError("status lists are numbered from 1")
    return f"{base_url.rstrip('/')}/status/{slug}/{purpose}/{number}"


def parse_status_list_url(url: str, base_url: str) -> StatusListAddress | None:
    """The address of one of our own lists, or ``None`` if ``url`` is not one."""
    base = base_url.rstrip("/")
    if not isinstance(url, str) or not url.startswith(base + "/status/"):
        return None
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        return None
    match = _PATH.fullmatch(url[len(base) :])
    if match is None or not _SLUG.fullmatch(match[1]) or match[2] not in PURPOSES:
        return None
    return StatusListAddress(match[1], match[2], int(match[3]))


# --------------------------------------------------------------------------- entries


def status_list_entry(list_url: str, purpose: str, index: int) -> dict[str, Any]:
    """The ``BitstringStatusListEntry`` (§2.1) pointing at ``index`` of the list at ``list_url``."""
    if purpose not in PURPOSES:
        raise StatusError(f"unknown status purpose {purpose!r}")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise StatusError("a status list index is a non-negative integer")
    return {
        "id": f"{list_url}#{index}",
        "type": BITSTRING_ENTRY,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


@dataclass(frozen=True, slots=True)
class StatusEntryRef:
    """One ``credentialStatus`` entry, validated (§2.1).

    ``status_messages`` maps each value to its message (``statusMessage``), empty when absent.
    """

    type: str
    purpose: str
    index: int
    list_url: str
    status_size: int = 1
    status_messages: Mapping[int, str] | None = None
    id: str | None = None

    @property
    def legacy(self) -> bool:
        return self.type == LEGACY_ENTRY


def _malformed(detail: str) -> StatusError:
    return StatusError(detail, type_uri=MALFORMED_VALUE_ERROR, code="MALFORMED_VALUE_ERROR")


def _is_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 2048 or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def parse_status_entry(entry: object) -> StatusEntryRef:
    """Validate one ``credentialStatus`` entry of type ``BitstringStatusListEntry`` (or the
    legacy ``StatusList2021Entry``); :class:`StatusError` (``MALFORMED_VALUE_ERROR``) says
    which MUST of §2.1 it breaks."""
    if not isinstance(entry, Mapping):
        raise _malformed("the status entry is not an object")
    types = entry.get("type")
    type_list = types if isinstance(types, list) else [types]
    known = [t for t in type_list if t in (BITSTRING_ENTRY, LEGACY_ENTRY)]
    if not known:
        raise _malformed(f"the status entry is not a {BITSTRING_ENTRY}")
    kind = known[0]
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise _malformed("statusPurpose must be a non-empty text")
    index_text = entry.get("statusListIndex")
    if not isinstance(index_text, str) or not _DIGITS.fullmatch(index_text):
        raise _malformed(
            "statusListIndex must be a non-negative integer written as base-10 text, "
            f"not {index_text!r}"[:200]
        )
    list_url = entry.get("statusListCredential")
    if not _is_url(list_url):
        raise _malformed("statusListCredential must be a URL")
    assert isinstance(list_url, str)
    size = entry.get("statusSize", 1) if kind == BITSTRING_ENTRY else 1
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 32:
        raise _malformed("statusSize must be an integer greater than zero (at most 32)")
    messages = _status_messages(entry.get("statusMessage"), size)
    ident = entry.get("id")
    return StatusEntryRef(
        type=kind,
        purpose=purpose,
        index=int(index_text),
        list_url=list_url,
        status_size=size,
        status_messages=messages,
        id=ident if isinstance(ident, str) else None,
    )


def _status_messages(raw: object, size: int) -> Mapping[int, str] | None:
    if raw is None:
        if size > 1:
            raise _malformed("statusMessage must be present when statusSize is greater than 1")
        return None
    if not isinstance(raw, list):
        raise _malformed("statusMessage must be an array")
    if size <= 16 and len(raw) != 1 << size:
        raise _malformed(
            f"statusMessage must list {1 << size} messages for statusSize {size}, not {len(raw)}"
        )
    messages: dict[int, str] = {}
    for item in raw:
        if not isinstance(item, Mapping):
            raise _malformed("each statusMessage element must be an object")
        status, message = item.get("status"), item.get("message")
        if not isinstance(status, str) or not _HEX.fullmatch(status):
            raise _malformed("statusMessage status values are hexadecimal text such as '0x1'")
        if not isinstance(message, str):
            raise _malformed("each statusMessage element needs a message text")
        messages[int(status, 16)] = message
    return messages


# --------------------------------------------------------------------------- allocation


class AllocationMap:
    """The slots of one list already handed out: a bitmap plus a count (not thread-safe).

    ``pick`` returns a uniformly random free index: by rejection sampling while the list is
    less than 15/16 full, then by counting free slots so even the last one is found at once.
    """

    __slots__ = ("_bits", "_count", "_size")

    def __init__(self, size: int, taken: Iterable[int] = ()) -> None:
        if not isinstance(size, int) or size <= 0:
            raise StatusError("a status list needs a positive size")
        self._size = size
        self._bits = bytearray((size + 7) // 8)
        self._count = 0
        for index in taken:
            self.mark(index)

    @property
    def size(self) -> int:
        return self._size

    @property
    def allocated(self) -> int:
        return self._count

    @property
    def free(self) -> int:
        return self._size - self._count

    @property
    def full(self) -> bool:
        return self._count >= self._size

    def is_taken(self, index: int) -> bool:
        self._check(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def mark(self, index: int) -> bool:
        """Record ``index`` as taken; ``False`` if it already was."""
        self._check(index)
        mask = 0x80 >> (index & 7)
        if self._bits[index >> 3] & mask:
            return False
        self._bits[index >> 3] |= mask
        self._count += 1
        return True

    def release(self, index: int) -> None:
        self._check(index)
        mask = 0x80 >> (index & 7)
        if self._bits[index >> 3] & mask:
            self._bits[index >> 3] &= ~mask & 0xFF
            self._count -= 1

    def pick(self, randbelow: RandomBelow = secrets.randbelow) -> int | None:
        """A free index chosen uniformly at random (not marked), or ``None`` when full."""
        free = self.free
        if free <= 0:
            return None
        if free * 16 > self._size:
            for _ in range(64):
                index = randbelow(self._size)
                if not self._bits[index >> 3] & (0x80 >> (index & 7)):
                    return index
        return self._nth_free(randbelow(free))

    def _nth_free(self, nth: int) -> int:
        remaining = nth
        for byte_index, byte in enumerate(self._bits):
            empty = 8 - byte.bit_count()
            if byte_index == len(self._bits) - 1:
                empty -= len(self._bits) * 8 - self._size  # padding bits are not slots
            if remaining >= empty:
                remaining -= empty
                continue
            for bit in range(8):
                index = byte_index * 8 + bit
                if index < self._size and not byte & (0x80 >> bit):
                    if remaining == 0:
                        return index
                    remaining -= 1
        raise AssertionError("the allocation count disagrees with the bitmap")

    def _check(self, index: int) -> None:
        if not isinstance(index, int) or not 0 <= index < self._size:
            raise StatusError(f"index {index!r} is outside the list (size {self._size})")

    def __repr__(self) -> str:
        return f"AllocationMap(size={self._size}, allocated={self._count})"
