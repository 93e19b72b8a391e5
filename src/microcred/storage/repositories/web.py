"""The web experience's rows: verification counts and held console uploads (``web_tables.py``).

Services build it per unit of work: ``WebRepository(tx.session, clock)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from microcred.storage.repositories._base import Repository
from microcred.storage.tables import Credential, CredentialState, DefinitionVersion
from microcred.storage.wallet_tables import CredentialShare
from microcred.storage.web_tables import ConsoleUpload, VerificationCount

__all__ = ["WebRepository"]


class WebRepository(Repository):
    # ------------------------------------------------------------------ verification counts

    def credentials_by_uri(self, uris: Iterable[str]) -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
        """``credential_uri`` → (credential id, issuer id) for the platform's own credentials."""
        wanted = sorted(set(uris))
        if not wanted:
            return {}
        rows = self._session.execute(
            select(Credential.credential_uri, Credential.id, Credential.issuer_id).where(
                Credential.credential_uri.in_(wanted)
            )
        )
        return {uri: (ident, issuer) for uri, ident, issuer in rows}

    def add_verifications(self, counts: dict[tuple[uuid.UUID, uuid.UUID, date], int]) -> None:
        """Add ``n`` to the count of (credential id, issuer id, day), creating missing rows.

        One ``INSERT … ON CONFLICT DO UPDATE`` per row (PostgreSQL and SQLite), so concurrent
        flushes from several workers add up instead of overwriting each other.
        """
        dialect = self._session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        for (credential_id, issuer_id, day), n in sorted(counts.items(), key=str):
            statement = insert(VerificationCount).values(
                credential_id=credential_id, issuer_id=issuer_id, day=day, count=n
            )
            statement = statement.on_conflict_do_update(
                index_elements=["credential_id", "day"],
                set_={"count": VerificationCount.count + statement.excluded.count},
            )
            self._session.execute(statement)

    def verifications_by_definition(self, issuer_id: uuid.UUID) -> dict[uuid.UUID | None, int]:
        """Total verifications per definition id (``None``: credentials from no definition)."""
        rows = self._session.execute(
            select(DefinitionVersion.definition_id, func.sum(VerificationCount.count))
            .select_from(VerificationCount)
            .join(Credential, Credential.id == VerificationCount.credential_id)
            .outerjoin(DefinitionVersion, DefinitionVersion.id == Credential.definition_version_id)
            .where(VerificationCount.issuer_id == issuer_id)
            .group_by(DefinitionVersion.definition_id)
        )
        return {definition: int(total or 0) for definition, total in rows}

    def verifications_by_day(self, issuer_id: uuid.UUID, since: date) -> dict[date, int]:
        rows = self._session.execute(
            select(VerificationCount.day, func.sum(VerificationCount.count))
            .where(VerificationCount.issuer_id == issuer_id, VerificationCount.day >= since)
            .group_by(VerificationCount.day)
        )
        return {day: int(total or 0) for day, total in rows}

    # ------------------------------------------------------------------ shares

    def shared_by_definition(self, issuer_id: uuid.UUID) -> dict[uuid.UUID | None, int]:
        """Credentials whose public page is on now, per definition id."""
        rows = self._session.execute(
            select(DefinitionVersion.definition_id, func.count())
            .select_from(CredentialShare)
            .join(Credential, Credential.id == CredentialShare.credential_id)
            .outerjoin(DefinitionVersion, DefinitionVersion.id == Credential.definition_version_id)
            .where(CredentialShare.issuer_id == issuer_id, CredentialShare.shared_at.is_not(None))
            .group_by(DefinitionVersion.definition_id)
        )
        return {definition: int(total) for definition, total in rows}

    def shared_since(self, issuer_id: uuid.UUID, since: datetime) -> list[datetime]:
        """When each public page that is on now was turned on, from ``since``."""
        return list(
            self._session.scalars(
                select(CredentialShare.shared_at).where(
                    CredentialShare.issuer_id == issuer_id, CredentialShare.shared_at >= since
                )
            )
        )

    def claimed_since(self, issuer_id: uuid.UUID, since: datetime) -> list[datetime]:
        """When each credential claimed from ``since`` on was claimed."""
        return [
            moment
            for moment in self._session.scalars(
                select(Credential.claimed_at).where(
                    Credential.issuer_id == issuer_id, Credential.claimed_at >= since
                )
            )
            if moment is not None
        ]

    def revoked_since(self, issuer_id: uuid.UUID, since: datetime) -> list[datetime]:
        """When each credential revoked now was revoked, from ``since`` on."""
        return [
            moment
            for moment in self._session.scalars(
                select(Credential.state_changed_at).where(
                    Credential.issuer_id == issuer_id,
                    Credential.state == CredentialState.REVOKED,
                    Credential.state_changed_at >= since,
                )
            )
            if moment is not None
        ]

    # ------------------------------------------------------------------ console uploads

    def put_upload(self, row: ConsoleUpload) -> ConsoleUpload:
        return self._insert(row, "console upload")

    def get_upload(self, key_hash: str) -> ConsoleUpload | None:
        return self._session.get(ConsoleUpload, key_hash)

    def purge_uploads(self, before: datetime) -> int:
        """Delete uploads stored before ``before``; how many went."""
        result = self._session.execute(
            delete(ConsoleUpload).where(ConsoleUpload.created_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def count_uploads(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(ConsoleUpload)) or 0)
