"""Definitions and versions: lifecycle, numbering, immutability once out of draft."""

from __future__ import annotations

import pytest
from storage_helpers import achievement

from microcred.errors import Conflict, NotFound
from microcred.storage import DefinitionState, Issuer, UnitOfWorkFactory

D = DefinitionState


def test_create_with_a_first_draft(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    with uow() as tx:
        definition, version = tx.definitions.add(issuer.id, "data-literacy", achievement())
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.definitions.get(issuer.id, definition.id).state is D.DRAFT
        assert tx.definitions.find_by_slug(issuer.id, "data-literacy") is not None
        stored = tx.definitions.get_version(issuer.id, version.id)
    assert (stored.version, stored.state) == (1, D.DRAFT)
    assert stored.achievement["eu"]["ectsCredits"] == 3


def test_slugs_are_unique_per_issuer(
    uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer
) -> None:
    with uow() as tx:
        tx.definitions.add(issuer.id, "python", achievement())
        tx.definitions.add(other_issuer.id, "python", achievement())  # another tenant: fine
        with pytest.raises(Conflict, match="short name already exists"):
            tx.definitions.add(issuer.id, "python", achievement())


def test_full_lifecycle(uow: UnitOfWorkFactory, issuer: Issuer, clock) -> None:
    with uow() as tx:
        definition, v1 = tx.definitions.add(issuer.id, "dl", achievement())
        tx.definitions.update_draft(issuer.id, v1.id, achievement("Data Literacy I"))
        tx.definitions.submit_for_review(issuer.id, v1.id)
        assert tx.definitions.get(issuer.id, definition.id).state is D.IN_REVIEW
        tx.definitions.return_to_draft(issuer.id, v1.id)
        tx.definitions.submit_for_review(issuer.id, v1.id)
        published_at = clock.advance(days=1)
        tx.definitions.publish(issuer.id, v1.id)
        tx.commit()
    with uow(read_only=True) as tx:
        v1 = tx.definitions.get_version(issuer.id, v1.id)
        assert (v1.state, v1.published_at) == (D.PUBLISHED, published_at)
        assert v1.achievement["name"] == "Data Literacy I"
        assert tx.definitions.get(issuer.id, definition.id).state is D.PUBLISHED
        assert tx.definitions.find_latest_published(issuer.id, definition.id) == v1


def test_illegal_transitions_are_conflicts(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    with uow() as tx:
        _, v1 = tx.definitions.add(issuer.id, "dl", achievement())
        with pytest.raises(Conflict, match="draft; it cannot become published"):
            tx.definitions.publish(issuer.id, v1.id)
        with pytest.raises(Conflict, match="cannot become retired"):
            tx.definitions.retire(issuer.id, v1.id)


def test_published_versions_are_immutable(uow: UnitOfWorkFactory, issuer: Issuer, factory) -> None:
    v1 = factory.published_version(issuer)
    with uow() as tx, pytest.raises(Conflict, match="can no longer be edited"):
        tx.definitions.update_draft(issuer.id, v1.id, achievement("Changed"))


def test_the_flush_guard_catches_edits_that_bypass_the_repository(
    uow: UnitOfWorkFactory, issuer: Issuer, factory
) -> None:
    v1 = factory.published_version(issuer)
    with uow() as tx:
        version = tx.definitions.get_version(issuer.id, v1.id)
        version.achievement = achievement("Sneaky edit")
        with pytest.raises(Conflict, match="no longer a draft"):
            tx.session.flush()
    with uow() as tx:
        version = tx.definitions.get_version(issuer.id, v1.id)
        tx.session.delete(version)
        with pytest.raises(Conflict, match="cannot be deleted"):
            tx.session.flush()
    with uow(read_only=True) as tx:
        assert tx.definitions.get_version(issuer.id, v1.id).achievement["name"] == "Data Literacy"


def test_editing_a_published_definition_makes_a_new_version(
    uow: UnitOfWorkFactory, issuer: Issuer, factory
) -> None:
    v1 = factory.published_version(issuer)
    with uow() as tx:
        v2 = tx.definitions.add_version(issuer.id, v1.definition_id, achievement("DL 2"))
        with pytest.raises(Conflict, match="still draft"):
            tx.definitions.add_version(issuer.id, v1.definition_id, achievement("DL 3"))
        tx.definitions.submit_for_review(issuer.id, v2.id)
        tx.definitions.publish(issuer.id, v2.id)
        tx.definitions.retire(issuer.id, v1.id)
        tx.commit()
    with uow(read_only=True) as tx:
        versions = tx.definitions.list_versions(issuer.id, v1.definition_id)
        assert [(v.version, v.state) for v in versions] == [(1, D.RETIRED), (2, D.PUBLISHED)]
        assert tx.definitions.get_version_by_number(issuer.id, v1.definition_id, 2) == versions[1]
        assert tx.definitions.find_latest_published(issuer.id, v1.definition_id) == versions[1]
        with pytest.raises(NotFound):
            tx.definitions.get_version_by_number(issuer.id, v1.definition_id, 3)


def test_retiring_the_only_published_version_retires_the_definition(
    uow: UnitOfWorkFactory, issuer: Issuer, factory
) -> None:
    v1 = factory.published_version(issuer)
    with uow() as tx:
        tx.definitions.retire(issuer.id, v1.id)
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.definitions.get(issuer.id, v1.definition_id).state is D.RETIRED
        assert tx.definitions.list_for_issuer(issuer.id, state=D.PUBLISHED) == []
        assert len(tx.definitions.list_for_issuer(issuer.id)) == 1
