"""Issuer keys get ``compromised_at``: a planned rotation is no longer a compromise.

* ``issuer_keys.compromised_at`` (nullable) is set only when the issuer reports a key as
  compromised (``IssuerService.mark_key_compromised``); the DID document then lists the key
  with ``revoked`` = that time. A key that was merely rotated out is listed with ``expires`` =
  ``rotated_at`` instead.
* Keys rotated before this revision keep ``compromised_at`` NULL: rotation never meant
  compromise, so their DID documents change from ``revoked`` to ``expires`` (credentials they
  signed before the rotation verify as before, now without the compromise rules of
  ``anchor.key``). An issuer that rotated because a key leaked must mark it compromised.

Revision ID: 0005
Revises: 0004
Created: 2026-11-29 00:24:36.051023
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("issuer_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compromised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issuer_keys", schema=None) as batch_op:
        batch_op.drop_column("compromised_at")
