"""The unit of work: one use case, one database transaction.

::

    with UnitOfWork(database, clock) as uow:
        learner = uow.learners.add(Learner(issuer_id=issuer.id, name="Ada"))
        uow.audit.record(AuditEntry(action="learner.create", issuer_id=issuer.id))
        uow.commit()

Nothing is written unless :meth:`UnitOfWork.commit` is called: leaving the block without
committing, or with an exception, rolls everything back. ``read_only=True`` is for queries
(on SQLite it does not take the write lock). Rows returned by repositories stay readable after
the block (sessions do not expire them on commit); changing them afterwards has no effect.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from microcred.clock import Clock
from microcred.errors import Conflict
from microcred.storage.database import Database
from microcred.storage.repositories import (
    ApiTokenRepository,
    AuditRepository,
    CredentialRepository,
    DefinitionRepository,
    ImportRepository,
    IssuerRepository,
    LearnerRepository,
    MembershipRepository,
    OutboxRepository,
    SessionRepository,
    StatusListRepository,
    UserRepository,
)
from microcred.storage.translate import translate_db_error

__all__ = ["UnitOfWork", "UnitOfWorkFactory"]


class UnitOfWork:
    issuers: IssuerRepository
    users: UserRepository
    memberships: MembershipRepository
    api_tokens: ApiTokenRepository
    sessions: SessionRepository
    audit: AuditRepository
    definitions: DefinitionRepository
    learners: LearnerRepository
    credentials: CredentialRepository
    outbox: OutboxRepository
    imports: ImportRepository
    status_lists: StatusListRepository

    def __init__(self, database: Database, clock: Clock, *, read_only: bool = False) -> None:
        self._database = database
        self._clock = clock
        self._read_only = read_only
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The open session (for repositories and tests; services use the repositories)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        session = self._database.session(read_only=self._read_only)
        try:
            # Begin now: on SQLite a write unit takes the write lock here, and "database is
            # locked" surfaces as a retryable Conflict instead of deep inside a repository.
            session.connection()
        except DBAPIError as exc:
            session.close()
            translated = translate_db_error(exc, "transaction")
            if translated is None:
                raise
            raise translated from exc
        clock = self._clock
        self._session = session
        self.issuers = IssuerRepository(session, clock)
        self.users = UserRepository(session, clock)
        self.memberships = MembershipRepository(session, clock)
        self.api_tokens = ApiTokenRepository(session, clock)
        self.sessions = SessionRepository(session, clock)
        self.audit = AuditRepository(session, clock)
        self.definitions = DefinitionRepository(session, clock)
        self.learners = LearnerRepository(session, clock)
        self.credentials = CredentialRepository(session, clock)
        self.outbox = OutboxRepository(session, clock)
        self.imports = ImportRepository(session, clock)
        self.status_lists = StatusListRepository(session, clock)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        # close() rolls back whatever was not committed and detaches the rows without expiring
        # them, so what the repositories returned stays readable after the block.
        session.close()

    def commit(self) -> None:
        """Make the changes durable. A constraint violation rolls back and raises Conflict."""
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        session = self.session
        try:
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            translated = translate_db_error(exc, "change")
            if translated is None:
                raise
            raise translated from exc
        except Conflict:
            session.rollback()
            raise

    def rollback(self) -> None:
        """Discard every change made so far; the unit of work stays usable."""
        self.session.rollback()


class UnitOfWorkFactory:
    """Builds units of work over one database and clock (what services are given)."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.database, self.clock, read_only=read_only)
