"""The read-cache epoch (migration 0010): its token changes with every write that matters to
verification, by any writer, and stays put for writes that do not (both backends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from epoch_testkit import drop_one_trigger, restore_triggers
from sqlalchemy import text
from storage_helpers import StepClock, make_issuer

from microcred.storage import Database, UnitOfWorkFactory
from microcred.storage.epoch import PAGES_ID, EpochReader, trigger_names


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database.from_url(database_url)
    try:
        yield db
    finally:
        db.dispose()


def _run(db: Database, statement: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_every_trigger_exists_at_head(database: Database) -> None:
    reader = EpochReader(database.engine)
    assert reader.triggers_present()
    assert trigger_names(database.backend)  # the list the check compares with
    assert reader.read() is not None  # the migration gave the row a first token


def test_a_missing_trigger_is_noticed(database: Database) -> None:
    drop_one_trigger(database)
    try:
        assert not EpochReader(database.engine).triggers_present()
    finally:  # the PostgreSQL database is shared by the run's tests: put it back
        restore_triggers(database)
    assert EpochReader(database.engine).triggers_present()


def test_writes_that_matter_change_the_token(database: Database) -> None:
    reader = EpochReader(database.engine)
    uow = UnitOfWorkFactory(database, StepClock())
    seen = [reader.read()]

    def changed() -> None:
        token = reader.read()
        assert token is not None and token not in seen
        seen.append(token)

    issuer = make_issuer(uow, "epoch")
    changed()
    _run(database, "UPDATE issuers SET slug = 'epoch-two' WHERE id = :id", id=issuer.id.hex)
    changed()
    _run(
        database,
        "INSERT INTO issuer_keys (id, issuer_id, key_store_id, public_key_multibase, "
        "verification_method, status, created_at) VALUES (:id, :issuer, 'k', 'z6Mk', 'x#key-1', "
        "'active', CURRENT_TIMESTAMP)",
        id="0" * 32 if database.backend == "sqlite" else "00000000-0000-0000-0000-000000000001",
        issuer=issuer.id.hex if database.backend == "sqlite" else str(issuer.id),
    )
    changed()
    _run(database, "UPDATE issuer_keys SET status = 'rotated'")
    changed()
    _run(database, "DELETE FROM issuer_keys")
    changed()
    # the row itself deleted (a test harness emptying tables): the next write starts it again
    _run(database, "DELETE FROM cache_epochs")
    assert reader.read() is None
    _run(database, "DELETE FROM issuers")
    changed()


def test_writes_that_do_not_matter_keep_the_token(database: Database) -> None:
    reader = EpochReader(database.engine)
    uow = UnitOfWorkFactory(database, StepClock())
    issuer = make_issuer(uow, "quiet")
    before = reader.read()
    ident = issuer.id.hex if database.backend == "sqlite" else str(issuer.id)
    _run(database, "UPDATE issuers SET name = 'Renamed University' WHERE id = :id", id=ident)
    assert reader.read() == before


def test_page_writes_change_only_the_pages_token(database: Database) -> None:
    reader = EpochReader(database.engine)
    uow = UnitOfWorkFactory(database, StepClock())
    issuer = make_issuer(uow, "pages")
    before = reader.read_all()
    ident = issuer.id.hex if database.backend == "sqlite" else str(issuer.id)
    _run(database, "UPDATE issuers SET name = 'Renamed University' WHERE id = :id", id=ident)
    after = reader.read_all()
    assert after[1] == before[1]  # the verification data did not change
    assert after[PAGES_ID] != before[PAGES_ID]  # the issuer's name is on the public page


def test_a_rolled_back_write_keeps_the_token(database: Database) -> None:
    reader = EpochReader(database.engine)
    uow = UnitOfWorkFactory(database, StepClock())
    make_issuer(uow, "rollback")
    before = reader.read_all()
    with database.engine.connect() as connection:
        connection.execute(text("UPDATE issuers SET slug = 'other'"))
        connection.rollback()
    assert reader.read_all() == before


def test_many_changes_in_one_transaction_change_the_token(database: Database) -> None:
    reader = EpochReader(database.engine)
    uow = UnitOfWorkFactory(database, StepClock())
    for slug in ("many-a", "many-b", "many-c"):
        make_issuer(uow, slug)
    before = reader.read_all()
    with database.engine.begin() as connection:  # three rows, one transaction
        connection.execute(text("UPDATE issuers SET name = name || ' (renamed)'"))
        connection.execute(text("UPDATE issuers SET slug = slug || '-x'"))
    middle = reader.read_all()
    assert middle[1] != before[1] and middle[PAGES_ID] != before[PAGES_ID]
    _run(database, "UPDATE issuers SET slug = slug || 'y'")  # the next transaction too
    assert reader.read_all()[1] != middle[1]
