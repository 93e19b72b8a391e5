"""Shared by the security test families (keep both parts when editing):

1. The adversarial tests' session summary: how many mutations were tried and detected.
   ``test_tampering.py`` records its counts with ``record_property("mutations", {...})``; the
   property travels with the test report (also from pytest-xdist workers), and the hook below
   adds them up in the terminal summary.
2. The web/API hardening tests (docs/security-web.md): the API test world of
   ``tests/integration/api`` (issuers A and B, a member and a token per role, a credential at
   each; SQLite and PostgreSQL) re-exported as fixtures, and the integration testkits put on
   the import path (helpers come from ``*_testkit`` modules, never from a conftest).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    rows: list[dict[str, Any]] = []
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", []):
                if name == "mutations" and isinstance(value, dict):
                    rows.append(value)
    if not rows:
        return
    terminalreporter.section("tampering: mutations tried and detected")
    for row in sorted(rows, key=lambda r: str(r["variant"])):
        terminalreporter.write_line(
            f"{row['variant']}: mutations tried {row['tried']}, detected {row['detected']}, "
            f"equivalent rewrites accepted {row['equivalent']}"
        )
    tried = sum(int(r["tried"]) for r in rows)
    detected = sum(int(r["detected"]) for r in rows)
    equivalent = sum(int(r["equivalent"]) for r in rows)
    terminalreporter.write_line(
        f"total: mutations tried {tried}, detected {detected}, equivalent {equivalent}, "
        f"missed {tried - detected - equivalent}"
    )
