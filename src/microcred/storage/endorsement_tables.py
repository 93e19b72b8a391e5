"""Tables of endorsements: partner organisations and the endorsements they gave.

They join :data:`microcred.storage.tables.Base.metadata` when this module is imported (the end
of ``tables.py`` imports it, like ``wallet_tables``).

* ``partners``: an organisation that endorses an issuer's definitions or the issuer itself
  (an industry partner), with its DID. ``key_id`` names the key the platform holds for it in
  the key store (a partner without a platform of its own); ``NULL`` when the partner signs its
  endorsements elsewhere and uploads them.
* ``endorsements``: one signed Open Badges ``EndorsementCredential`` (``document``, verified
  before it was stored) about a definition version (``subject_id`` = the version's achievement
  id) or about the issuer (``subject_id`` = the issuer's DID). ``withdrawn_at`` set: no longer
  placed into newly issued credentials.

See ``docs/endorsements.md``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from microcred.storage.tables import Base
from microcred.storage.types import UTCDateTime

__all__ = ["Endorsement", "Partner"]


class Partner(Base, kw_only=True):
    """An endorsing organisation of one issuer (see the module docstring)."""

    __tablename__ = "partners"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    did: Mapped[str] = mapped_column(String(512))
    homepage: Mapped[str | None] = mapped_column(String(2048), default=None)
    key_id: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)

    __table_args__ = (
        UniqueConstraint("issuer_id", "did"),
        UniqueConstraint("id", "issuer_id"),
    )


class Endorsement(Base, kw_only=True):
    """One stored, verified EndorsementCredential (see the module docstring)."""

    __tablename__ = "endorsements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    partner_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    target_type: Mapped[str] = mapped_column(String(16))
    definition_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("definitions.id", ondelete="CASCADE"), default=None
    )
    subject_id: Mapped[str] = mapped_column(String(1000))
    credential_uri: Mapped[str] = mapped_column(String(1000))
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    source: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["partner_id", "issuer_id"],
            ["partners.id", "partners.issuer_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("issuer_id", "credential_uri"),
        Index(None, "issuer_id", "subject_id"),
        Index(None, "partner_id"),
    )
