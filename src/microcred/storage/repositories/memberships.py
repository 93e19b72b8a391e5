"""Who may do what at which issuer: one role per (user, issuer)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from microcred.errors import NotFound
from microcred.storage.repositories._base import Repository
from microcred.storage.tables import Membership, Role, User

__all__ = ["MembershipRepository"]


class MembershipRepository(Repository):
    def grant(self, issuer_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> Membership:
        """Make a user a member (:class:`Conflict` if already one; use :meth:`change_role`)."""
        membership = Membership(user_id=user_id, issuer_id=issuer_id, role=role)
        membership.created_at = self._now()
        return self._insert(membership, "membership")

    def find(self, issuer_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
        return self._session.get(Membership, (user_id, issuer_id))

    def get(self, issuer_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
        membership = self.find(issuer_id, user_id)
        if membership is None:
            raise NotFound(f"user {user_id} is not a member of issuer {issuer_id}")
        return membership

    def change_role(self, issuer_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> Membership:
        membership = self.get(issuer_id, user_id)
        membership.role = role
        self._flush("membership")
        return membership

    def remove(self, issuer_id: uuid.UUID, user_id: uuid.UUID) -> None:
        membership = self.get(issuer_id, user_id)
        self._session.delete(membership)
        self._flush("membership")

    def list_members(self, issuer_id: uuid.UUID) -> list[tuple[User, Role]]:
        """The issuer's staff with their roles, by e-mail."""
        query = (
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.issuer_id == issuer_id)
            .order_by(User.email)
        )
        return [(user, role) for user, role in self._session.execute(query).all()]

    def count_with_role(self, issuer_id: uuid.UUID, role: Role) -> int:
        """How many members hold ``role`` (e.g. to keep at least one admin)."""
        query = (
            select(func.count())
            .select_from(Membership)
            .where(Membership.issuer_id == issuer_id, Membership.role == role)
        )
        return int(self._session.scalar(query) or 0)
