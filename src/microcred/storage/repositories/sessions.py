"""Web sessions of staff users, looked up by the hash of the cookie's random id."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select

from microcred.storage.repositories._base import Repository
from microcred.storage.tables import StaffSession

__all__ = ["SessionRepository"]


class SessionRepository(Repository):
    def add(self, staff_session: StaffSession) -> StaffSession:
        staff_session.created_at = self._now()
        return self._insert(staff_session, "session")

    def find_valid(self, id_hash: str) -> StaffSession | None:
        """The session with this hash if it has not expired."""
        return self._session.scalar(
            select(StaffSession).where(
                StaffSession.id_hash == id_hash, StaffSession.expires_at > self._now()
            )
        )

    def extend(self, id_hash: str, expires_at: datetime) -> StaffSession | None:
        staff_session = self.find_valid(id_hash)
        if staff_session is not None:
            staff_session.expires_at = expires_at
            self._flush("session")
        return staff_session

    def delete(self, id_hash: str) -> bool:
        """End one session (log out). True if it existed."""
        result = self._session.execute(
            delete(StaffSession)
            .where(StaffSession.id_hash == id_hash)
            .execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def delete_for_user(self, user_id: uuid.UUID) -> int:
        """End every session of a user (password change, account disabled)."""
        result = self._session.execute(
            delete(StaffSession)
            .where(StaffSession.user_id == user_id)
            .execution_options(synchronize_session="fetch")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def delete_expired(self) -> int:
        result = self._session.execute(
            delete(StaffSession)
            .where(StaffSession.expires_at <= self._now())
            .execution_options(synchronize_session="fetch")
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
