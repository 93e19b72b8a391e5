"""Partner organisations and endorsements (``endorsement_tables.py``).

Services build it per unit of work: ``EndorsementRepository(tx.session, clock)``. Every read
is scoped to one issuer: another issuer's rows are simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from microcred.storage.endorsement_tables import Endorsement, Partner
from microcred.storage.repositories._base import Repository

__all__ = ["EndorsementRepository"]


class EndorsementRepository(Repository):
    # ------------------------------------------------------------------ partners

    def add_partner(self, partner: Partner) -> Partner:
        """Store a partner (:class:`Conflict` when the issuer already has one with that DID)."""
        partner.created_at = self._now()
        return self._insert(partner, "partner")

    def partner(self, issuer_id: uuid.UUID, partner_id: uuid.UUID) -> Partner | None:
        return self._session.scalar(
            select(Partner).where(Partner.issuer_id == issuer_id, Partner.id == partner_id)
        )

    def partners(self, issuer_id: uuid.UUID) -> list[Partner]:
        return list(
            self._session.scalars(
                select(Partner)
                .where(Partner.issuer_id == issuer_id)
                .order_by(Partner.name, Partner.id)
            )
        )

    def partners_by_id(self, issuer_id: uuid.UUID) -> dict[uuid.UUID, Partner]:
        return {p.id: p for p in self.partners(issuer_id)}

    # ------------------------------------------------------------------ endorsements

    def add_endorsement(self, endorsement: Endorsement) -> Endorsement:
        """Store an endorsement (:class:`Conflict` when its credential id is already stored)."""
        endorsement.created_at = self._now()
        return self._insert(endorsement, "endorsement")

    def endorsement(
        self, issuer_id: uuid.UUID, endorsement_id: uuid.UUID, *, for_update: bool = False
    ) -> Endorsement | None:
        query = select(Endorsement).where(
            Endorsement.issuer_id == issuer_id, Endorsement.id == endorsement_id
        )
        if for_update:
            query = query.with_for_update()
        return self._session.scalar(query)

    def endorsements(
        self,
        issuer_id: uuid.UUID,
        *,
        subject_ids: Sequence[str] | None = None,
        definition_id: uuid.UUID | None = None,
        include_withdrawn: bool = True,
        limit: int = 1000,
    ) -> list[Endorsement]:
        """An issuer's endorsements, oldest first (optionally of some subjects only)."""
        query = select(Endorsement).where(Endorsement.issuer_id == issuer_id)
        if subject_ids is not None:
            if not subject_ids:
                return []
            query = query.where(Endorsement.subject_id.in_(list(subject_ids)))
        if definition_id is not None:
            query = query.where(Endorsement.definition_id == definition_id)
        if not include_withdrawn:
            query = query.where(Endorsement.withdrawn_at.is_(None))
        query = query.order_by(Endorsement.created_at, Endorsement.id).limit(limit)
        return list(self._session.scalars(query))

    def withdraw(self, endorsement: Endorsement, when: datetime) -> Endorsement:
        endorsement.withdrawn_at = when
        self._flush("endorsement")
        return endorsement
