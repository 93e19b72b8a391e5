"""Migration 0016: credential documents are compressed with LZ4 on PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest
from storage_helpers import create_postgres_database, drop_postgres_database

from microcred.storage import migrate
from microcred.storage.migrator import downgrade


def _method(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'credentials'::regclass AND attname = 'document'"
        ).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.postgres
def test_documents_use_lz4_and_the_downgrade_restores_pglz(postgres_admin_url: str) -> None:
    url = create_postgres_database(postgres_admin_url)
    try:
        migrate(url, "0015")
        assert _method(url) == ""  # the server's default (pglz here)
        migrate(url)
        assert _method(url) == "l"
        downgrade(url, "0015")
        assert _method(url) == "p"
    finally:
        drop_postgres_database(postgres_admin_url, url)
