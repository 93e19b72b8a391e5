"""Property-based API testing from the OpenAPI document (schemathesis), as every caller.

Every operation gets generated requests as each kind of caller — anonymous, issuer A's admin
API token, the platform operator (session cookie) and a learner with a wallet session (the
API has no wallet operations: the learner must get the same answers as anonymous). For each
answer: never a 5xx, the status code is one the operation documents, the content type is the
documented one (problem+json for errors), and the body conforms to the documented schema.

The platform and its data are built once for the module on a copy of the migrated SQLite
template; the request rate limit and the guessing throttle are lifted for this app (they are
tested in tests/security/test_throttling.py). ``max_examples`` keeps the run short.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_testkit import OPERATOR_EMAIL, PASSWORD, Tenant, _tenant, make_platform
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from storage_helpers import StepClock

from microcred.api import create_app
from microcred.api.guessing import GuessThrottle
from microcred.api.ratelimit import RateLimiter
from microcred.services.access import Role
from microcred.services.issuance import IssueRequest, LearnerInput

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CALLERS = ("anonymous", "issuer admin token", "operator session", "learner wallet")
#: generated requests per operation and caller (the admin token reaches the most code)
EXAMPLES = {"issuer admin token": 4}
DEFAULT_EXAMPLES = 2


@dataclass
class Fuzzed:
    schema: Any
    tenant: Tenant
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Fuzzed]:
    home = tmp_path_factory.mktemp("schemathesis")
    database = home / "microcred.db"
    shutil.copyfile(sqlite_template, database)
    platform = make_platform(f"sqlite:///{database}", home / "home", StepClock())
    try:
        identity = platform.identity
        identity.create_user(None, OPERATOR_EMAIL, PASSWORD, is_operator=True)
        operator = identity.authenticate_password(OPERATOR_EMAIL, PASSWORD, None)
        tenant = _tenant(platform, operator, "alpha", "Alpha University", "DE")
        claimed = platform.issuance.issue(
            tenant.principals[Role.ADMIN],
            tenant.id,
            IssueRequest(
                definition_id=tenant.definition_id,
                learner=LearnerInput(name="Wanda Wallet", email="wanda@alpha.example"),
            ),
        )
        assert claimed.claim_url is not None
        app = create_app(
            platform,
            rate_limiter=RateLimiter(1_000_000),
            guess_throttle=GuessThrottle(limit=1_000_000),
        )
        token = claimed.claim_url.rsplit("/", 1)[1]
        wallet = app.state.web.sharing.open_wallet(token).secret
        headers = {
            "anonymous": {},
            "issuer admin token": {"Authorization": f"Bearer {tenant.tokens[Role.ADMIN]}"},
            "operator session": {
                "Cookie": f"microcred_session={identity.start_session(operator).secret}"
            },
            "learner wallet": {"Cookie": f"mc_wallet={wallet}"},
        }
        yield Fuzzed(schemathesis.openapi.from_asgi("/openapi.json", app), tenant, headers)
    finally:
        platform.close()


def _operations() -> list[str]:
    """The operation labels (``GET /healthz``), read from a schema without a database."""
    from fastapi import FastAPI

    from microcred.api.app import create_app as build

    class _NoPlatform:
        pass

    app: FastAPI = build(_NoPlatform())  # type: ignore[arg-type]
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    return sorted(result.ok().label for result in loaded.get_all_operations())


OPERATIONS = _operations()


def test_the_schema_lists_every_operation() -> None:
    assert len(OPERATIONS) >= 40
    for label in (
        "POST /credentials/issue",
        "POST /credentials/verify",
        "POST /api/v1/session/password",
    ):
        assert label in OPERATIONS
    for area in ("pathways", "recognition", "endorse", "clr", "elm"):
        assert any(area in label for label in OPERATIONS), area


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_honours_its_documentation(label: str, caller: str, fuzzed: Fuzzed) -> None:
    # schemathesis' own pytest plugin does not run under pytest 9 yet, so each operation's
    # hypothesis strategy is driven here directly (same checks as `schemathesis run`).
    operation = next(r.ok() for r in fuzzed.schema.get_all_operations() if r.ok().label == label)
    tenant = fuzzed.tenant
    headers = fuzzed.headers[caller]
    # Random UUIDs only ever meet 404: point the ids at the tenant's real resources instead,
    # so that the generated bodies and queries reach the services.
    known = {
        "issuer_id": str(tenant.id),
        "definition_id": str(tenant.definition_id),
        "credential_id": str(tenant.credential_id),
        "learner_id": str(tenant.learner_id),
        # the public status lists (and the DID document) of the tenant
        "slug": tenant.issuer.slug,
        "purpose": "revocation",
        "number": "1",
    }

    @settings(
        max_examples=EXAMPLES.get(caller, DEFAULT_EXAMPLES),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        for name, value in known.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
