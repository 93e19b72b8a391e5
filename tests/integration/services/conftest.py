"""Fixtures for the service tests: the storage fixtures, on SQLite and PostgreSQL.

The database fixtures (``backend``, ``database_url``, ``database``, ``clock``, ``uow``, the
PostgreSQL run database …) are the ones of ``tests/integration/storage/conftest.py``, loaded
from there so both suites share one definition. Service-specific fixtures live in the test
modules or in uniquely named helper modules next to them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_STORAGE_TESTS = Path(__file__).resolve().parents[1] / "storage"
if str(_STORAGE_TESTS) not in sys.path:
    sys.path.insert(0, str(_STORAGE_TESTS))

_spec = importlib.util.spec_from_file_location(
    "_storage_test_fixtures", _STORAGE_TESTS / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_storage = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _storage
_spec.loader.exec_module(_storage)

backend = _storage.backend
clock = _storage.clock
database = _storage.database
database_url = _storage.database_url
postgres_admin_url = _storage.postgres_admin_url
postgres_run_database = _storage.postgres_run_database
sqlite_template = _storage.sqlite_template
uow = _storage.uow

# The platform on the database under test, and a small world of issuers and staff
# (see identity_testkit.py).
from identity_testkit import platform, world  # noqa: E402

__all__ = [
    "backend",
    "clock",
    "database",
    "database_url",
    "platform",
    "postgres_admin_url",
    "postgres_run_database",
    "sqlite_template",
    "uow",
    "world",
]
