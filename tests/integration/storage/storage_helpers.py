"""Helpers shared by the storage integration tests (a uniquely named module, not conftest)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from microcred.storage import (
    Credential,
    DefinitionVersion,
    DidMethod,
    Issuer,
    Learner,
    UnitOfWorkFactory,
)

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

#: The migrated databases of this test process, made once and shared by every copy of the
#: storage fixtures: several folders load ``conftest.py`` of this folder under names of their
#: own (and some test modules re-export its fixtures), and each copy of a session fixture would
#: otherwise create and migrate a database of its own. Keys: ``"sqlite"`` (the template file)
#: and each PostgreSQL admin URL (the run database).
MIGRATED: dict[str, Any] = {}


class StepClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.instant = start

    def now(self) -> datetime:
        return self.instant

    def advance(self, **delta: float) -> datetime:
        self.instant += timedelta(**delta)
        return self.instant


def make_issuer(uow: UnitOfWorkFactory, slug: str) -> Issuer:
    with uow() as tx:
        issuer = tx.issuers.add(
            Issuer(
                slug=slug,
                name=f"{slug.title()} University",
                did_method=DidMethod.WEB,
                did=f"did:web:127.0.0.1%3A8000:issuers:{slug}",
                country_code="DE",
            )
        )
        tx.commit()
    return issuer


def achievement(title: str = "Data Literacy") -> dict[str, Any]:
    return {
        "type": ["Achievement"],
        "name": title,
        "description": f"{title} micro-credential",
        "criteria": {"narrative": "Pass the final assessment."},
        "eu": {"ectsCredits": 3, "eqfLevel": 6, "assessment": "exam"},
    }


class Factory:
    """Builds and commits the rows most tests need."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    def published_version(self, issuer: Issuer, slug: str = "data-literacy") -> DefinitionVersion:
        with self.uow() as tx:
            _, version = tx.definitions.add(issuer.id, slug, achievement())
            tx.definitions.submit_for_review(issuer.id, version.id)
            tx.definitions.publish(issuer.id, version.id)
            tx.commit()
        return version

    def learner(self, issuer: Issuer, external_id: str = "s-0001", name: str = "Ada") -> Learner:
        with self.uow() as tx:
            learner = tx.learners.add(
                Learner(
                    issuer_id=issuer.id,
                    name=name,
                    email=f"{external_id}@example.org",
                    external_id=external_id,
                )
            )
            tx.commit()
        return learner

    @staticmethod
    def credential(
        issuer: Issuer,
        version: DefinitionVersion,
        learner: Learner,
        *,
        idempotency_key: str | None = None,
    ) -> Credential:
        uri = f"urn:uuid:{uuid.uuid4()}"
        return Credential(
            issuer_id=issuer.id,
            definition_version_id=version.id,
            learner_id=learner.id,
            credential_uri=uri,
            document={"id": uri, "type": ["VerifiableCredential", "OpenBadgeCredential"]},
            idempotency_key=idempotency_key,
        )

    def issued(self, issuer: Issuer, version: DefinitionVersion, learner: Learner) -> Credential:
        with self.uow() as tx:
            credential = tx.credentials.add(self.credential(issuer, version, learner))
            tx.commit()
        return credential


# ----------------------------------------------------------------- PostgreSQL databases


def _with_database(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def create_postgres_database(admin_url: str) -> str:
    """A new, empty database. Its sessions commit without waiting for the WAL to reach the disk
    (``synchronous_commit = off``): a commit is as visible and as atomic as before and only a
    crash of the server itself could lose the last ones, which no test does; the tests commit
    often, and each wait cost 2-4 ms on these machines."""
    name = "microcred_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
        )
    return _with_database(admin_url, name)


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
