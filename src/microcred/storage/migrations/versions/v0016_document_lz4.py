"""Credentials: compress stored documents with LZ4 instead of pglz (PostgreSQL).

A signed credential is about 5.5 KB of JSON, so PostgreSQL compresses it into its TOAST
table on every insert, and again when anchoring writes the anchor proof into it. pglz was
about 8 % of the database's CPU in a 20,000-row bulk run (round 7 of ``docs/performance.md``);
LZ4 compresses several times faster at a similar ratio for JSON. Rows already stored keep
their compression until they are written again; reads handle both. A server built without
LZ4 keeps pglz (the statement is skipped), and so does PostgreSQL before 14 (no per-column
compression). SQLite: nothing to do.

Revision ID: 0016
Revises: 0015
Created: 2026-11-29 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SET = (
    "DO $$ BEGIN"
    " ALTER TABLE credentials ALTER COLUMN document SET COMPRESSION {method};"
    " EXCEPTION WHEN feature_not_supported THEN NULL;"
    " END $$"
)


def _column_compression_known() -> bool:
    """PostgreSQL 14 or later (earlier servers have no per-column compression: nothing to do)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    version = bind.exec_driver_sql("SHOW server_version_num").scalar()
    return int(str(version)) >= 140000


def upgrade() -> None:
    if _column_compression_known():
        op.execute(_SET.format(method="lz4"))


def downgrade() -> None:
    if _column_compression_known():
        op.execute(_SET.format(method="pglz"))
