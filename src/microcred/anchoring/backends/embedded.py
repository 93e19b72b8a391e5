"""The embedded ledger: an append-only, hash-chained log in the platform database.

The default ledger. Each published root becomes one *entry*; entries are chained like a
blockchain without mining, and *checkpoints* signed by a platform ledger key commit to the whole
history so an outsider can audit that it was never rewritten:

* **entry** ``i``: ``(index, root, batch id, account, time, prev_hash, entry_hash)`` where
  ``prev_hash`` is the previous entry's ``entry_hash`` (32 zero bytes for entry 0) and
  ``entry_hash = SHA-256("microcred-ledger-entry/v1\\n" || JCS({index, root, batch, account,
  time, prev}))`` (hashes as lower-case hex, time as ``…Z``; JCS is RFC 8785). Changing,
  removing or reordering any entry breaks every later ``prev_hash``.
* **checkpoint** of size ``n``: ``(n, head, root, time)`` signed with Ed25519, where ``head`` is
  the ``entry_hash`` of entry ``n - 1`` and ``root`` is the RFC 9162 Merkle tree head over the
  entry hashes ``0 … n-1`` (leaf = ``SHA-256(0x00 || entry_hash)``). The signed bytes are
  ``"microcred-ledger-checkpoint/v1\\n" || JCS({ledger, size, head, root, time})``. Two
  checkpoints are shown consistent (the older history is a prefix of the newer) by an RFC 9162
  §2.1.4 consistency proof between their roots, of O(log n) hashes.

The ledger's identifier is the ``did:key`` of its public key, so a verifier knows which ledger
an anchor proof names and how to check its checkpoints. A checkpoint is signed every
``checkpoint_every`` entries and on demand (:meth:`EmbeddedLedger.checkpoint`).

The database is reached through the :class:`LedgerStorage` protocol
(``storage/repositories/ledger.py`` implements it with SQLAlchemy); this module imports no ORM.
Two writers racing for the same index collide on the primary key: the loser's attempt is an
:class:`~microcred.errors.AnchorTemporaryError` and simply retried.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from microcred.anchoring.ledger import LedgerEntry, Receipt, check_root
from microcred.anchoring.merkle import MerkleAccumulator, MerkleTree, verify_consistency
from microcred.anchoring.proof import format_anchor_time, parse_anchor_time
from microcred.clock import Clock
from microcred.did.key import did_key_from_public, did_key_verification_method, parse_did_key
from microcred.errors import (
    AnchorError,
    AnchorTemporaryError,
    Conflict,
    InvalidInput,
    MicrocredError,
    NotFound,
)
from microcred.keys.ed25519 import verify_ed25519
from microcred.keys.protocols import Signer
from microcred.proof.jcs import canonicalize

__all__ = [
    "GENESIS_HASH",
    "Checkpoint",
    "ConsistencyProof",
    "EmbeddedLedger",
    "EntryRecord",
    "LedgerAudit",
    "LedgerStorage",
    "LedgerTransaction",
    "checkpoint_message",
    "compute_entry_hash",
]

GENESIS_HASH = bytes(32)
_ENTRY_DOMAIN = b"microcred-ledger-entry/v1\n"
_CHECKPOINT_DOMAIN = b"microcred-ledger-checkpoint/v1\n"


def _whole_seconds(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("ledger times must be timezone-aware")
    return value.replace(microsecond=0)


def compute_entry_hash(
    index: int, root: bytes, batch_id: str, account: str, recorded_at: datetime, prev_hash: bytes
) -> bytes:
    """``entry_hash`` of an entry (see the module docstring)."""
    body: dict[str, Any] = {
        "index": index,
        "root": root.hex(),
        "batch": batch_id,
        "account": account,
        "time": format_anchor_time(recorded_at),
        "prev": prev_hash.hex(),
    }
    return hashlib.sha256(_ENTRY_DOMAIN + canonicalize(body)).digest()


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """One stored ledger entry."""

    index: int
    root: bytes
    batch_id: str
    account: str
    recorded_at: datetime
    prev_hash: bytes
    entry_hash: bytes

    def expected_hash(self) -> bytes:
        return compute_entry_hash(
            self.index, self.root, self.batch_id, self.account, self.recorded_at, self.prev_hash
        )

    def to_json(self) -> dict[str, Any]:
        """Public JSON form (``GET /ledger/entries/…``)."""
        return {
            "index": self.index,
            "root": self.root.hex(),
            "batch": self.batch_id,
            "account": self.account,
            "time": format_anchor_time(self.recorded_at),
            "prev": self.prev_hash.hex(),
            "hash": self.entry_hash.hex(),
        }


def checkpoint_message(
    ledger_id: str, size: int, head: bytes, tree_root: bytes, created_at: datetime
) -> bytes:
    """The bytes a checkpoint signature covers."""
    body: dict[str, Any] = {
        "ledger": ledger_id,
        "size": size,
        "head": head.hex(),
        "root": tree_root.hex(),
        "time": format_anchor_time(created_at),
    }
    return _CHECKPOINT_DOMAIN + canonicalize(body)


def _b64(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.startswith("u"):
        raise InvalidInput("a signature must be multibase base64url (prefix 'u')")
    body = text[1:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput("a signature is not valid base64url") from None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement of the ledger's size, head hash and Merkle root at a time."""

    ledger_id: str
    size: int
    head: bytes
    tree_root: bytes
    created_at: datetime
    verification_method: str
    signature: bytes

    def message(self) -> bytes:
        return checkpoint_message(
            self.ledger_id, self.size, self.head, self.tree_root, self.created_at
        )

    def signature_valid(self) -> bool:
        """True when the signature verifies with the key its verification method names."""
        try:
            public = parse_did_key(self.verification_method).public_key
        except MicrocredError:
            return False
        return verify_ed25519(public, self.message(), self.signature)

    def to_json(self) -> dict[str, Any]:
        """Public JSON form (``GET /ledger/checkpoints``)."""
        return {
            "ledger": self.ledger_id,
            "size": self.size,
            "head": self.head.hex(),
            "root": self.tree_root.hex(),
            "time": format_anchor_time(self.created_at),
            "verificationMethod": self.verification_method,
            "signature": _b64(self.signature),
        }

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """Parse the public JSON form (for auditors holding copies of checkpoints)."""
        try:
            return cls(
                ledger_id=str(data["ledger"]),
                size=int(data["size"]),
                head=bytes.fromhex(data["head"]),
                tree_root=bytes.fromhex(data["root"]),
                created_at=parse_anchor_time(data["time"]),
                verification_method=str(data["verificationMethod"]),
                signature=_unb64(str(data["signature"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"not a ledger checkpoint: {exc}") from None


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """RFC 9162 consistency proof between two checkpoints of the same ledger."""

    old: Checkpoint
    new: Checkpoint
    hashes: tuple[bytes, ...]

    def verify(self) -> bool:
        """Both signatures valid, same ledger, and the old tree a prefix of the new one."""
        return (
            self.old.ledger_id == self.new.ledger_id
            and self.old.signature_valid()
            and self.new.signature_valid()
            and verify_consistency(
                self.old.size,
                self.new.size,
                self.old.tree_root,
                self.new.tree_root,
                self.hashes,
            )
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "proof": [h.hex() for h in self.hashes],
        }


@dataclass(frozen=True, slots=True)
class LedgerAudit:
    """What :meth:`EmbeddedLedger.verify_ledger` found."""

    ledger_id: str
    entries: int
    checkpoints: int
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger_id,
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "problems": list(self.problems),
        }


class LedgerTransaction(Protocol):
    """Reads and writes of one database transaction (``storage/repositories/ledger.py``)."""

    def last_entry(self) -> EntryRecord | None: ...

    def entry_at(self, index: int) -> EntryRecord | None: ...

    def entry_for_root(self, root: bytes) -> EntryRecord | None: ...

    def iter_entries(self, start: int = 0, end: int | None = None) -> Iterator[EntryRecord]:
        """Entries with ``start <= index < end`` in index order (streamed)."""
        ...

    def append_entry(self, record: EntryRecord) -> None:
        """Insert; a duplicate index or root raises :class:`~microcred.errors.Conflict`."""
        ...

    def last_checkpoint(self) -> Checkpoint | None: ...

    def checkpoint_of_size(self, size: int) -> Checkpoint | None: ...

    def list_checkpoints(self, *, limit: int, before_size: int | None = None) -> list[Checkpoint]:
        """Newest first."""
        ...

    def iter_checkpoints(self) -> Iterator[Checkpoint]:
        """Oldest (smallest) first."""
        ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def commit(self) -> None: ...


class LedgerStorage(Protocol):
    """Opens ledger transactions (``read_only`` ones never block writers)."""

    def transaction(
        self, *, read_only: bool = False
    ) -> AbstractContextManager[LedgerTransaction]: ...


class EmbeddedLedger:
    """The embedded :class:`~microcred.anchoring.ledger.Ledger` with its public read API.

    ``signer`` opens the platform ledger key (``with signer() as s: s.sign(...)``, e.g.
    ``lambda: key_store.signer_for("microcred-ledger", vm)``); ``public_key`` is its raw
    Ed25519 public key, from which the ledger id (``did:key:…``) is derived.
    """

    def __init__(
        self,
        storage: LedgerStorage,
        clock: Clock,
        *,
        public_key: bytes,
        signer: Callable[[], AbstractContextManager[Signer]],
        checkpoint_every: int = 1,
    ) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self._storage = storage
        self._clock = clock
        self._signer = signer
        self._public_key = public_key
        self._ledger_id = did_key_from_public(public_key)
        self._verification_method = did_key_verification_method(public_key)
        self._checkpoint_every = checkpoint_every

    @property
    def ledger_id(self) -> str:
        return self._ledger_id

    @property
    def verification_method(self) -> str:
        """The key that signs checkpoints (``did:key:…#…``)."""
        return self._verification_method

    # ------------------------------------------------------------------ Ledger

    def _entry(self, record: EntryRecord) -> LedgerEntry:
        return LedgerEntry(
            ledger_id=self._ledger_id,
            root=record.root,
            locator=str(record.index),
            account=record.account,
            anchored_at=record.recorded_at,
        )

    def lookup(self, root: bytes) -> LedgerEntry | None:
        check_root(root)
        record = self._read(lambda tx: tx.entry_for_root(root))
        return None if record is None else self._entry(record)

    def publish(self, root: bytes, batch_id: str, *, issuer: str) -> Receipt:
        check_root(root)
        if not issuer:
            raise AnchorError("an entry needs the issuer's identifier as its account")
        try:
            with self._storage.transaction() as tx:
                existing = tx.entry_for_root(root)
                if existing is not None:
                    return Receipt(entry=self._entry(existing), batch_id=existing.batch_id)
                last = tx.last_entry()
                now = _whole_seconds(self._clock.now())
                if last is not None and now < last.recorded_at:
                    now = last.recorded_at  # entry times never go backwards
                index = 0 if last is None else last.index + 1
                prev = GENESIS_HASH if last is None else last.entry_hash
                record = EntryRecord(
                    index=index,
                    root=root,
                    batch_id=batch_id,
                    account=issuer,
                    recorded_at=now,
                    prev_hash=prev,
                    entry_hash=compute_entry_hash(index, root, batch_id, issuer, now, prev),
                )
                tx.append_entry(record)
                if (index + 1) % self._checkpoint_every == 0:
                    self._sign_checkpoint(tx, record, now)
                tx.commit()
        except Conflict as exc:
            raise AnchorTemporaryError(
                f"another writer appended to the ledger at the same time; retry ({exc.detail})"
            ) from exc
        return Receipt(entry=self._entry(record), batch_id=batch_id)

    # ------------------------------------------------------------------ checkpoints

    def _tree_root(self, tx: LedgerTransaction, size: int) -> bytes:
        accumulator = MerkleAccumulator()
        for record in tx.iter_entries(0, size):
            accumulator.append(record.entry_hash)
        if accumulator.size != size:
            raise AnchorError(f"the ledger has fewer than {size} entries")
        return accumulator.root

    def _sign_checkpoint(
        self, tx: LedgerTransaction, head: EntryRecord, now: datetime
    ) -> Checkpoint:
        size = head.index + 1
        tree_root = self._tree_root(tx, size)
        message = checkpoint_message(self._ledger_id, size, head.entry_hash, tree_root, now)
        with self._signer() as signer:
            if signer.public_key_multibase != parse_did_key(self._ledger_id).public_key_multibase:
                raise AnchorError("the ledger signing key does not match the ledger's public key")
            signature = signer.sign(message)
        checkpoint = Checkpoint(
            ledger_id=self._ledger_id,
            size=size,
            head=head.entry_hash,
            tree_root=tree_root,
            created_at=now,
            verification_method=self._verification_method,
            signature=signature,
        )
        tx.add_checkpoint(checkpoint)
        return checkpoint

    def checkpoint(self) -> Checkpoint | None:
        """Sign a checkpoint of the current head now, unless the latest already covers it.

        Returns the checkpoint covering the head (``None`` for an empty ledger).
        """
        try:
            with self._storage.transaction() as tx:
                last = tx.last_entry()
                if last is None:
                    return None
                latest = tx.last_checkpoint()
                if latest is not None and latest.size == last.index + 1:
                    return latest
                now = _whole_seconds(self._clock.now())
                if latest is not None and now < latest.created_at:
                    now = latest.created_at
                if now < last.recorded_at:
                    now = last.recorded_at
                checkpoint = self._sign_checkpoint(tx, last, now)
                tx.commit()
                return checkpoint
        except Conflict as exc:
            raise AnchorTemporaryError(
                f"another writer signed a checkpoint at the same time; retry ({exc.detail})"
            ) from exc

    # ------------------------------------------------------------------ public reads

    def _read(self, fn: Callable[[LedgerTransaction], Any]) -> Any:
        with self._storage.transaction(read_only=True) as tx:
            return fn(tx)

    def entry(self, index: int) -> EntryRecord:
        """Entry ``index`` (:class:`~microcred.errors.NotFound` when there is none)."""
        record = self._read(lambda tx: tx.entry_at(index))
        if record is None:
            raise NotFound(f"the ledger has no entry {index}")
        assert isinstance(record, EntryRecord)
        return record

    def entry_by_root(self, root: bytes) -> EntryRecord | None:
        """The entry that recorded ``root`` (public: roots reveal nothing about credentials)."""
        check_root(root)
        record = self._read(lambda tx: tx.entry_for_root(root))
        assert record is None or isinstance(record, EntryRecord)
        return record

    def size(self) -> int:
        last = self._read(lambda tx: tx.last_entry())
        return 0 if last is None else int(last.index) + 1

    def latest_checkpoint(self) -> Checkpoint | None:
        found = self._read(lambda tx: tx.last_checkpoint())
        assert found is None or isinstance(found, Checkpoint)
        return found

    def checkpoints(self, *, limit: int = 100, before_size: int | None = None) -> list[Checkpoint]:
        """Checkpoints, newest first (``before_size`` pages further back)."""
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1000")
        found = self._read(lambda tx: tx.list_checkpoints(limit=limit, before_size=before_size))
        assert isinstance(found, list)
        return found

    def checkpoint_of_size(self, size: int) -> Checkpoint:
        found = self._read(lambda tx: tx.checkpoint_of_size(size))
        if found is None:
            raise NotFound(f"the ledger has no checkpoint of size {size}")
        assert isinstance(found, Checkpoint)
        return found

    def consistency(self, old_size: int, new_size: int) -> ConsistencyProof:
        """Proof that checkpoint ``old_size`` is a prefix of checkpoint ``new_size``."""
        if old_size > new_size:
            raise InvalidInput("the old checkpoint must not be larger than the new one")

        def build(tx: LedgerTransaction) -> ConsistencyProof:
            old = tx.checkpoint_of_size(old_size)
            new = tx.checkpoint_of_size(new_size)
            if old is None or new is None:
                missing = old_size if old is None else new_size
                raise NotFound(f"the ledger has no checkpoint of size {missing}")
            tree = MerkleTree.from_leaves(r.entry_hash for r in tx.iter_entries(0, new_size))
            return ConsistencyProof(old, new, tuple(tree.consistency_proof(old_size)))

        proof = self._read(build)
        assert isinstance(proof, ConsistencyProof)
        return proof

    def entry_inclusion(self, index: int, size: int) -> tuple[EntryRecord, list[bytes]]:
        """Entry ``index`` and its audit path in the tree of checkpoint ``size``."""

        def build(tx: LedgerTransaction) -> tuple[EntryRecord, list[bytes]]:
            if tx.checkpoint_of_size(size) is None:
                raise NotFound(f"the ledger has no checkpoint of size {size}")
            records = list(tx.iter_entries(0, size))
            if not 0 <= index < len(records):
                raise NotFound(f"entry {index} is not covered by checkpoint {size}")
            tree = MerkleTree.from_leaves(r.entry_hash for r in records)
            return records[index], tree.inclusion_proof(index)

        result = self._read(build)
        assert isinstance(result, tuple)
        return result

    # ------------------------------------------------------------------ audit

    def verify_ledger(self) -> LedgerAudit:
        """Re-check the whole chain and every checkpoint (``microcred ledger verify``).

        Entries: indexes 0, 1, 2 … without gaps; each ``prev_hash`` is the previous
        ``entry_hash`` (32 zero bytes for the first); each ``entry_hash`` recomputes; roots are
        unique; times never go backwards. Checkpoints: signed by this ledger's key with a valid
        signature; ``head`` and ``root`` equal what the entries give at that size; sizes and
        times grow together; none covers more entries than exist.
        """
        return self._read(self._audit)  # type: ignore[no-any-return]

    def _audit(self, tx: LedgerTransaction) -> LedgerAudit:
        problems: list[str] = []
        accumulator = MerkleAccumulator()
        heads: dict[int, tuple[bytes, bytes, datetime]] = {}
        wanted = {cp.size for cp in tx.iter_checkpoints()}
        prev = GENESIS_HASH
        last_time: datetime | None = None
        roots: set[bytes] = set()
        count = 0
        for record in tx.iter_entries(0, None):
            if record.index != count:
                problems.append(f"entry {count} is missing (found entry {record.index} instead)")
                count = record.index
            if record.prev_hash != prev:
                problems.append(
                    f"entry {record.index} does not link to the entry before it "
                    "(prev_hash differs): history was changed"
                )
            if record.expected_hash() != record.entry_hash:
                problems.append(
                    f"entry {record.index} was altered: its contents no longer match its hash"
                )
            if record.root in roots:
                problems.append(f"entry {record.index} repeats a root already recorded")
            roots.add(record.root)
            if last_time is not None and record.recorded_at < last_time:
                problems.append(f"entry {record.index} is dated before the entry preceding it")
            last_time = record.recorded_at
            prev = record.entry_hash
            accumulator.append(record.entry_hash)
            count += 1
            if count in wanted:
                heads[count] = (record.entry_hash, accumulator.root, record.recorded_at)
        checkpoints = 0
        previous: Checkpoint | None = None
        for checkpoint in tx.iter_checkpoints():
            checkpoints += 1
            problems.extend(self._audit_checkpoint(checkpoint, heads, previous, count))
            previous = checkpoint
        return LedgerAudit(self._ledger_id, count, checkpoints, tuple(problems))

    def _audit_checkpoint(
        self,
        checkpoint: Checkpoint,
        heads: dict[int, tuple[bytes, bytes, datetime]],
        previous: Checkpoint | None,
        count: int,
    ) -> Iterator[str]:
        label = f"checkpoint {checkpoint.size}"
        if checkpoint.ledger_id != self._ledger_id:
            yield f"{label} names another ledger ({checkpoint.ledger_id})"
        if checkpoint.verification_method != self._verification_method:
            yield f"{label} is signed by another key ({checkpoint.verification_method})"
        elif not checkpoint.signature_valid():
            yield f"{label} has an invalid signature: it was altered or forged"
        if checkpoint.size > count or checkpoint.size not in heads:
            yield f"{label} covers {checkpoint.size} entries but the ledger has only {count}"
        else:
            head, root, last_time = heads[checkpoint.size]
            if checkpoint.head != head:
                yield f"{label} does not match the entries' head hash: history was rewritten"
            if checkpoint.tree_root != root:
                yield f"{label} does not match the entries' Merkle root: history was rewritten"
            if checkpoint.created_at < last_time:
                yield f"{label} is dated before the last entry it covers"
        if previous is not None and checkpoint.created_at < previous.created_at:
            yield f"{label} is dated before checkpoint {previous.size}"
