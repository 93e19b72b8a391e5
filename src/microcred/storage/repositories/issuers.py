"""Issuers (tenants), their public profile and their signing keys."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.storage.repositories._base import Repository, page
from microcred.storage.tables import Issuer, IssuerKey, KeyStatus, Membership, Role

__all__ = ["PROFILE_FIELDS", "IssuerRepository"]

#: the issuer fields :meth:`IssuerRepository.update_profile` may change
PROFILE_FIELDS = frozenset(
    {
        "name",
        "legal_name",
        "homepage",
        "email",
        "country_code",
        "region_code",
        "logo_uri",
        "registration_identifiers",
    }
)


class IssuerRepository(Repository):
    """The tenant root. Every method names the issuer it works on."""

    # ------------------------------------------------------------------ issuers

    def add(self, issuer: Issuer) -> Issuer:
        """Store a new issuer (:class:`Conflict` if its slug or DID is taken)."""
        issuer.created_at = self._now()
        return self._insert(issuer, "issuer")

    def get(self, issuer_id: uuid.UUID) -> Issuer:
        issuer = self._session.get(Issuer, issuer_id)
        if issuer is None:
            raise NotFound(f"issuer {issuer_id} not found")
        return issuer

    def find_by_slug(self, slug: str) -> Issuer | None:
        return self._session.scalar(select(Issuer).where(Issuer.slug == slug))

    def find_by_did(self, did: str) -> Issuer | None:
        return self._session.scalar(select(Issuer).where(Issuer.did == did))

    def list_all(self, *, limit: int = 100, offset: int = 0) -> list[Issuer]:
        """Every issuer, by name (for the platform operator)."""
        limit, offset = page(limit, offset)
        query = select(Issuer).order_by(Issuer.name, Issuer.id).limit(limit).offset(offset)
        return list(self._session.scalars(query))

    def list_for_user(self, user_id: uuid.UUID) -> list[tuple[Issuer, Role]]:
        """The issuers a user belongs to, with the user's role at each."""
        query = (
            select(Issuer, Membership.role)
            .join(Membership, Membership.issuer_id == Issuer.id)
            .where(Membership.user_id == user_id)
            .order_by(Issuer.name, Issuer.id)
        )
        return [(issuer, role) for issuer, role in self._session.execute(query).all()]

    def update_profile(self, issuer_id: uuid.UUID, changes: Mapping[str, Any]) -> Issuer:
        """Change profile fields (only those in :data:`PROFILE_FIELDS`)."""
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise InvalidInput(f"not an editable issuer field: {', '.join(sorted(unknown))}")
        issuer = self.get(issuer_id)
        for field, value in changes.items():
            setattr(issuer, field, value)
        issuer.updated_at = self._now()
        self._flush("issuer")
        return issuer

    # ------------------------------------------------------------------ keys

    def add_key(self, key: IssuerKey) -> IssuerKey:
        """Register a key (:class:`Conflict` if it is active and another key already is)."""
        self.get(key.issuer_id)
        key.created_at = self._now()
        return self._insert(key, "issuer key")

    def get_active_key(self, issuer_id: uuid.UUID) -> IssuerKey:
        key = self._session.scalar(
            select(IssuerKey).where(
                IssuerKey.issuer_id == issuer_id, IssuerKey.status == KeyStatus.ACTIVE
            )
        )
        if key is None:
            raise NotFound(f"issuer {issuer_id} has no active signing key")
        return key

    def list_keys(self, issuer_id: uuid.UUID) -> list[IssuerKey]:
        """Every key, active and rotated, oldest first (the DID document lists them all).

        Keys made at the same instant (a clock that does not move, in tests) stay in rotation
        order: rotated keys by ``rotated_at``, then the active one.
        """
        query = (
            select(IssuerKey)
            .where(IssuerKey.issuer_id == issuer_id)
            .order_by(
                IssuerKey.created_at,
                IssuerKey.rotated_at.is_(None),
                IssuerKey.rotated_at,
                IssuerKey.id,
            )
        )
        return list(self._session.scalars(query))

    def get_key(self, issuer_id: uuid.UUID, key_id: uuid.UUID) -> IssuerKey:
        """One key of the issuer (:class:`NotFound` if it does not exist or is another's)."""
        key = self._session.get(IssuerKey, key_id)
        if key is None or key.issuer_id != issuer_id:
            raise NotFound(f"issuer {issuer_id} has no signing key {key_id}")
        return key

    def find_key_by_verification_method(
        self, issuer_id: uuid.UUID, verification_method: str
    ) -> IssuerKey | None:
        return self._session.scalar(
            select(IssuerKey).where(
                IssuerKey.issuer_id == issuer_id,
                IssuerKey.verification_method == verification_method,
            )
        )

    def rotate_key(self, issuer_id: uuid.UUID, new_key: IssuerKey) -> IssuerKey:
        """Retire the active key (it stays listed, marked rotated) and make ``new_key`` active."""
        if new_key.issuer_id != issuer_id:
            raise InvalidInput("the new key belongs to another issuer")
        current = self._session.scalar(
            select(IssuerKey)
            .where(IssuerKey.issuer_id == issuer_id, IssuerKey.status == KeyStatus.ACTIVE)
            .with_for_update()
        )
        now = self._now()
        if current is not None:
            current.status = KeyStatus.ROTATED
            current.rotated_at = now
            self._flush("issuer key")
        new_key.status = KeyStatus.ACTIVE
        return self.add_key(new_key)

    def mark_key_compromised(
        self, issuer_id: uuid.UUID, key_id: uuid.UUID, compromised_at: datetime
    ) -> IssuerKey:
        """Record that a rotated-out key was compromised at ``compromised_at``.

        The active key cannot be marked (:class:`Conflict`): rotate it out first, so the issuer
        keeps a key to sign with. Judging the time (not in the future, not before the key
        existed, only ever moved earlier) is the caller's business.
        """
        if compromised_at.tzinfo is None or compromised_at.utcoffset() is None:
            raise InvalidInput("compromised_at must be timezone-aware")
        key = self._session.scalar(
            select(IssuerKey)
            .where(IssuerKey.issuer_id == issuer_id, IssuerKey.id == key_id)
            .with_for_update()
        )
        if key is None:
            raise NotFound(f"issuer {issuer_id} has no signing key {key_id}")
        if key.status is KeyStatus.ACTIVE:
            raise Conflict("the active signing key cannot be marked compromised; rotate it first")
        key.compromised_at = compromised_at
        self._flush("issuer key")
        return key
