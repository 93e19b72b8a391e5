"""The learner wallet: public share links of credentials and wallet sessions.

New tables only (``storage/wallet_tables.py``): ``credential_shares`` (one row per credential
that was ever shared or got a share link; the public page ``/c/<share_id>`` answers only while
``shared_at`` is set) and ``wallet_sessions`` (a learner's signed-in browser; only the hash of
the cookie's secret is stored). Downgrading drops both: every share link and wallet session
ends.

Revision ID: 0006
Revises: 0005
Created: 2026-11-29 01:01:58.299254
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_sessions",
        sa.Column("id_hash", sa.String(length=128), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_wallet_sessions_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            name=op.f("fk_wallet_sessions_learner_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_wallet_sessions")),
    )
    with op.batch_alter_table("wallet_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wallet_sessions_learner_id"), ["learner_id"], unique=False
        )

    op.create_table(
        "credential_shares",
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("share_id", sa.String(length=64), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id", "issuer_id"],
            ["credentials.id", "credentials.issuer_id"],
            name=op.f("fk_credential_shares_credential_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_credential_shares_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_credential_shares")),
        sa.UniqueConstraint("share_id", name=op.f("uq_credential_shares_share_id")),
    )


def downgrade() -> None:
    op.drop_table("credential_shares")
    with op.batch_alter_table("wallet_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_sessions_learner_id"))
        batch_op.drop_index(batch_op.f("ix_wallet_sessions_expires_at"))

    op.drop_table("wallet_sessions")
