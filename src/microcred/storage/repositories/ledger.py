"""The embedded ledger's storage: entries and checkpoints in the platform database.

:class:`LedgerRepository` implements the reads and writes of
:class:`microcred.anchoring.backends.embedded.LedgerTransaction` over SQLAlchemy;
:class:`DatabaseLedgerStorage` opens one unit of work per ledger transaction (the
:class:`~microcred.anchoring.backends.embedded.LedgerStorage` protocol) so the core ledger never
sees a session. The ledger is public data, so nothing here is tenant-scoped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.anchoring.backends.embedded import Checkpoint, EntryRecord
from microcred.clock import Clock
from microcred.storage.ledger_tables import LedgerCheckpointRow, LedgerEntryRow
from microcred.storage.repositories._base import Repository
from microcred.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = ["DatabaseLedgerStorage", "LedgerRepository"]

_STREAM = 1000


def _record(row: LedgerEntryRow) -> EntryRecord:
    return EntryRecord(
        index=row.position,
        root=bytes(row.root),
        batch_id=row.batch_id,
        account=row.account,
        recorded_at=row.recorded_at,
        prev_hash=bytes(row.prev_hash),
        entry_hash=bytes(row.entry_hash),
    )


class LedgerRepository(Repository):
    """Entries and checkpoints of the one embedded ledger of this database."""

    def __init__(self, session: Session, clock: Clock, *, ledger_id: str = "") -> None:
        super().__init__(session, clock)
        self._ledger_id = ledger_id

    # ------------------------------------------------------------------ entries

    def last_entry(self) -> EntryRecord | None:
        row = self._session.scalars(
            select(LedgerEntryRow).order_by(LedgerEntryRow.position.desc()).limit(1)
        ).first()
        return None if row is None else _record(row)

    def entry_at(self, index: int) -> EntryRecord | None:
        row = self._session.get(LedgerEntryRow, index)
        return None if row is None else _record(row)

    def entry_for_root(self, root: bytes) -> EntryRecord | None:
        row = self._session.scalars(
            select(LedgerEntryRow).where(LedgerEntryRow.root == root)
        ).first()
        return None if row is None else _record(row)

    def iter_entries(self, start: int = 0, end: int | None = None) -> Iterator[EntryRecord]:
        position = start
        while end is None or position < end:
            query = select(LedgerEntryRow).where(LedgerEntryRow.position >= position)
            if end is not None:
                query = query.where(LedgerEntryRow.position < end)
            rows = list(
                self._session.scalars(query.order_by(LedgerEntryRow.position).limit(_STREAM))
            )
            for row in rows:
                yield _record(row)
            if len(rows) < _STREAM:
                return
            position = rows[-1].position + 1

    def append_entry(self, record: EntryRecord) -> None:
        """Insert an entry; a taken index or a repeated root is a ``Conflict``."""
        self._insert(
            LedgerEntryRow(
                position=record.index,
                root=record.root,
                batch_id=record.batch_id,
                account=record.account,
                recorded_at=record.recorded_at,
                prev_hash=record.prev_hash,
                entry_hash=record.entry_hash,
            ),
            "ledger entry",
        )

    # ------------------------------------------------------------------ checkpoints

    def _checkpoint(self, row: LedgerCheckpointRow) -> Checkpoint:
        return Checkpoint(
            ledger_id=self._ledger_id,
            size=row.size,
            head=bytes(row.head_hash),
            tree_root=bytes(row.tree_root),
            created_at=row.created_at,
            verification_method=row.verification_method,
            signature=bytes(row.signature),
        )

    def last_checkpoint(self) -> Checkpoint | None:
        row = self._session.scalars(
            select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.size.desc()).limit(1)
        ).first()
        return None if row is None else self._checkpoint(row)

    def checkpoint_of_size(self, size: int) -> Checkpoint | None:
        row = self._session.get(LedgerCheckpointRow, size)
        return None if row is None else self._checkpoint(row)

    def list_checkpoints(self, *, limit: int, before_size: int | None = None) -> list[Checkpoint]:
        query = select(LedgerCheckpointRow)
        if before_size is not None:
            query = query.where(LedgerCheckpointRow.size < before_size)
        rows = self._session.scalars(
            query.order_by(LedgerCheckpointRow.size.desc()).limit(min(limit, 1000))
        )
        return [self._checkpoint(row) for row in rows]

    def iter_checkpoints(self) -> Iterator[Checkpoint]:
        rows = self._session.scalars(select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.size))
        for row in rows:
            yield self._checkpoint(row)

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._insert(
            LedgerCheckpointRow(
                size=checkpoint.size,
                head_hash=checkpoint.head,
                tree_root=checkpoint.tree_root,
                created_at=checkpoint.created_at,
                verification_method=checkpoint.verification_method,
                signature=checkpoint.signature,
            ),
            "ledger checkpoint",
        )


class _LedgerTransaction(LedgerRepository):
    def __init__(self, tx: UnitOfWork, clock: Clock, ledger_id: str) -> None:
        super().__init__(tx.session, clock, ledger_id=ledger_id)
        self._tx = tx

    def commit(self) -> None:
        self._tx.commit()


class DatabaseLedgerStorage:
    """:class:`~microcred.anchoring.backends.embedded.LedgerStorage` over units of work.

    ``ledger_id`` is stamped on the checkpoints read back (one ledger per database).
    """

    def __init__(self, uow: UnitOfWorkFactory, *, ledger_id: str) -> None:
        self._uow = uow
        self._ledger_id = ledger_id

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[_LedgerTransaction]:
        with self._uow(read_only=read_only) as tx:
            yield _LedgerTransaction(tx, self._uow.clock, self._ledger_id)
