"""Issuers, their profile and their signing keys (rotation keeps old keys resolvable)."""

from __future__ import annotations

import uuid

import pytest

from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.storage import DidMethod, Issuer, IssuerKey, KeyStatus, Role, UnitOfWorkFactory, User


def _key(issuer: Issuer, n: int) -> IssuerKey:
    return IssuerKey(
        issuer_id=issuer.id,
        key_store_id=f"{issuer.slug}-key-{n}",
        public_key_multibase=f"z6MkKey{n}",
        verification_method=f"{issuer.did}#key-{n}",
    )


def test_add_and_find_an_issuer(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    with uow(read_only=True) as tx:
        assert tx.issuers.get(issuer.id).name == "Alpha University"
        assert tx.issuers.find_by_slug("alpha") == tx.issuers.get(issuer.id)
        assert tx.issuers.find_by_did(issuer.did) is not None
        assert tx.issuers.find_by_slug("nope") is None
        with pytest.raises(NotFound):
            tx.issuers.get(uuid.uuid4())


def test_slug_and_did_are_unique(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    with uow() as tx, pytest.raises(Conflict, match="DID already exists") as caught:
        tx.issuers.add(Issuer(slug="other", name="x", did_method=DidMethod.WEB, did=issuer.did))
    assert caught.value.extra["constraint"] == "uq_issuers_did"


def test_update_profile(uow: UnitOfWorkFactory, issuer: Issuer, clock) -> None:
    clock.advance(days=1)
    registration = [{"scheme": "EU VAT", "value": "DE123456789"}]
    with uow() as tx:
        tx.issuers.update_profile(
            issuer.id,
            {
                "legal_name": "Alpha Universität",
                "region_code": "DE-BY",
                "registration_identifiers": registration,
            },
        )
        tx.commit()
    with uow(read_only=True) as tx:
        stored = tx.issuers.get(issuer.id)
    assert stored.legal_name == "Alpha Universität"
    assert stored.registration_identifiers == registration
    assert stored.updated_at == clock.now()


def test_update_profile_refuses_other_fields(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    with uow() as tx, pytest.raises(InvalidInput, match="did"):
        tx.issuers.update_profile(issuer.id, {"did": "did:web:evil"})


def test_list_all_and_for_user(
    uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer
) -> None:
    with uow() as tx:
        user = tx.users.add(User(email="staff@example.org", password_hash="h"))
        tx.memberships.grant(other_issuer.id, user.id, Role.REGISTRAR)
        tx.commit()
    with uow(read_only=True) as tx:
        assert [i.slug for i in tx.issuers.list_all()] == ["alpha", "beta"]
        assert [i.slug for i in tx.issuers.list_all(limit=1, offset=1)] == ["beta"]
        assert [(i.slug, r) for i, r in tx.issuers.list_for_user(user.id)] == [
            ("beta", Role.REGISTRAR)
        ]


def test_key_rotation_keeps_old_keys(uow: UnitOfWorkFactory, issuer: Issuer, clock) -> None:
    with uow() as tx:
        tx.issuers.add_key(_key(issuer, 1))
        tx.commit()
    rotated_at = clock.advance(days=30)
    with uow() as tx:
        tx.issuers.rotate_key(issuer.id, _key(issuer, 2))
        tx.commit()
    with uow(read_only=True) as tx:
        keys = tx.issuers.list_keys(issuer.id)
        active = tx.issuers.get_active_key(issuer.id)
        old = tx.issuers.find_key_by_verification_method(issuer.id, f"{issuer.did}#key-1")
    assert [(k.key_store_id, k.status) for k in keys] == [
        ("alpha-key-1", KeyStatus.ROTATED),
        ("alpha-key-2", KeyStatus.ACTIVE),
    ]
    assert active.key_store_id == "alpha-key-2"
    assert old is not None and old.rotated_at == rotated_at


def test_only_one_active_key(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    with uow() as tx:
        tx.issuers.add_key(_key(issuer, 1))
        with pytest.raises(Conflict, match="already has an active signing key"):
            tx.issuers.add_key(_key(issuer, 2))


def test_no_active_key_is_not_found(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    with uow(read_only=True) as tx, pytest.raises(NotFound, match="no active signing key"):
        tx.issuers.get_active_key(issuer.id)
