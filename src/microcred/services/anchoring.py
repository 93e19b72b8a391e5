"""``AnchoringService``: batch issued credentials, publish one root per batch, write the proofs.

``run_anchoring(now)`` is the job behind ``microcred anchor run`` (a worker may call it every
minute). Per issuer it seals the batches that are due (:class:`~microcred.anchoring.batch.
BatchPolicy`: size or age), publishes each batch's Merkle root to the ledger and appends every
credential's inclusion proof to its stored document. It is resumable and idempotent (see
``anchoring/batch.py``):

* the batch, its root and its leaves are stored *before* the root is published;
* before publishing, the ledger is asked whether it already has the root (a crash after a
  publish is healed without a second publish);
* proofs are written a chunk per transaction and each leaf is marked done; attaching a proof
  twice changes nothing.

Ledger failures never escape the run: a temporary one (:class:`~microcred.errors.
AnchorTemporaryError`) leaves the batch sealed for the next run; a permanent one is recorded on
the batch (``last_error``) and reported. ``anchor_status(principal, issuer_id)`` tells staff
how far anchoring is. :func:`build_embedded_ledger` wires the default ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from microcred.anchoring.backends.embedded import Checkpoint, EmbeddedLedger
from microcred.anchoring.batch import BatchPolicy, anchor_credential, batch_tree
from microcred.anchoring.ledger import Ledger, LedgerEntry
from microcred.anchoring.merkle import MerkleTree
from microcred.anchoring.proof import credential_digest, format_anchor_time
from microcred.clock import Clock
from microcred.did.key import did_key_from_public, did_key_verification_method
from microcred.errors import AnchorError, AnchorTemporaryError, Conflict, InvalidInput, NotFound
from microcred.keys.file_store import FileKeyStore
from microcred.keys.protocols import Signer
from microcred.services.access import Permission, Principal, require
from microcred.services.audit import record_audit
from microcred.services.collector import bulk_collection
from microcred.storage import UnitOfWork, UnitOfWorkFactory
from microcred.storage.ledger_tables import AnchorBatch, AnchorBatchState
from microcred.storage.repositories.anchoring import AnchorBatchRepository
from microcred.storage.repositories.ledger import DatabaseLedgerStorage

__all__ = [
    "LEDGER_KEY_ID",
    "AnchorStatus",
    "AnchoringRun",
    "AnchoringService",
    "ReconcileRun",
    "BatchInfo",
    "CredentialAnchor",
    "build_embedded_ledger",
]

#: The key-store id of the platform ledger key (signs the embedded ledger's checkpoints).
LEDGER_KEY_ID = "microcred-ledger"


@dataclass(frozen=True)
class BatchInfo:
    """One anchoring batch, as staff see it."""

    id: uuid.UUID
    state: str
    size: int
    root: str
    ledger_id: str
    sealed_at: datetime
    locator: str | None
    account: str | None
    anchored_at: datetime | None
    completed_at: datetime | None
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, batch: AnchorBatch) -> BatchInfo:
        return cls(
            id=batch.id,
            state=AnchorBatchState(batch.state).value,
            size=batch.size,
            root=bytes(batch.root).hex(),
            ledger_id=batch.ledger_id,
            sealed_at=batch.sealed_at,
            locator=batch.locator,
            account=batch.account,
            anchored_at=batch.anchored_at,
            completed_at=batch.completed_at,
            attempts=batch.attempts,
            last_error=batch.last_error,
        )


@dataclass(frozen=True)
class AnchorStatus:
    """How far anchoring is for one issuer."""

    issuer_id: uuid.UUID
    ledger_id: str
    pending: int
    oldest_pending_issued_at: datetime | None
    batch_due: bool
    batches: dict[str, int]
    problems: int
    last_anchored_at: datetime | None
    recent: list[BatchInfo] = field(default_factory=list)


@dataclass(frozen=True)
class CredentialAnchor:
    """Where one credential is in anchoring: ``pending``, ``batched`` or ``anchored``."""

    credential_id: uuid.UUID
    state: str
    batch: BatchInfo | None
    leaf_index: int | None
    problem: str | None


@dataclass
class AnchoringRun:
    """What one :meth:`AnchoringService.run_anchoring` did."""

    sealed: int = 0
    published: int = 0
    completed: int = 0
    proofs_written: int = 0
    problems: int = 0
    errors: list[str] = field(default_factory=list)
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ReconcileRun:
    """What one :meth:`AnchoringService.reconcile` did: batches checked against the ledger,
    batches whose root had to be recorded again (``reanchored``) and the proofs rewritten."""

    checked: int = 0
    reanchored: int = 0
    proofs_written: int = 0
    problems: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class AnchoringService:
    """Anchors issued credentials on one ledger (embedded by default).

    ``checkpoint`` (optional) is called at the end of a run that published something — for
    the embedded ledger, ``ledger.checkpoint`` signs a checkpoint of the new head.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        ledger: Ledger,
        clock: Clock,
        *,
        policy: BatchPolicy | None = None,
        apply_chunk: int = 500,
        checkpoint: Callable[[], Checkpoint | None] | None = None,
    ) -> None:
        if apply_chunk < 1:
            raise ValueError("apply_chunk must be at least 1")
        self._uow = uow
        self._ledger = ledger
        self._clock = clock
        self._policy = policy or BatchPolicy()
        self._chunk = apply_chunk
        self._checkpoint = checkpoint

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    def _batches(self, tx: UnitOfWork) -> AnchorBatchRepository:
        return AnchorBatchRepository(tx.session, self._uow.clock)

    # ------------------------------------------------------------------ the job

    def run_anchoring(
        self,
        now: datetime | None = None,
        *,
        issuer_id: uuid.UUID | None = None,
        force: bool = False,
    ) -> AnchoringRun:
        """Finish unfinished batches, then seal, publish and apply the batches that are due.

        ``force`` seals whatever is pending regardless of the policy (``anchor run --now``);
        ``issuer_id`` limits the run to one issuer. Never raises for ledger failures: they are
        in :attr:`AnchoringRun.errors` and the affected batches are retried next time.
        """
        moment = now or self._clock.now()
        if moment.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        run = AnchoringRun()
        with self._uow(read_only=True) as tx:
            unfinished = [(b.issuer_id, b.id) for b in self._batches(tx).list_unfinished(issuer_id)]
            issuers: list[uuid.UUID] = (
                [issuer_id] if issuer_id is not None else self._batches(tx).issuers_with_pending()
            )
        for owner, unfinished_id in unfinished:
            self._advance(owner, unfinished_id, run)
        for issuer in issuers:
            while True:
                sealed_id = self._seal_if_due(issuer, moment, force, run)
                if sealed_id is None:
                    break
                if not self._advance(issuer, sealed_id, run):
                    break  # the ledger is failing: keep the rest for the next run
        if run.published and self._checkpoint is not None:
            try:
                run.checkpoint = self._checkpoint()
            except AnchorError as exc:
                run.errors.append(f"ledger checkpoint: {exc.detail}")
        return run

    def _seal_if_due(
        self, issuer_id: uuid.UUID, now: datetime, force: bool, run: AnchoringRun
    ) -> uuid.UUID | None:
        with self._uow() as tx:
            batches = self._batches(tx)
            pending, oldest = batches.count_pending(issuer_id)
            if pending == 0 or not (force or self._policy.is_due(pending, oldest, now)):
                return None
            chosen = batches.list_pending(issuer_id, limit=self._policy.max_size)
            leaves: list[tuple[uuid.UUID, bytes]] = []
            for start in range(0, len(chosen), self._chunk):
                part = chosen[start : start + self._chunk]
                # digests stored at issuing (bulk path) are used as they are; the others are
                # computed from the documents, a chunk at a time (one query, never all in memory)
                missing = [c.id for c in part if c.digest is None]
                documents = batches.documents(issuer_id, missing) if missing else {}
                for c in part:
                    if c.digest is not None:
                        leaves.append((c.id, c.digest))
                    elif c.id in documents:
                        leaves.append((c.id, credential_digest(documents[c.id])))
            if not leaves:
                return None
            tree = batch_tree([digest for _, digest in leaves])
            batch = AnchorBatch(
                issuer_id=issuer_id,
                size=tree.size,
                root=tree.root,
                ledger_id=self._ledger.ledger_id,
                sealed_at=self._clock.now(),
            )
            try:
                batches.add_batch_leaves(batch, leaves)
            except Conflict:
                return None  # another worker sealed these credentials first
            record_audit(
                tx,
                None,
                "anchor.batch_sealed",
                issuer_id=issuer_id,
                target_type="anchor_batch",
                target_id=batch.id,
                details={"size": tree.size, "root": tree.root.hex()},
            )
            tx.commit()
        run.sealed += 1
        return batch.id

    def _advance(self, issuer_id: uuid.UUID, batch_id: uuid.UUID, run: AnchoringRun) -> bool:
        """Publish (if needed) and apply one batch; False when the ledger failed."""
        entry = self._ensure_published(issuer_id, batch_id, run)
        if entry is None:
            return False
        self._apply(issuer_id, batch_id, entry, run)
        return True

    def _ensure_published(
        self, issuer_id: uuid.UUID, batch_id: uuid.UUID, run: AnchoringRun
    ) -> LedgerEntry | None:
        with self._uow(read_only=True) as tx:
            batch = self._batches(tx).get_batch(issuer_id, batch_id)
            issuer_did = tx.issuers.get(issuer_id).did
        root = bytes(batch.root)
        if batch.state is not AnchorBatchState.SEALED:
            # recorded as published before a crash or a node restart: the chain must still
            # have it before any anchor proof is written
            try:
                confirmed, _ = self._confirm(batch, issuer_did)
            except AnchorError as exc:
                self._failed(issuer_id, batch_id, exc, run)
                return None
            return confirmed
        try:
            if batch.ledger_id != self._ledger.ledger_id:
                raise AnchorError(
                    f"this batch was sealed for the ledger {batch.ledger_id}, but the platform "
                    f"now anchors on {self._ledger.ledger_id}; anchor it there or re-seal it"
                )
            entry = self._ledger.lookup(root)
            if entry is None:
                receipt = self._ledger.publish(root, str(batch_id), issuer=issuer_did)
                if not receipt.confirmed:
                    raise AnchorTemporaryError("the ledger has not confirmed the root yet")
                entry = receipt.entry
            if entry.root != root:
                raise AnchorError("the ledger answered with another root")
        except AnchorError as exc:
            self._failed(issuer_id, batch_id, exc, run)
            return None
        with self._uow() as tx:
            repo = self._batches(tx)
            locked = repo.lock_batch(issuer_id, batch_id)
            repo.record_attempt(locked, None)
            repo.mark_published(
                locked,
                ledger_id=entry.ledger_id,
                locator=entry.locator,
                account=entry.account,
                anchored_at=entry.anchored_at,
            )
            record_audit(
                tx,
                None,
                "anchor.batch_published",
                issuer_id=issuer_id,
                target_type="anchor_batch",
                target_id=batch_id,
                details={
                    "root": root.hex(),
                    "ledger": entry.ledger_id,
                    "locator": entry.locator,
                    "anchored_at": format_anchor_time(entry.anchored_at),
                },
            )
            tx.commit()
        run.published += 1
        return entry

    def _failed(
        self, issuer_id: uuid.UUID, batch_id: uuid.UUID, exc: AnchorError, run: AnchoringRun
    ) -> None:
        kind = "temporary" if isinstance(exc, AnchorTemporaryError) else "permanent"
        run.errors.append(f"batch {batch_id} ({kind}): {exc.detail}")
        with self._uow() as tx:
            repo = self._batches(tx)
            repo.record_attempt(repo.lock_batch(issuer_id, batch_id), exc.detail)
            tx.commit()

    def _confirm(self, batch: AnchorBatch, issuer_did: str) -> tuple[LedgerEntry, bool]:
        """The ledger's current entry for a batch recorded as published, and whether it
        differs from the recorded one (then recorded here, every leaf to be written again).

        The root is looked up at the configured confirmation depth; when the ledger no
        longer has it (a chain reset, a reorganisation deeper than that) it is published
        again — :meth:`Ledger.publish` first asks the ledger whether the root is there, so a
        retry never sends a second transaction for it.
        """
        root = bytes(batch.root)
        if batch.ledger_id != self._ledger.ledger_id:
            raise AnchorError(
                f"this batch was anchored on the ledger {batch.ledger_id}, but the platform "
                f"now anchors on {self._ledger.ledger_id}; it cannot be checked here"
            )
        entry = self._ledger.lookup(root)
        if entry is None:
            receipt = self._ledger.publish(root, str(batch.id), issuer=issuer_did)
            if not receipt.confirmed:
                raise AnchorTemporaryError("the ledger has not confirmed the root again yet")
            entry = receipt.entry
        if entry.root != root or entry.ledger_id != batch.ledger_id:
            raise AnchorError("the ledger answered with another root or ledger")
        if (entry.locator, entry.account, entry.anchored_at) == (
            batch.locator,
            batch.account,
            batch.anchored_at,
        ):
            return entry, False
        with self._uow() as tx:
            repo = self._batches(tx)
            locked = repo.lock_batch(batch.issuer_id, batch.id)
            repo.mark_reanchored(
                locked, locator=entry.locator, account=entry.account, anchored_at=entry.anchored_at
            )
            record_audit(
                tx,
                None,
                "anchor.batch_reanchored",
                issuer_id=batch.issuer_id,
                target_type="anchor_batch",
                target_id=batch.id,
                details={
                    "root": root.hex(),
                    "ledger": entry.ledger_id,
                    "previous_locator": batch.locator,
                    "locator": entry.locator,
                    "anchored_at": format_anchor_time(entry.anchored_at),
                },
            )
            tx.commit()
        return entry, True

    # ------------------------------------------------------------------ reconcile

    def reconcile(
        self, *, issuer_id: uuid.UUID | None = None, batch_id: uuid.UUID | None = None
    ) -> ReconcileRun:
        """Re-check anchored batches (published or completed) of this ledger against it.

        A batch whose root the ledger still holds under the recorded entry is left as it is.
        One the ledger lost is anchored again (the same root, once), one it holds under
        another entry gets that entry recorded; either way every credential of the batch has
        its anchor proof rewritten to point at the current entry (the proof for this ledger
        and root is replaced, never a second one). Never raises for ledger failures: they are
        in :attr:`ReconcileRun.errors` and the batch is re-checked next time. ``batch_id``
        (optionally with ``issuer_id``) re-checks one batch (:class:`NotFound` if it is not
        anchored on this ledger).
        """
        result = ReconcileRun()
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            with self._uow(read_only=True) as tx:
                page = [
                    (b.issuer_id, b.id, b.sealed_at)
                    for b in self._batches(tx).list_anchored(
                        self._ledger.ledger_id,
                        issuer_id=issuer_id,
                        batch_id=batch_id,
                        after=after,
                    )
                ]
            if batch_id is not None and not page and after is None:
                raise NotFound(f"no batch {batch_id} is anchored on {self._ledger.ledger_id}")
            if not page:
                return result
            for owner, found_id, _ in page:
                self._reconcile_one(owner, found_id, result)
            after = (page[-1][2], page[-1][1])

    def _reconcile_one(
        self, issuer_id: uuid.UUID, batch_id: uuid.UUID, result: ReconcileRun
    ) -> None:
        with self._uow(read_only=True) as tx:
            batch = self._batches(tx).get_batch(issuer_id, batch_id)
            issuer_did = tx.issuers.get(issuer_id).did
        result.checked += 1
        run = AnchoringRun()
        try:
            entry, changed = self._confirm(batch, issuer_did)
        except AnchorError as exc:
            self._failed(issuer_id, batch_id, exc, run)
            result.errors += run.errors
            return
        if not changed and batch.state is AnchorBatchState.COMPLETED:
            return
        if changed:
            result.reanchored += 1
        self._apply(issuer_id, batch_id, entry, run)
        result.proofs_written += run.proofs_written
        result.problems += run.problems

    def _apply(
        self, issuer_id: uuid.UUID, batch_id: uuid.UUID, entry: LedgerEntry, run: AnchoringRun
    ) -> None:
        with bulk_collection():  # thousands of documents parsed and written again
            with self._uow(read_only=True) as tx:
                tree = batch_tree(self._batches(tx).batch_digests(batch_id))
            while True:
                with self._uow() as tx:
                    repo = self._batches(tx)
                    # leaves that helpers (apply_published, other processes) hold are passed
                    # over; when none is free, wait for theirs (a dead helper's stay unapplied)
                    leaves = repo.unapplied_leaves(batch_id, limit=self._chunk, skip_locked=True)
                    if not leaves:
                        leaves = repo.unapplied_leaves(batch_id, limit=self._chunk, lock=True)
                    if not leaves:
                        repo.mark_completed(repo.lock_batch(issuer_id, batch_id))
                        tx.commit()
                        break
                    written, problems = self._apply_leaves(
                        repo, issuer_id, batch_id, leaves, tree, entry
                    )
                    tx.commit()
                run.proofs_written += written
                run.problems += problems
            run.completed += 1

    def _apply_leaves(
        self,
        repo: AnchorBatchRepository,
        issuer_id: uuid.UUID,
        batch_id: uuid.UUID,
        leaves: list[tuple[uuid.UUID, int]],
        tree: MerkleTree,
        entry: LedgerEntry,
    ) -> tuple[int, int]:
        """Write the anchor proofs of claimed ``leaves`` in the caller's transaction: one
        locking read of the documents, each leaf recomputed from its stored document and
        checked against the tree (a mismatch is the leaf's problem, never a proof), one
        write per table. Returns (proofs written, problems)."""
        documents = repo.documents(issuer_id, [cid for cid, _ in leaves], for_update=True)
        anchored: list[tuple[uuid.UUID, dict[str, Any]]] = []
        problems: list[tuple[uuid.UUID, str]] = []
        for credential_id, leaf_index in leaves:
            document = documents.get(credential_id)
            try:
                if document is None:
                    raise InvalidInput("the credential is no longer stored")
                anchored.append(
                    (credential_id, anchor_credential(document, tree, leaf_index, entry))
                )
            except InvalidInput as exc:
                problems.append((credential_id, exc.detail))
        repo.write_anchored(issuer_id, batch_id, anchored, problems)
        return len(anchored), len(problems)

    def apply_published(
        self, issuer_id: uuid.UUID | None = None, *, max_chunks: int | None = None
    ) -> AnchoringRun:
        """Help write the anchor proofs of batches already published (another process holds
        the run and publishes): claim a chunk of unapplied leaves at a time with ``FOR UPDATE
        SKIP LOCKED`` and apply it, until no published batch has a free leaf left (or
        ``max_chunks`` chunks were done).

        Safe beside the run and beside any number of other helpers, on any machine: a leaf
        is applied in exactly one transaction (the row lock), a helper that dies leaves its
        chunk unapplied (rolled back) for the others, and the run completes a batch only
        once every leaf is applied. The ledger entry is the one recorded on the batch, read
        under a share lock in the same transaction (a reconcile that records another entry
        waits, then marks the leaves to be applied again). Never publishes, never marks a
        batch completed. PostgreSQL: meant for several processes; SQLite has one writer at
        a time (it works, applying what the run has not).
        """
        run = AnchoringRun()
        trees: dict[uuid.UUID, MerkleTree] = {}
        chunks = 0
        with self._uow(read_only=True) as tx:
            batches = [
                (b.issuer_id, b.id) for b in self._batches(tx).published_with_work(issuer_id)
            ]
        for owner, batch_id in batches:
            while max_chunks is None or chunks < max_chunks:
                with self._uow() as tx:
                    repo = self._batches(tx)
                    batch = repo.share_batch(owner, batch_id)
                    if batch is None or batch.state is not AnchorBatchState.PUBLISHED:
                        break
                    leaves = repo.unapplied_leaves(batch_id, limit=self._chunk, skip_locked=True)
                    if not leaves:
                        break
                    tree = trees.get(batch_id)
                    if tree is None:
                        tree = trees[batch_id] = batch_tree(repo.batch_digests(batch_id))
                    entry = _recorded_entry(batch)
                    written, problems = self._apply_leaves(
                        repo, owner, batch_id, leaves, tree, entry
                    )
                    tx.commit()
                chunks += 1
                run.proofs_written += written
                run.problems += problems
        return run

    # ------------------------------------------------------------------ staff views

    def anchor_status(
        self, principal: Principal, issuer_id: uuid.UUID, *, recent: int = 10
    ) -> AnchorStatus:
        """Pending credentials, batches by state, the last anchor and recent batches."""
        require(principal, issuer_id, Permission.CREDENTIAL_READ)
        return self.issuer_status(issuer_id, recent=recent)

    def issuer_status(self, issuer_id: uuid.UUID, *, recent: int = 10) -> AnchorStatus:
        """:meth:`anchor_status` without an access check: for callers that did their own
        (``AnchoringRunner.overview``: platform operators). Never expose it to a shell."""
        now = self._clock.now()
        with self._uow(read_only=True) as tx:
            tx.issuers.get(issuer_id)  # NotFound for an unknown issuer
            repo = self._batches(tx)
            pending, oldest = repo.count_pending(issuer_id)
            counts = repo.count_batches(issuer_id)
            last = repo.last_completed(issuer_id)
            batches = [BatchInfo.of(b) for b in repo.list_batches(issuer_id, limit=recent)]
            problems = repo.count_problems(issuer_id)
        return AnchorStatus(
            issuer_id=issuer_id,
            ledger_id=self._ledger.ledger_id,
            pending=pending,
            oldest_pending_issued_at=oldest,
            batch_due=self._policy.is_due(pending, oldest, now),
            batches={state.value: count for state, count in counts.items()},
            problems=problems,
            last_anchored_at=None if last is None else last.anchored_at,
            recent=batches,
        )

    def credential_anchor(
        self, principal: Principal, issuer_id: uuid.UUID, credential_id: uuid.UUID
    ) -> CredentialAnchor:
        """Whether one credential is pending, batched (not yet on the ledger) or anchored."""
        require(principal, issuer_id, Permission.CREDENTIAL_READ)
        with self._uow(read_only=True) as tx:
            tx.credentials.get(issuer_id, credential_id)  # NotFound for other tenants
            repo = self._batches(tx)
            item = repo.find_item(issuer_id, credential_id)
            batch = None if item is None else repo.get_batch(issuer_id, item.batch_id)
        if item is None or batch is None:
            return CredentialAnchor(credential_id, "pending", None, None, None)
        state = "anchored" if item.applied_at is not None else "batched"
        return CredentialAnchor(
            credential_id, state, BatchInfo.of(batch), item.leaf_index, item.problem
        )


def _recorded_entry(batch: AnchorBatch) -> LedgerEntry:
    """The ledger entry recorded on a published batch (what :meth:`mark_published` stored)."""
    if batch.locator is None or batch.account is None or batch.anchored_at is None:
        raise InvalidInput("the batch has no recorded ledger entry")
    return LedgerEntry(
        ledger_id=batch.ledger_id,
        root=bytes(batch.root),
        locator=batch.locator,
        account=batch.account,
        anchored_at=batch.anchored_at,
    )


def build_embedded_ledger(
    uow: UnitOfWorkFactory,
    key_store: FileKeyStore,
    clock: Clock,
    *,
    key_id: str = LEDGER_KEY_ID,
    checkpoint_every: int = 1,
) -> EmbeddedLedger:
    """The embedded ledger over the platform database, signing with the platform ledger key
    (created in the key store on first use)."""
    if not key_store.exists(key_id):
        with suppress(Conflict):  # another process may create it at the same time
            key_store.create(key_id)
    public = key_store.public_key(key_id)
    method = did_key_verification_method(public)

    def signer() -> AbstractContextManager[Signer]:
        return key_store.signer_for(key_id, method)

    return EmbeddedLedger(
        DatabaseLedgerStorage(uow, ledger_id=did_key_from_public(public)),
        clock,
        public_key=public,
        signer=signer,
        checkpoint_every=checkpoint_every,
    )
