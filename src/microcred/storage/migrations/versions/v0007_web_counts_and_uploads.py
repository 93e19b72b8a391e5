"""The web experience: verification counts and the console's held import uploads.

New tables only (``storage/web_tables.py``): ``verification_counts`` (verifications of the
platform's credentials per credential and day, for the console's dashboard) and
``console_uploads`` (a bulk-import file between the console's steps, so the steps work across
server workers and restarts). Downgrading drops both: the counts and any held upload are lost.

Revision ID: 0007
Revises: 0006
Created: 2026-11-29 02:52:28.592444
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_uploads",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_console_uploads_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_console_uploads")),
    )
    with op.batch_alter_table("console_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_uploads_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "verification_counts",
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id", "issuer_id"],
            ["credentials.id", "credentials.issuer_id"],
            name=op.f("fk_verification_counts_credential_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_verification_counts_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", "day", name=op.f("pk_verification_counts")),
    )
    with op.batch_alter_table("verification_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_counts_issuer_id"), ["issuer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("verification_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_counts_issuer_id"))

    op.drop_table("verification_counts")
    with op.batch_alter_table("console_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_uploads_created_at"))

    op.drop_table("console_uploads")
