"""Storage: SQLAlchemy 2 tables, repositories, the unit of work, and Alembic migrations.

SQLite by default, PostgreSQL at scale; the same code and tests run on both. Services reach the
database only through :class:`UnitOfWork` (one use case = one transaction) and its
repositories; database exceptions come out as :mod:`microcred.errors` types. See
``docs/storage.md`` and ``docs/adr/0003-storage.md``.
"""

from __future__ import annotations

from microcred.storage.database import Database, create_database_engine
from microcred.storage.migrator import current_revision, head_revision, migrate
from microcred.storage.repositories import ImportProgress, RowInput, import_idempotency_key
from microcred.storage.tables import (
    ApiToken,
    AuditEntry,
    Base,
    Credential,
    CredentialState,
    Definition,
    DefinitionState,
    DefinitionVersion,
    DidMethod,
    ImportJob,
    ImportJobState,
    ImportRow,
    ImportRowState,
    Issuer,
    IssuerKey,
    KeyStatus,
    Learner,
    Membership,
    OutboxMessage,
    Role,
    StaffSession,
    StatusEntry,
    StatusList,
    StatusPurpose,
    User,
)
from microcred.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Credential",
    "CredentialState",
    "Database",
    "Definition",
    "DefinitionState",
    "DefinitionVersion",
    "DidMethod",
    "ImportJob",
    "ImportJobState",
    "ImportProgress",
    "ImportRow",
    "ImportRowState",
    "Issuer",
    "IssuerKey",
    "KeyStatus",
    "Learner",
    "Membership",
    "OutboxMessage",
    "Role",
    "RowInput",
    "StaffSession",
    "StatusEntry",
    "StatusList",
    "StatusPurpose",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "User",
    "create_database_engine",
    "current_revision",
    "head_revision",
    "import_idempotency_key",
    "migrate",
]
