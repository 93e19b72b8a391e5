"""The read-cache epoch, second layout: a "pages" row, and deferred triggers on PostgreSQL.

* Row 2 of ``cache_epochs`` changes with what a public credential page shows besides the
  verification: ``credential_shares`` (any change), ``credentials`` (update, delete),
  ``learners`` (name, delete), ``issuers`` (update, delete).
* On PostgreSQL the triggers become deferred constraint triggers (run at commit): the epoch
  row is then the last lock a writing transaction takes, so it cannot close a deadlock cycle
  with the status list and key rows (0010's statement triggers took it mid-transaction).
* SQLite (one writer at a time) keeps row triggers, renamed per row.

Downgrading restores 0010's triggers and drops row 2.

Revision ID: 0011
Revises: 0010
Created: 2026-11-29 03:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from microcred.storage.epoch import (
    drop_current_triggers,
    drop_triggers,
    install_current_triggers,
    install_triggers,
)

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    drop_triggers(op.execute, dialect)
    install_current_triggers(op.execute, dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    drop_current_triggers(op.execute, dialect)
    op.execute("DELETE FROM cache_epochs WHERE id <> 1")
    install_triggers(op.execute, dialect)
