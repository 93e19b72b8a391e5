"""Fixtures for the security tests: the API test world of ``tests/integration/api`` (issuers A
and B, a member and a token per role, a credential at each; SQLite and PostgreSQL) and the
web test helpers, loaded from their folders (helpers are imported from ``*_testkit`` modules,
never from a conftest)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
for _folder in ("storage", "services", "api", "web"):
    if str(_INTEGRATION / _folder) not in sys.path:
        sys.path.append(str(_INTEGRATION / _folder))

_NAME = "_api_test_fixtures_security"
if _NAME in sys.modules:
    _api = sys.modules[_NAME]
else:
    _spec = importlib.util.spec_from_file_location(_NAME, _INTEGRATION / "api" / "conftest.py")
    assert _spec is not None and _spec.loader is not None
    _api = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _api
    _spec.loader.exec_module(_api)

# the database fixtures of tests/integration/storage and the API world, re-exported for pytest
backend = _api.backend
clock = _api.clock
database_url = _api.database_url
postgres_admin_url = _api.postgres_admin_url
postgres_run_database = _api.postgres_run_database
sqlite_template = _api.sqlite_template
portal = _api.portal
api = _api.api
