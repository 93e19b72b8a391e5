"""Fixtures for the storage integration tests: one migrated database per backend.

``database_url`` is parametrised over SQLite (a copy of a migrated template file per test) and
PostgreSQL (one database with a random name per test run, migrated once, emptied after every
test, dropped at the end). PostgreSQL tests carry the ``postgres`` marker and are skipped, with
the reason, only when no server answers on 127.0.0.1:5432. ``MICROCRED_TEST_POSTGRES_URL`` may
point at another server (an admin URL whose user may create databases).
"""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from storage_helpers import (
    MIGRATED,
    Factory,
    StepClock,
    create_postgres_database,
    drop_postgres_database,
    make_issuer,
)

from microcred.storage import Base, Database, Issuer, UnitOfWorkFactory, migrate

# --------------------------------------------------------------------------- PostgreSQL


def _admin_candidates() -> list[str]:
    explicit = os.environ.get("MICROCRED_TEST_POSTGRES_URL")
    if explicit:
        return [explicit]
    users = ["postgres", getpass.getuser()]
    return [f"postgresql://{user}@127.0.0.1:5432/test" for user in dict.fromkeys(users)]


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A URL (libpq form) of a reachable server whose user may create databases."""
    problems = []
    for url in _admin_candidates():
        try:
            with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return url
        except psycopg.Error as exc:
            problems.append(f"{url}: {str(exc).strip().splitlines()[0]}")
    pytest.skip("PostgreSQL is not reachable (" + "; ".join(problems) + ")")


@pytest.fixture(scope="session")
def postgres_run_database(postgres_admin_url: str) -> Iterator[str]:
    """One migrated database for this test process (shared by every folder, see
    ``storage_helpers.MIGRATED``; every test empties it when done), dropped at the end."""
    shared: str | None = MIGRATED.get(postgres_admin_url)
    if shared is not None:
        yield shared
        return
    url = create_postgres_database(postgres_admin_url)
    try:
        migrate(url)
        MIGRATED[postgres_admin_url] = url
        yield url
    finally:
        MIGRATED.pop(postgres_admin_url, None)
        drop_postgres_database(postgres_admin_url, url)


def _empty_postgres(url: str) -> None:
    """Delete every row (children first); on tiny tables DELETE is much faster than TRUNCATE."""
    with psycopg.connect(url) as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table.name)))


# --------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is faster), one per test
    process (shared by every folder, see ``storage_helpers.MIGRATED``)."""
    shared: Path | None = MIGRATED.get("sqlite")
    if shared is not None and shared.exists():
        return shared
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate(f"sqlite:///{path}")
    MIGRATED["sqlite"] = path
    return path


# --------------------------------------------------------------------------- both backends

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a migrated, empty database of the backend under test."""
    if backend == "sqlite":
        path = tmp_path / "microcred.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_run_database")
    try:
        yield url
    finally:
        _empty_postgres(url)


@pytest.fixture
def postgres_uow(postgres_run_database: str) -> Iterator[UnitOfWorkFactory]:
    """PostgreSQL only (for tests of row locking that SQLite cannot express)."""
    db = Database.from_url(postgres_run_database, pool_size=4, max_overflow=0)
    try:
        yield UnitOfWorkFactory(db, StepClock())
    finally:
        db.dispose()
        _empty_postgres(postgres_run_database)


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A database with no tables at all (for migration tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    url = create_postgres_database(admin_url)
    try:
        yield url
    finally:
        drop_postgres_database(admin_url, url)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database.from_url(database_url, pool_size=2, max_overflow=2)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def uow(database: Database, clock: StepClock) -> UnitOfWorkFactory:
    """Call it to get a unit of work: ``with uow() as tx: ...``."""
    return UnitOfWorkFactory(database, clock)


@pytest.fixture
def issuer(uow: UnitOfWorkFactory) -> Issuer:
    return make_issuer(uow, "alpha")


@pytest.fixture
def other_issuer(uow: UnitOfWorkFactory) -> Issuer:
    return make_issuer(uow, "beta")


@pytest.fixture
def factory(uow: UnitOfWorkFactory) -> Factory:
    return Factory(uow)
