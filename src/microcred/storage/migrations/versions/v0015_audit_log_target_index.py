"""Audit log: an index on ``(issuer_id, target_id)`` for one target's history.

The console's credential page reads the audit entries of one credential
(``AuditRepository.list_for_issuer(..., target_id=...)``). The only index so far,
``(issuer_id, at)``, made that a walk through every entry of the issuer (a bulk import writes
one per credential); this one finds a target's entries directly. A plain ``CREATE INDEX``: no
table is rebuilt, so the cache-epoch triggers are untouched.

Revision ID: 0015
Revises: 0014
Created: 2026-11-29 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_audit_log_issuer_id_target_id"),
        "audit_log",
        ["issuer_id", "target_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_issuer_id_target_id"), table_name="audit_log")
