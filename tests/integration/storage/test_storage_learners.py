"""Learners: external ids unique per issuer, find-or-add, search, updates."""

from __future__ import annotations

import pytest

from microcred.errors import Conflict, InvalidInput
from microcred.storage import Issuer, Learner, UnitOfWorkFactory


def test_add_find_and_update(uow: UnitOfWorkFactory, issuer: Issuer, factory) -> None:
    learner = factory.learner(issuer, "s-1", "Ada Lovelace")
    with uow() as tx:
        assert tx.learners.find_by_external_id(issuer.id, "s-1") == tx.learners.get(
            issuer.id, learner.id
        )
        assert tx.learners.find_by_email(issuer.id, "S-1@example.org ") == [
            tx.learners.get(issuer.id, learner.id)
        ]
        tx.learners.update(issuer.id, learner.id, {"did": "did:key:z6MkAda"})
        with pytest.raises(InvalidInput, match="issuer_id"):
            tx.learners.update(issuer.id, learner.id, {"issuer_id": learner.issuer_id})
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.learners.get(issuer.id, learner.id).did == "did:key:z6MkAda"


def test_external_ids_are_unique_per_issuer(
    uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer, factory
) -> None:
    factory.learner(issuer, "s-1")
    factory.learner(other_issuer, "s-1")  # same student number at another issuer: fine
    with uow() as tx:
        with pytest.raises(Conflict, match="external \\(student\\) id already exists"):
            tx.learners.add(Learner(issuer_id=issuer.id, name="Clash", external_id="s-1"))
        # learners without an external id never clash
        tx.learners.add(Learner(issuer_id=issuer.id, name="No id 1"))
        tx.learners.add(Learner(issuer_id=issuer.id, name="No id 2"))
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.learners.count_for_issuer(issuer.id) == 3


def test_find_or_add(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    with uow() as tx:
        first, created = tx.learners.find_or_add(
            Learner(issuer_id=issuer.id, name="Ada", external_id="s-9")
        )
        again, created_again = tx.learners.find_or_add(
            Learner(issuer_id=issuer.id, name="Ada L.", external_id="s-9")
        )
        tx.commit()
    assert (created, created_again) == (True, False)
    assert again.id == first.id and again.name == "Ada"


def test_list_and_search(uow: UnitOfWorkFactory, issuer: Issuer, factory) -> None:
    factory.learner(issuer, "s-1", "Ada Lovelace")
    factory.learner(issuer, "s-2", "Grace Hopper")
    factory.learner(issuer, "s-3", "100%_Literal")
    with uow(read_only=True) as tx:
        assert [x.name for x in tx.learners.list_for_issuer(issuer.id)] == [
            "100%_Literal",
            "Ada Lovelace",
            "Grace Hopper",
        ]
        assert [x.name for x in tx.learners.list_for_issuer(issuer.id, search="hop")] == [
            "Grace Hopper"
        ]
        assert [x.name for x in tx.learners.list_for_issuer(issuer.id, search="%_")] == [
            "100%_Literal"
        ]
        assert [x.external_id for x in tx.learners.list_for_issuer(issuer.id, search="S-2")] == [
            "s-2"
        ]
        assert len(tx.learners.list_for_issuer(issuer.id, limit=2, offset=2)) == 1
        with pytest.raises(InvalidInput):
            tx.learners.list_for_issuer(issuer.id, limit=0)
