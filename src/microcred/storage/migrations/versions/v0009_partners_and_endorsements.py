"""Partner organisations and their Open Badges endorsements.

New tables only (``storage/endorsement_tables.py``): ``partners`` (an issuer's endorsing
organisations with their DID and, for a partner without a platform of its own, the id of the
key held for it in the key store) and ``endorsements`` (each verified EndorsementCredential
about a definition version or the issuer). Downgrading drops both.

Revision ID: 0009
Revises: 0008
Created: 2026-11-29 03:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("did", sa.String(length=512), nullable=False),
        sa.Column("homepage", sa.String(length=2048), nullable=True),
        sa.Column("key_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_partners_issuer_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("id", "issuer_id", name=op.f("uq_partners_id_issuer_id")),
        sa.UniqueConstraint("issuer_id", "did", name=op.f("uq_partners_issuer_id_did")),
    )
    op.create_table(
        "endorsements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("definition_id", sa.Uuid(), nullable=True),
        sa.Column("subject_id", sa.String(length=1000), nullable=False),
        sa.Column("credential_uri", sa.String(length=1000), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definitions.id"],
            name=op.f("fk_endorsements_definition_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_endorsements_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id", "issuer_id"],
            ["partners.id", "partners.issuer_id"],
            name=op.f("fk_endorsements_partner_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsements")),
        sa.UniqueConstraint(
            "issuer_id", "credential_uri", name=op.f("uq_endorsements_issuer_id_credential_uri")
        ),
    )
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_endorsements_issuer_id_subject_id"),
            ["issuer_id", "subject_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_endorsements_partner_id"), ["partner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endorsements_partner_id"))
        batch_op.drop_index(batch_op.f("ix_endorsements_issuer_id_subject_id"))
    op.drop_table("endorsements")
    op.drop_table("partners")
