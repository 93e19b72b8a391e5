"""The mail outbox: store, claim unsent, record success and failure."""

from __future__ import annotations

import pytest

from microcred.errors import NotFound
from microcred.storage import Issuer, OutboxMessage, UnitOfWorkFactory
from microcred.storage.repositories.outbox import MAX_ATTEMPTS


def _message(issuer: Issuer | None, n: int) -> OutboxMessage:
    return OutboxMessage(
        to_address=f"learner{n}@example.org",
        subject="Your micro-credential is ready",
        body_text=f"Claim it here: http://127.0.0.1:8000/claim/{n}",
        issuer_id=issuer.id if issuer else None,
    )


def test_outbox_flow(uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer, clock) -> None:
    with uow() as tx:
        first = tx.outbox.add(_message(issuer, 1))
        clock.advance(seconds=1)
        second = tx.outbox.add(_message(other_issuer, 2))
        clock.advance(seconds=1)
        third = tx.outbox.add(_message(None, 3))
        tx.commit()
    with uow() as tx:
        assert [m.id for m in tx.outbox.claim_unsent()] == [first.id, second.id, third.id]
        tx.outbox.mark_sent(first.id)
        for _ in range(MAX_ATTEMPTS):
            tx.outbox.record_failure(second.id, "550 mailbox unavailable")
        tx.commit()
    with uow(read_only=True) as tx:
        assert [m.id for m in tx.outbox.claim_unsent()] == [third.id]
        assert tx.outbox.get(first.id).sent_at == clock.now()
        assert tx.outbox.get(second.id).last_error == "550 mailbox unavailable"
        assert [m.id for m in tx.outbox.list_recent(issuer_id=issuer.id)] == [first.id]
        assert [m.id for m in tx.outbox.list_recent()] == [third.id, second.id, first.id]
        with pytest.raises(NotFound):
            tx.outbox.get(issuer.id)
