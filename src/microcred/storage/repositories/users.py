"""Staff accounts. E-mail addresses are compared case-insensitively (stored lower-cased)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from microcred.errors import NotFound
from microcred.storage.repositories._base import Repository, page
from microcred.storage.tables import User

__all__ = ["UserRepository", "normalise_email"]


def normalise_email(email: str) -> str:
    """The stored form of an e-mail address: trimmed and lower-cased."""
    return email.strip().lower()


class UserRepository(Repository):
    def add(self, user: User) -> User:
        """Store a new user (:class:`Conflict` if the e-mail address is taken)."""
        user.email = normalise_email(user.email)
        user.created_at = self._now()
        return self._insert(user, "user")

    def get(self, user_id: uuid.UUID) -> User:
        user = self._session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    def find_by_email(self, email: str) -> User | None:
        return self._session.scalar(select(User).where(User.email == normalise_email(email)))

    def list_all(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        """Every account, by e-mail (for the platform operator)."""
        limit, offset = page(limit, offset)
        query = select(User).order_by(User.email).limit(limit).offset(offset)
        return list(self._session.scalars(query))

    def count_operators(self) -> int:
        query = select(func.count()).select_from(User).where(User.is_operator)
        return int(self._session.scalar(query) or 0)

    def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> User:
        user = self.get(user_id)
        user.password_hash = password_hash
        self._flush("user")
        return user

    def set_disabled(self, user_id: uuid.UUID, disabled: bool) -> User:
        user = self.get(user_id)
        user.disabled = disabled
        self._flush("user")
        return user

    def set_operator(self, user_id: uuid.UUID, is_operator: bool) -> User:
        user = self.get(user_id)
        user.is_operator = is_operator
        self._flush("user")
        return user

    def record_login(self, user_id: uuid.UUID) -> User:
        user = self.get(user_id)
        user.last_login_at = self._now()
        self._flush("user")
        return user
