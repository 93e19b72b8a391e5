"""The read-cache epoch: one write of each epoch row per transaction on PostgreSQL.

0011's deferred row triggers wrote the epoch row once per changed row: an anchoring chunk that
rewrites 500 credentials wrote it 500 times at commit. The trigger function now remembers (in a
transaction-local setting) that it already gave the row a new token in this transaction and
returns at once after that. SQLite is unchanged.

Revision ID: 0013
Revises: 0012
Created: 2026-11-29 03:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from microcred.storage.epoch import bump_every_row, bump_once_per_transaction

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bump_once_per_transaction(op.execute, op.get_bind().dialect.name)


def downgrade() -> None:
    bump_every_row(op.execute, op.get_bind().dialect.name)
