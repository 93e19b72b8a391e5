"""Helpers for tests of the read-cache epoch's triggers (a uniquely named module)."""

from __future__ import annotations

from sqlalchemy import text

from microcred.storage import Database
from microcred.storage.epoch import bump_once_per_transaction, install_current_triggers


def _run(database: Database, statement: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(statement))


def drop_one_trigger(database: Database) -> None:
    """Drop the trigger that watches issuer keys (as a table rebuild on SQLite would)."""
    if database.backend == "sqlite":
        _run(database, "DROP TRIGGER mc_epoch1_issuer_keys_ins")
    else:
        _run(database, "DROP TRIGGER mc_epoch1_issuer_keys ON issuer_keys")


def restore_triggers(database: Database) -> None:
    with database.engine.begin() as connection:
        install_current_triggers(connection.exec_driver_sql, database.backend)
        bump_once_per_transaction(connection.exec_driver_sql, database.backend)
