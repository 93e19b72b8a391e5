"""insert_many: COPY on PostgreSQL, executemany on SQLite — the rows read back as an INSERT's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Table, insert, select

from microcred.errors import Conflict
from microcred.storage import AuditEntry, Credential, CredentialState, Issuer, OutboxMessage
from microcred.storage.bulk_insert import insert_many
from microcred.storage.translate import translated_errors

_CREDENTIALS: Table = Credential.__table__  # type: ignore[assignment]
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
_AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]
WHEN = datetime(2026, 3, 1, 10, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


def _credential(issuer: Issuer, version: Any, learner: Any, n: int) -> dict[str, Any]:
    uri = f"urn:uuid:{uuid.uuid4()}"
    return {
        "id": uuid.uuid4(),
        "issuer_id": issuer.id,
        "definition_version_id": version.id,
        "learner_id": learner.id,
        "credential_uri": uri,
        # unicode, escapes, nesting, numbers, booleans, null: what COPY's text format must carry
        "document": {
            "id": uri,
            "name": f'Zoë \\ \t tab\nnewline "quoted" ✓ 𝄞 {n}',
            "n": [n, 1.5, True, False, None, {"deep": ["x" * 3000]}],
        },
        "state": CredentialState.ISSUED,
        "issued_at": WHEN,
        "idempotency_key": f"key-{n}" if n % 2 else None,
        "request_digest": "d" * 64,
        "claim_token_hash": f"{n:064x}",
        "anchor_digest": bytes(range(32)) if n % 2 else b"\x00\\\n\t" * 8,
    }


def _read(connection: Any, table: Table, order: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in connection.execute(select(table).order_by(order)).mappings()]


def test_rows_read_back_as_an_inserts(uow, issuer: Issuer, factory) -> None:
    version, learner = factory.published_version(issuer), factory.learner(issuer)
    copied = [_credential(issuer, version, learner, n) for n in range(5)]
    inserted = [_credential(issuer, version, learner, n + 100) for n in range(5)]
    mails = [
        {
            "id": uuid.uuid4(),
            "to_address": f"ü{n}@example.org",
            "subject": "Your credential",
            "body_text": "Hello\r\nthere\\",
            "body_html": None if n else "<p>Hi</p>",
            "issuer_id": issuer.id,
            "created_at": WHEN,
            "attempts": 0,
        }
        for n in range(3)
    ]
    audits = [
        {
            "action": "credential.issue",
            "issuer_id": issuer.id,
            "actor_user_id": None,
            "actor_token_id": None,
            "target_type": "credential",
            "target_id": str(row["id"]),
            "ip": "2001:db8::1",
            "details": {"credential": row["credential_uri"], "version": 1},
            "at": WHEN,
        }
        for row in copied
    ]
    with uow() as tx:
        connection = tx.session.connection()
        insert_many(connection, _CREDENTIALS, copied)
        connection.execute(insert(_CREDENTIALS), inserted)
        insert_many(connection, _OUTBOX, mails)
        insert_many(connection, _AUDIT, audits)
        insert_many(connection, _AUDIT, [])
        tx.commit()
    with uow(read_only=True) as tx:
        connection = tx.session.connection()
        stored = {row["credential_uri"]: row for row in _read(connection, _CREDENTIALS, "id")}
        stored_mails = _read(connection, _OUTBOX, _OUTBOX.c.to_address)
        stored_audits = _read(connection, _AUDIT, _AUDIT.c.id)
    for given in copied + inserted:
        row = stored[given["credential_uri"]]
        for key, value in given.items():
            expected = value.astimezone(UTC) if isinstance(value, datetime) else value
            assert row[key] == expected, key
        assert row["claimed_at"] is None and row["replaced_by_id"] is None
    assert [m["to_address"] for m in stored_mails] == [m["to_address"] for m in mails]
    assert stored_mails[0]["body_html"] == "<p>Hi</p>" and stored_mails[1]["body_html"] is None
    assert [m["body_text"] for m in stored_mails] == ["Hello\r\nthere\\"] * 3
    assert [a["target_id"] for a in stored_audits] == [str(row["id"]) for row in copied]
    assert stored_audits[0]["details"] == audits[0]["details"]
    assert stored_audits[0]["at"] == WHEN
    assert len({a["id"] for a in stored_audits}) == 5  # the server numbered them


def test_a_clash_is_translated_like_an_inserts(uow, issuer: Issuer, factory) -> None:
    version, learner = factory.published_version(issuer), factory.learner(issuer)
    first = _credential(issuer, version, learner, 1)
    again = _credential(issuer, version, learner, 2) | {"credential_uri": first["credential_uri"]}
    with uow() as tx:
        insert_many(tx.session.connection(), _CREDENTIALS, [first])
        tx.commit()
    clash = pytest.raises(Conflict, match="a credential with this id already exists")
    with uow() as tx, clash, translated_errors("credential"):
        insert_many(tx.session.connection(), _CREDENTIALS, [again])
    with uow(read_only=True) as tx:
        count = tx.session.connection().execute(select(_CREDENTIALS.c.id)).all()
    assert len(count) == 1


def test_rows_must_name_the_same_columns_and_defaults_are_not_guessed(uow, issuer) -> None:
    with uow() as tx:
        connection = tx.session.connection()
        if connection.dialect.name != "postgresql":
            pytest.skip("executemany on SQLite: SQLAlchemy checks the rows itself")
        with pytest.raises(ValueError, match="has a default"):
            insert_many(connection, _OUTBOX, [{"to_address": "a@example.org"}])
