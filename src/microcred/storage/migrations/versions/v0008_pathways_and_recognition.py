"""Pathways (stackable micro-credentials) and recognition of external credentials.

New tables only (``storage/pathway_tables.py``): ``pathways`` (target definition + rule JSON),
``external_credentials`` (imported credentials of other issuers with their verification report),
``recognition_decisions`` (one per external credential) and ``pathway_awards`` (one per learner
and pathway: the unique constraint keeps repeated evaluations from awarding twice). Downgrading
drops all four.

Revision ID: 0008
Revises: 0007
Created: 2026-11-29 02:53:11.867933
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("credential_uri", sa.String(length=1000), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("issuer_did", sa.String(length=512), nullable=True),
        sa.Column("achievement_id", sa.String(length=1000), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.Uuid(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by"],
            ["users.id"],
            name=op.f("fk_external_credentials_imported_by"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_external_credentials_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            name=op.f("fk_external_credentials_learner_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_credentials")),
        sa.UniqueConstraint("id", "issuer_id", name=op.f("uq_external_credentials_id_issuer_id")),
        sa.UniqueConstraint(
            "issuer_id",
            "learner_id",
            "document_sha256",
            name=op.f("uq_external_credentials_issuer_id_learner_id_document_sha256"),
        ),
    )
    with op.batch_alter_table("external_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_credentials_issuer_id_imported_at"),
            ["issuer_id", "imported_at"],
            unique=False,
        )

    op.create_table(
        "pathways",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("target_definition_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_pathways_issuer_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_definition_id", "issuer_id"],
            ["definitions.id", "definitions.issuer_id"],
            name=op.f("fk_pathways_target_definition_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathways")),
        sa.UniqueConstraint("id", "issuer_id", name=op.f("uq_pathways_id_issuer_id")),
        sa.UniqueConstraint("issuer_id", "slug", name=op.f("uq_pathways_issuer_id_slug")),
    )
    op.create_table(
        "pathway_awards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("pathway_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "issued",
                "rejected",
                name="award_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_pathway_awards_credential_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_pathway_awards_decided_by"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_pathway_awards_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            name=op.f("fk_pathway_awards_learner_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id", "issuer_id"],
            ["pathways.id", "pathways.issuer_id"],
            name=op.f("fk_pathway_awards_pathway_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_awards")),
        sa.UniqueConstraint(
            "pathway_id", "learner_id", name=op.f("uq_pathway_awards_pathway_id_learner_id")
        ),
    )
    with op.batch_alter_table("pathway_awards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pathway_awards_issuer_id_state"), ["issuer_id", "state"], unique=False
        )

    op.create_table(
        "recognition_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("external_credential_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "recognised",
                "refused",
                name="recognition_outcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ects", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("pathway_id", sa.Uuid(), nullable=True),
        sa.Column("programme", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "outcome = 'refused' OR ects IS NOT NULL",
            name=op.f("ck_recognition_decisions_recognised_has_ects"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_recognition_decisions_credential_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_recognition_decisions_decided_by"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["external_credential_id", "issuer_id"],
            ["external_credentials.id", "external_credentials.issuer_id"],
            name=op.f("fk_recognition_decisions_external_credential_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_recognition_decisions_issuer_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            name=op.f("fk_recognition_decisions_learner_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id", "issuer_id"],
            ["pathways.id", "pathways.issuer_id"],
            name=op.f("fk_recognition_decisions_pathway_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_decisions")),
        sa.UniqueConstraint(
            "external_credential_id", name=op.f("uq_recognition_decisions_external_credential_id")
        ),
    )
    with op.batch_alter_table("recognition_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recognition_decisions_issuer_id_learner_id"),
            ["issuer_id", "learner_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("recognition_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recognition_decisions_issuer_id_learner_id"))

    op.drop_table("recognition_decisions")
    with op.batch_alter_table("pathway_awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_awards_issuer_id_state"))

    op.drop_table("pathway_awards")
    op.drop_table("pathways")
    with op.batch_alter_table("external_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_credentials_issuer_id_imported_at"))

    op.drop_table("external_credentials")
