"""The learner wallet's rows: public share links and wallet sessions (``wallet_tables.py``).

Services build it per unit of work: ``WalletRepository(tx.session, clock)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select

from microcred.errors import Conflict
from microcred.storage.repositories._base import Repository
from microcred.storage.wallet_tables import CredentialShare, WalletSession

__all__ = ["WalletRepository"]


class WalletRepository(Repository):
    # ------------------------------------------------------------------ share links

    def share_of(
        self, credential_id: uuid.UUID, *, for_update: bool = False
    ) -> CredentialShare | None:
        """The share row of a credential (shared or not), if it ever got one."""
        query = select(CredentialShare).where(CredentialShare.credential_id == credential_id)
        if for_update:
            query = query.with_for_update()
        return self._session.scalar(query)

    def shares_of(self, credential_ids: list[uuid.UUID]) -> dict[uuid.UUID, CredentialShare]:
        if not credential_ids:
            return {}
        rows = self._session.scalars(
            select(CredentialShare).where(CredentialShare.credential_id.in_(credential_ids))
        )
        return {row.credential_id: row for row in rows}

    def find_by_share_id(self, share_id: str) -> CredentialShare | None:
        """The share with this public id (shared or not; the caller checks ``shared_at``).

        Not tenant-scoped on purpose: the unguessable id in the public URL is the authority.
        """
        return self._session.scalar(
            select(CredentialShare).where(CredentialShare.share_id == share_id)
        )

    def ensure_share(
        self,
        issuer_id: uuid.UUID,
        credential_id: uuid.UUID,
        new_share_id: Callable[[], str],
    ) -> CredentialShare:
        """The credential's share row, created (not shared) with a new id when missing.

        Two racing creations: the loser's insert fails on the primary key (inside a savepoint)
        and the winner's row is returned.
        """
        existing = self.share_of(credential_id, for_update=True)
        if existing is not None:
            return existing
        row = CredentialShare(
            credential_id=credential_id, issuer_id=issuer_id, share_id=new_share_id()
        )
        row.created_at = self._now()
        try:
            return self._insert(row, "credential share")
        except Conflict:
            raced = self.share_of(credential_id)
            if raced is None:
                raise
            return raced

    def set_shared(self, share: CredentialShare, shared: bool) -> CredentialShare:
        """Turn the public page on (``shared_at`` = now, unless already on) or off (NULL)."""
        now = self._now()
        if shared and share.shared_at is None:
            share.shared_at = now
            share.updated_at = now
        elif not shared and share.shared_at is not None:
            share.shared_at = None
            share.updated_at = now
        self._flush("credential share")
        return share

    # ------------------------------------------------------------------ wallet sessions

    def add_session(self, session: WalletSession) -> WalletSession:
        session.created_at = self._now()
        return self._insert(session, "wallet session")

    def active_session(self, id_hash: str) -> WalletSession | None:
        """The session with this hash while it has not expired."""
        return self._session.scalar(
            select(WalletSession).where(
                WalletSession.id_hash == id_hash, WalletSession.expires_at > self._now()
            )
        )

    def end_session(self, id_hash: str) -> bool:
        result = self._session.execute(
            delete(WalletSession).where(WalletSession.id_hash == id_hash)
        )
        return bool(getattr(result, "rowcount", 0))

    def purge_expired_sessions(self, before: datetime | None = None) -> int:
        """Delete sessions that expired before ``before`` (default: now); how many."""
        cutoff = before or self._now()
        result = self._session.execute(
            delete(WalletSession).where(WalletSession.expires_at <= cutoff)
        )
        return int(getattr(result, "rowcount", 0) or 0)
