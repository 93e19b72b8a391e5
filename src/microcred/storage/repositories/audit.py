"""The append-only audit log: who did what, to which target, when and from where."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from microcred.storage.repositories._base import Repository, page
from microcred.storage.tables import AuditEntry

__all__ = ["AuditRepository"]


class AuditRepository(Repository):
    def record(self, entry: AuditEntry) -> AuditEntry:
        """Append an entry, stamped with the current time. Entries are never changed."""
        entry.at = self._now()
        return self._insert(entry, "audit entry")

    def list_for_issuer(
        self,
        issuer_id: uuid.UUID,
        *,
        limit: int = 100,
        before_id: int | None = None,
        action: str | None = None,
        target_id: str | None = None,
    ) -> list[AuditEntry]:
        """The issuer's entries, newest first; page with ``before_id`` (the last id seen).

        ``target_id`` keeps the entries about one target (e.g. a credential's id), read through
        the ``(issuer_id, target_id)`` index however many other entries the issuer has.
        """
        limit, _ = page(limit)
        query = select(AuditEntry).where(AuditEntry.issuer_id == issuer_id)
        if target_id is not None:
            query = query.where(AuditEntry.target_id == target_id)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(self._session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))

    def list_all(self, *, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
        """Every entry (all issuers and platform actions), newest first: operator only."""
        limit, _ = page(limit)
        query = select(AuditEntry)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        return list(self._session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
