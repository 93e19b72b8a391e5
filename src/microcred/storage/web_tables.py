"""Tables of the web experience: verification counts and the console's held uploads.

They join :data:`microcred.storage.tables.Base.metadata` when this module is imported (the end
of ``tables.py`` imports it, like ``wallet_tables``).

* ``verification_counts``: how many times one of the platform's credentials was verified on a
  given day (UTC) by the public verifier, a public credential page or the VC-API verify
  endpoints. One row per credential and day, incremented in batches
  (:class:`microcred.services.usage.UsageService`); the console's dashboard sums them per
  definition and per day.
* ``console_uploads``: a bulk-import file held between the console's steps (upload → map
  columns → dry run → start). Kept in the database, not in one process's memory, so it works
  with several server workers and after a restart. The browser holds a random key; only its
  SHA-256 is stored. Rows are deleted after an hour (on the next upload).

See ``docs/console.md``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from microcred.storage.tables import Base
from microcred.storage.types import UTCDateTime

__all__ = ["ConsoleUpload", "VerificationCount"]


class VerificationCount(Base, kw_only=True):
    """Verifications of one credential on one day (UTC)."""

    __tablename__ = "verification_counts"

    credential_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    day: Mapped[date] = mapped_column(Date(), primary_key=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), index=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        ForeignKeyConstraint(
            ["credential_id", "issuer_id"],
            ["credentials.id", "credentials.issuer_id"],
            ondelete="CASCADE",
        ),
    )


class ConsoleUpload(Base, kw_only=True):
    """A bulk-import file between the console's steps (see the module docstring)."""

    __tablename__ = "console_uploads"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), default=None)
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
