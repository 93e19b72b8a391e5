"""Migration 0004 on a database that already holds status lists (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from storage_helpers import StepClock, make_issuer

from microcred.errors import Conflict
from microcred.storage import Database, StatusList, StatusPurpose, UnitOfWorkFactory, migrate
from microcred.storage.database import create_database_engine
from microcred.storage.migrator import downgrade


def _insert_lists(url: str, issuer_id: uuid.UUID) -> list[uuid.UUID]:
    engine = create_database_engine(url)
    ids = [uuid.uuid4() for _ in range(3)]
    rows = [
        (ids[0], "revocation", datetime(2026, 1, 2, tzinfo=UTC)),
        (ids[1], "revocation", datetime(2026, 1, 1, tzinfo=UTC)),
        (ids[2], "suspension", datetime(2026, 1, 3, tzinfo=UTC)),
    ]
    try:
        with engine.begin() as connection:
            for list_id, purpose, created in rows:
                connection.execute(
                    text(
                        "INSERT INTO status_lists (id, issuer_id, purpose, size, bitstring, "
                        "version, created_at) VALUES (:id, :issuer, :purpose, 8, :bits, 1, :at)"
                    ),
                    {
                        "id": list_id if engine.dialect.name == "postgresql" else list_id.hex,
                        "issuer": issuer_id
                        if engine.dialect.name == "postgresql"
                        else issuer_id.hex,
                        "purpose": purpose,
                        "bits": b"\0",
                        "at": created,
                    },
                )
    finally:
        engine.dispose()
    return ids


def test_existing_lists_are_numbered_by_creation_time(empty_database_url: str) -> None:
    migrate(empty_database_url, "0003")
    database = Database.from_url(empty_database_url)
    try:
        uow = UnitOfWorkFactory(database, StepClock())
        issuer = make_issuer(uow, "alpha")
        later, earlier, suspension = _insert_lists(empty_database_url, issuer.id)

        migrate(empty_database_url)

        with uow(read_only=True) as tx:
            lists = {row.id: row.number for row in tx.status_lists.list_for_issuer(issuer.id)}
        assert lists == {earlier: 1, later: 2, suspension: 1}
        with uow() as tx, pytest.raises(Conflict):
            tx.status_lists.add_list(
                StatusList(
                    issuer_id=issuer.id,
                    purpose=StatusPurpose.REVOCATION,
                    size=8,
                    number=2,
                    bitstring=b"\0",
                )
            )

        downgrade(empty_database_url, "0003")
        migrate(empty_database_url)
    finally:
        database.dispose()
