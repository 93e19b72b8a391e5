"""Credentials: the anchoring leaf digest, stored at issuing time.

``credentials.anchor_digest`` (32 bytes, nullable) holds ``SHA-256(JCS(C'))`` of the credential
as issued (``anchoring/proof.py``). The bulk path fills it, so sealing an anchoring batch reads
the digests instead of the documents; NULL (credentials issued before, other paths) means
"compute it from the document", as before.

Revision ID: 0014
Revises: 0013
Created: 2026-11-29 04:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("credentials", sa.Column("anchor_digest", sa.LargeBinary(length=32)))


def downgrade() -> None:
    # a plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): recreating the table would lose
    # its triggers
    op.drop_column("credentials", "anchor_digest")
