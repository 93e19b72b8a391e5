"""The anchor proof: a Merkle inclusion proof that travels inside the credential.

Format (ADR 0004, ``docs/anchoring.md``): once a batch is anchored, every credential in it gets
one more entry in its proof set (Data Integrity 1.0 §2.1.1 "Proof Sets")::

    {
      "type": "DataIntegrityProof",
      "cryptosuite": "microcred-merkle-2026",
      "created": "<the ledger's time for the entry>",
      "verificationMethod": "<the ledger id: did:key:… (embedded) or eip155:<chain>:<contract>>",
      "proofPurpose": "assertionMethod",
      "proofValue": "u<base64url, no padding, of the binary value below>"
    }

Every property is a term that the VC Data Model 2.0 context defines for ``DataIntegrityProof``
(and the Data Integrity v2 context likewise), so JSON-LD safe mode accepts the anchored
credential and no new context is needed. Verifiers that do not implement the cryptosuite skip
the proof: Digital Bazaar's ``jsonld-signatures`` only verifies proofs that a configured suite
``matchProof``-es (same ``type`` *and* ``cryptosuite``), and a proof set verifies when one of
the matched proofs does.

``proofValue`` (multibase base64url-no-pad, prefix ``u``) decodes to, in order:

====================  ===========================================================
version               1 byte, ``0x01``
leaf index            unsigned LEB128
tree size             unsigned LEB128 (at least 1, larger than the leaf index)
path length ``k``     1 byte, at most 64
audit path            ``k`` × 32 bytes, leaf level first (RFC 9162 §2.1.3)
root                  32 bytes, the batch's Merkle root as published
locator length        unsigned LEB128, at most 256
locator               UTF-8: where the root is in the ledger (entry index / tx hash)
====================  ===========================================================

The leaf is ``SHA-256(0x00 || D)`` with ``D = SHA-256(JCS(C'))``, where ``C'`` is the
credential with every anchor proof removed from its proof set and ``proof`` written as an
array of the remaining proofs (omitted when none remain), and JCS is RFC 8785. The anchor
therefore binds the *signed* credential — claims and signatures — so a credential whose
signature was swapped or removed no longer matches its anchor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from microcred.anchoring.merkle import HASH_SIZE, leaf_hash, root_from_inclusion_proof
from microcred.errors import InvalidInput
from microcred.proof.jcs import JcsError, canonicalize

__all__ = [
    "ANCHOR_CRYPTOSUITE",
    "ANCHOR_PROOF_PURPOSE",
    "ANCHOR_PROOF_TYPE",
    "AnchorProof",
    "attach_anchor_proof",
    "anchor_proofs",
    "credential_digest",
    "credential_leaf",
    "format_anchor_time",
    "is_anchor_proof",
    "parse_anchor_time",
    "signature_proofs",
    "strip_anchor_proofs",
]

ANCHOR_PROOF_TYPE = "DataIntegrityProof"
ANCHOR_CRYPTOSUITE = "microcred-merkle-2026"
ANCHOR_PROOF_PURPOSE = "assertionMethod"

_VERSION = 1
_MAX_PATH = 64
_MAX_LOCATOR = 256
_MAX_VALUE_CHARS = 8192
# Contexts that define DataIntegrityProof and its properties (cryptosuite, proofValue, ...).
_DEFINING_CONTEXTS = frozenset(
    {
        "https://www.w3.org/ns/credentials/v2",
        "https://w3id.org/security/data-integrity/v2",
        "https://w3id.org/security/data-integrity/v1",
    }
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


# --------------------------------------------------------------------------- time


def format_anchor_time(value: datetime) -> str:
    """A timezone-aware instant as an XML Schema ``dateTimeStamp`` in UTC (``…Z``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("an anchor time must be timezone-aware")
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_anchor_time(value: object) -> datetime:
    """Parse a ``dateTimeStamp`` (timezone required) into an aware UTC datetime."""
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput(f"{value!r} is not a date and time with a timezone")
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = int(((match[7] or ".")[1:] + "000000")[:6])
    tz_text = match[8]
    if tz_text == "Z":
        tz = UTC
    else:
        sign = 1 if tz_text[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(tz_text[1:3]), minutes=int(tz_text[4:6])))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{value!r} is not a real date and time") from None


# --------------------------------------------------------------------------- proof sets


def is_anchor_proof(proof: object) -> bool:
    """True for a proof object of our anchor format (type + cryptosuite)."""
    return (
        isinstance(proof, Mapping)
        and proof.get("type") == ANCHOR_PROOF_TYPE
        and proof.get("cryptosuite") == ANCHOR_CRYPTOSUITE
    )


def _proof_list(credential: Mapping[str, Any]) -> list[Any]:
    proof = credential.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def anchor_proofs(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The anchor proofs of ``credential``'s proof set, in document order."""
    return [p for p in _proof_list(credential) if is_anchor_proof(p)]


def signature_proofs(credential: Mapping[str, Any]) -> list[Any]:
    """Every other entry of the proof set (the signatures), in document order."""
    return [p for p in _proof_list(credential) if not is_anchor_proof(p)]


def strip_anchor_proofs(credential: Mapping[str, Any]) -> dict[str, Any]:
    """``C'``: the credential without anchor proofs, ``proof`` as an array (or absent)."""
    if not isinstance(credential, Mapping):
        raise InvalidInput("a credential must be a JSON object")
    stripped = {key: value for key, value in credential.items() if key != "proof"}
    remaining = signature_proofs(credential)
    if remaining:
        stripped["proof"] = remaining
    return stripped


def credential_digest(credential: Mapping[str, Any]) -> bytes:
    """``D = SHA-256(JCS(C'))``: what the Merkle leaf of ``credential`` is made from."""
    try:
        canonical = canonicalize(strip_anchor_proofs(credential))
    except JcsError as exc:
        raise InvalidInput(
            f"the credential cannot be canonicalized (RFC 8785): {exc.detail}"
        ) from None
    return hashlib.sha256(canonical).digest()


def credential_leaf(credential: Mapping[str, Any]) -> bytes:
    """The Merkle leaf hash of ``credential``: ``SHA-256(0x00 || D)``."""
    return leaf_hash(credential_digest(credential))


def _contexts(credential: Mapping[str, Any]) -> list[Any]:
    context = credential.get("@context")
    return list(context) if isinstance(context, list) else [context]


def attach_anchor_proof(
    credential: Mapping[str, Any], anchor: AnchorProof, *, leaf: bytes | None = None
) -> dict[str, Any]:
    """A copy of ``credential`` with ``anchor`` in its proof set.

    The signatures are kept as they are (order included). An anchor proof already there for
    the same ledger and root is replaced (attaching twice changes nothing); anchors for other
    ledgers stay. Raises :class:`InvalidInput` when the credential's contexts do not define
    ``DataIntegrityProof`` (the proof would then be dropped by JSON-LD processors), or when
    ``anchor`` is not an inclusion proof of this credential. ``leaf``: the credential's leaf
    hash (:func:`credential_leaf`) when the caller has just computed it (not computed again).
    """
    if not isinstance(credential, Mapping):
        raise InvalidInput("a credential must be a JSON object")
    if not _DEFINING_CONTEXTS.intersection(c for c in _contexts(credential) if isinstance(c, str)):
        raise InvalidInput(
            "the credential's @context does not define DataIntegrityProof (it needs the VC "
            "Data Model 2.0 context), so an anchor proof cannot be added to it"
        )
    if not signature_proofs(credential):
        raise InvalidInput("only a signed credential can be anchored (it has no proof)")
    computed = (
        anchor.computed_root(credential)
        if leaf is None
        else root_from_inclusion_proof(leaf, anchor.leaf_index, anchor.tree_size, anchor.path)
    )
    if computed != anchor.root:
        raise InvalidInput("this anchor proof does not lead from the credential to its root")
    kept = [
        p
        for p in _proof_list(credential)
        if not (
            is_anchor_proof(p)
            and p.get("verificationMethod") == anchor.ledger_id
            and _root_of(p) == anchor.root
        )
    ]
    secured = {key: value for key, value in credential.items() if key != "proof"}
    secured["proof"] = [*kept, anchor.to_json()]
    return secured


def _root_of(proof: Mapping[str, Any]) -> bytes | None:
    try:
        return AnchorProof.from_json(proof).root
    except InvalidInput:
        return None


# --------------------------------------------------------------------------- encoding


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def take(self, count: int) -> bytes:
        if self._at + count > len(self._data):
            raise InvalidInput("the anchor proof value is cut short")
        chunk = self._data[self._at : self._at + count]
        self._at += count
        return chunk

    def uvarint(self) -> int:
        value = shift = 0
        for _ in range(9):  # at most 63 bits
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and shift:
                    raise InvalidInput("the anchor proof value has a non-minimal number")
                return value
            shift += 7
        raise InvalidInput("the anchor proof value has a number that is too large")

    def done(self) -> None:
        if self._at != len(self._data):
            raise InvalidInput("the anchor proof value has trailing bytes")


@dataclass(frozen=True, slots=True)
class AnchorProof:
    """A decoded anchor proof (see the module docstring for the JSON and binary form)."""

    ledger_id: str
    anchored_at: datetime
    leaf_index: int
    tree_size: int
    path: tuple[bytes, ...]
    root: bytes
    locator: str

    def __post_init__(self) -> None:
        if not isinstance(self.ledger_id, str) or not _SCHEME.fullmatch(self.ledger_id):
            raise InvalidInput("the ledger id must be an absolute URI")
        if self.anchored_at.tzinfo is None or self.anchored_at.utcoffset() is None:
            raise InvalidInput("the anchor time must be timezone-aware")
        if not 0 <= self.leaf_index < self.tree_size:
            raise InvalidInput("the leaf index must be smaller than the tree size")
        if self.tree_size >= 1 << 62:
            raise InvalidInput("the tree size is too large")
        if len(self.path) > _MAX_PATH or any(
            not isinstance(h, bytes) or len(h) != HASH_SIZE for h in self.path
        ):
            raise InvalidInput(f"the audit path must be at most {_MAX_PATH} 32-byte hashes")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise InvalidInput("the root must be 32 bytes")
        if len(self.locator.encode("utf-8")) > _MAX_LOCATOR:
            raise InvalidInput(f"the ledger locator must be at most {_MAX_LOCATOR} bytes")

    # ---------------------------------------------------------------- binary

    def encode_value(self) -> str:
        """The ``proofValue``: ``u`` + base64url (no padding) of the binary form."""
        locator = self.locator.encode("utf-8")
        data = b"".join(
            (
                bytes([_VERSION]),
                _uvarint(self.leaf_index),
                _uvarint(self.tree_size),
                bytes([len(self.path)]),
                *self.path,
                self.root,
                _uvarint(len(locator)),
                locator,
            )
        )
        return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    @staticmethod
    def decode_value(value: object) -> tuple[int, int, tuple[bytes, ...], bytes, str]:
        """``(leaf_index, tree_size, path, root, locator)`` from a ``proofValue``."""
        if not isinstance(value, str) or not value.startswith("u"):
            raise InvalidInput("the anchor proofValue must be multibase base64url (prefix 'u')")
        if len(value) > _MAX_VALUE_CHARS:
            raise InvalidInput("the anchor proofValue is too long")
        text = value[1:]
        if "=" in text or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
            raise InvalidInput("the anchor proofValue is not base64url without padding")
        try:
            data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise InvalidInput("the anchor proofValue is not valid base64url") from None
        reader = _Reader(data)
        version = reader.take(1)[0]
        if version != _VERSION:
            raise InvalidInput(f"anchor proof format version {version} is not supported")
        index = reader.uvarint()
        size = reader.uvarint()
        count = reader.take(1)[0]
        if count > _MAX_PATH:
            raise InvalidInput("the anchor proof's audit path is too long")
        path = tuple(reader.take(HASH_SIZE) for _ in range(count))
        root = reader.take(HASH_SIZE)
        length = reader.uvarint()
        if length > _MAX_LOCATOR:
            raise InvalidInput("the anchor proof's ledger locator is too long")
        try:
            locator = reader.take(length).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the anchor proof's ledger locator is not UTF-8 text") from None
        reader.done()
        return index, size, path, root, locator

    # ---------------------------------------------------------------- JSON

    def to_json(self) -> dict[str, Any]:
        """The proof object appended to the credential's proof set."""
        return {
            "type": ANCHOR_PROOF_TYPE,
            "cryptosuite": ANCHOR_CRYPTOSUITE,
            "created": format_anchor_time(self.anchored_at),
            "verificationMethod": self.ledger_id,
            "proofPurpose": ANCHOR_PROOF_PURPOSE,
            "proofValue": self.encode_value(),
        }

    @classmethod
    def from_json(cls, proof: object) -> AnchorProof:
        """Decode an anchor proof object; :class:`InvalidInput` says what is wrong."""
        if not is_anchor_proof(proof):
            raise InvalidInput(
                f"not an anchor proof (type {ANCHOR_PROOF_TYPE}, cryptosuite {ANCHOR_CRYPTOSUITE})"
            )
        assert isinstance(proof, Mapping)
        if proof.get("proofPurpose") != ANCHOR_PROOF_PURPOSE:
            raise InvalidInput(f"an anchor proof's proofPurpose must be {ANCHOR_PROOF_PURPOSE!r}")
        ledger_id = proof.get("verificationMethod")
        if not isinstance(ledger_id, str):
            raise InvalidInput("the anchor proof does not name its ledger (verificationMethod)")
        anchored_at = parse_anchor_time(proof.get("created"))
        index, size, path, root, locator = cls.decode_value(proof.get("proofValue"))
        return cls(
            ledger_id=ledger_id,
            anchored_at=anchored_at,
            leaf_index=index,
            tree_size=size,
            path=path,
            root=root,
            locator=locator,
        )

    # ---------------------------------------------------------------- checking

    def computed_root(self, credential: Mapping[str, Any]) -> bytes | None:
        """The root the audit path leads to from ``credential``'s leaf (``None``: the path
        cannot belong to a tree of ``tree_size`` leaves)."""
        return root_from_inclusion_proof(
            credential_leaf(credential), self.leaf_index, self.tree_size, self.path
        )

    def proves(self, credential: Mapping[str, Any]) -> bool:
        """True when the audit path leads from ``credential``'s leaf to :attr:`root`."""
        return self.computed_root(credential) == self.root

    @classmethod
    def build(
        cls,
        *,
        ledger_id: str,
        anchored_at: datetime,
        leaf_index: int,
        tree_size: int,
        path: Sequence[bytes],
        root: bytes,
        locator: str,
    ) -> AnchorProof:
        """Keyword constructor (the audit path as any sequence)."""
        return cls(
            ledger_id=ledger_id,
            anchored_at=anchored_at,
            leaf_index=leaf_index,
            tree_size=tree_size,
            path=tuple(path),
            root=root,
            locator=locator,
        )
