"""Learners of an issuer, identified within it by an optional external (student) id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select

from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.storage.repositories._base import Repository, page
from microcred.storage.tables import Learner

__all__ = ["LEARNER_FIELDS", "LearnerRepository"]

#: the learner fields :meth:`LearnerRepository.update` may change
LEARNER_FIELDS = frozenset({"name", "email", "did", "external_id"})


class LearnerRepository(Repository):
    def add(self, learner: Learner) -> Learner:
        """Store a learner (:class:`Conflict` if the external id is taken at this issuer)."""
        learner.created_at = self._now()
        return self._insert(learner, "learner")

    def find_or_add(self, learner: Learner) -> tuple[Learner, bool]:
        """The learner with the same external id, or ``learner`` newly stored.

        Returns ``(learner, created)``. Safe under concurrency: when two writers race, the
        loser's insert conflicts and it reads the winner's row. Without an external id a new
        learner is always stored.
        """
        if learner.external_id is not None:
            existing = self.find_by_external_id(learner.issuer_id, learner.external_id)
            if existing is not None:
                return existing, False
        try:
            return self.add(learner), True
        except Conflict:
            if learner.external_id is None:
                raise
            existing = self.find_by_external_id(learner.issuer_id, learner.external_id)
            if existing is None:
                raise
            return existing, False

    def get(self, issuer_id: uuid.UUID, learner_id: uuid.UUID) -> Learner:
        learner = self._session.scalar(
            select(Learner).where(Learner.id == learner_id, Learner.issuer_id == issuer_id)
        )
        if learner is None:
            raise NotFound(f"learner {learner_id} not found")
        return learner

    def find_by_external_id(self, issuer_id: uuid.UUID, external_id: str) -> Learner | None:
        return self._session.scalar(
            select(Learner).where(
                Learner.issuer_id == issuer_id, Learner.external_id == external_id
            )
        )

    def find_by_email(self, issuer_id: uuid.UUID, email: str) -> list[Learner]:
        query = (
            select(Learner)
            .where(
                Learner.issuer_id == issuer_id,
                func.lower(Learner.email) == email.strip().lower(),
            )
            .order_by(Learner.created_at, Learner.id)
        )
        return list(self._session.scalars(query))

    def list_for_issuer(
        self,
        issuer_id: uuid.UUID,
        *,
        search: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Learner]:
        """The issuer's learners by name; ``search`` matches name, e-mail or external id."""
        limit, offset = page(limit, offset)
        query = select(Learner).where(Learner.issuer_id == issuer_id)
        if search:
            pattern = "%" + _escape_like(search.strip().lower()) + "%"
            query = query.where(
                or_(
                    func.lower(Learner.name).like(pattern, escape="\\"),
                    func.lower(Learner.email).like(pattern, escape="\\"),
                    func.lower(Learner.external_id).like(pattern, escape="\\"),
                )
            )
        query = query.order_by(Learner.name, Learner.id).limit(limit).offset(offset)
        return list(self._session.scalars(query))

    def count_for_issuer(self, issuer_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(Learner).where(Learner.issuer_id == issuer_id)
        return int(self._session.scalar(query) or 0)

    def update(
        self, issuer_id: uuid.UUID, learner_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> Learner:
        unknown = set(changes) - LEARNER_FIELDS
        if unknown:
            raise InvalidInput(f"not an editable learner field: {', '.join(sorted(unknown))}")
        learner = self.get(issuer_id, learner_id)
        for field, value in changes.items():
            setattr(learner, field, value)
        learner.updated_at = self._now()
        self._flush("learner")
        return learner


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
