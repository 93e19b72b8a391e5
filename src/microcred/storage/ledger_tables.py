"""Tables of anchoring: the embedded ledger and the anchoring batches.

They join :data:`microcred.storage.tables.Base.metadata` when this module is imported (the end
of ``tables.py`` imports it, so every user of the metadata — migrations, tests — sees them).

* ``ledger_entries``: the embedded ledger's append-only, hash-chained entries (public data: a
  Merkle root, the batch id, the issuer's DID, the time and two hashes). ``position`` is the
  entry index; the primary key on it and the unique root make a fork or a double entry
  impossible.
* ``ledger_checkpoints``: signed statements of the ledger's size, head hash and Merkle root.
* ``anchor_batches``: one batch of one issuer's credentials: its Merkle root (recorded *before*
  it is published, so a crash can never lose or double-publish it), the ledger's receipt, the
  state ``sealed`` -> ``published`` -> ``completed``.
* ``anchor_batch_items``: which credential is leaf ``leaf_index`` of which batch, with the
  digest that was hashed, and when its anchor proof was written into the stored document. A
  credential is in at most one batch (primary key).

See ``docs/anchoring.md``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from microcred.storage.tables import Base
from microcred.storage.types import UTCDateTime

__all__ = [
    "AnchorBatch",
    "AnchorBatchItem",
    "AnchorBatchState",
    "LedgerCheckpointRow",
    "LedgerEntryRow",
]


class AnchorBatchState(StrEnum):
    SEALED = "sealed"  # items and root recorded; not yet known to be on the ledger
    PUBLISHED = "published"  # the ledger has the root; proofs being written
    COMPLETED = "completed"  # every credential carries its anchor proof


# --------------------------------------------------------------------------- embedded ledger


class LedgerEntryRow(Base, kw_only=True):
    """One entry of the embedded ledger (see ``anchoring/backends/embedded.py``)."""

    __tablename__ = "ledger_entries"

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    batch_id: Mapped[str] = mapped_column(String(100))
    account: Mapped[str] = mapped_column(String(700))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)

    __table_args__ = (CheckConstraint("position >= 0", name="non_negative_position"),)


class LedgerCheckpointRow(Base, kw_only=True):
    """A signed checkpoint of the embedded ledger; one per size."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    tree_root: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verification_method: Mapped[str] = mapped_column(String(300))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))

    __table_args__ = (CheckConstraint("size > 0", name="positive_size"),)


# --------------------------------------------------------------------------- batches


class AnchorBatch(Base, kw_only=True):
    """A batch of one issuer's credentials anchored under one Merkle root."""

    __tablename__ = "anchor_batches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    state: Mapped[AnchorBatchState] = mapped_column(
        SAEnum(
            AnchorBatchState,
            name="anchor_batch_state",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [member.value for member in members],
            validate_strings=True,
        ),
        default=AnchorBatchState.SEALED,
    )
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    ledger_id: Mapped[str] = mapped_column(String(300))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locator: Mapped[str | None] = mapped_column(String(300), default=None)
    account: Mapped[str | None] = mapped_column(String(700), default=None)
    anchored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)

    __table_args__ = (
        CheckConstraint("size > 0", name="positive_size"),
        UniqueConstraint("id", "issuer_id"),
        Index(None, "issuer_id", "state"),
        Index(None, "state"),
        Index(None, "root"),
    )


class AnchorBatchItem(Base, kw_only=True):
    """Credential ``credential_id`` is leaf ``leaf_index`` of batch ``batch_id``."""

    __tablename__ = "anchor_batch_items"

    credential_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    leaf_index: Mapped[int] = mapped_column(Integer)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    problem: Mapped[str | None] = mapped_column(String(1000), default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["credential_id", "issuer_id"],
            ["credentials.id", "credentials.issuer_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["batch_id", "issuer_id"],
            ["anchor_batches.id", "anchor_batches.issuer_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("batch_id", "leaf_index"),
        CheckConstraint("leaf_index >= 0", name="non_negative_leaf_index"),
        Index(None, "issuer_id"),
    )
