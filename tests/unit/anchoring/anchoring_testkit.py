"""Shared helpers for the anchoring unit tests: real keys, real signatures, real JSON-LD."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from microcred.anchoring.backends.embedded import Checkpoint, EntryRecord
from microcred.clock import FixedClock
from microcred.definition import compose_credential
from microcred.definition.samples import sample_achievement, sample_issuer
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.did.resolver import HostedDIDResolver
from microcred.did.web import DidWebKey, build_did_web_document
from microcred.errors import Conflict
from microcred.keys.ed25519 import Ed25519KeyPair
from microcred.model import hash_email
from microcred.proof.data_integrity import add_proof
from microcred.proof.options import ProofOptions
from microcred.verification.checks.base import Check
from microcred.wiring import Engine, build_engine

SIGNED_AT = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
KEY = Ed25519KeyPair.from_seed(bytes(range(32)))
ISSUER_DID = did_key_from_public(KEY.public_bytes)
VM = did_key_verification_method(KEY.public_bytes)

WEB_DID = "did:web:uni.example"
OLD_KEY = Ed25519KeyPair.from_seed(bytes(range(1, 33)))
NEW_KEY = Ed25519KeyPair.from_seed(bytes(range(2, 34)))
OLD_VM = f"{WEB_DID}#key-1"


def engine(
    now: datetime, extra_checks: tuple[Check, ...] = (), *, web_revoked: datetime | None = None
) -> Engine:
    """The real engine (bundled contexts, both eddsa suites, did:key) with a fixed clock.

    ``web_revoked``: also host ``did:web:uni.example`` whose key ``#key-1`` (OLD_KEY) was
    revoked at that time and ``#key-2`` (NEW_KEY) is current.
    """
    web = None
    if web_revoked is not None:
        document = build_did_web_document(
            WEB_DID,
            [DidWebKey("key-2", NEW_KEY.public_key_multibase)],
            [DidWebKey("key-1", OLD_KEY.public_key_multibase, revoked=web_revoked)],
        )
        web = HostedDIDResolver({WEB_DID: document})
    return build_engine(
        allow_network=False, clock=FixedClock(now), extra_checks=extra_checks, web_resolver=web
    )


def unsigned_credential(
    issuer: str = ISSUER_DID, *, number: int = 1, valid_from: datetime = SIGNED_AT
) -> dict[str, Any]:
    return compose_credential(
        sample_achievement(awarding_body=issuer),
        hash_email(f"learner{number}@uni.example", salt="0a1b"),
        sample_issuer(issuer),
        credential_id=f"urn:uuid:{uuid.UUID(int=number)}",
        valid_from=valid_from,
    )


def sign(
    document: dict[str, Any],
    the_engine: Engine,
    *,
    suite: str = "eddsa-rdfc-2022",
    key: Ed25519KeyPair = KEY,
    vm: str = VM,
    created: datetime = SIGNED_AT,
) -> dict[str, Any]:
    options = ProofOptions(cryptosuite=suite, verification_method=vm, created=created)
    return add_proof(document, the_engine.registry.get(suite), options, key.signer(vm))


def signed_credential(the_engine: Engine, number: int = 1, **kw: Any) -> dict[str, Any]:
    return sign(unsigned_credential(number=number), the_engine, **kw)


class MemoryLedgerStorage:
    """An in-memory ``LedgerStorage`` (the SQL one is tested in the integration suite)."""

    def __init__(self) -> None:
        self.entries: list[EntryRecord] = []
        self.checkpoints: list[Checkpoint] = []

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[_MemoryTx]:
        tx = _MemoryTx(self, read_only)
        yield tx


class _MemoryTx:
    def __init__(self, store: MemoryLedgerStorage, read_only: bool) -> None:
        self._store = store
        self._entries = list(store.entries)
        self._checkpoints = list(store.checkpoints)
        self._read_only = read_only

    def last_entry(self) -> EntryRecord | None:
        return self._entries[-1] if self._entries else None

    def entry_at(self, index: int) -> EntryRecord | None:
        return next((e for e in self._entries if e.index == index), None)

    def entry_for_root(self, root: bytes) -> EntryRecord | None:
        return next((e for e in self._entries if e.root == root), None)

    def iter_entries(self, start: int = 0, end: int | None = None) -> Iterator[EntryRecord]:
        for entry in sorted(self._entries, key=lambda e: e.index):
            if entry.index >= start and (end is None or entry.index < end):
                yield entry

    def append_entry(self, record: EntryRecord) -> None:
        if any(e.index == record.index or e.root == record.root for e in self._entries):
            raise Conflict("duplicate ledger entry")
        self._entries.append(record)

    def last_checkpoint(self) -> Checkpoint | None:
        return max(self._checkpoints, key=lambda c: c.size, default=None)

    def checkpoint_of_size(self, size: int) -> Checkpoint | None:
        return next((c for c in self._checkpoints if c.size == size), None)

    def list_checkpoints(self, *, limit: int, before_size: int | None = None) -> list[Checkpoint]:
        found = [c for c in self._checkpoints if before_size is None or c.size < before_size]
        return sorted(found, key=lambda c: -c.size)[:limit]

    def iter_checkpoints(self) -> Iterator[Checkpoint]:
        yield from sorted(self._checkpoints, key=lambda c: c.size)

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        if self.checkpoint_of_size(checkpoint.size) is not None:
            raise Conflict("duplicate checkpoint")
        self._checkpoints.append(checkpoint)

    def commit(self) -> None:
        assert not self._read_only
        self._store.entries = copy.copy(self._entries)
        self._store.checkpoints = copy.copy(self._checkpoints)
