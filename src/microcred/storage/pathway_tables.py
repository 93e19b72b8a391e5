"""Tables of pathways (stackable micro-credentials) and recognition of external credentials.

They join :data:`microcred.storage.tables.Base.metadata` when this module is imported (the end
of ``tables.py`` imports it, like ``wallet_tables``). Every row belongs to one issuer and points
at other rows of the same issuer through composite foreign keys.

* ``pathways``: a target award (a definition of the issuer) and the rule over its parts
  (``rule``, the JSON of :class:`microcred.pathways.PathwayRule`); ``requires_approval`` queues
  awards for a registrar instead of issuing them at once.
* ``external_credentials``: a credential issued elsewhere that a learner holds (imported by a
  recognition officer from a file, baked image or URL), with the verification report taken at
  import; ``(issuer_id, learner_id, document_sha256)`` is unique (importing it again finds it).
* ``recognition_decisions``: the officer's decision on one external credential (one decision per
  credential): recognised for N ECTS towards a pathway or a programme, or refused, with the
  reason; ``credential_id`` is the recognition credential when one was issued.
* ``pathway_awards``: one per learner and pathway (unique): ``pending`` (waiting for approval),
  ``issued`` (``credential_id`` is the award) or ``rejected``; ``parts`` lists what it rests on.

See ``docs/pathways.md`` and ``docs/recognition.md``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from microcred.storage.tables import Base
from microcred.storage.types import UTCDateTime

__all__ = [
    "AwardState",
    "ExternalCredential",
    "Pathway",
    "PathwayAward",
    "RecognitionDecision",
    "RecognitionOutcome",
]


class RecognitionOutcome(StrEnum):
    RECOGNISED = "recognised"
    REFUSED = "refused"


class AwardState(StrEnum):
    PENDING = "pending"
    ISSUED = "issued"
    REJECTED = "rejected"


def _vocabulary(enum: type[StrEnum], name: str) -> SAEnum:
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Pathway(Base, kw_only=True):
    """A pathway of one issuer (see the module docstring)."""

    __tablename__ = "pathways"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    target_definition_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["target_definition_id", "issuer_id"],
            ["definitions.id", "definitions.issuer_id"],
        ),
        UniqueConstraint("issuer_id", "slug"),
        UniqueConstraint("id", "issuer_id"),
    )


class ExternalCredential(Base, kw_only=True):
    """A credential from another issuer held by a learner (see the module docstring)."""

    __tablename__ = "external_credentials"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_sha256: Mapped[str] = mapped_column(String(64))
    credential_uri: Mapped[str | None] = mapped_column(String(1000), default=None)
    name: Mapped[str] = mapped_column(String(300))
    issuer_did: Mapped[str | None] = mapped_column(String(512), default=None)
    achievement_id: Mapped[str | None] = mapped_column(String(1000), default=None)
    source: Mapped[str] = mapped_column(String(200))
    verified: Mapped[bool] = mapped_column(Boolean)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)

    __table_args__ = (
        ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("issuer_id", "learner_id", "document_sha256"),
        UniqueConstraint("id", "issuer_id"),
        Index(None, "issuer_id", "imported_at"),
    )


class RecognitionDecision(Base, kw_only=True):
    """A recognition officer's decision on one external credential."""

    __tablename__ = "recognition_decisions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    external_credential_id: Mapped[uuid.UUID] = mapped_column(Uuid(), unique=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    outcome: Mapped[RecognitionOutcome] = mapped_column(
        _vocabulary(RecognitionOutcome, "recognition_outcome")
    )
    ects: Mapped[Decimal | None] = mapped_column(Numeric(7, 2), default=None)
    pathway_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), default=None)
    programme: Mapped[str | None] = mapped_column(String(300), default=None)
    reason: Mapped[str] = mapped_column(String(2000))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL"), default=None
    )

    __table_args__ = (
        ForeignKeyConstraint(
            ["external_credential_id", "issuer_id"],
            ["external_credentials.id", "external_credentials.issuer_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["pathway_id", "issuer_id"],
            ["pathways.id", "pathways.issuer_id"],
        ),
        CheckConstraint("outcome = 'refused' OR ects IS NOT NULL", name="recognised_has_ects"),
        Index(None, "issuer_id", "learner_id"),
    )


class PathwayAward(Base, kw_only=True):
    """The award of a pathway to a learner: one per learner and pathway."""

    __tablename__ = "pathway_awards"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    pathway_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    state: Mapped[AwardState] = mapped_column(_vocabulary(AwardState, "award_state"))
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    note: Mapped[str | None] = mapped_column(String(1000), default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["pathway_id", "issuer_id"],
            ["pathways.id", "pathways.issuer_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("pathway_id", "learner_id"),
        Index(None, "issuer_id", "state"),
    )
