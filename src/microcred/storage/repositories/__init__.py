"""One repository per aggregate. Every read of issuer data takes the issuer id."""

from __future__ import annotations

from microcred.storage.repositories.api_tokens import ApiTokenRepository
from microcred.storage.repositories.audit import AuditRepository
from microcred.storage.repositories.credentials import CredentialRepository
from microcred.storage.repositories.definitions import DefinitionRepository
from microcred.storage.repositories.imports import (
    ImportProgress,
    ImportRepository,
    RowInput,
    import_idempotency_key,
)
from microcred.storage.repositories.issuers import IssuerRepository
from microcred.storage.repositories.learners import LearnerRepository
from microcred.storage.repositories.memberships import MembershipRepository
from microcred.storage.repositories.outbox import OutboxRepository
from microcred.storage.repositories.sessions import SessionRepository
from microcred.storage.repositories.status_lists import StatusListRepository
from microcred.storage.repositories.users import UserRepository

__all__ = [
    "ApiTokenRepository",
    "AuditRepository",
    "CredentialRepository",
    "DefinitionRepository",
    "ImportProgress",
    "ImportRepository",
    "IssuerRepository",
    "LearnerRepository",
    "MembershipRepository",
    "OutboxRepository",
    "RowInput",
    "SessionRepository",
    "StatusListRepository",
    "UserRepository",
    "import_idempotency_key",
]
