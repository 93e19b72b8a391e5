"""Fixtures for the reliability tests: the storage fixtures (SQLite and PostgreSQL), loaded from
``tests/integration/storage/conftest.py`` as the service tests do, and the service test helpers
(``issuance_testkit``) and the chain helpers (``chain_testkit``) on the import path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
for _folder in (_INTEGRATION / "storage", _INTEGRATION / "services", _INTEGRATION / "chain"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

_spec = importlib.util.spec_from_file_location(
    "_storage_test_fixtures_reliability", _INTEGRATION / "storage" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_storage = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _storage
_spec.loader.exec_module(_storage)

backend = _storage.backend
clock = _storage.clock
database_url = _storage.database_url
postgres_admin_url = _storage.postgres_admin_url
postgres_run_database = _storage.postgres_run_database
sqlite_template = _storage.sqlite_template
