"""The read-cache epoch (``cache_epochs``, :mod:`microcred.storage.cache_tables`): its
triggers and one cheap read.

The triggers live in the database, so every writer — any service, any server process, a
command-line tool, a manual ``UPDATE`` — changes the token; no code path can forget to.
:func:`install_triggers` is what migration 0010 runs (and what a later migration that
rebuilds one of the watched tables on SQLite must run again: SQLite drops a table's triggers
with the table); :func:`triggers_present` lets the platform refuse to cache when they are
missing, and :class:`EpochReader` reads the token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from microcred.storage.database import READ_ONLY_OPTION

__all__ = [
    "EPOCH_ID",
    "WATCHED",
    "EpochReader",
    "drop_triggers",
    "install_triggers",
    "trigger_names",
    "triggers_present",
]

EPOCH_ID: Final = 1
#: table -> the events that change the token (``UPDATE OF`` columns; ``None``: every column)
WATCHED: Final[dict[str, tuple[str, ...] | None]] = {
    "issuers": ("did", "did_method", "slug"),
    "issuer_keys": None,
    "status_lists": ("credential", "etag"),
    "ledger_entries": None,
}
_PREFIX: Final = "mc_epoch_"
_PG_FUNCTION: Final = "mc_epoch_bump"

_SQLITE_BODY: Final = (
    "UPDATE cache_epochs SET token = lower(hex(randomblob(16))) WHERE id = 1; "
    "INSERT INTO cache_epochs (id, token) SELECT 1, lower(hex(randomblob(16))) "
    "WHERE NOT EXISTS (SELECT 1 FROM cache_epochs WHERE id = 1);"
)
_PG_FUNCTION_SQL: Final = f"""
CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO cache_epochs (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text))
  ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
  RETURN NULL;
END
$$
"""


def _sqlite_triggers() -> dict[str, str]:
    statements: dict[str, str] = {}
    for table, columns in WATCHED.items():
        update = "UPDATE" if columns is None else f"UPDATE OF {', '.join(columns)}"
        for event, name in (("INSERT", "ins"), ("DELETE", "del"), (update, "upd")):
            trigger = f"{_PREFIX}{table}_{name}"
            statements[trigger] = (
                f"CREATE TRIGGER IF NOT EXISTS {trigger} AFTER {event} ON {table} "
                f"BEGIN {_SQLITE_BODY} END"
            )
    return statements


def _pg_triggers() -> dict[str, str]:
    statements: dict[str, str] = {}
    for table, columns in WATCHED.items():
        update = "UPDATE" if columns is None else f"UPDATE OF {', '.join(columns)}"
        trigger = f"{_PREFIX}{table}"
        statements[trigger] = (
            f"CREATE TRIGGER {trigger} AFTER INSERT OR DELETE OR {update} ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()"
        )
        statements[f"{trigger}_truncate"] = (
            f"CREATE TRIGGER {trigger}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()"
        )
    return statements


def trigger_names(dialect: str) -> list[str]:
    """The names of the epoch triggers on ``dialect`` (``sqlite`` or ``postgresql``)."""
    return sorted(_sqlite_triggers() if dialect == "sqlite" else _pg_triggers())


def install_triggers(execute: Callable[[str], object], dialect: str) -> None:
    """Create the triggers (idempotent) and give the epoch row a first token.

    ``execute`` runs one SQL statement (``op.execute`` in a migration,
    ``connection.exec_driver_sql`` elsewhere).
    """
    if dialect == "sqlite":
        for statement in _sqlite_triggers().values():
            execute(statement)
        execute(
            "INSERT INTO cache_epochs (id, token) SELECT 1, lower(hex(randomblob(16))) "
            "WHERE NOT EXISTS (SELECT 1 FROM cache_epochs WHERE id = 1)"
        )
        return
    execute(_PG_FUNCTION_SQL)
    for table in WATCHED:
        execute(f"DROP TRIGGER IF EXISTS {_PREFIX}{table} ON {table}")
        execute(f"DROP TRIGGER IF EXISTS {_PREFIX}{table}_truncate ON {table}")
    for statement in _pg_triggers().values():
        execute(statement)
    execute(
        "INSERT INTO cache_epochs (id, token) VALUES (1, md5(random()::text)) "
        "ON CONFLICT (id) DO NOTHING"
    )


def drop_triggers(execute: Callable[[str], object], dialect: str) -> None:
    """Remove what :func:`install_triggers` created (the migration's downgrade)."""
    if dialect == "sqlite":
        for name in _sqlite_triggers():
            execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for table in WATCHED:
        execute(f"DROP TRIGGER IF EXISTS {_PREFIX}{table} ON {table}")
        execute(f"DROP TRIGGER IF EXISTS {_PREFIX}{table}_truncate ON {table}")
    execute(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")


def triggers_present(connection: Connection) -> bool:
    """True when every epoch trigger exists in the connected database."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        rows = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE :p"),
            {"p": _PREFIX + "%"},
        )
    elif dialect == "postgresql":
        rows = connection.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE :p"),
            {"p": _PREFIX + "%"},
        )
    else:
        return False
    found = {str(row[0]) for row in rows}
    return set(trigger_names(dialect)) <= found


_READ_SQL: Final = "SELECT token FROM cache_epochs WHERE id = 1"


class EpochReader:
    """Reads the epoch token: one indexed single-row ``SELECT`` on a pooled connection.

    ``read()`` returns the token, or ``None`` when the row is missing (then nothing cached
    under an earlier token matches, and a later write creates a new one).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(**{READ_ONLY_OPTION: True})
        self._raw = engine

    def read(self) -> str | None:
        # A pooled DBAPI connection and one plain SELECT: no ORM session, no explicit BEGIN
        # (SQLite connections here are in autocommit mode; the pool rolls back PostgreSQL's
        # implicit transaction when the connection is returned).
        connection = self._raw.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_READ_SQL)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()
        return None if row is None or row[0] is None else str(row[0])

    def triggers_present(self) -> bool:
        with self._engine.connect() as connection:
            return triggers_present(connection)
