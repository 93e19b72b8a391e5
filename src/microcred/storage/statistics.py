"""Planner statistics that keep up with a bulk load (PostgreSQL).

PostgreSQL plans every foreign-key check of an ``INSERT`` once per connection and keeps the
plan. When a bulk job starts, the tables it fills are often empty or never analysed, and the
plan chosen then can be a scan of all the issuer's rows (``learners (issuer_id, email)`` for the
check of ``credentials (learner_id, issuer_id)``, found in round 7 of ``docs/performance.md``):
harmless at 500 rows, quadratic at 100,000. Autovacuum analyses a growing table only after a
minute or more. :func:`refresh_stale_statistics` analyses the tables whose live row count has
outgrown what the planner believes; ``ANALYZE`` invalidates the cached plans, so every
connection plans its checks again with the index on the key.

::

    refresh_stale_statistics(connection, BULK_TABLES)   # after each committed chunk
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import Connection

__all__ = ["BULK_TABLES", "refresh_stale_statistics", "stale_tables"]

#: the tables a bulk issuing job grows, and those its foreign-key checks read
BULK_TABLES: Final = (
    "learners",
    "credentials",
    "status_entries",
    "anchor_batch_items",
    "audit_log",
    "outbox_messages",
    "import_rows",
)

_STALE = text(
    "SELECT s.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid"
    " WHERE s.schemaname = current_schema() AND s.relname = ANY(:tables)"
    " AND s.n_live_tup > :slack + :factor * GREATEST(c.reltuples, 0)"
    " ORDER BY s.relname"
)


def stale_tables(
    connection: Connection, tables: Sequence[str], *, factor: float = 2.0, slack: int = 500
) -> list[str]:
    """Of ``tables``, those with more than ``slack + factor ×`` the planner's row estimate
    (never analysed counts as 0). Always empty on SQLite."""
    if connection.dialect.name != "postgresql" or not tables:
        return []
    rows = connection.execute(
        _STALE, {"tables": list(tables), "slack": slack, "factor": factor}
    ).scalars()
    return [str(name) for name in rows]


def refresh_stale_statistics(
    connection: Connection, tables: Sequence[str], *, factor: float = 2.0, slack: int = 500
) -> list[str]:
    """``ANALYZE (SKIP_LOCKED)`` the :func:`stale_tables` of ``tables``; their names.

    ``SKIP_LOCKED``: a table another process is analysing right now is left to it, so
    concurrent workers never queue behind each other here. Runs in the connection's
    transaction (the caller commits).
    """
    stale = stale_tables(connection, tables, factor=factor, slack=slack)
    if stale:
        quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in stale)
        connection.exec_driver_sql(f"ANALYZE (SKIP_LOCKED) {quoted}")
    return stale
