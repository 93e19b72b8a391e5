"""Staff accounts, memberships, API tokens, web sessions and the audit log."""

from __future__ import annotations

import pytest

from microcred.errors import Conflict, NotFound
from microcred.storage import (
    ApiToken,
    AuditEntry,
    Issuer,
    Role,
    StaffSession,
    UnitOfWorkFactory,
    User,
)


def _user(uow: UnitOfWorkFactory, email: str = "Ada@Example.org") -> User:
    with uow() as tx:
        user = tx.users.add(User(email=email, password_hash="$argon2id$stub"))
        tx.commit()
    return user


def test_users_are_found_by_email_case_insensitively(uow: UnitOfWorkFactory) -> None:
    user = _user(uow)
    assert user.email == "ada@example.org"
    with uow(read_only=True) as tx:
        assert tx.users.find_by_email("  ADA@example.ORG ") == tx.users.get(user.id)
    with uow() as tx, pytest.raises(Conflict, match="e-mail address already exists"):
        tx.users.add(User(email="ada@EXAMPLE.org", password_hash="x"))


def test_user_account_changes(uow: UnitOfWorkFactory, clock) -> None:
    user = _user(uow)
    login = clock.advance(hours=1)
    with uow() as tx:
        tx.users.set_password_hash(user.id, "$argon2id$new")
        tx.users.set_operator(user.id, True)
        tx.users.set_disabled(user.id, True)
        tx.users.record_login(user.id)
        tx.commit()
    with uow(read_only=True) as tx:
        stored = tx.users.get(user.id)
        assert tx.users.count_operators() == 1
        assert [u.email for u in tx.users.list_all()] == ["ada@example.org"]
    assert (stored.password_hash, stored.is_operator, stored.disabled) == (
        "$argon2id$new",
        True,
        True,
    )
    assert stored.last_login_at == login


def test_memberships(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    ada, bob = _user(uow, "ada@example.org"), _user(uow, "bob@example.org")
    with uow() as tx:
        tx.memberships.grant(issuer.id, ada.id, Role.ADMIN)
        tx.memberships.grant(issuer.id, bob.id, Role.VIEWER)
        tx.commit()
    with uow() as tx:
        with pytest.raises(Conflict, match="already a member"):
            tx.memberships.grant(issuer.id, bob.id, Role.DESIGNER)
        tx.memberships.change_role(issuer.id, bob.id, Role.REGISTRAR)
        tx.commit()
    with uow(read_only=True) as tx:
        assert [(u.email, r) for u, r in tx.memberships.list_members(issuer.id)] == [
            ("ada@example.org", Role.ADMIN),
            ("bob@example.org", Role.REGISTRAR),
        ]
        assert tx.memberships.count_with_role(issuer.id, Role.ADMIN) == 1
    with uow() as tx:
        tx.memberships.remove(issuer.id, bob.id)
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.memberships.find(issuer.id, bob.id) is None
        with pytest.raises(NotFound):
            tx.memberships.get(issuer.id, bob.id)


def test_api_tokens(uow: UnitOfWorkFactory, issuer: Issuer, clock) -> None:
    ada = _user(uow)
    with uow() as tx:
        token = tx.api_tokens.add(
            ApiToken(
                issuer_id=issuer.id,
                name="registrar sync",
                token_hash="sha256:" + "a" * 64,
                prefix="mc_aaaa",
                scopes=["credentials:issue"],
                created_by=ada.id,
                expires_at=clock.now().replace(year=2027),
            )
        )
        tx.commit()
    with uow() as tx:
        found = tx.api_tokens.find_usable_by_hash("sha256:" + "a" * 64)
        assert found is not None and found.scopes == ["credentials:issue"]
        tx.api_tokens.record_use(token.id)
        tx.commit()
    with uow() as tx:
        assert tx.api_tokens.get(issuer.id, token.id).last_used_at == clock.now()
        tx.api_tokens.revoke(issuer.id, token.id)
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.api_tokens.find_usable_by_hash("sha256:" + "a" * 64) is None
        assert tx.api_tokens.list_for_issuer(issuer.id) == []
        assert len(tx.api_tokens.list_for_issuer(issuer.id, include_revoked=True)) == 1


def test_expired_tokens_are_not_usable(uow: UnitOfWorkFactory, issuer: Issuer, clock) -> None:
    with uow() as tx:
        tx.api_tokens.add(
            ApiToken(
                issuer_id=issuer.id,
                name="short-lived",
                token_hash="h1",
                prefix="mc_h1",
                expires_at=clock.now().replace(hour=10),
            )
        )
        tx.commit()
    clock.advance(hours=2)
    with uow(read_only=True) as tx:
        assert tx.api_tokens.find_usable_by_hash("h1") is None


def test_sessions(uow: UnitOfWorkFactory, clock) -> None:
    ada = _user(uow)
    start = clock.now()
    with uow() as tx:
        tx.sessions.add(
            StaffSession(id_hash="s1", user_id=ada.id, expires_at=start.replace(hour=12))
        )
        tx.sessions.add(
            StaffSession(id_hash="s2", user_id=ada.id, expires_at=start.replace(hour=10))
        )
        tx.commit()
    clock.advance(hours=2)  # 11:00: s2 has expired
    with uow() as tx:
        assert tx.sessions.find_valid("s1") is not None
        assert tx.sessions.find_valid("s2") is None
        assert tx.sessions.delete_expired() == 1
        tx.sessions.extend("s1", start.replace(hour=18))
        tx.commit()
    clock.advance(hours=3)
    with uow() as tx:
        assert tx.sessions.find_valid("s1") is not None
        assert tx.sessions.delete("s1") is True
        assert tx.sessions.delete("s1") is False
        tx.commit()
    with uow() as tx:
        tx.sessions.add(
            StaffSession(id_hash="s3", user_id=ada.id, expires_at=start.replace(hour=23))
        )
        assert tx.sessions.delete_for_user(ada.id) == 1


def test_audit_log(uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer, clock) -> None:
    ada = _user(uow)
    with uow() as tx:
        for n in range(3):
            clock.advance(minutes=1)
            tx.audit.record(
                AuditEntry(
                    action="credential.revoke" if n == 1 else "learner.create",
                    issuer_id=issuer.id,
                    actor_user_id=ada.id,
                    target_type="learner",
                    target_id=str(n),
                    ip="192.0.2.7",
                    details={"n": n},
                )
            )
        tx.audit.record(AuditEntry(action="learner.create", issuer_id=other_issuer.id))
        tx.audit.record(AuditEntry(action="platform.login"))
        tx.commit()
    with uow(read_only=True) as tx:
        newest_first = tx.audit.list_for_issuer(issuer.id)
        assert [e.target_id for e in newest_first] == ["2", "1", "0"]
        assert newest_first[0].details == {"n": 2} and newest_first[0].ip == "192.0.2.7"
        assert newest_first[0].at == clock.now()
        older = tx.audit.list_for_issuer(issuer.id, before_id=newest_first[0].id, limit=1)
        assert [e.target_id for e in older] == ["1"]
        revocations = tx.audit.list_for_issuer(issuer.id, action="credential.revoke")
        assert [e.target_id for e in revocations] == ["1"]
        assert len(tx.audit.list_all()) == 5
