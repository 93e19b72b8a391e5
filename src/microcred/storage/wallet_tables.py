"""Tables of the learner wallet: public share links and wallet sessions.

They join :data:`microcred.storage.tables.Base.metadata` when this module is imported (the end
of ``tables.py`` imports it, like ``ledger_tables``).

* ``credential_shares``: the public page of one credential, ``/c/<share_id>``. ``share_id`` is
  random (128 bits, URL-safe) and stays the same for the credential's life, so a printed
  certificate's QR code keeps pointing at the same address; the page answers only while
  ``shared_at`` is set (the learner turned sharing on) — turning it off sets it to NULL.
* ``wallet_sessions``: a learner's signed-in browser. The cookie carries a random secret; only
  its SHA-256 is stored. A session belongs to one learner of one issuer (composite foreign key,
  like every tenant-owned row) and ends at ``expires_at``.

See ``docs/web.md``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from microcred.storage.tables import Base
from microcred.storage.types import UTCDateTime

__all__ = ["CredentialShare", "WalletSession"]


class CredentialShare(Base, kw_only=True):
    """The public share link of one credential (see the module docstring)."""

    __tablename__ = "credential_shares"

    credential_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    share_id: Mapped[str] = mapped_column(String(64), unique=True)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["credential_id", "issuer_id"],
            ["credentials.id", "credentials.issuer_id"],
            ondelete="CASCADE",
        ),
    )


class WalletSession(Base, kw_only=True):
    """A learner's wallet session; the cookie carries a secret whose hash is ``id_hash``."""

    __tablename__ = "wallet_sessions"

    id_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)

    __table_args__ = (
        ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            ondelete="CASCADE",
        ),
        Index(None, "learner_id"),
    )
