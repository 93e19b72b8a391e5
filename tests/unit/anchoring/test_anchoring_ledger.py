"""The embedded ledger (over an in-memory store) and NullAnchor."""

from __future__ import annotations

import dataclasses
import hashlib
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest
from anchoring_testkit import MemoryLedgerStorage

from microcred.anchoring.backends.embedded import (
    GENESIS_HASH,
    Checkpoint,
    EmbeddedLedger,
    compute_entry_hash,
)
from microcred.anchoring.backends.null import NULL_LEDGER_ID, NullAnchor
from microcred.anchoring.ledger import Ledger, LedgerReader, check_root
from microcred.anchoring.merkle import MerkleTree, leaf_hash, verify_inclusion
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.errors import AnchorError, AnchorTemporaryError, Conflict, InvalidInput, NotFound
from microcred.keys.ed25519 import Ed25519KeyPair

LEDGER_KEY = Ed25519KeyPair.from_seed(b"L" * 32)
LEDGER_VM = did_key_verification_method(LEDGER_KEY.public_bytes)
START = datetime(2026, 3, 3, 10, 0, 0, 250000, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.instant = START

    def now(self) -> datetime:
        return self.instant


def root(n: int) -> bytes:
    return hashlib.sha256(f"root {n}".encode()).digest()


def make_ledger(
    storage: MemoryLedgerStorage | None = None, *, every: int = 1, key=LEDGER_KEY
) -> tuple[EmbeddedLedger, MemoryLedgerStorage, Clock]:
    store = storage or MemoryLedgerStorage()
    clock = Clock()
    ledger = EmbeddedLedger(
        store,
        clock,
        public_key=LEDGER_KEY.public_bytes,
        signer=lambda: nullcontext(key.signer(did_key_verification_method(key.public_bytes))),
        checkpoint_every=every,
    )
    return ledger, store, clock


def test_protocols_are_met() -> None:
    ledger, _, _ = make_ledger()
    assert isinstance(ledger, Ledger)
    assert isinstance(ledger, LedgerReader)
    assert isinstance(NullAnchor(Clock()), Ledger)
    assert ledger.ledger_id == did_key_from_public(LEDGER_KEY.public_bytes)


def test_publish_and_lookup() -> None:
    ledger, store, clock = make_ledger()
    assert ledger.lookup(root(1)) is None
    receipt = ledger.publish(root(1), "batch-1", issuer="did:web:uni.example")
    assert receipt.batch_id == "batch-1"
    assert receipt.locator == "0"
    assert receipt.account == "did:web:uni.example"
    assert receipt.anchored_at == START.replace(microsecond=0)  # whole seconds
    assert receipt.ledger_id == ledger.ledger_id
    assert ledger.lookup(root(1)) == receipt.entry
    clock.instant += timedelta(minutes=5)
    second = ledger.publish(root(2), "batch-2", issuer="did:web:other.example")
    assert second.locator == "1"
    # Publishing again is safe: the existing entry, no second one.
    again = ledger.publish(root(1), "batch-1", issuer="did:web:uni.example")
    assert again.entry == receipt.entry
    assert len(store.entries) == 2
    first, last = store.entries
    assert first.prev_hash == GENESIS_HASH
    assert last.prev_hash == first.entry_hash
    assert last.entry_hash == compute_entry_hash(
        1, root(2), "batch-2", "did:web:other.example", last.recorded_at, first.entry_hash
    )
    assert ledger.size() == 2
    assert ledger.entry(1) == last
    assert ledger.entry_by_root(root(2)) == last
    with pytest.raises(NotFound):
        ledger.entry(5)


def test_entry_times_never_go_backwards() -> None:
    ledger, store, clock = make_ledger()
    ledger.publish(root(1), "b1", issuer="did:web:a")
    clock.instant -= timedelta(hours=1)
    ledger.publish(root(2), "b2", issuer="did:web:a")
    assert store.entries[1].recorded_at == store.entries[0].recorded_at
    assert ledger.verify_ledger().ok


def test_bad_arguments() -> None:
    ledger, _, _ = make_ledger()
    with pytest.raises(AnchorError):
        ledger.publish(b"short", "b", issuer="did:web:a")
    with pytest.raises(AnchorError):
        ledger.publish(root(1), "b", issuer="")
    with pytest.raises(AnchorError):
        check_root("00" * 32)
    with pytest.raises(InvalidInput):
        ledger.checkpoints(limit=0)
    with pytest.raises(ValueError):
        make_ledger(every=0)


def test_checkpoints_every_n_and_on_demand() -> None:
    ledger, store, clock = make_ledger(every=3)
    for n in range(7):
        clock.instant += timedelta(seconds=10)
        ledger.publish(root(n), f"b{n}", issuer="did:web:a")
    assert [c.size for c in store.checkpoints] == [3, 6]
    latest = ledger.checkpoint()
    assert latest is not None and latest.size == 7
    assert ledger.checkpoint() == latest  # nothing new: the same checkpoint
    assert [c.size for c in ledger.checkpoints(limit=2)] == [7, 6]
    assert [c.size for c in ledger.checkpoints(limit=5, before_size=6)] == [3]
    assert ledger.latest_checkpoint() == latest
    tree = MerkleTree.from_leaves([e.entry_hash for e in store.entries])
    assert latest.tree_root == tree.root
    assert latest.head == store.entries[-1].entry_hash
    assert latest.signature_valid()
    assert Checkpoint.from_json(latest.to_json()) == latest
    assert latest.to_json()["verificationMethod"] == LEDGER_VM
    assert ledger.checkpoint_of_size(3).size == 3
    with pytest.raises(NotFound):
        ledger.checkpoint_of_size(4)


def test_empty_ledger_has_no_checkpoint_and_verifies() -> None:
    ledger, _, _ = make_ledger()
    assert ledger.checkpoint() is None
    audit = ledger.verify_ledger()
    assert audit.ok and audit.entries == 0 and audit.checkpoints == 0


def test_consistency_between_checkpoints() -> None:
    ledger, _, clock = make_ledger(every=2)
    for n in range(9):
        clock.instant += timedelta(seconds=1)
        ledger.publish(root(n), f"b{n}", issuer="did:web:a")
    proof = ledger.consistency(2, 8)
    assert proof.verify()
    assert proof.to_json()["old"]["size"] == 2
    assert ledger.consistency(4, 4).verify()
    forged = dataclasses.replace(proof, hashes=(bytes(32), *proof.hashes[1:]))
    assert not forged.verify()
    with pytest.raises(NotFound):
        ledger.consistency(3, 8)
    with pytest.raises(InvalidInput):
        ledger.consistency(8, 2)
    entry, path = ledger.entry_inclusion(5, 8)
    assert entry.index == 5
    checkpoint = ledger.checkpoint_of_size(8)
    assert verify_inclusion(leaf_hash(entry.entry_hash), 5, 8, path, checkpoint.tree_root)


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda e: dataclasses.replace(e, root=root(99)), "altered"),
        (lambda e: dataclasses.replace(e, account="did:web:mallory"), "altered"),
        (lambda e: dataclasses.replace(e, batch_id="other"), "altered"),
        (
            lambda e: dataclasses.replace(e, recorded_at=e.recorded_at - timedelta(days=1)),
            "altered",
        ),
    ],
)
def test_verify_ledger_detects_an_edited_entry(tamper, problem) -> None:
    ledger, store, clock = make_ledger()
    for n in range(4):
        clock.instant += timedelta(seconds=1)
        ledger.publish(root(n), f"b{n}", issuer="did:web:a")
    assert ledger.verify_ledger().ok
    store.entries[1] = tamper(store.entries[1])
    audit = ledger.verify_ledger()
    assert not audit.ok
    assert any(problem in p and "entry 1" in p for p in audit.problems)
    assert audit.to_json()["ok"] is False


def test_verify_ledger_detects_rewritten_history() -> None:
    ledger, store, clock = make_ledger()
    for n in range(4):
        clock.instant += timedelta(seconds=1)
        ledger.publish(root(n), f"b{n}", issuer="did:web:a")
    # A consistent rewrite of entry 2 onwards (hashes recomputed) still breaks the checkpoints.
    old = store.entries[2]
    rewritten = dataclasses.replace(old, root=root(42))
    rewritten = dataclasses.replace(rewritten, entry_hash=rewritten.expected_hash())
    nxt = dataclasses.replace(store.entries[3], prev_hash=rewritten.entry_hash)
    nxt = dataclasses.replace(nxt, entry_hash=nxt.expected_hash())
    store.entries[2:] = [rewritten, nxt]
    problems = ledger.verify_ledger().problems
    assert any("checkpoint 3" in p and "rewritten" in p for p in problems)
    assert any("checkpoint 4" in p and "rewritten" in p for p in problems)
    # A removed entry breaks the chain.
    store.entries.pop(1)
    problems = ledger.verify_ledger().problems
    assert any("entry 1 is missing" in p for p in problems)


def test_verify_ledger_detects_forged_checkpoints() -> None:
    ledger, store, clock = make_ledger()
    for n in range(3):
        clock.instant += timedelta(seconds=1)
        ledger.publish(root(n), f"b{n}", issuer="did:web:a")
    good = store.checkpoints[1]
    store.checkpoints[1] = dataclasses.replace(good, signature=bytes(64))
    assert any("invalid signature" in p for p in ledger.verify_ledger().problems)
    store.checkpoints[1] = dataclasses.replace(good, size=9)
    assert any("only 3" in p for p in ledger.verify_ledger().problems)
    mallory = Ed25519KeyPair.from_seed(b"M" * 32)
    mallory_vm = did_key_verification_method(mallory.public_bytes)
    forged = dataclasses.replace(good, verification_method=mallory_vm)
    forged = dataclasses.replace(
        forged, signature=mallory.signer(mallory_vm).sign(forged.message())
    )
    store.checkpoints[1] = forged
    assert forged.signature_valid()
    assert any("another key" in p for p in ledger.verify_ledger().problems)


def test_a_wrong_signing_key_is_refused() -> None:
    other = Ed25519KeyPair.from_seed(b"O" * 32)
    ledger, store, _ = make_ledger(key=other)
    with pytest.raises(AnchorError, match="does not match"):
        ledger.publish(root(1), "b", issuer="did:web:a")
    assert store.entries == []


def test_a_racing_writer_is_a_temporary_error() -> None:
    class RacingStorage(MemoryLedgerStorage):
        def transaction(self, *, read_only: bool = False):
            if read_only:
                return super().transaction(read_only=True)
            raise Conflict("duplicate key", retryable=True)

    ledger, _, _ = make_ledger(RacingStorage())
    with pytest.raises(AnchorTemporaryError):
        ledger.publish(root(1), "b", issuer="did:web:a")


def test_null_anchor() -> None:
    clock = Clock()
    null = NullAnchor(clock)
    assert null.ledger_id == NULL_LEDGER_ID
    receipt = null.publish(root(1), "b", issuer="did:key:x")
    assert null.lookup(root(1)) == receipt.entry
    assert null.publish(root(1), "b", issuer="did:key:x").entry == receipt.entry
    assert len(null) == 1
    null.fail_next(AnchorTemporaryError("node down"))
    with pytest.raises(AnchorTemporaryError):
        null.publish(root(2), "c", issuer="did:key:x")
    assert null.lookup(root(2)) is None
    assert null.publish_calls == 3
