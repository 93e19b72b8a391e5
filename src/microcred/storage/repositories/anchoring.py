"""Anchoring batches: which credentials wait for an anchor, which batch each one is in.

A credential is *pending* while no ``anchor_batch_items`` row names it. Sealing a batch writes
the batch (with its Merkle root) and one item per credential in one transaction, so a batch and
its leaves appear together or not at all, and the item's primary key (the credential id) makes
a credential part of two batches impossible even with concurrent workers.
Every read of issuer data takes the issuer id first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, exists, func, insert, select, update

from microcred.errors import NotFound
from microcred.storage import json_codec
from microcred.storage.ledger_tables import AnchorBatch, AnchorBatchItem, AnchorBatchState
from microcred.storage.repositories._base import Repository
from microcred.storage.tables import Credential
from microcred.storage.translate import translated_errors

__all__ = ["AnchorBatchRepository", "PendingCredential"]

_S = AnchorBatchState
_CREDENTIALS: Table = Credential.__table__  # type: ignore[assignment]
_ITEMS: Table = AnchorBatchItem.__table__  # type: ignore[assignment]


# PostgreSQL: a chunk of anchored documents and their leaves in one statement each, the values
# as arrays sent in binary (no quoting of every '"' of every document, as the text format does)
_PG_WRITE_DOCUMENTS = (
    "UPDATE credentials AS c SET document = CAST(v.document AS json)"
    " FROM unnest(%b::uuid[], %b::text[]) AS v(id, document)"
    " WHERE c.id = v.id AND c.issuer_id = %b"
)
_PG_INSERT_LEAVES = (
    "INSERT INTO anchor_batch_items (credential_id, issuer_id, batch_id, leaf_index, digest)"
    " SELECT v.credential_id, %b, %b, v.position - 1, v.digest"
    " FROM unnest(%b::uuid[], %b::bytea[]) WITH ORDINALITY AS v(credential_id, digest, position)"
)
_PG_MARK_APPLIED = (
    "UPDATE anchor_batch_items SET applied_at = %b WHERE batch_id = %b AND credential_id = ANY(%b)"
)


@dataclass(frozen=True)
class PendingCredential:
    """A credential not yet in any batch."""

    id: uuid.UUID
    issued_at: datetime
    #: the leaf digest stored at issuing time, None when it must be computed from the document
    digest: bytes | None = None


def _pending_query(issuer_id: uuid.UUID) -> Select[uuid.UUID, datetime, bytes | None]:
    return (
        select(Credential.id, Credential.issued_at, Credential.anchor_digest)
        .outerjoin(AnchorBatchItem, AnchorBatchItem.credential_id == Credential.id)
        .where(Credential.issuer_id == issuer_id, AnchorBatchItem.credential_id.is_(None))
    )


def _digest(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


class AnchorBatchRepository(Repository):
    # ------------------------------------------------------------------ pending credentials

    def list_pending(self, issuer_id: uuid.UUID, *, limit: int) -> list[PendingCredential]:
        """Pending credentials of the issuer, oldest first."""
        rows = self._session.execute(
            _pending_query(issuer_id)
            .order_by(Credential.issued_at, Credential.id)
            .limit(max(1, limit))
        )
        return [
            PendingCredential(row.id, row.issued_at, _digest(row.anchor_digest)) for row in rows
        ]

    def count_pending(self, issuer_id: uuid.UUID) -> tuple[int, datetime | None]:
        """How many credentials of the issuer wait, and when the oldest was issued."""
        query = (
            select(func.count(), func.min(Credential.issued_at))
            .select_from(Credential)
            .outerjoin(AnchorBatchItem, AnchorBatchItem.credential_id == Credential.id)
            .where(Credential.issuer_id == issuer_id, AnchorBatchItem.credential_id.is_(None))
        )
        count, oldest = self._session.execute(query).one()
        if isinstance(oldest, datetime) and oldest.tzinfo is None:
            # min() bypasses the column type on SQLite; values are stored in UTC
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), oldest

    def issuers_with_pending(self) -> list[uuid.UUID]:
        """Issuers that have at least one pending credential."""
        query = (
            select(Credential.issuer_id)
            .outerjoin(AnchorBatchItem, AnchorBatchItem.credential_id == Credential.id)
            .where(AnchorBatchItem.credential_id.is_(None))
            .distinct()
        )
        return sorted(self._session.scalars(query), key=str)

    # ------------------------------------------------------------------ batches

    def add_batch(self, batch: AnchorBatch, items: Sequence[AnchorBatchItem]) -> AnchorBatch:
        """Store a sealed batch and its items together.

        :class:`Conflict` when one of the credentials is already in a batch (another worker
        sealed it first); nothing of this batch is then written.
        """
        if batch.size != len(items) or not items:
            raise ValueError("a batch needs as many items as its size, at least one")
        with translated_errors("anchoring batch"), self._session.begin_nested():
            self._session.add(batch)
            self._session.flush()  # the batch row first: the items refer to it
            self._session.add_all(items)
        return batch

    def add_batch_leaves(
        self, batch: AnchorBatch, leaves: Sequence[tuple[uuid.UUID, bytes]]
    ) -> AnchorBatch:
        """:meth:`add_batch` for ``(credential id, digest)`` leaves in leaf order, the items
        written with one statement (PostgreSQL: two binary arrays; SQLite: ``executemany``)
        — a batch may hold many thousand leaves."""
        if batch.size != len(leaves) or not leaves:
            raise ValueError("a batch needs as many leaves as its size, at least one")
        with translated_errors("anchoring batch"), self._session.begin_nested():
            self._session.add(batch)
            self._session.flush()  # the batch row first: the items refer to it
            connection = self._session.connection()
            if connection.dialect.name == "postgresql":
                ids = [credential_id for credential_id, _ in leaves]
                digests = [digest for _, digest in leaves]
                connection.exec_driver_sql(
                    _PG_INSERT_LEAVES, (batch.issuer_id, batch.id, ids, digests)
                )
            else:
                rows = [
                    {
                        "credential_id": credential_id,
                        "issuer_id": batch.issuer_id,
                        "batch_id": batch.id,
                        "leaf_index": index,
                        "digest": digest,
                        "applied_at": None,
                        "problem": None,
                    }
                    for index, (credential_id, digest) in enumerate(leaves)
                ]
                self._session.execute(insert(_ITEMS), rows)
        return batch

    def documents(
        self, issuer_id: uuid.UUID, credential_ids: Sequence[uuid.UUID], *, for_update: bool = False
    ) -> dict[uuid.UUID, dict[str, Any]]:
        """The stored documents of the issuer's credentials ``credential_ids`` (one query;
        ``for_update``: locked for this transaction on PostgreSQL). Missing ids are left out."""
        if not credential_ids:
            return {}
        query = select(_CREDENTIALS.c.id, _CREDENTIALS.c.document).where(
            _CREDENTIALS.c.issuer_id == issuer_id, _CREDENTIALS.c.id.in_(list(credential_ids))
        )
        if for_update:
            query = query.with_for_update()
        return {row.id: row.document for row in self._session.execute(query)}

    def get_batch(self, issuer_id: uuid.UUID, batch_id: uuid.UUID) -> AnchorBatch:
        batch = self._session.get(AnchorBatch, batch_id)
        if batch is None or batch.issuer_id != issuer_id:
            raise NotFound("no such anchoring batch")
        return batch

    def list_unfinished(self, issuer_id: uuid.UUID | None = None) -> list[AnchorBatch]:
        """Batches not completed yet (sealed or published), oldest first."""
        query = select(AnchorBatch).where(AnchorBatch.state != _S.COMPLETED)
        if issuer_id is not None:
            query = query.where(AnchorBatch.issuer_id == issuer_id)
        return list(self._session.scalars(query.order_by(AnchorBatch.sealed_at, AnchorBatch.id)))

    def list_batches(
        self, issuer_id: uuid.UUID, *, limit: int = 20, offset: int = 0
    ) -> list[AnchorBatch]:
        """The issuer's batches, newest first."""
        query = (
            select(AnchorBatch)
            .where(AnchorBatch.issuer_id == issuer_id)
            .order_by(AnchorBatch.sealed_at.desc(), AnchorBatch.id)
            .limit(min(max(limit, 1), 1000))
            .offset(max(offset, 0))
        )
        return list(self._session.scalars(query))

    def count_batches(self, issuer_id: uuid.UUID) -> dict[AnchorBatchState, int]:
        query = (
            select(AnchorBatch.state, func.count())
            .where(AnchorBatch.issuer_id == issuer_id)
            .group_by(AnchorBatch.state)
        )
        counts = {state: 0 for state in AnchorBatchState}
        for state, count in self._session.execute(query):
            counts[AnchorBatchState(state)] = int(count)
        return counts

    def last_completed(self, issuer_id: uuid.UUID) -> AnchorBatch | None:
        query = (
            select(AnchorBatch)
            .where(AnchorBatch.issuer_id == issuer_id, AnchorBatch.state == _S.COMPLETED)
            .order_by(AnchorBatch.completed_at.desc(), AnchorBatch.id)
            .limit(1)
        )
        return self._session.scalars(query).first()

    def lock_batch(self, issuer_id: uuid.UUID, batch_id: uuid.UUID) -> AnchorBatch:
        """The batch, locked for this transaction (PostgreSQL ``FOR UPDATE``)."""
        query = (
            select(AnchorBatch)
            .where(AnchorBatch.id == batch_id, AnchorBatch.issuer_id == issuer_id)
            .with_for_update()
        )
        batch = self._session.scalars(query).first()
        if batch is None:
            raise NotFound("no such anchoring batch")
        return batch

    def mark_published(
        self,
        batch: AnchorBatch,
        *,
        ledger_id: str,
        locator: str,
        account: str,
        anchored_at: datetime,
    ) -> AnchorBatch:
        if batch.state is not _S.SEALED:
            return batch  # already recorded (idempotent)
        batch.state = _S.PUBLISHED
        batch.ledger_id = ledger_id
        batch.locator = locator
        batch.account = account
        batch.anchored_at = anchored_at
        batch.published_at = self._now()
        batch.last_error = None
        self._flush("anchoring batch")
        return batch

    def list_anchored(
        self,
        ledger_id: str,
        *,
        issuer_id: uuid.UUID | None = None,
        batch_id: uuid.UUID | None = None,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 200,
    ) -> list[AnchorBatch]:
        """Batches recorded on ``ledger_id`` (published or completed), oldest first, a page
        of ``limit`` after the ``(sealed_at, id)`` key ``after`` (what reconciling re-checks)."""
        query = select(AnchorBatch).where(
            AnchorBatch.state != _S.SEALED, AnchorBatch.ledger_id == ledger_id
        )
        if issuer_id is not None:
            query = query.where(AnchorBatch.issuer_id == issuer_id)
        if batch_id is not None:
            query = query.where(AnchorBatch.id == batch_id)
        if after is not None:
            sealed_at, last_id = after
            query = query.where(
                (AnchorBatch.sealed_at > sealed_at)
                | ((AnchorBatch.sealed_at == sealed_at) & (AnchorBatch.id > last_id))
            )
        query = query.order_by(AnchorBatch.sealed_at, AnchorBatch.id).limit(max(1, limit))
        return list(self._session.scalars(query))

    def mark_reanchored(
        self,
        batch: AnchorBatch,
        *,
        locator: str,
        account: str,
        anchored_at: datetime,
    ) -> AnchorBatch:
        """The ledger now holds the batch root under another entry (a new transaction after a
        chain reset or a reorganisation): record it, put the batch back to *published* and
        mark every leaf (except those with a problem) as needing its anchor proof again."""
        batch.state = _S.PUBLISHED
        batch.locator = locator
        batch.account = account
        batch.anchored_at = anchored_at
        batch.published_at = self._now()
        batch.completed_at = None
        batch.last_error = None
        self._flush("anchoring batch")
        with translated_errors("anchoring batch item"):
            self._session.execute(
                update(_ITEMS)
                .where(_ITEMS.c.batch_id == batch.id, _ITEMS.c.problem.is_(None))
                .values(applied_at=None)
            )
        return batch

    def record_attempt(self, batch: AnchorBatch, error: str | None) -> AnchorBatch:
        batch.attempts += 1
        batch.last_error = None if error is None else error[:1000]
        self._flush("anchoring batch")
        return batch

    def mark_completed(self, batch: AnchorBatch) -> AnchorBatch:
        if batch.state is _S.PUBLISHED:
            batch.state = _S.COMPLETED
            batch.completed_at = self._now()
            self._flush("anchoring batch")
        return batch

    # ------------------------------------------------------------------ items

    def batch_digests(self, batch_id: uuid.UUID) -> list[bytes]:
        """The digests of the batch's leaves, in leaf order."""
        query = (
            select(AnchorBatchItem.digest)
            .where(AnchorBatchItem.batch_id == batch_id)
            .order_by(AnchorBatchItem.leaf_index)
        )
        return [bytes(d) for d in self._session.scalars(query)]

    def list_unapplied(self, batch_id: uuid.UUID, *, limit: int) -> list[AnchorBatchItem]:
        """Items whose credential does not carry its anchor proof yet (and had no problem)."""
        query = (
            select(AnchorBatchItem)
            .where(
                AnchorBatchItem.batch_id == batch_id,
                AnchorBatchItem.applied_at.is_(None),
                AnchorBatchItem.problem.is_(None),
            )
            .order_by(AnchorBatchItem.leaf_index)
            .limit(max(1, limit))
        )
        return list(self._session.scalars(query))

    def unapplied_leaves(
        self,
        batch_id: uuid.UUID,
        *,
        limit: int,
        lock: bool = False,
        skip_locked: bool = False,
    ) -> list[tuple[uuid.UUID, int]]:
        """:meth:`list_unapplied` as ``(credential id, leaf index)`` pairs (no ORM objects).

        ``lock`` claims them for this transaction on PostgreSQL (``FOR UPDATE``: waits for a
        transaction that holds them, then leaves out those it applied); ``skip_locked``
        passes over the leaves another transaction holds (``FOR UPDATE SKIP LOCKED``), so
        several processes apply one batch without sharing a leaf. SQLite has one writer at a
        time: there the write transaction is the lock and both are ignored.
        """
        query = (
            select(_ITEMS.c.credential_id, _ITEMS.c.leaf_index)
            .where(
                _ITEMS.c.batch_id == batch_id,
                _ITEMS.c.applied_at.is_(None),
                _ITEMS.c.problem.is_(None),
            )
            .order_by(_ITEMS.c.leaf_index)
            .limit(max(1, limit))
        )
        if lock or skip_locked:
            query = query.with_for_update(skip_locked=skip_locked)
        return [(row.credential_id, row.leaf_index) for row in self._session.execute(query)]

    def published_with_work(self, issuer_id: uuid.UUID | None = None) -> list[AnchorBatch]:
        """Batches recorded as published whose leaves are not all applied (or marked with a
        problem) yet, oldest first: what helpers may apply proofs for."""
        waiting = exists().where(
            _ITEMS.c.batch_id == AnchorBatch.id,
            _ITEMS.c.applied_at.is_(None),
            _ITEMS.c.problem.is_(None),
        )
        query = select(AnchorBatch).where(AnchorBatch.state == _S.PUBLISHED, waiting)
        if issuer_id is not None:
            query = query.where(AnchorBatch.issuer_id == issuer_id)
        return list(self._session.scalars(query.order_by(AnchorBatch.sealed_at, AnchorBatch.id)))

    def share_batch(self, issuer_id: uuid.UUID, batch_id: uuid.UUID) -> AnchorBatch | None:
        """The batch as it is now, share-locked for this transaction (PostgreSQL ``FOR
        SHARE``): its recorded ledger entry cannot change (``mark_reanchored`` locks it for
        update) until this transaction ends. ``None`` when it does not exist."""
        query = (
            select(AnchorBatch)
            .where(AnchorBatch.id == batch_id, AnchorBatch.issuer_id == issuer_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
        return self._session.scalars(query).first()

    def write_anchored(
        self,
        issuer_id: uuid.UUID,
        batch_id: uuid.UUID,
        anchored: Sequence[tuple[uuid.UUID, dict[str, Any]]],
        problems: Sequence[tuple[uuid.UUID, str]] = (),
    ) -> None:
        """Store each ``(credential id, document with its anchor proof)`` and mark its leaf
        applied; mark each ``(credential id, problem)`` leaf with its problem. ``executemany``
        for each of the three, in the caller's transaction."""
        connection = self._session.connection()
        now = self._now()
        postgresql = connection.dialect.name == "postgresql"
        with translated_errors("anchoring batch item"):
            if anchored and postgresql:
                # one statement per table for the whole chunk (psycopg's own placeholders, in
                # the session's transaction); the documents written as every JSON column is
                ids = [credential_id for credential_id, _ in anchored]
                documents = [json_codec.dumps(document) for _, document in anchored]
                connection.exec_driver_sql(_PG_WRITE_DOCUMENTS, (ids, documents, issuer_id))
                connection.exec_driver_sql(_PG_MARK_APPLIED, (now, batch_id, ids))
            elif anchored:
                connection.execute(
                    update(_CREDENTIALS)
                    .where(
                        _CREDENTIALS.c.id == bindparam("credential"),
                        _CREDENTIALS.c.issuer_id == issuer_id,
                    )
                    .values(document=bindparam("anchored_document")),
                    [
                        {"credential": credential_id, "anchored_document": document}
                        for credential_id, document in anchored
                    ],
                )
                connection.execute(
                    update(_ITEMS)
                    .where(
                        _ITEMS.c.credential_id == bindparam("credential"),
                        _ITEMS.c.batch_id == batch_id,
                    )
                    .values(applied_at=now),
                    [{"credential": credential_id} for credential_id, _ in anchored],
                )
            if problems:
                connection.execute(
                    update(_ITEMS)
                    .where(
                        _ITEMS.c.credential_id == bindparam("credential"),
                        _ITEMS.c.batch_id == batch_id,
                    )
                    .values(problem=bindparam("leaf_problem")),
                    [
                        {"credential": credential_id, "leaf_problem": problem[:1000]}
                        for credential_id, problem in problems
                    ],
                )

    def mark_applied(self, item: AnchorBatchItem) -> None:
        item.applied_at = self._now()
        self._flush("anchoring batch item")

    def mark_problem(self, item: AnchorBatchItem, problem: str) -> None:
        item.problem = problem[:1000]
        self._flush("anchoring batch item")

    def count_problems(self, issuer_id: uuid.UUID) -> int:
        query = (
            select(func.count())
            .select_from(AnchorBatchItem)
            .where(AnchorBatchItem.issuer_id == issuer_id, AnchorBatchItem.problem.is_not(None))
        )
        return int(self._session.execute(query).scalar_one())

    def find_item(self, issuer_id: uuid.UUID, credential_id: uuid.UUID) -> AnchorBatchItem | None:
        item = self._session.get(AnchorBatchItem, credential_id)
        if item is None or item.issuer_id != issuer_id:
            return None
        return item
