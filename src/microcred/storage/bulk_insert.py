"""Insert many rows into one table: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

The bulk issuing path stores hundreds of credentials, claim e-mails and audit entries per
chunk. ``executemany`` (psycopg's pipeline mode) still sends, binds and executes one ``INSERT``
per row, and SQLAlchemy converts every parameter in Python first; ``COPY … FROM STDIN`` streams
the rows as text into one statement, in the caller's transaction (and savepoint).

Values are converted exactly as an ``INSERT`` through SQLAlchemy would convert them (the
columns' bind processors: JSON with the storage codec, vocabularies as their values, aware
datetimes as UTC), so a row stored by :func:`insert_many` reads back as the same row stored
by ``connection.execute(insert(table), rows)``. Every row must name the same columns; a column
left out gets its server default (or NULL), as with ``INSERT``; a column left out that has a
Python-side default is refused (pass its value). Database errors are raised as SQLAlchemy's
``DBAPIError`` subclasses, so :func:`~microcred.storage.translate.translated_errors` treats
them as it treats an ``INSERT``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError

__all__ = ["insert_many"]


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts of column name -> value) into ``table`` in one go."""
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    for column in table.columns:
        if column.name not in rows[0] and column.default is not None:
            raise ValueError(f"insert_many: give {table.name}.{column.name} (it has a default)")
    processors: list[Callable[[Any], Any] | None] = [
        column.type._cached_bind_processor(dialect)  # noqa: SLF001 - SQLAlchemy's own cache
        for column in columns
    ]
    converters = [(name, processor) for name, processor in zip(names, processors, strict=True)]
    from psycopg import Error as PsycopgError
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(n) for n in names)
    )
    raw = connection.connection.driver_connection
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                if len(row) != len(names):
                    raise ValueError("insert_many: every row must name the same columns")
                copy.write_row(
                    [
                        row[name] if processor is None else processor(row[name])
                        for name, processor in converters
                    ]
                )
    except PsycopgError as exc:
        raise DBAPIError.instance(
            f"COPY {table.name}", None, exc, PsycopgError, dialect=dialect
        ) from exc
