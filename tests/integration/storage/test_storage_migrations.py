"""Migrations: from an empty database to head, agreement with the models, round trips."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from microcred.storage import Base, current_revision, head_revision, migrate
from microcred.storage.database import create_database_engine
from microcred.storage.migrator import downgrade, main


def _tables(url: str) -> set[str]:
    engine = create_database_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _schema_diff(url: str) -> list[object]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migrates_an_empty_database_to_head(empty_database_url: str) -> None:
    assert current_revision(empty_database_url) is None

    migrate(empty_database_url)

    assert current_revision(empty_database_url) == head_revision()
    assert _tables(empty_database_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_models_and_migrations_agree(empty_database_url: str) -> None:
    migrate(empty_database_url)

    assert _schema_diff(empty_database_url) == []


def test_migrating_twice_changes_nothing(empty_database_url: str) -> None:
    migrate(empty_database_url)
    migrate(empty_database_url)

    assert current_revision(empty_database_url) == head_revision()


def test_downgrade_to_base_and_upgrade_again(empty_database_url: str) -> None:
    migrate(empty_database_url)
    downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == {"alembic_version"}

    migrate(empty_database_url)
    assert _schema_diff(empty_database_url) == []


def test_developer_command_upgrades_and_reports(empty_database_url: str, capsys) -> None:
    assert main(["--url", empty_database_url, "upgrade"]) == 0
    assert main(["--url", empty_database_url, "current"]) == 0
    assert main(["--url", empty_database_url, "heads"]) == 0

    assert capsys.readouterr().out.split() == [head_revision(), head_revision()]
