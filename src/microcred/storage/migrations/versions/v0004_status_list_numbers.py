"""Status lists get a number; status entries may precede their credential within a transaction.

* ``status_lists.number`` (from 1 per issuer and purpose) is the last part of a list's public
  URL ``<base_url>/status/<slug>/<purpose>/<number>``; ``UNIQUE (issuer_id, purpose, number)``
  replaces the plain index on ``(issuer_id, purpose)``, so two transactions that both open "the
  next list" cannot both succeed. Existing lists are numbered by creation time.
* ``status_entries.credential_id`` -> ``credentials.id`` becomes ``DEFERRABLE INITIALLY
  DEFERRED``: issuance allocates the entries first (they go into the signed credential) and
  stores the credential later in the same transaction; the key is checked at COMMIT.

Revision ID: 0004
Revises: 0003
Created: 2026-11-29 00:14:21.830096
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_status_entries_credential_id"), type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_status_entries_credential_id"),
            "credentials",
            ["credential_id"],
            ["id"],
            ondelete="CASCADE",
            initially="DEFERRED",
            deferrable=True,
        )

    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE status_lists SET number = ("
        "SELECT COUNT(*) FROM status_lists AS earlier "
        "WHERE earlier.issuer_id = status_lists.issuer_id "
        "AND earlier.purpose = status_lists.purpose "
        "AND (earlier.created_at < status_lists.created_at "
        "OR (earlier.created_at = status_lists.created_at AND earlier.id <= status_lists.id)))"
    )
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_status_lists_issuer_id_purpose"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_status_lists_issuer_id_purpose_number"),
            ["issuer_id", "purpose", "number"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_status_lists_positive_number"), "number > 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_status_lists_positive_number"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("uq_status_lists_issuer_id_purpose_number"), type_="unique"
        )
        batch_op.create_index(
            batch_op.f("ix_status_lists_issuer_id_purpose"), ["issuer_id", "purpose"], unique=False
        )
        batch_op.drop_column("number")

    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_status_entries_credential_id"), type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_status_entries_credential_id"),
            "credentials",
            ["credential_id"],
            ["id"],
            ondelete="CASCADE",
        )
