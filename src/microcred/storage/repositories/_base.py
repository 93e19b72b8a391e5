"""What every repository shares: the session, the clock, savepoint-guarded writes."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from microcred.clock import Clock
from microcred.errors import InvalidInput
from microcred.storage.translate import translated_errors

__all__ = ["MAX_PAGE", "Repository", "page"]

T = TypeVar("T")

#: the largest page any ``list_*`` method returns
MAX_PAGE = 1000


class Repository:
    """Base class. Repositories never commit: the unit of work does."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock.now()

    def _insert(self, row: T, what: str) -> T:
        """Add ``row`` and write it at once inside a SAVEPOINT.

        A constraint violation then rolls back only this insert (the transaction stays usable,
        on PostgreSQL too) and surfaces as :class:`~microcred.errors.Conflict` at the call site.
        """
        with translated_errors(what), self._session.begin_nested():
            self._session.add(row)
        return row

    def _flush(self, what: str) -> None:
        """Write pending changes now, translating constraint violations.

        Unlike :meth:`_insert` there is no savepoint (SQLAlchemy flushes pending changes before
        it opens one), so after a failure here the unit of work must be rolled back.
        """
        with translated_errors(what):
            self._session.flush()


def page(limit: int, offset: int = 0) -> tuple[int, int]:
    """Validate and clamp paging arguments."""
    if limit < 1 or offset < 0:
        raise InvalidInput("limit must be at least 1 and offset not negative")
    return min(limit, MAX_PAGE), offset
