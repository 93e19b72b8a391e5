"""Engine set-up: SQLite pragmas, UTC timestamps, settings-driven construction."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from microcred.clock import SystemClock
from microcred.errors import Conflict
from microcred.settings import load_settings
from microcred.storage import Database, DidMethod, Issuer, UnitOfWorkFactory
from microcred.storage.database import create_database_engine


def test_sqlite_connections_get_the_pragmas(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db' / 'x.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA busy_timeout").scalar() == 5000
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()
    assert (tmp_path / "db" / "x.db").exists(), "the parent directory is created"


def test_in_memory_sqlite_shares_one_connection() -> None:
    engine = create_database_engine("sqlite://")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT x FROM t")).scalar() == 1
    finally:
        engine.dispose()


def test_database_from_settings(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    database = Database.from_settings(settings)
    try:
        assert database.backend == "sqlite"
        assert str(database.engine.url) == f"sqlite:///{tmp_path / 'home' / 'microcred.db'}"
    finally:
        database.dispose()


def test_timestamps_come_back_aware_in_utc(uow: UnitOfWorkFactory, clock) -> None:
    clock.instant = datetime(2026, 6, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    with uow() as tx:
        issuer = tx.issuers.add(
            Issuer(slug="tz", name="TZ", did_method=DidMethod.KEY, did="did:key:z6MkTZ")
        )
        tx.commit()
    with uow(read_only=True) as tx:
        stored = tx.session.scalar(select(Issuer.created_at).where(Issuer.id == issuer.id))
    assert stored == datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    assert stored is not None and stored.tzinfo is UTC


def test_naive_timestamps_are_refused(uow: UnitOfWorkFactory, clock) -> None:
    clock.instant = datetime(2026, 6, 1, 14, 30)  # naive: a bug
    with uow() as tx, pytest.raises(StatementError, match="naive datetime"):
        tx.issuers.add(Issuer(slug="n", name="N", did_method=DidMethod.KEY, did="did:key:z6MkN"))


def test_a_second_sqlite_writer_gets_a_retryable_conflict(tmp_path: Path, sqlite_template) -> None:
    path = tmp_path / "busy.db"
    shutil.copyfile(sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}", busy_timeout_ms=50)
    uow = UnitOfWorkFactory(database, SystemClock())
    try:
        with uow() as writer:
            with pytest.raises(Conflict, match="busy") as caught, uow():
                pass
            assert caught.value.extra == {"retryable": True}
            with uow(read_only=True) as reader:  # readers are never blocked (WAL, deferred)
                assert reader.issuers.list_all() == []
            writer.commit()
    finally:
        database.dispose()
