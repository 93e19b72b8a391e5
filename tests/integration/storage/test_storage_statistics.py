"""Planner statistics refreshed while a bulk job fills tables (PostgreSQL).

A never-analysed ``learners`` table makes PostgreSQL check ``credentials (learner_id,
issuer_id)`` through ``learners (issuer_id, email)`` — every learner of the issuer read for
each credential stored. After :func:`refresh_stale_statistics` the check uses the key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import create_engine
from storage_helpers import create_postgres_database, drop_postgres_database

from microcred.storage import migrate
from microcred.storage.statistics import BULK_TABLES, refresh_stale_statistics, stale_tables

_FK_LOOKUP = (
    "PREPARE fk_lookup(uuid, uuid) AS SELECT 1 FROM ONLY learners x"
    " WHERE id = $1 AND issuer_id = $2 FOR KEY SHARE OF x"
)


@pytest.fixture
def fresh_postgres(postgres_admin_url: str) -> Iterator[str]:
    """A migrated database of this test alone: its tables never analysed."""
    url = create_postgres_database(postgres_admin_url)
    try:
        migrate(url)
        yield url
    finally:
        drop_postgres_database(postgres_admin_url, url)


def _fill_learners(url: str, count: int) -> None:
    issuer = uuid.uuid4()
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO issuers (id, slug, name, did_method, did, registration_identifiers,"
            " created_at) VALUES (%s, 'stats', 'Stats', 'web', 'did:web:stats', '[]', now())",
            (issuer,),
        )
        with conn.cursor().copy(
            "COPY learners (id, issuer_id, name, email, created_at) FROM STDIN"
        ) as copy:
            for n in range(count):
                copy.write_row((uuid.uuid4(), issuer, f"L{n}", f"l{n}@example.org", "2026-01-01"))
        conn.commit()
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.commit()


def _lookup_plan(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(_FK_LOOKUP)
        rows = conn.execute(
            "EXPLAIN EXECUTE fk_lookup(gen_random_uuid(), gen_random_uuid())"
        ).fetchall()
    return "\n".join(str(row[0]) for row in rows)


@pytest.mark.postgres
def test_the_key_check_uses_the_key_index_after_the_refresh(fresh_postgres: str) -> None:
    _fill_learners(fresh_postgres, 3000)
    engine = create_engine(fresh_postgres.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            assert "learners" in stale_tables(connection, BULK_TABLES)
            assert "credentials" not in stale_tables(connection, BULK_TABLES)  # still empty
            assert "learners" in refresh_stale_statistics(connection, BULK_TABLES)
            connection.commit()
            assert stale_tables(connection, BULK_TABLES) == []  # nothing left to analyse
            assert refresh_stale_statistics(connection, BULK_TABLES) == []
    finally:
        engine.dispose()
    plan = _lookup_plan(fresh_postgres)
    # an index on the learner id (the primary key or the (id, issuer_id) key), not a scan of
    # the issuer's learners with the id as a filter
    assert "pk_learners" in plan or "uq_learners_id_issuer_id" in plan, plan
    assert "Filter: (id = $1)" not in plan, plan


def test_sqlite_has_nothing_to_refresh(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    migrate(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert stale_tables(connection, BULK_TABLES) == []
            assert refresh_stale_statistics(connection, BULK_TABLES) == []
    finally:
        engine.dispose()
