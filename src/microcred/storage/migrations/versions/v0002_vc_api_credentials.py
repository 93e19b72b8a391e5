"""Credentials without a definition version or learner (signed through the VC-API).

``POST /credentials/issue`` receives a whole unsigned credential: it was composed by the
caller, not from one of our definition versions, and names its subject directly, not through a
learner row. Such credentials are stored with both columns NULL. The composite foreign keys
stay; with a NULL part they are not checked.

Downgrading fails while such credentials exist (delete or re-home them first).

Revision ID: 0002
Revises: 0001
Created: 2026-11-28 23:58:37.641416
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.alter_column("definition_version_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column("learner_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.alter_column("learner_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("definition_version_id", existing_type=sa.Uuid(), nullable=False)
