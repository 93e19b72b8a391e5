"""Helpers for the API tests: the real app on the real platform, on SQLite and PostgreSQL.

The fixtures themselves are in ``conftest.py``; test modules import helpers from here
(never ``from conftest import``: several test folders have a conftest module).

The database fixtures (``backend``, ``database_url``, ``clock``, …) are those of
``tests/integration/storage/conftest.py``. ``api`` is the world every test starts from: an
operator, issuers A ("alpha") and B ("beta"), a member of A per role with a session-free API
token holding every permission of that role, an admin of B with a token, a published
definition at each issuer and a credential issued at each. ``api.client`` talks to the ASGI
app in-process through httpx (no sockets); app exceptions propagate, so a test that reaches
the last-resort 500 handler fails loudly.
"""

from __future__ import annotations

import importlib.util
import secrets
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal

_STORAGE_TESTS = Path(__file__).resolve().parents[1] / "storage"
if str(_STORAGE_TESTS) not in sys.path:
    sys.path.insert(0, str(_STORAGE_TESTS))
_NAME = "_storage_test_fixtures"
if _NAME in sys.modules:
    _storage = sys.modules[_NAME]
else:
    _spec = importlib.util.spec_from_file_location(_NAME, _STORAGE_TESTS / "conftest.py")
    assert _spec is not None and _spec.loader is not None
    _storage = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _storage
    _spec.loader.exec_module(_storage)

backend = _storage.backend
clock = _storage.clock
database_url = _storage.database_url
postgres_admin_url = _storage.postgres_admin_url
postgres_run_database = _storage.postgres_run_database
sqlite_template = _storage.sqlite_template

from storage_helpers import StepClock  # noqa: E402

from microcred.definition.samples import sample_achievement  # noqa: E402
from microcred.services.access import ROLE_PERMISSIONS, Principal, Role  # noqa: E402
from microcred.services.definitions import DefinitionInput  # noqa: E402
from microcred.services.identity import Argon2Parameters, PasswordHashing  # noqa: E402
from microcred.services.issuance import IssueRequest, LearnerInput  # noqa: E402
from microcred.services.platform import Platform, build_platform  # noqa: E402
from microcred.services.schemas_identity import IssuerCreate, IssuerInfo  # noqa: E402
from microcred.settings import load_settings  # noqa: E402

BASE_URL = "http://127.0.0.1:8000"
PASSWORD = "correct horse battery staple"
OPERATOR_EMAIL = "operator@platform.example"
FAST = Argon2Parameters(time_cost=1, memory_cost=64, parallelism=1)


class Client:
    """A synchronous HTTP client for the ASGI app (httpx over an anyio portal)."""

    def __init__(self, app: Any, portal: BlockingPortal, *, ip: str = "192.0.2.10") -> None:
        self._portal = portal
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url=BASE_URL)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self.http.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._portal.call(self.http.aclose)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def definition_body(slug: str, did: str, *, complete: bool = True) -> dict[str, Any]:
    achievement = sample_achievement(awarding_body=did, with_eu_elements=complete).to_json()
    achievement.pop("id")
    return {"slug": slug, "achievement": achievement}


@dataclass
class Tenant:
    issuer: IssuerInfo
    tokens: dict[Role, str]
    principals: dict[Role, Principal]
    definition_id: uuid.UUID
    credential_id: uuid.UUID
    credential_uri: str
    learner_id: uuid.UUID
    token_ids: dict[Role, uuid.UUID] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.issuer.id

    def auth(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return bearer(self.tokens[role])


@dataclass
class Api:
    platform: Platform
    app: Any
    client: Client
    clock: StepClock
    operator: Principal
    a: Tenant
    b: Tenant
    portal: BlockingPortal
    extra_clients: list[Client] = field(default_factory=list)

    def new_client(self, ip: str = "192.0.2.20") -> Client:
        made = Client(self.app, self.portal, ip=ip)
        self.extra_clients.append(made)
        return made

    def sign_in(self, email: str, password: str = PASSWORD) -> Client:
        """A fresh client holding a session cookie for ``email``."""
        client = self.new_client()
        answer = client.post("/api/v1/session", json={"email": email, "password": password})
        assert answer.status_code == 201, answer.text
        return client


def make_platform(database_url: str, home: Path, clock: StepClock) -> Platform:
    settings = load_settings(
        home=home,
        database_url=database_url,
        base_url=BASE_URL,
        kek=secrets.token_hex(32),
        database_pool_size=4,
        database_max_overflow=4,
    )
    return build_platform(
        settings,
        clock=clock,
        passwords=PasswordHashing(FAST),
        allow_network=False,
        migrate_database=False,
    )


def email_for(role: Role, slug: str) -> str:
    return f"{role.value}@{slug}.example"


def _tenant(platform: Platform, operator: Principal, slug: str, name: str, country: str) -> Tenant:
    identity = platform.identity
    issuer = platform.issuers.create_issuer(
        operator, IssuerCreate(slug=slug, name=name, country_code=country)
    )
    roles = list(Role)
    for role in roles:
        identity.create_user(
            operator, email_for(role, slug), PASSWORD, issuer_id=issuer.id, role=role
        )
    principals = {
        role: identity.authenticate_password(email_for(role, slug), PASSWORD, "198.51.100.1")
        for role in roles
    }
    tokens: dict[Role, str] = {}
    token_ids: dict[Role, uuid.UUID] = {}
    admin = principals[Role.ADMIN]
    for role in roles:
        # Only admins manage tokens; a token acts as its creator narrowed to its scopes, so the
        # admin's token scoped to a role's permissions can do exactly what that role can.
        new = identity.create_token(
            admin,
            issuer.id,
            f"{role.value} token",
            sorted(p.value for p in ROLE_PERMISSIONS[role]),
        )
        tokens[role] = new.secret
        token_ids[role] = new.info.id
    definition = platform.definitions.create(
        admin, issuer.id, DefinitionInput.from_json(definition_body("data-skills", issuer.did))
    )
    platform.definitions.submit_for_review(admin, issuer.id, definition.id)
    platform.definitions.approve_and_publish(admin, issuer.id, definition.id)
    issued = platform.issuance.issue(
        admin,
        issuer.id,
        IssueRequest(
            definition_id=definition.id,
            learner=LearnerInput(
                name="Lee Learner", email=f"lee@{slug}.example", external_id="s-1"
            ),
        ),
    )
    assert issued.learner_id is not None
    return Tenant(
        issuer=issuer,
        tokens=tokens,
        principals=principals,
        definition_id=definition.id,
        credential_id=issued.id,
        credential_uri=issued.credential_uri,
        learner_id=issued.learner_id,
        token_ids=token_ids,
    )


def problem(response: httpx.Response, status: int) -> Mapping[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return dict(body)
