"""Property-based API testing from the OpenAPI document (schemathesis).

Every operation gets generated requests (authenticated as issuer A's admin token). For each
answer: never a 5xx, the status code is one the operation documents, the content type is the
documented one, and the body conforms to the documented schema. The platform and its data
are built once for the module on a SQLite file; ``max_examples`` keeps the run short.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_testkit import FAST, OPERATOR_EMAIL, PASSWORD, _tenant
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from microcred.api import create_app
from microcred.services.access import Role
from microcred.services.identity import PasswordHashing
from microcred.services.platform import build_platform
from microcred.settings import load_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home: Path = tmp_path_factory.mktemp("schemathesis")
    platform = build_platform(
        load_settings(
            home=home,
            database_url=f"sqlite:///{home / 'microcred.db'}",
            base_url="http://127.0.0.1:8000",
            kek=secrets.token_hex(32),
        ),
        passwords=PasswordHashing(FAST),
        allow_network=False,
    )
    try:
        platform.identity.create_user(None, OPERATOR_EMAIL, PASSWORD, is_operator=True)
        operator = platform.identity.authenticate_password(OPERATOR_EMAIL, PASSWORD, None)
        tenant = _tenant(platform, operator, "alpha", "Alpha University", "DE")
        app = create_app(platform)
        yield {"schema": schemathesis.openapi.from_asgi("/openapi.json", app), "tenant": tenant}
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
    assert "POST /credentials/issue" in OPERATIONS


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_honours_its_documentation(label: str, fuzzed: dict[str, Any]) -> None:
    # schemathesis' own pytest plugin does not run under pytest 9 yet, so each operation's
    # hypothesis strategy is driven here directly (same checks as `schemathesis run`).
    operation = next(r.ok() for r in fuzzed["schema"].get_all_operations() if r.ok().label == label)
    tenant = fuzzed["tenant"]
    token = tenant.tokens[Role.ADMIN]
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
        max_examples=6,
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
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    run()
