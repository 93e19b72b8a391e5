"""Pathways, external credentials, recognition decisions and pathway awards
(``pathway_tables.py``).

Services build it per unit of work: ``PathwayRepository(tx.session, clock)``. Every read takes
the issuer id; rows of other issuers are never returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from microcred.errors import Conflict, NotFound
from microcred.storage.pathway_tables import (
    AwardState,
    ExternalCredential,
    Pathway,
    PathwayAward,
    RecognitionDecision,
)
from microcred.storage.repositories._base import Repository, page
from microcred.storage.tables import Credential, CredentialState, DefinitionVersion

__all__ = ["PathwayRepository"]

#: the pathway fields :meth:`PathwayRepository.update_pathway` may change
PATHWAY_FIELDS = frozenset(
    {"name", "description", "target_definition_id", "rule", "requires_approval", "active"}
)


class PathwayRepository(Repository):
    # ------------------------------------------------------------------ pathways

    def add_pathway(self, pathway: Pathway) -> Pathway:
        """Store a pathway (:class:`Conflict` when the slug is taken at this issuer)."""
        pathway.created_at = self._now()
        return self._insert(pathway, "pathway")

    def get_pathway(self, issuer_id: uuid.UUID, pathway_id: uuid.UUID) -> Pathway:
        row = self._session.scalar(
            select(Pathway).where(Pathway.id == pathway_id, Pathway.issuer_id == issuer_id)
        )
        if row is None:
            raise NotFound(f"pathway {pathway_id} not found")
        return row

    def find_pathway_by_slug(self, issuer_id: uuid.UUID, slug: str) -> Pathway | None:
        return self._session.scalar(
            select(Pathway).where(Pathway.issuer_id == issuer_id, Pathway.slug == slug)
        )

    def list_pathways(self, issuer_id: uuid.UUID, *, active_only: bool = False) -> list[Pathway]:
        query = select(Pathway).where(Pathway.issuer_id == issuer_id)
        if active_only:
            query = query.where(Pathway.active.is_(True))
        return list(self._session.scalars(query.order_by(Pathway.name, Pathway.id)))

    def update_pathway(
        self, issuer_id: uuid.UUID, pathway_id: uuid.UUID, changes: Mapping[str, Any]
    ) -> Pathway:
        unknown = set(changes) - PATHWAY_FIELDS
        if unknown:
            raise ValueError(f"not pathway fields: {sorted(unknown)}")
        row = self.get_pathway(issuer_id, pathway_id)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = self._now()
        self._flush("pathway")
        return row

    # ------------------------------------------------------------------ own credentials

    def learner_credentials(
        self, issuer_id: uuid.UUID, learner_id: uuid.UUID
    ) -> list[tuple[Credential, uuid.UUID | None]]:
        """The learner's credentials in good standing (issued or claimed), oldest first, each
        with the id of the definition it was issued from (``None`` for VC-API credentials)."""
        query = (
            select(Credential, DefinitionVersion.definition_id)
            .outerjoin(DefinitionVersion, DefinitionVersion.id == Credential.definition_version_id)
            .where(
                Credential.issuer_id == issuer_id,
                Credential.learner_id == learner_id,
                Credential.state.in_([CredentialState.ISSUED, CredentialState.CLAIMED]),
            )
            .order_by(Credential.issued_at, Credential.id)
        )
        return [(row, definition_id) for row, definition_id in self._session.execute(query)]

    # ------------------------------------------------------------------ external credentials

    def add_external(self, row: ExternalCredential) -> tuple[ExternalCredential, bool]:
        """Store an external credential, or find the same document already imported for the
        learner: ``(row, created)``."""
        existing = self.find_external_by_digest(row.issuer_id, row.learner_id, row.document_sha256)
        if existing is not None:
            return existing, False
        row.imported_at = self._now()
        try:
            return self._insert(row, "external credential"), True
        except Conflict:
            raced = self.find_external_by_digest(row.issuer_id, row.learner_id, row.document_sha256)
            if raced is None:
                raise
            return raced, False

    def find_external_by_digest(
        self, issuer_id: uuid.UUID, learner_id: uuid.UUID, digest: str
    ) -> ExternalCredential | None:
        return self._session.scalar(
            select(ExternalCredential).where(
                ExternalCredential.issuer_id == issuer_id,
                ExternalCredential.learner_id == learner_id,
                ExternalCredential.document_sha256 == digest,
            )
        )

    def get_external(self, issuer_id: uuid.UUID, external_id: uuid.UUID) -> ExternalCredential:
        row = self._session.scalar(
            select(ExternalCredential).where(
                ExternalCredential.id == external_id, ExternalCredential.issuer_id == issuer_id
            )
        )
        if row is None:
            raise NotFound(f"external credential {external_id} not found")
        return row

    def list_externals(
        self,
        issuer_id: uuid.UUID,
        *,
        learner_id: uuid.UUID | None = None,
        undecided_only: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ExternalCredential]:
        """External credentials, newest first (``undecided_only``: no decision yet)."""
        limit, offset = page(limit, offset)
        query = select(ExternalCredential).where(ExternalCredential.issuer_id == issuer_id)
        if learner_id is not None:
            query = query.where(ExternalCredential.learner_id == learner_id)
        if undecided_only:
            decided = select(RecognitionDecision.external_credential_id).where(
                RecognitionDecision.issuer_id == issuer_id
            )
            query = query.where(ExternalCredential.id.not_in(decided))
        query = query.order_by(ExternalCredential.imported_at.desc(), ExternalCredential.id)
        return list(self._session.scalars(query.limit(limit).offset(offset)))

    # ------------------------------------------------------------------ decisions

    def add_decision(self, row: RecognitionDecision) -> RecognitionDecision:
        """Store a decision (:class:`Conflict` when the credential was decided already)."""
        row.decided_at = self._now()
        return self._insert(row, "recognition decision")

    def decision_for(
        self, issuer_id: uuid.UUID, external_id: uuid.UUID
    ) -> RecognitionDecision | None:
        return self._session.scalar(
            select(RecognitionDecision).where(
                RecognitionDecision.issuer_id == issuer_id,
                RecognitionDecision.external_credential_id == external_id,
            )
        )

    def get_decision(self, issuer_id: uuid.UUID, decision_id: uuid.UUID) -> RecognitionDecision:
        row = self._session.scalar(
            select(RecognitionDecision).where(
                RecognitionDecision.id == decision_id, RecognitionDecision.issuer_id == issuer_id
            )
        )
        if row is None:
            raise NotFound(f"recognition decision {decision_id} not found")
        return row

    def decisions_for_learner(
        self, issuer_id: uuid.UUID, learner_id: uuid.UUID
    ) -> list[tuple[RecognitionDecision, ExternalCredential]]:
        query = (
            select(RecognitionDecision, ExternalCredential)
            .join(
                ExternalCredential,
                ExternalCredential.id == RecognitionDecision.external_credential_id,
            )
            .where(
                RecognitionDecision.issuer_id == issuer_id,
                RecognitionDecision.learner_id == learner_id,
            )
            .order_by(RecognitionDecision.decided_at, RecognitionDecision.id)
        )
        return [(decision, external) for decision, external in self._session.execute(query)]

    def set_decision_credential(
        self, decision: RecognitionDecision, credential_id: uuid.UUID
    ) -> None:
        decision.credential_id = credential_id
        self._flush("recognition decision")

    # ------------------------------------------------------------------ awards

    def award_for(
        self, issuer_id: uuid.UUID, pathway_id: uuid.UUID, learner_id: uuid.UUID
    ) -> PathwayAward | None:
        return self._session.scalar(
            select(PathwayAward).where(
                PathwayAward.issuer_id == issuer_id,
                PathwayAward.pathway_id == pathway_id,
                PathwayAward.learner_id == learner_id,
            )
        )

    def add_award(self, row: PathwayAward) -> tuple[PathwayAward, bool]:
        """Store an award, or return the learner's existing award for the pathway:
        ``(row, created)``. The unique constraint settles racing evaluations."""
        existing = self.award_for(row.issuer_id, row.pathway_id, row.learner_id)
        if existing is not None:
            return existing, False
        row.created_at = self._now()
        try:
            return self._insert(row, "pathway award"), True
        except Conflict:
            raced = self.award_for(row.issuer_id, row.pathway_id, row.learner_id)
            if raced is None:
                raise
            return raced, False

    def get_award(self, issuer_id: uuid.UUID, award_id: uuid.UUID) -> PathwayAward:
        row = self._session.scalar(
            select(PathwayAward).where(
                PathwayAward.id == award_id, PathwayAward.issuer_id == issuer_id
            )
        )
        if row is None:
            raise NotFound(f"pathway award {award_id} not found")
        return row

    def list_awards(
        self,
        issuer_id: uuid.UUID,
        *,
        state: AwardState | None = None,
        pathway_id: uuid.UUID | None = None,
        learner_id: uuid.UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[PathwayAward]:
        limit, offset = page(limit, offset)
        query = select(PathwayAward).where(PathwayAward.issuer_id == issuer_id)
        if state is not None:
            query = query.where(PathwayAward.state == state)
        if pathway_id is not None:
            query = query.where(PathwayAward.pathway_id == pathway_id)
        if learner_id is not None:
            query = query.where(PathwayAward.learner_id == learner_id)
        query = query.order_by(PathwayAward.created_at.desc(), PathwayAward.id)
        return list(self._session.scalars(query.limit(limit).offset(offset)))

    def settle_award(
        self,
        award: PathwayAward,
        state: AwardState,
        *,
        credential_id: uuid.UUID | None = None,
        decided_by: uuid.UUID | None = None,
        note: str | None = None,
    ) -> PathwayAward:
        award.state = state
        award.credential_id = credential_id
        award.decided_by = decided_by
        award.decided_at = self._now()
        award.note = note
        self._flush("pathway award")
        return award
