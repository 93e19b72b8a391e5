"""Alembic environment for microcred (run by Alembic, not imported by the package).

The connection normally comes from :func:`microcred.storage.migrator.migrate`, which opened it
inside a transaction (and took the migration lock). Without one, an engine is built from the
``database_url`` attribute. SQLite needs ``render_as_batch`` so ALTERs become table rebuilds.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from microcred.storage.database import create_database_engine
from microcred.storage.tables import Base
from microcred.storage.types import UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Render our own column types as plain SQLAlchemy types in generated revisions.

    Revisions must not import package code that may change later; the storage format of
    :class:`UTCDateTime` is a plain timezone-aware DateTime.
    """
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=True,
    )


def run_offline() -> None:
    context.configure(
        url=config.attributes["database_url"],
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=str(config.attributes["database_url"]).startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_database_engine(config.attributes["database_url"], foreign_keys=False)
    try:
        with engine.connect() as own_connection:
            _configure(own_connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
