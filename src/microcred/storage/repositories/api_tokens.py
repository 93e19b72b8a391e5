"""Scoped API tokens of an issuer. Only a hash of each secret is stored."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import or_, select, update

from microcred.errors import NotFound
from microcred.storage.repositories._base import Repository
from microcred.storage.tables import ApiToken

__all__ = ["ApiTokenRepository"]

#: ``last_used_at`` is written at most this often per token (a write per request would hurt)
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenRepository(Repository):
    def add(self, token: ApiToken) -> ApiToken:
        token.created_at = self._now()
        return self._insert(token, "API token")

    def get(self, issuer_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken:
        token = self._session.scalar(
            select(ApiToken).where(ApiToken.id == token_id, ApiToken.issuer_id == issuer_id)
        )
        if token is None:
            raise NotFound(f"API token {token_id} not found")
        return token

    def find_usable_by_hash(self, token_hash: str) -> ApiToken | None:
        """Authentication lookup: the token with this hash, unless revoked or expired.

        Not tenant-scoped on purpose: the secret itself names the issuer it belongs to.
        """
        now = self._now()
        return self._session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == token_hash,
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
        )

    def list_for_issuer(
        self, issuer_id: uuid.UUID, *, include_revoked: bool = False
    ) -> list[ApiToken]:
        query = select(ApiToken).where(ApiToken.issuer_id == issuer_id)
        if not include_revoked:
            query = query.where(ApiToken.revoked_at.is_(None))
        return list(self._session.scalars(query.order_by(ApiToken.created_at, ApiToken.id)))

    def revoke(self, issuer_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken:
        """Revoke a token; revoking twice keeps the first revocation time."""
        token = self.get(issuer_id, token_id)
        if token.revoked_at is None:
            token.revoked_at = self._now()
            self._flush("API token")
        return token

    def record_use(self, token_id: uuid.UUID) -> None:
        """Note that a token was used (at most once per :data:`LAST_USED_RESOLUTION`)."""
        now = self._now()
        self._session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < now - LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session="fetch")
        )
