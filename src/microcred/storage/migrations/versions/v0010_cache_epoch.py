"""The read-cache epoch: ``cache_epochs`` and the triggers that change its token.

New table ``cache_epochs`` (one row, ``id`` = 1, a random ``token``) and triggers on
``issuers`` (insert, delete, update of ``did``/``did_method``/``slug``), ``issuer_keys`` (any
change), ``status_lists`` (insert, delete, update of ``credential``/``etag``) and
``ledger_entries`` (any change) that give the row a new random token
(:mod:`microcred.storage.epoch`). Server processes cache their own DID documents, status lists
and verification reports under the token and drop them when it changes, so a revocation or a
key change made by any process is seen by every other at once (docs/performance.md).

SQLite drops a table's triggers when a batch migration rebuilds that table: a later revision
that rebuilds one of these tables must call ``microcred.storage.epoch.install_triggers`` again
(the platform does not cache when a trigger is missing, and a storage test checks them at head).

Revision ID: 0010
Revises: 0009
Created: 2026-11-29 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from microcred.storage.epoch import drop_triggers, install_triggers

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cache_epochs",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_epochs")),
    )
    install_triggers(op.execute, op.get_bind().dialect.name)


def downgrade() -> None:
    drop_triggers(op.execute, op.get_bind().dialect.name)
    op.drop_table("cache_epochs")
