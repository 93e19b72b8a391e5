"""Migration 0012: the recognition_officer membership role, its CHECK constraint, downgrade."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError

from microcred.storage import Base, migrate
from microcred.storage.database import create_database_engine
from microcred.storage.migrator import downgrade

_NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _insert_member(url: str, role: str) -> None:
    """An issuer, a user and their membership with ``role`` (written as plain SQL text)."""
    user_id, issuer_id = uuid.uuid4(), uuid.uuid4()
    issuers, users = Base.metadata.tables["issuers"], Base.metadata.tables["users"]
    memberships = Base.metadata.tables["memberships"]
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                issuers.insert().values(
                    id=issuer_id,
                    slug="demo-" + issuer_id.hex[:8],
                    name="Demo",
                    did_method="key",
                    did="did:key:z" + issuer_id.hex,
                    registration_identifiers=[],
                    created_at=_NOW,
                )
            )
            connection.execute(
                users.insert().values(
                    id=user_id,
                    email=f"{user_id.hex[:8]}@example.org",
                    password_hash="x",
                    is_operator=False,
                    disabled=False,
                    created_at=_NOW,
                )
            )
            # the role as a bare string, so only the database's CHECK constraint judges it
            user_value = memberships.c.user_id.type.bind_processor(connection.dialect)
            issuer_value = memberships.c.issuer_id.type.bind_processor(connection.dialect)
            connection.execute(
                text(
                    "INSERT INTO memberships (user_id, issuer_id, role, created_at) "
                    "VALUES (:user, :issuer, :role, :now)"
                ).bindparams(now=_NOW),
                {
                    "user": user_value(user_id) if user_value else user_id,
                    "issuer": issuer_value(issuer_id) if issuer_value else issuer_id,
                    "role": role,
                },
            )
    finally:
        engine.dispose()


def _roles(url: str) -> list[str]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT role FROM memberships"))]
    finally:
        engine.dispose()


def test_head_admits_the_recognition_officer_role(empty_database_url: str) -> None:
    migrate(empty_database_url)

    _insert_member(empty_database_url, "recognition_officer")

    assert _roles(empty_database_url) == ["recognition_officer"]


def test_the_check_constraint_still_refuses_unknown_roles(empty_database_url: str) -> None:
    migrate(empty_database_url)

    with pytest.raises(IntegrityError):
        _insert_member(empty_database_url, "superuser")
    assert _roles(empty_database_url) == []


def test_downgrade_turns_officers_into_viewers(empty_database_url: str) -> None:
    migrate(empty_database_url)
    _insert_member(empty_database_url, "recognition_officer")
    _insert_member(empty_database_url, "registrar")

    downgrade(empty_database_url, "0011")

    assert sorted(_roles(empty_database_url)) == ["registrar", "viewer"]
    # SQLite: the CHECK constraint; PostgreSQL: VARCHAR(16) already refuses the value
    with pytest.raises((IntegrityError, DataError)):
        _insert_member(empty_database_url, "recognition_officer")
