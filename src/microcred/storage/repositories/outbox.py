"""The mail outbox: messages are stored first, then sent (or read by the operator)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from microcred.errors import NotFound
from microcred.storage.repositories._base import Repository, page
from microcred.storage.tables import OutboxMessage

__all__ = ["OutboxRepository"]

#: after this many failed attempts a message is no longer offered for sending
MAX_ATTEMPTS = 5


class OutboxRepository(Repository):
    def add(self, message: OutboxMessage) -> OutboxMessage:
        message.created_at = self._now()
        return self._insert(message, "outbox message")

    def get(self, message_id: uuid.UUID) -> OutboxMessage:
        message = self._session.get(OutboxMessage, message_id)
        if message is None:
            raise NotFound(f"outbox message {message_id} not found")
        return message

    def claim_unsent(self, *, limit: int = 50) -> list[OutboxMessage]:
        """Oldest unsent messages that may be retried, locked for this sender.

        On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED``, so several senders
        never pick the same message.
        """
        limit, _ = page(limit)
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self._session.scalars(query))

    def mark_sent(self, message_id: uuid.UUID) -> OutboxMessage:
        message = self.get(message_id)
        message.sent_at = self._now()
        message.attempts += 1
        message.last_error = None
        self._flush("outbox message")
        return message

    def record_failure(self, message_id: uuid.UUID, error: str) -> OutboxMessage:
        message = self.get(message_id)
        message.attempts += 1
        message.last_error = error[:2000]
        self._flush("outbox message")
        return message

    def list_recent(
        self, *, issuer_id: uuid.UUID | None = None, limit: int = 100, offset: int = 0
    ) -> list[OutboxMessage]:
        """Newest first. With ``issuer_id``: that issuer's mail only; without: all (operator)."""
        limit, offset = page(limit, offset)
        query = select(OutboxMessage)
        if issuer_id is not None:
            query = query.where(OutboxMessage.issuer_id == issuer_id)
        query = (
            query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
            .limit(limit)
            .offset(offset)
        )
        return list(self._session.scalars(query))
