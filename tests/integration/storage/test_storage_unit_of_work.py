"""The unit of work: commit makes durable, everything else rolls back."""

from __future__ import annotations

import pytest

from microcred.errors import Conflict
from microcred.storage import DidMethod, Issuer, UnitOfWork, UnitOfWorkFactory


def _issuer(slug: str) -> Issuer:
    return Issuer(slug=slug, name=slug, did_method=DidMethod.KEY, did=f"did:key:z6Mk{slug}")


def _exists(uow: UnitOfWorkFactory, slug: str) -> bool:
    with uow(read_only=True) as tx:
        return tx.issuers.find_by_slug(slug) is not None


def test_commit_makes_changes_durable(uow: UnitOfWorkFactory) -> None:
    with uow() as tx:
        tx.issuers.add(_issuer("kept"))
        tx.commit()
    assert _exists(uow, "kept")


def test_leaving_without_commit_rolls_back(uow: UnitOfWorkFactory) -> None:
    with uow() as tx:
        tx.issuers.add(_issuer("forgotten"))
    assert not _exists(uow, "forgotten")


def test_an_exception_rolls_everything_back(uow: UnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError), uow() as tx:
        tx.issuers.add(_issuer("first"))
        tx.issuers.add(_issuer("second"))
        raise RuntimeError("the use case failed half-way")
    assert not _exists(uow, "first")
    assert not _exists(uow, "second")


def test_explicit_rollback_discards_and_the_unit_stays_usable(uow: UnitOfWorkFactory) -> None:
    with uow() as tx:
        tx.issuers.add(_issuer("discarded"))
        tx.rollback()
        tx.issuers.add(_issuer("after-rollback"))
        tx.commit()
    assert not _exists(uow, "discarded")
    assert _exists(uow, "after-rollback")


def test_a_conflict_inside_a_transaction_keeps_earlier_work(uow: UnitOfWorkFactory) -> None:
    with uow() as tx:
        tx.issuers.add(_issuer("taken"))
        tx.commit()
    with uow() as tx:
        tx.issuers.add(_issuer("earlier"))
        with pytest.raises(Conflict, match="already exists"):
            tx.issuers.add(_issuer("taken"))
        tx.issuers.add(_issuer("later"))  # the transaction is still usable (savepoint)
        tx.commit()
    assert _exists(uow, "earlier")
    assert _exists(uow, "later")


def test_rows_stay_readable_after_the_block(uow: UnitOfWorkFactory) -> None:
    with uow() as tx:
        issuer = tx.issuers.add(_issuer("readable"))
        tx.commit()
    assert issuer.slug == "readable"
    assert issuer.created_at is not None


def test_read_only_units_cannot_commit(uow: UnitOfWorkFactory) -> None:
    with uow(read_only=True) as tx, pytest.raises(RuntimeError, match="read-only"):
        tx.commit()


def test_a_unit_of_work_is_used_inside_with(uow: UnitOfWorkFactory) -> None:
    unit = uow()
    assert isinstance(unit, UnitOfWork)
    with pytest.raises(RuntimeError, match="not open"):
        _ = unit.session
    with unit, pytest.raises(RuntimeError, match="already open"):
        unit.__enter__()
