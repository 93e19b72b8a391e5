"""Engines and sessions for SQLite (the default) and PostgreSQL (at scale).

SQLite connections get ``foreign_keys=ON``, WAL journaling, ``synchronous=NORMAL`` and a busy
timeout. Python's ``sqlite3`` (before 3.12) starts transactions late and ignores SAVEPOINTs
outside them; SQLAlchemy therefore takes over and emits ``BEGIN IMMEDIATE`` itself, so a write
transaction holds the write lock from its first statement (no lock-upgrade deadlocks) and
savepoints nest properly. Read-only units of work begin ``DEFERRED`` and never block writers.

PostgreSQL connections use psycopg 3 with a bounded pool, ``pre_ping`` to survive server
restarts, and the session time zone pinned to UTC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from microcred.errors import ConfigError
from microcred.settings import Settings, normalise_database_url
from microcred.storage import json_codec

__all__ = ["READ_ONLY_OPTION", "Database", "create_database_engine"]

#: execution option that makes a SQLite transaction begin DEFERRED instead of IMMEDIATE
READ_ONLY_OPTION = "microcred_read_only"

_SQLITE_BUSY_TIMEOUT_MS = 5_000


def create_database_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    foreign_keys: bool = True,
    busy_timeout_ms: int = _SQLITE_BUSY_TIMEOUT_MS,
) -> Engine:
    """Build an :class:`~sqlalchemy.Engine` for ``url`` with the settings described above.

    ``foreign_keys=False`` is only for schema migrations on SQLite (table rebuilds must not fire
    ``ON DELETE`` actions); normal code never passes it.
    """
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(
            parsed, echo=echo, foreign_keys=foreign_keys, busy_timeout_ms=busy_timeout_ms
        )
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            parsed,
            echo=echo,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
            pool_recycle=1800,
            connect_args={"application_name": "microcred", "options": "-c timezone=UTC"},
            json_serializer=json_codec.dumps,
            json_deserializer=json_codec.loads,
        )
    raise ConfigError(f"unsupported database backend {parsed.get_backend_name()!r}")


def _sqlite_engine(url: URL, *, echo: bool, foreign_keys: bool, busy_timeout_ms: int) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    kwargs: dict[str, Any] = {
        "echo": echo,
        "json_serializer": json_codec.dumps,
        "json_deserializer": json_codec.loads,
    }
    if in_memory:
        # one shared connection, or every checkout would see a different empty database
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN DEFERRED")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """An engine plus the session factories the units of work draw from."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
        self._read_only_sessions = sessionmaker(
            bind=engine.execution_options(**{READ_ONLY_OPTION: True}),
            expire_on_commit=False,
            autoflush=True,
        )

    @classmethod
    def from_url(cls, url: str, **engine_options: Any) -> Database:
        return cls(create_database_engine(url, **engine_options))

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(
            create_database_engine(
                settings.database_url,
                echo=settings.database_echo,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
            )
        )

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def session(self, *, read_only: bool = False) -> Session:
        """A new ORM session (use through :class:`~microcred.storage.UnitOfWork`)."""
        return self._read_only_sessions() if read_only else self._sessions()

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, and in tests)."""
        self.engine.dispose()
