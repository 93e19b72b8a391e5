"""The ``recognition_officer`` membership role.

``memberships.role`` becomes VARCHAR(32) (the new value has 19 characters) and its CHECK
constraint admits ``recognition_officer``. SQLite rebuilds the table (batch mode). Downgrading
turns recognition officers into viewers (read-only, the closest old role) and restores the
old column and constraint.

Revision ID: 0012
Revises: 0011
Created: 2026-11-29 04:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("admin", "designer", "registrar", "viewer")
_NEW = (*_OLD, "recognition_officer")
_CONSTRAINT = "ck_memberships_role"


def _check(values: Sequence[str]) -> str:
    return "role IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _change(values: Sequence[str], length: int, old_length: int) -> None:
    with op.batch_alter_table("memberships", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f(_CONSTRAINT), type_="check")
        batch_op.alter_column(
            "role",
            existing_type=sa.String(length=old_length),
            type_=sa.String(length=length),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(op.f(_CONSTRAINT), _check(values))


def upgrade() -> None:
    _change(_NEW, 32, 16)


def downgrade() -> None:
    op.execute(sa.text("UPDATE memberships SET role = 'viewer' WHERE role = 'recognition_officer'"))
    _change(_OLD, 16, 32)
