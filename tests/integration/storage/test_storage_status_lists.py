"""Status lists: an index is allocated at most once; bits change under optimistic locking."""

from __future__ import annotations

import pytest
from storage_helpers import Factory, make_issuer

from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.storage import Issuer, StatusList, StatusPurpose, UnitOfWorkFactory

SIZE = 131_072


def _list(uow: UnitOfWorkFactory, issuer: Issuer, purpose=StatusPurpose.REVOCATION) -> StatusList:
    with uow() as tx:
        status_list = tx.status_lists.add_list(
            StatusList(issuer_id=issuer.id, purpose=purpose, size=SIZE, bitstring=bytes(SIZE // 8))
        )
        tx.commit()
    return status_list


def test_add_and_read_a_list(uow: UnitOfWorkFactory, issuer: Issuer) -> None:
    revocation = _list(uow, issuer)
    suspension = _list(uow, issuer, StatusPurpose.SUSPENSION)
    with uow(read_only=True) as tx:
        stored = tx.status_lists.get_list(issuer.id, revocation.id)
        assert (stored.size, stored.version, len(stored.bitstring)) == (SIZE, 1, SIZE // 8)
        assert tx.status_lists.get_published_list(suspension.id).purpose is StatusPurpose.SUSPENSION
        assert [
            x.id
            for x in tx.status_lists.list_for_issuer(issuer.id, purpose=StatusPurpose.SUSPENSION)
        ] == [suspension.id]
    with uow() as tx, pytest.raises(InvalidInput, match="shorter"):
        tx.status_lists.add_list(
            StatusList(
                issuer_id=issuer.id, purpose=StatusPurpose.REVOCATION, size=64, bitstring=b"\0"
            )
        )


def test_an_index_is_allocated_only_once(uow: UnitOfWorkFactory, issuer: Issuer, factory) -> None:
    status_list = _list(uow, issuer)
    version, learner = factory.published_version(issuer), factory.learner(issuer)
    first, second = (
        factory.issued(issuer, version, learner),
        factory.issued(issuer, version, learner),
    )
    with uow() as tx:
        tx.status_lists.add_entry(issuer.id, status_list.id, 4242, first.id)
        with pytest.raises(Conflict, match="index is already allocated") as caught:
            tx.status_lists.add_entry(issuer.id, status_list.id, 4242, second.id)
        assert caught.value.extra["constraint"] == "pk_status_entries"
        with pytest.raises(Conflict, match="already has an entry"):
            tx.status_lists.add_entry(issuer.id, status_list.id, 7, first.id)
        tx.status_lists.add_entry(issuer.id, status_list.id, 4243, second.id)  # retry elsewhere
        with pytest.raises(InvalidInput, match="outside the list"):
            tx.status_lists.add_entry(issuer.id, status_list.id, SIZE, second.id)
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.status_lists.count_entries(issuer.id, status_list.id) == 2
        ((entry, lst),) = tx.status_lists.entries_for_credential(issuer.id, second.id)
        assert (entry.status_index, lst.id) == (4243, status_list.id)


def test_bulk_allocation_returns_only_the_refused_picks(
    uow: UnitOfWorkFactory, issuer: Issuer, factory
) -> None:
    revocation = _list(uow, issuer)
    suspension = _list(uow, issuer, StatusPurpose.SUSPENSION)
    version, learner = factory.published_version(issuer), factory.learner(issuer)
    first, second = (
        factory.issued(issuer, version, learner),
        factory.issued(issuer, version, learner),
    )
    with uow() as tx:
        assert tx.status_lists.allocate_entries_refused([]) == set()
        tx.status_lists.add_entry(issuer.id, revocation.id, 10, first.id)
        refused = tx.status_lists.allocate_entries_refused(
            [
                (revocation.id, 10, second.id),  # the index is taken
                (revocation.id, 11, first.id),  # the credential has an entry in this list
                (revocation.id, 12, second.id),
                (suspension.id, 10, first.id),  # the same index of another list
            ]
        )
        assert refused == {(revocation.id, 10, second.id), (revocation.id, 11, first.id)}
        # the pairs form: what was allocated
        assert tx.status_lists.allocate_entries(
            [(suspension.id, 10, second.id), (suspension.id, 13, second.id)]
        ) == {(suspension.id, 13)}
        tx.commit()
    with uow(read_only=True) as tx:
        assert tx.status_lists.count_entries(issuer.id, revocation.id) == 2
        assert tx.status_lists.count_entries(issuer.id, suspension.id) == 2
        entries = tx.status_lists.entries_for_credential(issuer.id, second.id)
        assert sorted((lst.purpose.value, entry.status_index) for entry, lst in entries) == [
            ("revocation", 12),
            ("suspension", 13),
        ]
        assert all(entry.created_at.tzinfo is not None for entry, _ in entries)


def test_entries_only_for_the_issuers_own_credentials(
    uow: UnitOfWorkFactory, issuer: Issuer, other_issuer: Issuer, factory
) -> None:
    status_list = _list(uow, issuer)
    foreign = factory.issued(
        other_issuer, factory.published_version(other_issuer), factory.learner(other_issuer)
    )
    with uow() as tx, pytest.raises(NotFound):
        tx.status_lists.add_entry(issuer.id, status_list.id, 1, foreign.id)


def test_saving_uses_optimistic_locking(uow: UnitOfWorkFactory, issuer: Issuer, clock) -> None:
    status_list = _list(uow, issuer)
    bits = bytearray(SIZE // 8)
    bits[0] = 0b1000_0000  # index 0 is the left-most bit
    clock.advance(minutes=5)
    with uow() as tx:
        saved = tx.status_lists.save_list(
            issuer.id,
            status_list.id,
            expected_version=1,
            bitstring=bytes(bits),
            credential={"type": ["VerifiableCredential", "BitstringStatusListCredential"]},
            etag='"v2"',
        )
        assert (saved.version, saved.etag, saved.updated_at) == (2, '"v2"', clock.now())
        with pytest.raises(Conflict, match="changed meanwhile"):
            tx.status_lists.save_list(
                issuer.id, status_list.id, expected_version=1, bitstring=bytes(bits)
            )
        tx.commit()
    with uow(read_only=True) as tx:
        stored = tx.status_lists.get_list(issuer.id, status_list.id)
    assert stored.bitstring[0] == 0b1000_0000 and stored.version == 2
    assert stored.credential == {"type": ["VerifiableCredential", "BitstringStatusListCredential"]}


@pytest.mark.postgres
def test_concurrent_allocation_of_one_index_lets_exactly_one_win(
    postgres_uow: UnitOfWorkFactory,
) -> None:
    issuer = make_issuer(postgres_uow, "delta")
    factory = Factory(postgres_uow)
    status_list = _list(postgres_uow, issuer)
    version, learner = factory.published_version(issuer), factory.learner(issuer)
    a, b = factory.issued(issuer, version, learner), factory.issued(issuer, version, learner)
    with postgres_uow() as first:
        first.status_lists.add_entry(issuer.id, status_list.id, 99, a.id)
        first.commit()
        with postgres_uow() as second:
            with pytest.raises(Conflict, match="already allocated"):
                second.status_lists.add_entry(issuer.id, status_list.id, 99, b.id)
            second.status_lists.add_entry(issuer.id, status_list.id, 100, b.id)
            second.commit()
