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

import copy
import importlib.util
import secrets
import shutil
import sqlite3
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from anyio.from_thread import BlockingPortal
from psycopg import sql

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

from storage_helpers import START, StepClock  # noqa: E402

from microcred.definition.samples import sample_achievement  # noqa: E402
from microcred.services.access import ROLE_PERMISSIONS, Principal, Role  # noqa: E402
from microcred.services.definitions import DefinitionInput  # noqa: E402
from microcred.services.identity import Argon2Parameters, PasswordHashing  # noqa: E402
from microcred.services.issuance import IssueRequest, LearnerInput  # noqa: E402
from microcred.services.platform import Platform, build_platform  # noqa: E402
from microcred.services.schemas_identity import IssuerCreate, IssuerInfo  # noqa: E402
from microcred.settings import load_settings  # noqa: E402
from microcred.storage import Base  # noqa: E402

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


def make_platform(
    database_url: str, home: Path, clock: StepClock, *, kek: str | None = None
) -> Platform:
    settings = load_settings(
        home=home,
        database_url=database_url,
        base_url=BASE_URL,
        kek=kek or secrets.token_hex(32),
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


# --------------------------------------------------------------------------- the world, once


@dataclass(frozen=True)
class _Snapshot:
    """The world as built once in this test process: the database's content, the key files
    and the objects that name it. Each test gets a copy; nothing in it is shared."""

    kek: str
    keys: Path
    #: SQLite: a copy of the database file; PostgreSQL: every table's rows (binary COPY)
    database: Path | dict[str, bytes]
    operator: Principal
    a: Tenant
    b: Tenant


_SNAPSHOTS: dict[str, _Snapshot | None] = {}


def _snapshot_key(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else database_url


def _sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))


def _libpq(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _take_snapshot(database_url: str, home: Path, kek: str, world: tuple[Any, ...]) -> None:
    # beside the test folders (the process's base temporary folder), not inside this test's
    folder = home.parent.parent / f"api-world-{secrets.token_hex(4)}"
    shutil.copytree(home / "keys", folder / "keys")
    database: Path | dict[str, bytes]
    if database_url.startswith("sqlite"):
        database = folder / "world.db"
        # the backup API copies a consistent database, WAL content included
        source = sqlite3.connect(_sqlite_path(database_url))
        target = sqlite3.connect(database)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        database = {}
        with psycopg.connect(_libpq(database_url)) as conn:
            for table in Base.metadata.sorted_tables:
                name = sql.Identifier(table.name)
                copy_out = sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(name)
                with conn.cursor().copy(copy_out) as copy:
                    database[table.name] = b"".join(bytes(block) for block in copy)
    operator, a, b = world
    _SNAPSHOTS[_snapshot_key(database_url)] = _Snapshot(
        kek, folder / "keys", database, operator, a, b
    )


def _restore(snapshot: _Snapshot, database_url: str, home: Path) -> bool:
    """Put the world into the (empty, migrated) database and ``home``; False if this server
    does not let us (PostgreSQL: restoring rows as they were needs triggers off, which only a
    superuser may do); the caller then builds the world."""
    if isinstance(snapshot.database, Path):
        shutil.copyfile(snapshot.database, _sqlite_path(database_url))
    else:
        try:
            with psycopg.connect(_libpq(database_url)) as conn:
                # the rows as they were, cache epochs included: no trigger may rewrite them
                conn.execute("SET LOCAL session_replication_role = replica")
                # emptying the database left the epoch rows its triggers wrote on commit
                for table in reversed(Base.metadata.sorted_tables):
                    conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table.name)))
                for table in Base.metadata.sorted_tables:
                    copy_in = sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(
                        sql.Identifier(table.name)
                    )
                    with conn.cursor().copy(copy_in) as copy:
                        copy.write(snapshot.database[table.name])
        except psycopg.errors.InsufficientPrivilege:
            return False
    shutil.copytree(snapshot.keys, home / "keys")
    return True


def world_platform(
    database_url: str, home: Path, clock: StepClock
) -> tuple[Platform, Principal, Tenant, Tenant]:
    """The platform on ``database_url`` (migrated, empty) holding the API tests' world: an
    operator and issuers A ("alpha") and B ("beta") as :func:`_tenant` makes them.

    The world is built once per test process and backend and then copied: the database's
    content (SQLite file; PostgreSQL rows with triggers off, so even the cache epochs are as
    they were), the key files, the KEK that encrypts them, and the objects naming it (deep
    copies). Building it cost ~0.2 s of CPU (0.3-0.4 s wall) per test; a copy, milliseconds.
    The world is only copied while the test's clock still reads the start it was built at.
    What differs from building it per test: the tests of one process see the same random
    values (keys, DIDs' key ids, token secrets, ids), and the platform object is a fresh one
    whose caches and counters start empty, as the API's app, built per test, always did."""
    key = _snapshot_key(database_url)
    snapshot = _SNAPSHOTS.get(key)
    if (
        snapshot is not None
        and snapshot.keys.exists()
        and clock.now() == START
        and _restore(snapshot, database_url, home)
    ):
        platform = make_platform(database_url, home, clock, kek=snapshot.kek)
        operator, a, b = copy.deepcopy((snapshot.operator, snapshot.a, snapshot.b))
        return platform, operator, a, b
    kek = secrets.token_hex(32)
    platform = make_platform(database_url, home, clock, kek=kek)
    try:
        platform.identity.create_user(None, OPERATOR_EMAIL, PASSWORD, "Operator", is_operator=True)
        operator = platform.identity.authenticate_password(OPERATOR_EMAIL, PASSWORD, "192.0.2.1")
        a = _tenant(platform, operator, "alpha", "Alpha University", "DE")
        b = _tenant(platform, operator, "beta", "Beta College", "NL")
        if key not in _SNAPSHOTS and clock.now() == START:
            _take_snapshot(database_url, home, kek, copy.deepcopy((operator, a, b)))
    except BaseException:
        platform.close()
        raise
    return platform, operator, a, b
