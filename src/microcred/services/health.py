"""Readiness of the platform: is the database reachable and current, does the KEK open keys?

``check_readiness(platform)`` is what ``GET /readyz`` reports. Each check is quick (one small
query, one key decryption) so a load balancer may call it every few seconds. A failing check
says what is wrong in words an operator can act on; nothing secret is included.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from microcred.errors import MicrocredError
from microcred.services.platform import Platform
from microcred.storage import head_revision

__all__ = ["ReadinessCheck", "ReadinessReport", "check_readiness"]


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class ReadinessReport:
    checks: tuple[ReadinessCheck, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)


@functools.cache
def _head() -> str:
    return head_revision()


def _database(platform: Platform) -> list[ReadinessCheck]:
    """The database answers, and its schema is at the revision this code needs."""
    try:
        with platform.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                with connection.begin_nested():
                    rows = connection.execute(text("SELECT version_num FROM alembic_version"))
                    versions = [str(row[0]) for row in rows]
            except SQLAlchemyError:
                versions = []  # no version table: nothing was migrated yet
    except SQLAlchemyError as exc:
        return [
            ReadinessCheck(
                "database", False, f"the database is unreachable ({type(exc).__name__})"
            ),
            ReadinessCheck("migrations", False, "not checked: the database is unreachable"),
        ]
    current = versions[0] if len(versions) == 1 else None
    reachable = ReadinessCheck("database", True, f"{platform.database.backend} answers")
    head = _head()
    if current != head:
        return [
            reachable,
            ReadinessCheck(
                "migrations",
                False,
                f"the database schema is at {current or 'nothing'}, the code needs {head}: "
                "run 'microcred migrate' (or restart 'microcred serve', which migrates first)",
            ),
        ]
    return [reachable, ReadinessCheck("migrations", True, f"schema at {head}")]


def _key_store(platform: Platform) -> ReadinessCheck:
    store = platform.key_store
    try:
        keys = store.list_keys()
        if keys:
            # Opening one key proves the KEK decrypts the store (AES-GCM authenticates).
            with store.signer_for(keys[0], "urn:microcred:readiness"):
                pass
    except (MicrocredError, OSError) as exc:
        return ReadinessCheck(
            "key_store",
            False,
            f"the key store cannot be opened with the configured KEK ({type(exc).__name__})",
        )
    return ReadinessCheck("key_store", True, f"{len(keys)} key(s); the KEK opens them")


def check_readiness(platform: Platform) -> ReadinessReport:
    return ReadinessReport((*_database(platform), _key_store(platform)))
