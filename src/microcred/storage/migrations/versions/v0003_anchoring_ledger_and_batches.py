"""Anchoring: the embedded ledger (entries, signed checkpoints) and anchoring batches.

New tables only (``storage/ledger_tables.py``): ``ledger_entries``, ``ledger_checkpoints``,
``anchor_batches``, ``anchor_batch_items``. Downgrading drops them with the ledger's history:
export the ledger (its entries and checkpoints are public) before doing that anywhere real.

Revision ID: 0003
Revises: 0002
Created: 2026-11-29 00:10:57.762130
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("head_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tree_root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verification_method", sa.String(length=300), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_ledger_checkpoints_positive_size")),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("batch_id", sa.String(length=100), nullable=False),
        sa.Column("account", sa.String(length=700), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(length=32), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_ledger_entries_non_negative_position")),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_ledger_entries_entry_hash")),
        sa.UniqueConstraint("root", name=op.f("uq_ledger_entries_root")),
    )
    op.create_table(
        "anchor_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "sealed",
                "published",
                "completed",
                name="anchor_batch_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("ledger_id", sa.String(length=300), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locator", sa.String(length=300), nullable=True),
        sa.Column("account", sa.String(length=700), nullable=True),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("size > 0", name=op.f("ck_anchor_batches_positive_size")),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_anchor_batches_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anchor_batches")),
        sa.UniqueConstraint("id", "issuer_id", name=op.f("uq_anchor_batches_id_issuer_id")),
    )
    with op.batch_alter_table("anchor_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_anchor_batches_issuer_id_state"), ["issuer_id", "state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_anchor_batches_root"), ["root"], unique=False)
        batch_op.create_index(batch_op.f("ix_anchor_batches_state"), ["state"], unique=False)

    op.create_table(
        "anchor_batch_items",
        sa.Column("credential_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("leaf_index", sa.Integer(), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "leaf_index >= 0", name=op.f("ck_anchor_batch_items_non_negative_leaf_index")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id", "issuer_id"],
            ["anchor_batches.id", "anchor_batches.issuer_id"],
            name=op.f("fk_anchor_batch_items_batch_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id", "issuer_id"],
            ["credentials.id", "credentials.issuer_id"],
            name=op.f("fk_anchor_batch_items_credential_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_anchor_batch_items_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_anchor_batch_items")),
        sa.UniqueConstraint(
            "batch_id", "leaf_index", name=op.f("uq_anchor_batch_items_batch_id_leaf_index")
        ),
    )
    with op.batch_alter_table("anchor_batch_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_anchor_batch_items_issuer_id"), ["issuer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("anchor_batch_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anchor_batch_items_issuer_id"))

    op.drop_table("anchor_batch_items")
    with op.batch_alter_table("anchor_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anchor_batches_state"))
        batch_op.drop_index(batch_op.f("ix_anchor_batches_root"))
        batch_op.drop_index(batch_op.f("ix_anchor_batches_issuer_id_state"))

    op.drop_table("anchor_batches")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_checkpoints")
