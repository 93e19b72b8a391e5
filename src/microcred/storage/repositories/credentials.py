"""Issued credentials and their lifecycle.

State changes::

    issued ──claim──▶ claimed
    issued | claimed ──suspend──▶ suspended ──reinstate──▶ (issued or claimed, as before)
    issued | claimed | suspended ──revoke──▶ revoked   (final)

Idempotent issuance: a credential may carry an ``idempotency_key``, unique per issuer. The
issuing service first calls :meth:`CredentialRepository.find_by_idempotency_key`; if two
requests race, the second :meth:`~CredentialRepository.add` raises :class:`Conflict` (inside a
savepoint, so the transaction goes on) and the service returns the stored credential instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from microcred.errors import Conflict, NotFound
from microcred.storage.repositories._base import Repository, page
from microcred.storage.tables import (
    Credential,
    CredentialState,
    Definition,
    DefinitionVersion,
    Learner,
)

__all__ = ["CredentialListing", "CredentialRepository"]


@dataclass(frozen=True)
class CredentialListing:
    """One row of :meth:`CredentialRepository.search_for_issuer`: the credential with the
    learner and the definition version it came from (``None`` for VC-API credentials)."""

    credential: Credential
    learner_name: str | None
    learner_email: str | None
    definition_id: uuid.UUID | None
    definition_slug: str | None
    version: int | None


_S = CredentialState


class CredentialRepository(Repository):
    def add(self, credential: Credential) -> Credential:
        """Store a new credential, stamped ``issued_at`` now.

        :class:`Conflict` if its idempotency key (per issuer), its id or its claim-token hash
        is already used; the error's ``extra["constraint"]`` says which.
        """
        credential.issued_at = self._now()
        return self._insert(credential, "credential")

    def get(
        self, issuer_id: uuid.UUID, credential_id: uuid.UUID, *, for_update: bool = False
    ) -> Credential:
        query = select(Credential).where(
            Credential.id == credential_id, Credential.issuer_id == issuer_id
        )
        if for_update:
            query = query.with_for_update()
        credential = self._session.scalar(query)
        if credential is None:
            raise NotFound(f"credential {credential_id} not found")
        return credential

    def find_by_uri(self, issuer_id: uuid.UUID, credential_uri: str) -> Credential | None:
        """The credential whose JSON ``id`` is ``credential_uri`` (e.g. ``urn:uuid:…``)."""
        return self._session.scalar(
            select(Credential).where(
                Credential.issuer_id == issuer_id, Credential.credential_uri == credential_uri
            )
        )

    def find_by_idempotency_key(self, issuer_id: uuid.UUID, key: str) -> Credential | None:
        return self._session.scalar(
            select(Credential).where(
                Credential.issuer_id == issuer_id, Credential.idempotency_key == key
            )
        )

    def find_by_claim_token_hash(self, claim_token_hash: str) -> Credential | None:
        """The credential a claim link points at.

        Not tenant-scoped on purpose: the learner has no account, the secret in the link is the
        authority (only its hash is stored).
        """
        return self._session.scalar(
            select(Credential).where(Credential.claim_token_hash == claim_token_hash)
        )

    def list_for_issuer(
        self,
        issuer_id: uuid.UUID,
        *,
        learner_id: uuid.UUID | None = None,
        definition_version_id: uuid.UUID | None = None,
        state: CredentialState | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Credential]:
        """The issuer's credentials, newest first, optionally filtered."""
        limit, offset = page(limit, offset)
        query = select(Credential).where(Credential.issuer_id == issuer_id)
        if learner_id is not None:
            query = query.where(Credential.learner_id == learner_id)
        if definition_version_id is not None:
            query = query.where(Credential.definition_version_id == definition_version_id)
        if state is not None:
            query = query.where(Credential.state == state)
        query = (
            query.order_by(Credential.issued_at.desc(), Credential.id).limit(limit).offset(offset)
        )
        return list(self._session.scalars(query))

    def search_for_issuer(
        self,
        issuer_id: uuid.UUID,
        *,
        definition_id: uuid.UUID | None = None,
        definition_version_id: uuid.UUID | None = None,
        learner_id: uuid.UUID | None = None,
        state: CredentialState | None = None,
        text: str | None = None,
        issued_from: datetime | None = None,
        issued_before: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[CredentialListing], int]:
        """A page of the issuer's credentials (newest first) and how many match in total.

        ``text`` matches the learner's name or e-mail (case-insensitive, substring);
        ``issued_from`` is inclusive, ``issued_before`` exclusive.
        """
        limit, offset = page(limit, offset)
        query = (
            select(
                Credential,
                Learner.name,
                Learner.email,
                DefinitionVersion.definition_id,
                Definition.slug,
                DefinitionVersion.version,
            )
            .outerjoin(
                Learner,
                and_(Learner.id == Credential.learner_id, Learner.issuer_id == issuer_id),
            )
            .outerjoin(
                DefinitionVersion,
                and_(
                    DefinitionVersion.id == Credential.definition_version_id,
                    DefinitionVersion.issuer_id == issuer_id,
                ),
            )
            .outerjoin(
                Definition,
                and_(
                    Definition.id == DefinitionVersion.definition_id,
                    Definition.issuer_id == issuer_id,
                ),
            )
            .where(Credential.issuer_id == issuer_id)
        )
        if definition_id is not None:
            query = query.where(DefinitionVersion.definition_id == definition_id)
        if definition_version_id is not None:
            query = query.where(Credential.definition_version_id == definition_version_id)
        if learner_id is not None:
            query = query.where(Credential.learner_id == learner_id)
        if state is not None:
            query = query.where(Credential.state == state)
        if issued_from is not None:
            query = query.where(Credential.issued_at >= issued_from)
        if issued_before is not None:
            query = query.where(Credential.issued_at < issued_before)
        if text and text.strip():
            pattern = "%" + _escape_like(text.strip().lower()) + "%"
            query = query.where(
                or_(
                    func.lower(Learner.name).like(pattern, escape="\\"),
                    func.lower(Learner.email).like(pattern, escape="\\"),
                )
            )
        total = self._session.scalar(select(func.count()).select_from(query.subquery()))
        rows = self._session.execute(
            query.order_by(Credential.issued_at.desc(), Credential.id).limit(limit).offset(offset)
        ).all()
        listings = [
            CredentialListing(
                credential=row[0],
                learner_name=row[1],
                learner_email=row[2],
                definition_id=row[3],
                definition_slug=row[4],
                version=row[5],
            )
            for row in rows
        ]
        return listings, int(total or 0)

    def count_by_state(self, issuer_id: uuid.UUID) -> dict[CredentialState, int]:
        """How many of the issuer's credentials are in each state (all states listed)."""
        counts = dict.fromkeys(CredentialState, 0)
        query = (
            select(Credential.state, func.count())
            .where(Credential.issuer_id == issuer_id)
            .group_by(Credential.state)
        )
        for state, count in self._session.execute(query).all():
            counts[CredentialState(state)] = int(count)
        return counts

    # ------------------------------------------------------------------ lifecycle

    def mark_claimed(self, issuer_id: uuid.UUID, credential_id: uuid.UUID) -> Credential:
        """Record that the learner claimed it (idempotent; a revoked one cannot be claimed)."""
        credential = self.get(issuer_id, credential_id, for_update=True)
        if credential.state is _S.REVOKED:
            raise Conflict("this credential was revoked and can no longer be claimed")
        if credential.claimed_at is None:
            credential.claimed_at = self._now()
        if credential.state is _S.ISSUED:
            credential.state = _S.CLAIMED
        self._flush("credential")
        return credential

    def suspend(self, issuer_id: uuid.UUID, credential_id: uuid.UUID, reason: str) -> Credential:
        credential = self.get(issuer_id, credential_id, for_update=True)
        if credential.state not in (_S.ISSUED, _S.CLAIMED):
            raise Conflict(f"a {credential.state.value} credential cannot be suspended")
        return self._set_state(credential, _S.SUSPENDED, reason)

    def reinstate(
        self, issuer_id: uuid.UUID, credential_id: uuid.UUID, reason: str | None = None
    ) -> Credential:
        """Lift a suspension: back to ``claimed`` if it had been claimed, else ``issued``."""
        credential = self.get(issuer_id, credential_id, for_update=True)
        if credential.state is not _S.SUSPENDED:
            raise Conflict(f"a {credential.state.value} credential is not suspended")
        target = _S.CLAIMED if credential.claimed_at is not None else _S.ISSUED
        return self._set_state(credential, target, reason)

    def revoke(self, issuer_id: uuid.UUID, credential_id: uuid.UUID, reason: str) -> Credential:
        """Revoke for good. Revoking a revoked credential is a :class:`Conflict`."""
        credential = self.get(issuer_id, credential_id, for_update=True)
        if credential.state is _S.REVOKED:
            raise Conflict("this credential is already revoked")
        return self._set_state(credential, _S.REVOKED, reason)

    def link_replacement(
        self, issuer_id: uuid.UUID, old_id: uuid.UUID, new_id: uuid.UUID
    ) -> Credential:
        """Record that ``new_id`` corrects (replaces) ``old_id``; both of this issuer."""
        if old_id == new_id:
            raise Conflict("a credential cannot replace itself")
        old = self.get(issuer_id, old_id, for_update=True)
        self.get(issuer_id, new_id)
        if old.replaced_by_id is not None and old.replaced_by_id != new_id:
            raise Conflict("this credential was already replaced by another one")
        old.replaced_by_id = new_id
        self._flush("credential")
        return old

    def replace_document(
        self, issuer_id: uuid.UUID, credential_id: uuid.UUID, document: dict[str, Any]
    ) -> Credential:
        """Store a new form of the same credential (e.g. with an anchor proof appended)."""
        credential = self.get(issuer_id, credential_id, for_update=True)
        if document.get("id", credential.credential_uri) != credential.credential_uri:
            raise Conflict("the new document has a different credential id")
        credential.document = document
        credential.anchor_digest = None  # sealing computes it from this document
        self._flush("credential")
        return credential

    def _set_state(
        self, credential: Credential, state: CredentialState, reason: str | None
    ) -> Credential:
        credential.state = state
        credential.state_reason = reason
        credential.state_changed_at = self._now()
        self._flush("credential")
        return credential


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
