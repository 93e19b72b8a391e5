"""The relational schema: SQLAlchemy 2 typed ORM classes, one per table.

Conventions
-----------
- Every row that belongs to an issuer (tenant) carries ``issuer_id``. Rows that point at another
  tenant-owned row do so through a *composite* foreign key ``(other_id, issuer_id)``, so the
  database itself refuses a credential of issuer A that points at a learner or a definition
  version of issuer B.
- Identifiers are random UUIDs (not guessable, safe to show in URLs); append-only logs use
  integers.
- Timestamps are :class:`~microcred.storage.types.UTCDateTime` and are set by the repositories
  from an injected clock, never by the database.
- Small closed vocabularies (states, roles) are stored as short strings with a CHECK constraint
  (``native_enum=False``), so adding a value never needs a PostgreSQL ``ALTER TYPE``.
- There are no ORM relationships: repositories query explicitly, so nothing loads lazily after
  a unit of work has closed.

Constraint names follow :data:`NAMING_CONVENTION`; Alembic migrations rely on them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, mapped_column

from microcred.storage.types import UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Credential",
    "CredentialState",
    "Definition",
    "DefinitionState",
    "DefinitionVersion",
    "DidMethod",
    "ImportJob",
    "ImportJobState",
    "ImportRow",
    "ImportRowState",
    "Issuer",
    "IssuerKey",
    "KeyStatus",
    "Learner",
    "Membership",
    "OutboxMessage",
    "Role",
    "StaffSession",
    "StatusEntry",
    "StatusList",
    "StatusPurpose",
    "User",
]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

# An auto-incrementing 64-bit key on PostgreSQL; SQLite only auto-increments "INTEGER PRIMARY KEY".
_BigId = BigInteger().with_variant(Integer(), "sqlite")


# --------------------------------------------------------------------------- vocabularies


class DidMethod(StrEnum):
    WEB = "web"
    KEY = "key"


class KeyStatus(StrEnum):
    ACTIVE = "active"
    ROTATED = "rotated"


class Role(StrEnum):
    ADMIN = "admin"
    DESIGNER = "designer"
    REGISTRAR = "registrar"
    VIEWER = "viewer"
    RECOGNITION_OFFICER = "recognition_officer"


class DefinitionState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


class CredentialState(StrEnum):
    ISSUED = "issued"
    CLAIMED = "claimed"
    REVOKED = "revoked"
    SUSPENDED = "suspended"


class ImportJobState(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ImportRowState(StrEnum):
    PENDING = "pending"
    ISSUED = "issued"
    FAILED = "failed"


class StatusPurpose(StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


def _vocabulary(enum: type[StrEnum], name: str, length: int = 16) -> SAEnum:
    """A closed vocabulary stored as VARCHAR(length) + CHECK (values, not member names)."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


# --------------------------------------------------------------------------- base


class Base(MappedAsDataclass, DeclarativeBase, kw_only=True):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --------------------------------------------------------------------------- issuers


class Issuer(Base, kw_only=True):
    """A tenant: an organisation that issues credentials, with its public profile and DID."""

    __tablename__ = "issuers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    did_method: Mapped[DidMethod] = mapped_column(_vocabulary(DidMethod, "did_method"))
    did: Mapped[str] = mapped_column(String(512), unique=True)
    legal_name: Mapped[str | None] = mapped_column(String(300), default=None)
    homepage: Mapped[str | None] = mapped_column(String(2048), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    country_code: Mapped[str | None] = mapped_column(String(2), default=None)
    region_code: Mapped[str | None] = mapped_column(String(16), default=None)
    logo_uri: Mapped[str | None] = mapped_column(Text, default=None)
    registration_identifiers: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default_factory=list
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)


class IssuerKey(Base, kw_only=True):
    """A signing key of an issuer. Rotated keys stay listed so old credentials keep verifying.

    ``rotated_at`` ends an ordinary, planned rotation (the DID document gives the key an
    ``expires`` time); ``compromised_at`` is set only when the issuer reports the key as
    compromised (the DID document then gives it a ``revoked`` time).
    """

    __tablename__ = "issuer_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), index=True
    )
    key_store_id: Mapped[str] = mapped_column(String(200), unique=True)
    public_key_multibase: Mapped[str] = mapped_column(String(128))
    verification_method: Mapped[str] = mapped_column(String(700), unique=True)
    status: Mapped[KeyStatus] = mapped_column(
        _vocabulary(KeyStatus, "key_status"), default=KeyStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    compromised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        # at most one active key per issuer
        Index(
            "uq_issuer_keys_one_active",
            "issuer_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


# --------------------------------------------------------------------------- staff and access


class User(Base, kw_only=True):
    """A staff account (or the platform operator). E-mail is stored lower-cased."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(200), default=None)
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Membership(Base, kw_only=True):
    """A user's role at one issuer; at most one per (user, issuer)."""

    __tablename__ = "memberships"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # 32: "recognition_officer" (migration 0012) is longer than the usual 16
    role: Mapped[Role] = mapped_column(_vocabulary(Role, "role", 32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)


class ApiToken(Base, kw_only=True):
    """A scoped machine credential for one issuer. Only a hash of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON, default_factory=list)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)


class StaffSession(Base, kw_only=True):
    """A web session. The cookie carries a random id; only its hash is stored."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)


class AuditEntry(Base, kw_only=True):
    """One state-changing action: who (user or token), what, on which target, when, from where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True, init=False)
    action: Mapped[str] = mapped_column(String(100))
    issuer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), default=None
    )
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    actor_token_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"), default=None
    )
    target_type: Mapped[str | None] = mapped_column(String(50), default=None)
    target_id: Mapped[str | None] = mapped_column(String(200), default=None)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default_factory=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)

    # (issuer_id, target_id): one target's history (a credential's page) without a walk
    # through every entry of the issuer (migration 0015)
    __table_args__ = (Index(None, "issuer_id", "at"), Index(None, "issuer_id", "target_id"))


# --------------------------------------------------------------------------- definitions


class Definition(Base, kw_only=True):
    """A micro-credential definition of one issuer; its content lives in numbered versions."""

    __tablename__ = "definitions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))
    state: Mapped[DefinitionState] = mapped_column(
        _vocabulary(DefinitionState, "definition_state"), default=DefinitionState.DRAFT
    )
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)

    __table_args__ = (
        UniqueConstraint("issuer_id", "slug"),
        UniqueConstraint("id", "issuer_id"),
    )


class DefinitionVersion(Base, kw_only=True):
    """One version of a definition: the OB 3.0 Achievement with the EU standard elements.

    Once ``state`` has left ``draft`` (in review, published, retired) the content is frozen;
    the repository refuses edits and a flush-time guard catches any other writer.
    """

    __tablename__ = "definition_versions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    definition_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    achievement: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[DefinitionState] = mapped_column(
        _vocabulary(DefinitionState, "version_state"), default=DefinitionState.DRAFT
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)
    published_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), init=False, default=None
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["definition_id", "issuer_id"],
            ["definitions.id", "definitions.issuer_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("definition_id", "version"),
        UniqueConstraint("id", "issuer_id"),
    )


# --------------------------------------------------------------------------- learners


class Learner(Base, kw_only=True):
    """A learner known to one issuer; ``external_id`` is the student number in the issuer's SIS."""

    __tablename__ = "learners"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    did: Mapped[str | None] = mapped_column(String(512), default=None)
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)

    __table_args__ = (
        UniqueConstraint("issuer_id", "external_id"),
        UniqueConstraint("id", "issuer_id"),
        Index(None, "issuer_id", "email"),
    )


# --------------------------------------------------------------------------- credentials


class Credential(Base, kw_only=True):
    """An issued credential: the signed JSON document and its lifecycle state.

    ``idempotency_key`` is unique per issuer: a retried issue request with the same key finds
    this row instead of creating a second credential. ``request_digest`` is a hash of the request
    that created it, so a reused key with a *different* request can be told apart.
    """

    __tablename__ = "credentials"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    # Both NULL for a credential signed through the VC-API (``POST /credentials/issue``): the
    # caller sent the whole credential, so it comes from no definition version and no learner
    # row. Composite foreign keys with a NULL part are not checked (SQL MATCH SIMPLE).
    definition_version_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    learner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    credential_uri: Mapped[str] = mapped_column(String(200), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[CredentialState] = mapped_column(
        _vocabulary(CredentialState, "credential_state"), default=CredentialState.ISSUED
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    request_digest: Mapped[str | None] = mapped_column(String(128), default=None)
    claim_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True, default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)
    state_reason: Mapped[str | None] = mapped_column(String(1000), init=False, default=None)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL"), init=False, default=None
    )
    # The anchoring leaf digest ``SHA-256(JCS(document without anchor proofs))``, stored by the
    # bulk path as it issues (sealing a batch then reads 32 bytes, not the document). NULL when
    # not known (other paths, credentials issued before 0014): sealing computes it then.
    anchor_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["definition_version_id", "issuer_id"],
            ["definition_versions.id", "definition_versions.issuer_id"],
        ),
        ForeignKeyConstraint(
            ["learner_id", "issuer_id"],
            ["learners.id", "learners.issuer_id"],
        ),
        UniqueConstraint("issuer_id", "idempotency_key"),
        UniqueConstraint("id", "issuer_id"),
        Index(None, "issuer_id", "issued_at"),
        Index(None, "learner_id"),
        Index(None, "definition_version_id"),
    )


# --------------------------------------------------------------------------- mail outbox


class OutboxMessage(Base, kw_only=True):
    """An e-mail waiting to be sent (or, without SMTP, kept for the operator to read)."""

    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text, default=None)
    issuer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("issuers.id", ondelete="CASCADE"), default=None, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)
    attempts: Mapped[int] = mapped_column(Integer, init=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, init=False, default=None)

    __table_args__ = (Index(None, "sent_at", "created_at"),)


# --------------------------------------------------------------------------- bulk imports


class ImportJob(Base, kw_only=True):
    """A bulk issuance from one uploaded file, against one definition version.

    The counters are a cache of ``import_rows`` (recomputed by the repository), so they can never
    disagree with the rows for long, even after a crash.
    """

    __tablename__ = "import_jobs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    definition_version_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    file_name: Mapped[str] = mapped_column(String(255))
    column_mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    file_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default_factory=dict)
    state: Mapped[ImportJobState] = mapped_column(
        _vocabulary(ImportJobState, "import_job_state"), default=ImportJobState.CREATED
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    total_rows: Mapped[int] = mapped_column(Integer, init=False, default=0)
    pending_rows: Mapped[int] = mapped_column(Integer, init=False, default=0)
    issued_rows: Mapped[int] = mapped_column(Integer, init=False, default=0)
    failed_rows: Mapped[int] = mapped_column(Integer, init=False, default=0)
    error: Mapped[str | None] = mapped_column(Text, init=False, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)

    __table_args__ = (
        ForeignKeyConstraint(
            ["definition_version_id", "issuer_id"],
            ["definition_versions.id", "definition_versions.issuer_id"],
        ),
        Index(None, "issuer_id", "created_at"),
    )


class ImportRow(Base, kw_only=True):
    """One data row of an import file, keyed by (job, row number): loading twice cannot duplicate.

    A row moves ``pending`` -> ``issued`` (with its credential) or ``failed`` (with the reason)
    in the same transaction that stores the credential, so a crash leaves it ``pending`` and a
    resumed job picks it up again.
    """

    __tablename__ = "import_rows"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[ImportRowState] = mapped_column(
        _vocabulary(ImportRowState, "import_row_state"), default=ImportRowState.PENDING
    )
    error: Mapped[str | None] = mapped_column(Text, default=None)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL"), default=None
    )
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (Index(None, "job_id", "state", "row_number"),)


# --------------------------------------------------------------------------- status lists


class StatusList(Base, kw_only=True):
    """A Bitstring Status List of one issuer for one purpose (revocation or suspension).

    ``bitstring`` holds the raw, uncompressed bits (index 0 = left-most bit). ``version`` grows on
    every change and guards concurrent writers; ``credential`` is the signed list credential as
    served, with its ``etag``. ``number`` (from 1, per issuer and purpose) is the last part of the
    list's public URL ``<base_url>/status/<issuer slug>/<purpose>/<number>``.
    """

    __tablename__ = "status_lists"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default_factory=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    purpose: Mapped[StatusPurpose] = mapped_column(_vocabulary(StatusPurpose, "status_purpose"))
    size: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer, default=1)
    bitstring: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)
    credential: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    etag: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, init=False, default=None)

    __table_args__ = (
        CheckConstraint("size > 0", name="positive_size"),
        CheckConstraint("number > 0", name="positive_number"),
        UniqueConstraint("issuer_id", "purpose", "number"),
    )


class StatusEntry(Base, kw_only=True):
    """The position of one credential in one status list; an index is handed out at most once.

    The foreign key to ``credentials`` is checked at COMMIT (``DEFERRABLE INITIALLY DEFERRED``):
    issuance allocates the entry *before* it signs and stores the credential (the entry goes
    into the signed document), in the same transaction.
    """

    __tablename__ = "status_entries"

    status_list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("status_lists.id", ondelete="CASCADE"), primary_key=True
    )
    status_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, init=False)

    __table_args__ = (
        UniqueConstraint("status_list_id", "credential_id"),
        CheckConstraint("status_index >= 0", name="non_negative_index"),
    )


# The anchoring tables (embedded ledger, batches) live in their own module and join this
# metadata here, so every user of ``Base.metadata`` (migrations, tests) sees them.
from microcred.storage import cache_tables as _cache_tables  # noqa: E402, F401
from microcred.storage import endorsement_tables as _endorsement_tables  # noqa: E402, F401
from microcred.storage import ledger_tables as _ledger_tables  # noqa: E402, F401
from microcred.storage import pathway_tables as _pathway_tables  # noqa: E402, F401
from microcred.storage import wallet_tables as _wallet_tables  # noqa: E402, F401
from microcred.storage import web_tables as _web_tables  # noqa: E402, F401
