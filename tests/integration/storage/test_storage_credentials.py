"""Credentials: idempotency keys, lifecycle, replacement links, claim lookups."""

from __future__ import annotations

import pytest

from microcred.errors import Conflict, NotFound
from microcred.storage import CredentialState, Issuer, UnitOfWorkFactory

S = CredentialState


@pytest.fixture
def parts(issuer: Issuer, factory):
    return factory.published_version(issuer), factory.learner(issuer)


def test_store_and_read_back(uow: UnitOfWorkFactory, issuer: Issuer, factory, parts, clock) -> None:
    version, learner = parts
    credential = factory.issued(issuer, version, learner)
    with uow(read_only=True) as tx:
        stored = tx.credentials.get(issuer.id, credential.id)
        assert tx.credentials.find_by_uri(issuer.id, credential.credential_uri) == stored
    assert stored.document == credential.document
    assert (stored.state, stored.issued_at) == (S.ISSUED, clock.now())
    assert stored.definition_version_id == version.id


def test_idempotency_key_is_unique_per_issuer(
    uow: UnitOfWorkFactory, issuer: Issuer, factory, parts
) -> None:
    version, learner = parts
    with uow() as tx:
        first = tx.credentials.add(
            factory.credential(issuer, version, learner, idempotency_key="k1")
        )
        tx.commit()
    with uow() as tx:
        with pytest.raises(Conflict, match="idempotency key was already used") as caught:
            tx.credentials.add(factory.credential(issuer, version, learner, idempotency_key="k1"))
        assert caught.value.extra["constraint"] == "uq_credentials_issuer_id_idempotency_key"
        # the transaction is still usable: the retry finds the first credential
        assert tx.credentials.find_by_idempotency_key(issuer.id, "k1") == tx.credentials.get(
            issuer.id, first.id
        )
        # credentials without a key never clash
        tx.credentials.add(factory.credential(issuer, version, learner))
        tx.credentials.add(factory.credential(issuer, version, learner))
        tx.commit()
    with uow(read_only=True) as tx:
        assert len(tx.credentials.list_for_issuer(issuer.id)) == 3


def test_same_idempotency_key_at_two_issuers(
    uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer, factory, parts
) -> None:
    version, learner = parts
    other_version, other_learner = (
        factory.published_version(other_issuer),
        factory.learner(other_issuer),
    )
    with uow() as tx:
        tx.credentials.add(factory.credential(issuer, version, learner, idempotency_key="k"))
        tx.credentials.add(
            factory.credential(other_issuer, other_version, other_learner, idempotency_key="k")
        )
        tx.commit()


def test_claim_suspend_reinstate_revoke(
    uow: UnitOfWorkFactory, issuer: Issuer, factory, parts, clock
) -> None:
    version, learner = parts
    credential = factory.credential(issuer, version, learner)
    credential.claim_token_hash = "claim-hash"
    with uow() as tx:
        tx.credentials.add(credential)
        tx.commit()
    claimed_at = clock.advance(days=1)
    with uow() as tx:
        found = tx.credentials.find_by_claim_token_hash("claim-hash")
        assert found is not None and found.id == credential.id
        tx.credentials.mark_claimed(issuer.id, credential.id)
        tx.credentials.mark_claimed(issuer.id, credential.id)  # idempotent
        tx.credentials.suspend(issuer.id, credential.id, "under investigation")
        with pytest.raises(Conflict, match="cannot be suspended"):
            tx.credentials.suspend(issuer.id, credential.id, "again")
        reinstated = tx.credentials.reinstate(issuer.id, credential.id)
        assert reinstated.state is S.CLAIMED  # it had been claimed before the suspension
        revoked = tx.credentials.revoke(issuer.id, credential.id, "issued in error")
        with pytest.raises(Conflict, match="already revoked"):
            tx.credentials.revoke(issuer.id, credential.id, "twice")
        with pytest.raises(Conflict, match="no longer be claimed"):
            tx.credentials.mark_claimed(issuer.id, credential.id)
        with pytest.raises(Conflict, match="not suspended"):
            tx.credentials.reinstate(issuer.id, credential.id)
        tx.commit()
    assert revoked.claimed_at == claimed_at
    with uow(read_only=True) as tx:
        stored = tx.credentials.get(issuer.id, credential.id)
        assert (stored.state, stored.state_reason) == (S.REVOKED, "issued in error")
        assert tx.credentials.count_by_state(issuer.id) == {
            S.ISSUED: 0,
            S.CLAIMED: 0,
            S.REVOKED: 1,
            S.SUSPENDED: 0,
        }


def test_reinstating_an_unclaimed_credential_goes_back_to_issued(
    uow: UnitOfWorkFactory, issuer: Issuer, factory, parts
) -> None:
    credential = factory.issued(issuer, *parts)
    with uow() as tx:
        tx.credentials.suspend(issuer.id, credential.id, "check")
        assert tx.credentials.reinstate(issuer.id, credential.id).state is S.ISSUED


def test_correction_links_old_and_new(
    uow: UnitOfWorkFactory, issuer: Issuer, factory, parts
) -> None:
    old = factory.issued(issuer, *parts)
    new = factory.issued(issuer, *parts)
    third = factory.issued(issuer, *parts)
    with uow() as tx:
        tx.credentials.link_replacement(issuer.id, old.id, new.id)
        tx.credentials.link_replacement(issuer.id, old.id, new.id)  # idempotent
        with pytest.raises(Conflict, match="already replaced"):
            tx.credentials.link_replacement(issuer.id, old.id, third.id)
        with pytest.raises(Conflict, match="replace itself"):
            tx.credentials.link_replacement(issuer.id, new.id, new.id)
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.credentials.get(issuer.id, old.id).replaced_by_id == new.id


def test_replace_document_keeps_the_id(
    uow: UnitOfWorkFactory, issuer: Issuer, factory, parts
) -> None:
    credential = factory.issued(issuer, *parts)
    anchored = {**credential.document, "proof": [{"type": "DataIntegrityProof"}]}
    with uow() as tx:
        tx.credentials.replace_document(issuer.id, credential.id, anchored)
        with pytest.raises(Conflict, match="different credential id"):
            tx.credentials.replace_document(issuer.id, credential.id, {"id": "urn:uuid:other"})
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.credentials.get(issuer.id, credential.id).document == anchored


def test_list_filters(uow: UnitOfWorkFactory, issuer: Issuer, factory, parts, clock) -> None:
    version, learner = parts
    other_learner = factory.learner(issuer, "s-2", "Bob")
    first = factory.issued(issuer, version, learner)
    clock.advance(minutes=1)
    second = factory.issued(issuer, version, other_learner)
    with uow() as tx:
        tx.credentials.revoke(issuer.id, first.id, "wrong")
        tx.commit()
    with uow(read_only=True) as tx:
        ids = lambda **f: [c.id for c in tx.credentials.list_for_issuer(issuer.id, **f)]  # noqa: E731
        assert ids() == [second.id, first.id]
        assert ids(learner_id=learner.id) == [first.id]
        assert ids(state=S.ISSUED) == [second.id]
        assert ids(definition_version_id=version.id, limit=1, offset=1) == [first.id]
        with pytest.raises(NotFound):
            tx.credentials.get(issuer.id, learner.id)
