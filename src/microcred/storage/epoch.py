"""The read-cache epoch (``cache_epochs``, :mod:`microcred.storage.cache_tables`): its
triggers and one cheap read.

The triggers live in the database, so every writer — any service, any server process, a
command-line tool, a manual ``UPDATE`` — changes the tokens; no code path can forget to.
Row 1 changes with the data verification reads (issuers' DIDs, keys, status lists, the
embedded ledger), row 2 with what a public credential page shows (shares, credentials,
learners' names, issuers). :func:`install_current_triggers` is what migration 0011 runs (and
what a later migration that rebuilds one of the watched tables on SQLite must run again:
SQLite drops a table's triggers with the table); :func:`triggers_present` lets the platform
refuse to cache when they are missing, and :class:`EpochReader` reads the tokens.
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
    "LAYOUT",
    "PAGES_ID",
    "bump_every_row",
    "bump_once_per_transaction",
    "drop_current_triggers",
    "install_current_triggers",
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


def install_triggers(execute: Callable[[str], object], dialect: str) -> None:
    """Migration 0010's triggers (idempotent) and a first token for row 1 (kept as 0010 ran
    them; the current layout is :func:`install_current_triggers`).

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
    """Remove what :func:`install_triggers` created (0010's downgrade, 0011's upgrade)."""
    if dialect == "sqlite":
        for name in _sqlite_triggers():
            execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for table in WATCHED:
        execute(f"DROP TRIGGER IF EXISTS {_PREFIX}{table} ON {table}")
        execute(f"DROP TRIGGER IF EXISTS {_PREFIX}{table}_truncate ON {table}")
    execute(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")


# --------------------------------------------------------------------------- layout 0011
#
# Migration 0011 replaces the triggers above (0010's) with these: two rows, and on PostgreSQL
# *deferred constraint triggers*, which run at commit, after every other lock the transaction
# takes — so the epoch row is always the last lock a writer takes and can never close a
# deadlock cycle (0010's statement triggers took it mid-transaction: a key rotation that
# re-signs lists and a concurrent revocation could deadlock).

#: row 2 ("pages"): what a public credential page shows besides the verification
PAGES_ID: Final = 2
#: (row, table, events)
LAYOUT: Final[tuple[tuple[int, str, tuple[str, ...]], ...]] = (
    (EPOCH_ID, "issuers", ("INSERT", "DELETE", "UPDATE OF did, did_method, slug")),
    (EPOCH_ID, "issuer_keys", ("INSERT", "DELETE", "UPDATE")),
    (EPOCH_ID, "status_lists", ("INSERT", "DELETE", "UPDATE OF credential, etag")),
    (EPOCH_ID, "ledger_entries", ("INSERT", "DELETE", "UPDATE")),
    (PAGES_ID, "credential_shares", ("INSERT", "DELETE", "UPDATE")),
    (PAGES_ID, "credentials", ("DELETE", "UPDATE")),
    (PAGES_ID, "learners", ("DELETE", "UPDATE OF name")),
    (PAGES_ID, "issuers", ("DELETE", "UPDATE")),
)
_PG_ROW_FUNCTION: Final = "mc_epoch_bump_row"
_PG_ROW_FUNCTION_SQL: Final = f"""
CREATE OR REPLACE FUNCTION {_PG_ROW_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO cache_epochs (id, token)
  VALUES (TG_ARGV[0]::integer, md5(random()::text || clock_timestamp()::text))
  ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
  RETURN NULL;
END
$$
"""


#: migration 0013: the same function, but a transaction that changes many watched rows (an
#: anchoring chunk rewrites hundreds of credentials) writes the epoch row once per row number
#: instead of once per changed row (a transaction-local setting remembers it did)
_PG_ROW_FUNCTION_ONCE_SQL: Final = f"""
CREATE OR REPLACE FUNCTION {_PG_ROW_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  flag text := 'microcred.epoch_bumped_' || TG_ARGV[0];
BEGIN
  IF current_setting(flag, true) = txid_current()::text THEN
    RETURN NULL;
  END IF;
  PERFORM set_config(flag, txid_current()::text, true);
  INSERT INTO cache_epochs (id, token)
  VALUES (TG_ARGV[0]::integer, md5(random()::text || clock_timestamp()::text))
  ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
  RETURN NULL;
END
$$
"""


def bump_once_per_transaction(execute: Callable[[str], object], dialect: str) -> None:
    """Migration 0013: PostgreSQL's trigger function writes each epoch row once per
    transaction (nothing to do on SQLite, whose row triggers stay as they are)."""
    if dialect == "postgresql":
        execute(_PG_ROW_FUNCTION_ONCE_SQL)


def bump_every_row(execute: Callable[[str], object], dialect: str) -> None:
    """Migration 0013's downgrade: the function as 0011 made it."""
    if dialect == "postgresql":
        execute(_PG_ROW_FUNCTION_SQL)


def _sqlite_body(row: int) -> str:
    return (
        f"UPDATE cache_epochs SET token = lower(hex(randomblob(16))) WHERE id = {row}; "
        f"INSERT INTO cache_epochs (id, token) SELECT {row}, lower(hex(randomblob(16))) "
        f"WHERE NOT EXISTS (SELECT 1 FROM cache_epochs WHERE id = {row});"
    )


def _event_name(event: str) -> str:
    return event.split()[0].lower()[:3]


def _current_sqlite() -> dict[str, str]:
    statements: dict[str, str] = {}
    for row, table, events in LAYOUT:
        for event in events:
            name = f"mc_epoch{row}_{table}_{_event_name(event)}"
            statements[name] = (
                f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} "
                f"BEGIN {_sqlite_body(row)} END"
            )
    return statements


def _current_pg() -> dict[str, tuple[str, str]]:
    """``{name: (table, create statement)}``."""
    statements: dict[str, tuple[str, str]] = {}
    for row, table, events in LAYOUT:
        name = f"mc_epoch{row}_{table}"
        statements[name] = (
            table,
            f"CREATE CONSTRAINT TRIGGER {name} AFTER {' OR '.join(events)} ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION {_PG_ROW_FUNCTION}('{row}')",
        )
        statements[f"{name}_truncate"] = (
            table,
            f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_ROW_FUNCTION}('{row}')",
        )
    return statements


def trigger_names(dialect: str) -> list[str]:
    """The names of the current epoch triggers on ``dialect`` (``sqlite`` or ``postgresql``)."""
    return sorted(_current_sqlite() if dialect == "sqlite" else _current_pg())


def install_current_triggers(execute: Callable[[str], object], dialect: str) -> None:
    """Create the current (0011) triggers, idempotently, and give both rows a first token."""
    rows = sorted({row for row, _, _ in LAYOUT})
    if dialect == "sqlite":
        for statement in _current_sqlite().values():
            execute(statement)
        for row in rows:
            execute(
                f"INSERT INTO cache_epochs (id, token) SELECT {row}, lower(hex(randomblob(16))) "
                f"WHERE NOT EXISTS (SELECT 1 FROM cache_epochs WHERE id = {row})"
            )
        return
    execute(_PG_ROW_FUNCTION_SQL)
    for name, (table, statement) in _current_pg().items():
        execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        execute(statement)
    for row in rows:
        execute(
            f"INSERT INTO cache_epochs (id, token) VALUES ({row}, md5(random()::text)) "
            "ON CONFLICT (id) DO NOTHING"
        )


def drop_current_triggers(execute: Callable[[str], object], dialect: str) -> None:
    """Remove what :func:`install_current_triggers` created."""
    if dialect == "sqlite":
        for name in _current_sqlite():
            execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, (table, _) in _current_pg().items():
        execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    execute(f"DROP FUNCTION IF EXISTS {_PG_ROW_FUNCTION}()")


def triggers_present(connection: Connection) -> bool:
    """True when every epoch trigger exists in the connected database."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        rows = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE :p"),
            {"p": "mc_epoch%"},
        )
    elif dialect == "postgresql":
        rows = connection.execute(
            text("SELECT tgname FROM pg_trigger WHERE tgname LIKE :p"),
            {"p": "mc_epoch%"},
        )
    else:
        return False
    found = {str(row[0]) for row in rows}
    return set(trigger_names(dialect)) <= found


_READ_SQL: Final = "SELECT id, token FROM cache_epochs WHERE id IN (1, 2)"


class EpochReader:
    """Reads the epoch token: one indexed single-row ``SELECT`` on a pooled connection.

    ``read()`` returns the token, or ``None`` when the row is missing (then nothing cached
    under an earlier token matches, and a later write creates a new one).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(**{READ_ONLY_OPTION: True})
        self._raw = engine

    def read(self) -> str | None:
        """The verification data's token (row 1)."""
        return self.read_all().get(EPOCH_ID)

    def read_all(self) -> dict[int, str]:
        """Every row's token in one query (``{1: data token, 2: pages token}``)."""
        # A pooled DBAPI connection and one plain SELECT: no ORM session, no explicit BEGIN
        # (SQLite connections here are in autocommit mode; the pool rolls back PostgreSQL's
        # implicit transaction when the connection is returned).
        connection = self._raw.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(_READ_SQL)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        finally:
            connection.close()
        return {int(row[0]): str(row[1]) for row in rows if row[1] is not None}

    def triggers_present(self) -> bool:
        with self._engine.connect() as connection:
            return triggers_present(connection)
